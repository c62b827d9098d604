-- Login failure counters, shared by the panel and the token API.
-- scope 'account': key is an HMAC of the normalised username, for known and unknown names
--   alike, so the lock itself never reveals whether an account exists.
-- scope 'ip': key is the client address.
CREATE TABLE login_throttle (
  scope             TEXT    NOT NULL CHECK (scope IN ('account', 'ip')),
  key               TEXT    NOT NULL,
  failures          INTEGER NOT NULL DEFAULT 0,
  window_started_at TEXT    NOT NULL,
  locked_until      TEXT,
  -- How many locks in a row; each lock lasts twice as long as the previous one.
  lockouts          INTEGER NOT NULL DEFAULT 0,
  updated_at        TEXT    NOT NULL,
  PRIMARY KEY (scope, key)
) WITHOUT ROWID;

CREATE INDEX login_throttle_updated_at ON login_throttle (updated_at);
