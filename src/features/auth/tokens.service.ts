import { aboutAccount } from '../../domain/activity.js';
import crypto from 'node:crypto';
import { isoTime, type Clock } from '../../clock.js';
import { writeTransaction, type Db } from '../../db.js';
import type { LiveLogin, User } from '../../domain/account.js';
import { InvalidToken, type TokenPrincipal } from '../../domain/principal.js';
import type { Role } from '../../domain/roles.js';
import { PasswordChangeRequired } from '../../errors.js';
import type { ActivityLog } from '../activity/activity-log.service.js';
import type { LoginOutcome, SignInService } from './sign-in.service.js';
import { createTokenLoginsRepo, type LoginState } from './token-logins.repo.js';
import type { TokenSigner } from './token-signer.js';

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

export interface TokenServiceDeps {
  db: Db;
  signIn: SignInService;
  signer: TokenSigner;
  activityLog: ActivityLog;
  settings: TokenSettings;
  clock: Clock;
}

/**
 * The main app's sign-ins: a token login per sign-in, an access token checked against it on
 * every request, refresh tokens rotated (a spent one presented again revokes the login).
 */
export function createTokenService(deps: TokenServiceDeps) {
  const { db, signer, activityLog, clock } = deps;
  const repo = createTokenLoginsRepo(db);
  const accessSeconds = deps.settings.accessMinutes * 60;
  const refreshSeconds = deps.settings.refreshDays * 86_400;
  const now = () => isoTime(clock());

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
    const outcome = await deps.signIn.authenticate(username, password, { ...meta, channel: 'api', loginRef: loginId });
    if (outcome.kind !== 'ok') return outcome;
    const { user } = outcome;
    const { access, refresh } = await issuePair(user, loginId);
    writeTransaction(db, () => {
      const at = now();
      repo.insertLogin({ id: loginId, userId: user.id, credentialVersion: user.credentialVersion, now: at,
        expiresAt: refresh.expiresAt.toISOString(), ip: meta.ip, userAgent: meta.userAgent?.slice(0, 256) ?? null });
      repo.insertRefresh(refresh.jti, loginId, at, refresh.expiresAt.toISOString());
    });
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
    // 'ok', 'reuse', or why the login is not live.
    const result = writeTransaction(db, (): string => {
      const record = repo.findRefresh(claims.jti);
      if (!record || record.loginId !== claims.loginId) return 'Invalid token';
      const actor = { userId: state0.userId, username: state0.username, loginRef: claims.loginId, ...meta,
        ...aboutAccount({ id: state0.userId, username: state0.username }) };
      if (record.spentAt) {
        repo.revoke(claims.loginId, 'refresh_reuse', now());
        activityLog.append({ ...actor, action: 'token.refresh_reuse', outcome: 'denied' });
        return 'reuse';
      }
      const problem = liveProblem(repo.findState(claims.loginId), claims.userId);
      if (problem) return problem;
      const at = now();
      repo.spendRefresh(claims.jti, at);
      repo.insertRefresh(next.refresh.jti, claims.loginId, at, next.refresh.expiresAt.toISOString());
      repo.extend(claims.loginId, next.refresh.expiresAt.toISOString(), at);
      activityLog.append({ ...actor, action: 'token.refresh', outcome: 'success' });
      return 'ok';
    });
    if (result === 'reuse') throw new InvalidToken('Refresh token reuse detected; this login has been revoked');
    if (result !== 'ok') throw new InvalidToken(result);
    return { accessToken: next.access.token, refreshToken: next.refresh.token };
  }

  function logout(principal: TokenPrincipal, meta: RequestMeta): void {
    writeTransaction(db, () => {
      repo.revoke(principal.loginId, 'logout', now());
      deps.signIn.recordLogout({ id: principal.userId, username: principal.username }, { ...meta, channel: 'api', loginRef: principal.loginId });
    });
  }

  return {
    login,
    authenticateAccess,
    refresh,
    logout,
    /** The user's token logins that still work, newest first. */
    liveLogins: (userId: number): LiveLogin[] => repo.listLive(userId, now()),
    /**
     * After a password change made through this login, it stays signed in under the new
     * credential version (every other login ends). Call inside the change's write transaction.
     */
    keepLogin: (loginId: string, credentialVersion: number): void => repo.setCredentialVersion(loginId, credentialVersion),
    /** Expired refresh tokens and logins; a spent token is kept until it expires, for reuse detection. */
    purgeExpired: () => repo.purgeExpired(now()),
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
