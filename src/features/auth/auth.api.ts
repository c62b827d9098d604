import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { allowBearer, bearerToken, principalOf, setTokenChallenge } from '../../http/bearer.js';
import { BadRequest } from '../../http/errors.js';
import { allow } from '../../http/panel-auth.js';
import type { ValidateResult } from '../../http/metrics.js';
import { loginRequestLimit } from '../../http/rate-limits.js';
import type { RecordRefusal } from '../../http/refusals.js';
import { passwordChecksSaturated } from '../../passwords/password.js';
import type { TokenAuthService } from './token-auth.service.js';
import { InvalidToken } from '../../domain/principal.js';

const loginBody = z.object({ username: z.string().trim().min(1).max(1024), password: z.string().min(1).max(4096) });
const passwordBody = z.object({
  current_password: z.string({ error: 'current_password is required' }).min(1, 'current_password is required').max(1024),
  new_password: z.string({ error: 'new_password is required' }).min(1, 'new_password is required').max(1024),
});

const meta = (req: Request) => ({ ip: req.ip ?? 'unknown', userAgent: req.get('user-agent') ?? null });

function tooMany(res: Response, seconds: number) {
  res.set('Retry-After', String(seconds));
  res.locals.limiter ??= 'login_throttle';
  res.status(429).json({ error: `Too many login attempts. Try again in ${seconds} seconds.`, retry_after: seconds });
}

function refuseToken(res: Response, err: unknown, body: (message: string) => object) {
  if (!(err instanceof InvalidToken)) throw err;
  setTokenChallenge(res);
  res.status(401).json(body(err.message));
}

const BUSY_BODY = JSON.stringify({ error: 'Service busy, retry shortly', code: 'busy' });
const BUSY_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(BUSY_BODY)),
  'Retry-After': '1', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': "default-src 'none'" };

/**
 * While the password checker is saturated a sign-in can only be refused, so the main app's
 * sign-ins are refused before routing, parsing or logging: during a flood each refusal costs
 * the event loop as little as possible and /auth/validate keeps its share (about twice the
 * throughput and half the p99 of answering through the router; see bench/login-flood.ts).
 * Browsers (with an Origin) take the normal path, which adds the CORS headers they need.
 */
export function shedSignInsWhenSaturated(onShed: () => void): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'POST' || req.path !== '/auth/login' || req.headers.origin || !passwordChecksSaturated()) return next();
    onShed();
    res.writeHead(503, BUSY_HEADERS).end(BUSY_BODY);
  };
}

/** The main app's token API: the original Flask contract, paths and fields kept. */
function validateResult(err: unknown): ValidateResult {
  const message = err instanceof Error ? err.message : '';
  if (message === 'Token has expired') return 'expired';
  return message === 'Missing bearer token' || message === 'Malformed bearer token' ? 'missing' : 'invalid';
}

export function createAuthApi(tokens: TokenAuthService, apiRequestsPerMinute: number, recordRefusal?: RecordRefusal,
  onValidate: (result: ValidateResult) => void = () => undefined): Router {
  const router = Router();
  const json = express.json({ limit: '16kb' });
  const limit = loginRequestLimit(apiRequestsPerMinute, (_req, res) => tooMany(res, res.locals.retryAfterSeconds as number), recordRefusal, 'api_login_requests');

  router.post('/login', limit, allow('session.login'), json, async (req, res) => {
    const parsed = loginBody.safeParse(req.body ?? {});
    if (!parsed.success) return res.status(400).json({ error: 'Username and password required' });
    const result = await tokens.login(parsed.data.username.slice(0, 128), parsed.data.password.slice(0, 1024), meta(req));
    if (result.kind === 'throttled') return tooMany(res, result.retryAfterSeconds);
    if (result.kind !== 'ok') return res.status(401).json({ error: 'Invalid credentials' });
    const { user } = result;
    res.json({
      message: 'Login successful',
      user: { id: user.id, username: user.username, role: user.role, ...(user.mustChangePassword ? { must_change_password: true } : {}) },
      access_token: result.accessToken,
      refresh_token: result.refreshToken,
    });
  });

  router.post('/validate', allow('token.validate'), async (req, res) => {
    try {
      const p = await tokens.authenticateAccess(bearerToken(req));
      // The main app must not let in an account still on a one-time password.
      if (p.mustChangePassword) {
        onValidate('password_change_required');
        return res.status(401).json({ valid: false, error: 'Password change required', code: 'password_change_required' });
      }
      onValidate('valid');
      res.json({ valid: true, user_id: p.userId, username: p.username, role: p.role, exp: p.exp });
    } catch (err) {
      if (err instanceof InvalidToken) onValidate(validateResult(err));
      refuseToken(res, err, (error) => ({ valid: false, error }));
    }
  });

  router.post('/refresh', allow('token.refresh'), async (req, res) => {
    try {
      const pair = await tokens.refresh(bearerToken(req), meta(req));
      res.json({ access_token: pair.accessToken, refresh_token: pair.refreshToken });
    } catch (err) {
      refuseToken(res, err, (error) => ({ error }));
    }
  });

  router.post('/logout', allowBearer(tokens, 'session.logout'), (req, res) => {
    tokens.logout(principalOf(res), meta(req));
    res.json({ message: 'Logged out' });
  });

  router.get('/me', allowBearer(tokens, 'account.viewOwn'), (_req, res) => {
    const p = principalOf(res);
    res.json({ id: p.userId, username: p.username, role: p.role, created_at: p.createdAt });
  });

  router.post('/password', allowBearer(tokens, 'account.changeOwnPassword'), json, async (req, res) => {
    const parsed = passwordBody.safeParse(req.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new BadRequest(issue.message, { [String(issue.path[0])]: issue.message });
    }
    await tokens.changePassword(principalOf(res), parsed.data.current_password, parsed.data.new_password, meta(req));
    res.json({ message: 'Password changed' });
  });

  for (const [path, method] of [['/login', 'POST'], ['/validate', 'POST'], ['/refresh', 'POST'], ['/logout', 'POST'], ['/me', 'GET'], ['/password', 'POST']]) {
    router.all(path!, allow('health.read'), (_req, res) => {
      res.set('Allow', method!).status(405).json({ error: `Method not allowed; use ${method}` });
    });
  }
  return router;
}
