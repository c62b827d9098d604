import type { Db } from '../../db.js';

export interface StoredAnswer {
  fingerprint: string;
  status: number;
  body: unknown;
}

/** The idempotency_keys table: first answers to a caller's Idempotency-Key. */
export function createIdempotencyRepo(db: Db) {
  const find = db.prepare(`SELECT fingerprint, status, body FROM idempotency_keys
    WHERE user_id = @userId AND idem_key = @key AND created_at > @since`);
  // An expired row for the same key (not purged yet) is replaced.
  const insert = db.prepare(`INSERT INTO idempotency_keys (user_id, idem_key, fingerprint, status, body, created_at)
    VALUES (@userId, @key, @fingerprint, @status, @body, @createdAt)
    ON CONFLICT (user_id, idem_key) DO UPDATE SET fingerprint = excluded.fingerprint, status = excluded.status,
      body = excluded.body, created_at = excluded.created_at`);
  const purge = db.prepare('DELETE FROM idempotency_keys WHERE created_at <= @since');

  return {
    findSince(userId: number, key: string, since: string): StoredAnswer | null {
      const row = find.get({ userId, key, since }) as { fingerprint: string; status: number; body: string } | undefined;
      return row ? { fingerprint: row.fingerprint, status: row.status, body: JSON.parse(row.body) as unknown } : null;
    },
    insert(userId: number, key: string, answer: StoredAnswer, createdAt: string): void {
      insert.run({ userId, key, fingerprint: answer.fingerprint, status: answer.status, body: JSON.stringify(answer.body), createdAt });
    },
    purgeUpTo(since: string): number {
      return purge.run({ since }).changes;
    },
  };
}
