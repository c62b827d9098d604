export type Outcome = 'success' | 'failure' | 'denied';

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

/**
 * Appends to the activity log: inside the caller's write transaction when there is one (so the
 * row commits or rolls back with the change it records), in one of its own otherwise.
 */
export interface ActivityRecorder {
  record(event: ActivityEvent): number;
}
