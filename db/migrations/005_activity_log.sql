-- The activity log: append-only and tamper-evident. Each row's hash covers its content and the
-- previous row's hash; `npm run audit:verify` walks the chain. Rows are never updated, and
-- deleted only by retention, which first records a checkpoint covering them.
CREATE TABLE activity_log (
  id          INTEGER PRIMARY KEY,
  at          TEXT    NOT NULL,
  user_id     INTEGER,
  username    TEXT,
  -- The token login or panel session it came through: an id or a hash, never the secret.
  login_ref   TEXT,
  action      TEXT    NOT NULL,
  target_type TEXT,
  target_id   TEXT,
  ip          TEXT,
  user_agent  TEXT,
  outcome     TEXT    NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
  detail      TEXT,
  prev_hash   TEXT    NOT NULL,
  hash        TEXT    NOT NULL
);
CREATE INDEX activity_log_at ON activity_log (at);
CREATE INDEX activity_log_user_at ON activity_log (user_id, at);
CREATE INDEX activity_log_action_at ON activity_log (action, at);
CREATE INDEX activity_log_ip_at ON activity_log (ip, at);

-- Retention: rows up to `up_to_id` were removed; `last_hash` is the hash of the last of them,
-- from which the chain continues.
CREATE TABLE activity_checkpoints (
  id         INTEGER PRIMARY KEY,
  at         TEXT    NOT NULL,
  up_to_id   INTEGER NOT NULL,
  last_hash  TEXT    NOT NULL,
  removed    INTEGER NOT NULL
);

CREATE TRIGGER activity_log_no_update BEFORE UPDATE ON activity_log BEGIN
  SELECT RAISE(ABORT, 'the activity log is append-only');
END;
CREATE TRIGGER activity_log_no_delete BEFORE DELETE ON activity_log
  WHEN old.id > coalesce((SELECT max(up_to_id) FROM activity_checkpoints), 0) BEGIN
  SELECT RAISE(ABORT, 'activity rows are removed only by retention, behind a checkpoint');
END;
CREATE TRIGGER activity_checkpoints_no_update BEFORE UPDATE ON activity_checkpoints BEGIN
  SELECT RAISE(ABORT, 'checkpoints are append-only');
END;

-- Anomaly flags raised by the rules when activity is recorded.
CREATE TABLE activity_flags (
  id              INTEGER PRIMARY KEY,
  at              TEXT    NOT NULL,
  user_id         INTEGER,
  rule            TEXT    NOT NULL CHECK (rule IN ('failed_login_burst', 'off_hours', 'rapid_actions', 'critical_action', 'new_ip')),
  severity        TEXT    NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
  summary         TEXT    NOT NULL,
  activity_id     INTEGER NOT NULL,
  -- What a rule fires once per (e.g. an account or an IP within a window), to avoid floods.
  dedupe_key      TEXT,
  acknowledged_by INTEGER REFERENCES users (id),
  acknowledged_at TEXT
);
CREATE INDEX activity_flags_open ON activity_flags (acknowledged_at, at);
CREATE INDEX activity_flags_user ON activity_flags (user_id, at);
CREATE INDEX activity_flags_dedupe ON activity_flags (rule, dedupe_key, at);

-- Activity per UTC day, user (0 when none), action and outcome, kept by trigger for the
-- dashboard's charts; like the log, never edited by the application.
CREATE TABLE activity_daily (
  day     TEXT    NOT NULL,
  user_id INTEGER NOT NULL,
  action  TEXT    NOT NULL,
  outcome TEXT    NOT NULL,
  events  INTEGER NOT NULL,
  PRIMARY KEY (day, action, outcome, user_id)
) WITHOUT ROWID;
CREATE TRIGGER activity_daily_count AFTER INSERT ON activity_log BEGIN
  INSERT INTO activity_daily (day, user_id, action, outcome, events)
  VALUES (substr(new.at, 1, 10), coalesce(new.user_id, 0), new.action, new.outcome, 1)
  ON CONFLICT (day, action, outcome, user_id) DO UPDATE SET events = events + 1;
END;
