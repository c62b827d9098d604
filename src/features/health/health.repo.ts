import { withBusyTimeout, type Db } from '../../db.js';

export function createHealthRepo(db: Db) {
  const ping = db.prepare('SELECT 1 AS ok');
  const probe = db.prepare('UPDATE readiness_probe SET checked_at = @at WHERE id = 1');
  const applied = db.prepare('SELECT version FROM schema_migrations').pluck();
  return {
    ping: () => Boolean(ping.get()),
    /** One real commit, waiting at most busyTimeoutMs for another connection's lock. */
    probeWrite(at: string, busyTimeoutMs: number): void {
      withBusyTimeout(db, busyTimeoutMs, () => probe.run({ at }));
    },
    appliedVersions: () => new Set(applied.all() as number[]),
  };
}
