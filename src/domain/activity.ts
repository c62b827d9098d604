export type Outcome = 'success' | 'failure' | 'denied';

/** One thing that happened, as a feature records it: who, from where, what, to what, how it ended. */
export interface ActivityEvent {
  action: string;
  outcome: Outcome;
  userId?: number | null;
  username?: string | null;
  /** The token login or panel session it came through: an id or a hash, never the secret. */
  loginRef?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  targetType?: string | null;
  targetId?: string | number | null;
  detail?: Record<string, string | number | boolean | null>;
}

/** The activity log's writer, as the layers below the features see it (the refusal recorder). */
export interface ActivityAppender {
  append(event: ActivityEvent): number;
}

/** The anomaly rules that raise flags, and how serious a flag is. */
export const FLAG_RULES = ['failed_login_burst', 'off_hours', 'rapid_actions', 'critical_action', 'new_ip'] as const;
export type FlagRule = (typeof FLAG_RULES)[number];
export type Severity = 'low' | 'medium' | 'high';
