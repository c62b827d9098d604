-- Idempotency-Key on POST /api/messages/log and /bulk-log: the first successful answer to a
-- caller's key, kept 24 hours, so a client that lost the answer can retry without logging twice.
-- A row is written in the same transaction as the messages it answers: never one without the other.
CREATE TABLE idempotency_keys (
  user_id     INTEGER NOT NULL REFERENCES users (id),
  idem_key    TEXT    NOT NULL,
  -- sha256 of the endpoint and the request body: the same key with another request is refused.
  fingerprint TEXT    NOT NULL,
  status      INTEGER NOT NULL,
  body        TEXT    NOT NULL,
  created_at  TEXT    NOT NULL,
  PRIMARY KEY (user_id, idem_key)
) WITHOUT ROWID;

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
