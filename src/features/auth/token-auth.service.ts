import crypto from 'node:crypto';
import type { Db } from '../../db.js';
import { InvalidToken, type TokenPrincipal } from '../../domain/principal.js';
import { PasswordChangeRequired } from '../../http/errors.js';
import type { EventsRepo } from '../activity/activity.log.js';
import type { User } from '../../domain/account.js';
import type { Role } from '../../domain/roles.js';
import type { UsersService } from '../users/users.service.js';
import type { AuthService, LoginOutcome } from './auth.service.js';
import { createTokenLoginsRepo, type LoginState } from './token-logins.repo.js';
import type { TokenSigner } from './tokens.js';

export interface TokenSettings {
  accessMinutes: number;
  refreshDays: number;
}

export interface RequestMeta {
  ip: string;
  userAgent: string | null;
}

export type TokenLoginResult =
  | Exclude<LoginOutcome, { kind: 'ok' }>
  | { kind: 'ok'; user: User; accessToken: string; refreshToken: string };

export function createTokenAuthService(deps: {
  db: Db; auth: AuthService; users: UsersService; signer: TokenSigner; events: EventsRepo;
  settings: TokenSettings; clock?: () => number;
}) {
  const { db, signer, events } = deps;
  const repo = createTokenLoginsRepo(db);
  const clock = deps.clock ?? Date.now;
  const accessSeconds = deps.settings.accessMinutes * 60;
  const refreshSeconds = deps.settings.refreshDays * 86_400;
  const iso = () => new Date(clock()).toISOString();

  function liveProblem(state: LoginState | null, userId: number): string | null {
    if (!state || state.userId !== userId) return 'Invalid token';
    if (state.revokedAt || Date.parse(state.expiresAt) <= clock()) return 'Token has been revoked';
    if (!state.isActive) return 'Account is not active';
    if (state.loginCredentialVersion !== state.userCredentialVersion) return 'Token has been revoked';
    return null;
  }

  async function issuePair(user: { id: number; username: string; role: Role }, loginId: string) {
    const base = { userId: user.id, username: user.username, role: user.role, loginId };
    const access = await signer.sign({ ...base, type: 'access' }, accessSeconds);
    const refresh = await signer.sign({ ...base, type: 'refresh' }, refreshSeconds);
    return { access, refresh };
  }

  async function login(username: string, password: string, meta: RequestMeta): Promise<TokenLoginResult> {
    const loginId = crypto.randomUUID();
    const outcome = await deps.auth.authenticate(username, password, { ...meta, channel: 'api', loginRef: loginId });
    if (outcome.kind !== 'ok') return outcome;
    const { user } = outcome;
    const { access, refresh } = await issuePair(user, loginId);
    db.transaction(() => {
      const now = iso();
      repo.insertLogin({ id: loginId, userId: user.id, credentialVersion: user.credentialVersion, now,
        expiresAt: refresh.expiresAt.toISOString(), ip: meta.ip, userAgent: meta.userAgent?.slice(0, 256) ?? null });
      repo.insertRefresh(refresh.jti, loginId, now, refresh.expiresAt.toISOString());
    })();
    return { kind: 'ok', user, accessToken: access.token, refreshToken: refresh.token };
  }

  /** Verifies an access token and that its login is live and its user active; one SQLite read. */
  async function authenticateAccess(token: string): Promise<TokenPrincipal> {
    const claims = await signer.verify(token, 'access');
    const state = repo.findState(claims.loginId);
    const problem = liveProblem(state, claims.userId);
    if (problem) throw new InvalidToken(problem);
    return { userId: state!.userId, username: state!.username, role: state!.role, isOwner: state!.isOwner,
      mustChangePassword: state!.mustChangePassword, loginId: state!.loginId, exp: claims.exp, createdAt: state!.userCreatedAt };
  }

  /**
   * Rotates a refresh token: the presented one is spent and a new pair issued. Presenting a
   * spent token again is reuse: the whole login is revoked.
   */
  async function refresh(token: string, meta: RequestMeta): Promise<{ accessToken: string; refreshToken: string }> {
    const claims = await signer.verify(token, 'refresh');
    const state0 = repo.findState(claims.loginId);
    if (!state0) throw new InvalidToken('Invalid token');
    if (state0.mustChangePassword) throw new PasswordChangeRequired();
    const next = await issuePair({ id: state0.userId, username: state0.username, role: state0.role }, claims.loginId);
    const result = db.transaction((): 'ok' | 'reuse' | string => {
      const record = repo.findRefresh(claims.jti);
      if (!record || record.loginId !== claims.loginId) return 'Invalid token';
      const actor = { userId: state0.userId, username: state0.username, loginRef: claims.loginId, ...meta };
      if (record.spentAt) {
        repo.revoke(claims.loginId, 'refresh_reuse', iso());
        events.record({ ...actor, action: 'token.refresh_reuse', outcome: 'denied' });
        return 'reuse';
      }
      const problem = liveProblem(repo.findState(claims.loginId), claims.userId);
      if (problem) return problem;
      const now = iso();
      repo.spendRefresh(claims.jti, now);
      repo.insertRefresh(next.refresh.jti, claims.loginId, now, next.refresh.expiresAt.toISOString());
      repo.extend(claims.loginId, next.refresh.expiresAt.toISOString(), now);
      events.record({ ...actor, action: 'token.refresh', outcome: 'success' });
      return 'ok';
    }).immediate();
    if (result === 'reuse') throw new InvalidToken('Refresh token reuse detected; this login has been revoked');
    if (result !== 'ok') throw new InvalidToken(result);
    return { accessToken: next.access.token, refreshToken: next.refresh.token };
  }

  function logout(principal: TokenPrincipal, meta: RequestMeta): void {
    db.transaction(() => {
      repo.revoke(principal.loginId, 'logout', iso());
      events.record({ ...meta, userId: principal.userId, username: principal.username, loginRef: principal.loginId,
        action: 'logout', outcome: 'success', detail: { channel: 'api' } });
    })();
  }

  /** Changes the caller's password; every other login of theirs ends, this one continues. */
  async function changePassword(principal: TokenPrincipal, current: string, next: string, meta: RequestMeta): Promise<void> {
    await deps.users.changeOwnPassword(principal.userId, current, next, { ...meta, channel: 'api', loginRef: principal.loginId },
      (updated) => repo.setCredentialVersion(principal.loginId, updated.credentialVersion));
  }

  const purgeExpired = () => repo.purgeExpired(iso());

  return { login, authenticateAccess, refresh, logout, changePassword, purgeExpired };
}

export type TokenAuthService = ReturnType<typeof createTokenAuthService>;
