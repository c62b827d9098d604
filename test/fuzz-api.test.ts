import { API_ROUTES, isApiRoute } from './fuzz/routes.js';
import { fuzzSurface } from './fuzz/surface.js';

fuzzSurface('fuzz: the JSON API as an admin, a manager, a worker, anonymous and with a forged token', API_ROUTES, isApiRoute);
