import type { Express } from 'express';

/** What the fuzz knows about a route: the fields it reads, and whether it checks a password. */
export interface RouteSpec {
  key: string;
  method: string;
  path: string;
  surface: 'api' | 'panel';
  params: string[];
  fields: readonly string[];
  query: readonly string[];
  checksPassword: boolean;
}

type Hints = { fields?: readonly string[]; query?: readonly string[]; checksPassword?: true };

const USER_QUERY = ['search', 'role', 'status', 'limit', 'offset'];
const MESSAGE_QUERY = ['limit', 'offset', 'sender_id', 'status', 'search', 'from', 'to'];
const ACTIVITY_FILTERS = ['user', 'about', 'user_id', 'action', 'outcome', 'ip', 'from', 'to'];
const ACTIVITY_QUERY = ['limit', 'offset', ...ACTIVITY_FILTERS];
const PAGE_QUERY = ['page', 'search', 'role', 'status', 'user_id', 'action', 'outcome', 'from', 'to', 'sender_id', 'source_group', 'next', 'acknowledged'];

// `ALL` is the auth API's "405, use POST" fallback for the other methods.
const API: Record<string, Hints> = {
  'GET /health': {}, 'GET /ready': {},
  'GET /metrics': {},
  'POST /auth/login': { fields: ['username', 'password'], checksPassword: true },
  'POST /auth/validate': {}, 'POST /auth/refresh': {}, 'POST /auth/logout': {}, 'GET /auth/me': {},
  'POST /auth/password': { fields: ['current_password', 'new_password'], checksPassword: true },
  'ALL /auth/login': {}, 'ALL /auth/validate': {}, 'ALL /auth/refresh': {}, 'ALL /auth/logout': {}, 'ALL /auth/me': {}, 'ALL /auth/password': {},
  'GET /api/users': { query: USER_QUERY },
  'GET /api/users/:id': {},
  'POST /api/users': { fields: ['username', 'password', 'role'] },
  'PUT /api/users/:id': { fields: ['username', 'password', 'is_active'] },
  'PUT /api/users/:id/role': { fields: ['role'] },
  'DELETE /api/users/:id': {},
  'POST /api/users/:id/sign-out': {},
  'POST /api/users/:id/transfer': { fields: ['manager_id'] },
  'POST /api/contacts/sync': { fields: ['contacts', 'source_group'] },
  'GET /api/contacts/stats': {},
  'GET /api/contacts': { query: ['search', 'source_group', 'limit', 'offset'] },
  'POST /api/messages/log': { fields: ['recipient_phone', 'message_content', 'attachment_path', 'template_used', 'status'] },
  'POST /api/messages/bulk-log': { fields: ['messages'] },
  'GET /api/messages/stats': {},
  'GET /api/messages': { query: MESSAGE_QUERY },
  'GET /api/activity': { query: ACTIVITY_QUERY },
  'GET /api/activity/flags': { query: ['acknowledged', 'rule', 'severity', 'state', 'user_id', 'limit', 'offset'] },
  'POST /api/activity/flags/acknowledge': { fields: ['ids', 'note'] },
  'POST /api/activity/flags/:id/acknowledge': { fields: ['note'] },
};

const PANEL: Record<string, Hints> = {
  'GET /': {}, 'GET /login': {}, 'GET /account': {}, 'GET /account/password': {},
  'POST /login': { fields: ['username', 'password'], checksPassword: true },
  'POST /logout': {},
  'POST /account/password': { fields: ['current_password', 'new_password', 'confirm_password'], checksPassword: true },
  'GET /dashboard': {},
  'GET /activity': { query: [...ACTIVITY_FILTERS, 'before'] }, 'GET /team/activity': { query: [...ACTIVITY_FILTERS, 'before'] },
  'GET /activity.csv': { query: ACTIVITY_FILTERS }, 'POST /activity/flags/:id/acknowledge': { fields: ['note'] },
  'GET /activity/flags': { query: ['page', 'rule', 'severity', 'state', 'user_id'] },
  'POST /activity/flags/acknowledge': { fields: ['flag_ids', 'note'] },
  'GET /contacts': {}, 'GET /contacts.csv': {}, 'GET /messages': {}, 'GET /messages.csv': {},
  'GET /users': {}, 'GET /users/new': {}, 'GET /users/:id': { query: ['before'] }, 'GET /users/:id/terminate': {},
  'POST /users': { fields: ['username', 'password', 'confirm_password', 'role'] },
  'POST /users/:id': { fields: ['username'] },
  'POST /users/:id/role': { fields: ['role'] },
  'POST /users/:id/password': { fields: ['password', 'confirm_password'] },
  'POST /users/:id/terminate': {}, 'POST /users/:id/reactivate': {}, 'POST /users/:id/sign-out': {},
  'POST /users/:id/transfer': { fields: ['manager_id'] },
};

function spec(key: string, surface: RouteSpec['surface'], hints: Hints): RouteSpec {
  const [method, path] = key.split(' ') as [string, string];
  const params = [...path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  const query = hints.query ?? (surface === 'panel' && method === 'GET' ? PAGE_QUERY : []);
  return { key, method, path, surface, params, fields: hints.fields ?? [], query, checksPassword: hints.checksPassword === true };
}

export const API_ROUTES = Object.entries(API).map(([key, hints]) => spec(key, 'api', hints));
export const PANEL_ROUTES = Object.entries(PANEL).map(([key, hints]) => spec(key, 'panel', hints));

interface Layer { route?: { path: string | string[]; methods: Record<string, boolean> }; handle: { stack?: Layer[] }; rawPath?: unknown }

const join = (prefix: string, path: string) => prefix.replace(/\/$/, '') + (path === '/' ? '' : path) || '/';
const pathsOf = (raw: unknown): string[] => (Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? [raw] : ['/']);

function walk(stack: Layer[], prefix: string, out: Set<string>): void {
  for (const layer of stack) {
    if (layer.route) {
      for (const path of pathsOf(layer.route.path)) {
        for (const method of Object.keys(layer.route.methods)) out.add(`${method === '_all' ? 'ALL' : method.toUpperCase()} ${join(prefix, path)}`);
      }
    } else if (Array.isArray(layer.handle.stack)) {
      for (const path of pathsOf(layer.rawPath)) walk(layer.handle.stack, join(prefix, path), out);
    }
  }
}

/** Every `METHOD /path` the app answers, read from Express 5's router stacks. */
export function mountedRoutes(app: Express): string[] {
  const out = new Set<string>();
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '', out);
  return [...out].sort();
}

/** The JSON surface is /auth/*, /api/*, /health, /ready and /metrics; everything else is the panel. */
export const isApiRoute = (key: string) => / \/(auth|api)(\/|$)| \/(health|ready|metrics)$/.test(key);
