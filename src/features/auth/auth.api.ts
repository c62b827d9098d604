import express, { Router, type Request, type RequestHandler } from 'express';
import { errorBody, refuseMethod } from '../../http/error-handlers.js';
import { BEARER_CHALLENGE, describeError, HttpError, PasswordChangeRequired, ServiceBusy } from '../../errors.js';
import { bearerToken, permit, principalOf, tokenCaller } from '../../http/bearer.js';
import type { ValidateResult } from '../../http/metrics.js';
import { requestLimit } from '../../http/rate-limits.js';
import type { RecordRefusal } from '../../http/refusals.js';
import { parseInput } from '../../http/validate.js';
import { InvalidToken } from '../../domain/principal.js';
import { passwordChecksSaturated } from '../../passwords/password.js';
import { loginBodySchema } from './auth.schemas.js';
import type { TokenService } from './tokens.service.js';

/** The original contract's answers, which carry no `code`. */
class LoginThrottled extends HttpError {
  constructor(seconds: number, limiter: string) {
    super(429, `Too many login attempts. Try again in ${seconds} seconds.`, { retryAfterSeconds: seconds, limiter, body: { retry_after: seconds } });
  }
}
class TokenInvalid extends HttpError {
  constructor(message: string, body?: { valid: false }) {
    super(401, message, { headers: BEARER_CHALLENGE, body });
  }
}

const meta = (req: Request) => ({ ip: req.ip ?? 'unknown', userAgent: req.get('user-agent') ?? null });

const BUSY = describeError(new ServiceBusy());
const BUSY_BODY = JSON.stringify(errorBody(BUSY));
const BUSY_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(BUSY_BODY)),
  'Retry-After': String(BUSY.retryAfterSeconds), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': "default-src 'none'" };

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

function validateResult(err: InvalidToken): ValidateResult {
  if (err.message === 'Token has expired') return 'expired';
  return err.message === 'Missing bearer token' || err.message === 'Malformed bearer token' ? 'missing' : 'invalid';
}

export interface AuthApiDeps {
  tokens: TokenService;
  loginRequestsPerMinute: number;
  recordRefusal: RecordRefusal;
  onValidate: (result: ValidateResult) => void;
}

/** /auth: the main app's token API, the original Flask contract's paths and fields kept. */
export function createAuthApi(deps: AuthApiDeps): Router {
  const { tokens, onValidate } = deps;
  const router = Router();
  const json = express.json({ limit: '16kb' });
  const limit = requestLimit({ perMinute: deps.loginRequestsPerMinute, name: 'api_login_requests', record: deps.recordRefusal,
    refuse: (seconds) => new LoginThrottled(seconds, 'api_login_requests') });

  router.post('/login', limit, permit('session.login'), json, async (req, res) => {
    const input = parseInput(loginBodySchema, req.body, { refuse: (message) => new HttpError(400, message) });
    const result = await tokens.login(input.username, input.password, meta(req));
    if (result.kind === 'throttled') throw new LoginThrottled(result.retryAfterSeconds, 'login_throttle');
    if (result.kind !== 'ok') throw new HttpError(401, 'Invalid credentials');
    const { user } = result;
    res.json({
      message: 'Login successful',
      user: { id: user.id, username: user.username, role: user.role, ...(user.mustChangePassword ? { must_change_password: true } : {}) },
      access_token: result.accessToken,
      refresh_token: result.refreshToken,
    });
  });

  // The access token in the request was checked once where the API is mounted.
  router.post('/validate', permit('token.validate'), (_req, res) => {
    const caller = tokenCaller(res);
    if (caller instanceof InvalidToken) {
      onValidate(validateResult(caller));
      throw new TokenInvalid(caller.message, { valid: false });
    }
    // The main app must not let in an account still on a one-time password.
    if (caller.mustChangePassword) {
      onValidate('password_change_required');
      throw new PasswordChangeRequired(401, { valid: false });
    }
    onValidate('valid');
    res.json({ valid: true, user_id: caller.userId, username: caller.username, role: caller.role, exp: caller.exp });
  });

  router.post('/refresh', permit('token.refresh'), async (req, res) => {
    try {
      const pair = await tokens.refresh(bearerToken(req), meta(req));
      res.json({ access_token: pair.accessToken, refresh_token: pair.refreshToken });
    } catch (err) {
      throw err instanceof InvalidToken ? new TokenInvalid(err.message) : err;
    }
  });

  router.post('/logout', permit('session.logout'), (req, res) => {
    tokens.logout(principalOf(res), meta(req));
    res.json({ message: 'Logged out' });
  });

  for (const path of ['/login', '/validate', '/refresh', '/logout']) router.all(path, refuseMethod('POST'));
  return router;
}
