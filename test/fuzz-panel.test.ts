import { isApiRoute, PANEL_ROUTES } from './fuzz/routes.js';
import { fuzzSurface } from './fuzz/surface.js';

fuzzSurface('fuzz: every panel page and form, signed in (admin, manager) with a CSRF token, and anonymous', PANEL_ROUTES,
  (key) => !isApiRoute(key));
