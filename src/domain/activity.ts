export type Outcome = 'success' | 'failure' | 'denied';

/**
 * Every action the activity log records, with how the console names it: the filter offers this
 * list, and an append of anything else does not compile.
 */
export const ACTIVITY_ACTIONS = {
  'login': 'Sign-in',
  'logout': 'Sign-out',
  'session.start': 'Panel session started',
  'password.change': 'Own password changed',
  'token.refresh': 'Token refreshed',
  'token.refresh_reuse': 'Refresh token reused',
  'user.create': 'Account created',
  'user.update': 'Account renamed',
  'user.role_change': 'Role changed',
  'user.password_reset': 'Password reset',
  'user.terminate': 'Account terminated',
  'user.reactivate': 'Account reactivated',
  'user.sign_out_everywhere': 'Signed out everywhere',
  'user.transfer': 'Accounts handed over',
  'contacts.sync': 'Contacts synced',
  'message.quota_refused': 'Message refused by quota',
  'flag.acknowledge': 'Flag acknowledged',
  'backup.restore': 'Backup restored',
  'access.denied': 'Access refused',
  'csrf.failed': 'CSRF check failed',
  'rate_limit.refused': 'Rate limit hit',
} as const;
export type ActivityAction = keyof typeof ACTIVITY_ACTIONS;
export const isActivityAction = (value: string): value is ActivityAction => Object.hasOwn(ACTIVITY_ACTIONS, value);

/** One thing that happened, as a feature records it: who, from where, what, to what, how it ended. */
export interface ActivityEvent {
  action: ActivityAction;
  outcome: Outcome;
  userId?: number | null;
  username?: string | null;
  /** The token login or panel session it came through: an id or a hash, never the secret. */
  loginRef?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  targetType?: string | null;
  targetId?: string | number | null;
  /** The target's name at the time (a username, a source group, a rule), kept in the detail. */
  targetName?: string | null;
  detail?: Record<string, string | number | boolean | null>;
}

/** The activity log's writer, as the layers below the features see it (the refusal recorder). */
export interface ActivityAppender {
  append(event: ActivityEvent): number;
}

/** The anomaly rules that raise flags, and how serious a flag is. */
export const FLAG_RULES = ['failed_login_burst', 'ip_login_burst', 'off_hours', 'rapid_actions', 'critical_action', 'refresh_reuse', 'new_ip'] as const;
export type FlagRule = (typeof FLAG_RULES)[number];
export const SEVERITIES = ['low', 'medium', 'high'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Each rule's severity unless FLAG_SEVERITY says otherwise: signs of an attack high, routine work low. */
export const DEFAULT_FLAG_SEVERITY: Record<FlagRule, Severity> = {
  failed_login_burst: 'medium', ip_login_burst: 'high', off_hours: 'low', rapid_actions: 'medium',
  critical_action: 'medium', refresh_reuse: 'high', new_ip: 'medium',
};

/** What an open flag adds to its user's risk score. */
export const SEVERITY_WEIGHT: Record<Severity, number> = { low: 1, medium: 3, high: 5 };

/** The target fields of an event about one account, named as it is called at the time. */
export const aboutAccount = (user: { id: number; username: string }) =>
  ({ targetType: 'user', targetId: user.id, targetName: user.username }) satisfies Partial<ActivityEvent>;
