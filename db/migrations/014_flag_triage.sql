-- Flag triage. Two rules of their own (a burst from one IP, refresh-token reuse), a flag on an
-- IP names the IP and no user, every flag says why it was raised, links to the activity rows
-- behind it, and keeps a note with its acknowledgement. SQLite cannot widen a CHECK in place,
-- so the table is rebuilt with the same ids.
CREATE TABLE activity_flags_014 (
  id                INTEGER PRIMARY KEY,
  at                TEXT    NOT NULL,
  user_id           INTEGER,
  ip                TEXT,
  rule              TEXT    NOT NULL CHECK (rule IN ('failed_login_burst', 'ip_login_burst', 'off_hours', 'rapid_actions',
                                                     'critical_action', 'refresh_reuse', 'new_ip')),
  severity          TEXT    NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
  summary           TEXT    NOT NULL,
  reason            TEXT    NOT NULL DEFAULT '',
  activity_id       INTEGER NOT NULL,
  -- What a rule fires once per (e.g. an account or an IP within a window), to avoid floods.
  dedupe_key        TEXT,
  acknowledged_by   INTEGER REFERENCES users (id),
  acknowledged_at   TEXT,
  acknowledged_note TEXT    CHECK (length(acknowledged_note) <= 500)
);

-- Earlier IP bursts were stored under the user who happened to trip them; their key names the IP.
INSERT INTO activity_flags_014 (id, at, user_id, ip, rule, severity, summary, reason, activity_id, dedupe_key, acknowledged_by, acknowledged_at)
SELECT f.id, f.at,
  CASE WHEN m.rule = 'ip_login_burst' THEN NULL ELSE f.user_id END,
  CASE WHEN m.rule = 'ip_login_burst' THEN substr(f.dedupe_key, 4) END,
  m.rule, f.severity, f.summary,
  CASE m.rule
    WHEN 'failed_login_burst' THEN 'Repeated failed sign-ins for one account: someone may be guessing its password.'
    WHEN 'ip_login_burst' THEN 'Many failed sign-ins from one address: password guessing from this IP.'
    WHEN 'off_hours' THEN 'Activity outside business hours.'
    WHEN 'rapid_actions' THEN 'More actions in a minute than a person usually makes: a script or a stolen session?'
    WHEN 'refresh_reuse' THEN 'A spent refresh token was presented again: it may have been stolen; the login was revoked.'
    WHEN 'new_ip' THEN 'A sign-in from an address this account has not used recently.'
    ELSE 'A privileged change: termination, role change or anything touching an admin.'
  END,
  f.activity_id, f.dedupe_key, f.acknowledged_by, f.acknowledged_at
FROM activity_flags f
JOIN (SELECT id,
        CASE WHEN rule = 'failed_login_burst' AND dedupe_key LIKE 'ip:%' THEN 'ip_login_burst'
             WHEN rule = 'critical_action' AND activity_id IN (SELECT id FROM activity_log WHERE action = 'token.refresh_reuse') THEN 'refresh_reuse'
             ELSE rule END AS rule
      FROM activity_flags) m ON m.id = f.id;

DROP TABLE activity_flags;
ALTER TABLE activity_flags_014 RENAME TO activity_flags;
CREATE INDEX activity_flags_open ON activity_flags (acknowledged_at, at);
CREATE INDEX activity_flags_user ON activity_flags (user_id, at);
CREATE INDEX activity_flags_dedupe ON activity_flags (rule, dedupe_key, at);

-- The activity rows behind each flag: the row that raised it, and for a burst every row of it.
-- Not a foreign key to activity_log: retention removes old rows, and the link then shows fewer.
CREATE TABLE flag_events (
  flag_id     INTEGER NOT NULL REFERENCES activity_flags (id) ON DELETE CASCADE,
  activity_id INTEGER NOT NULL,
  PRIMARY KEY (flag_id, activity_id)
) WITHOUT ROWID;
INSERT INTO flag_events (flag_id, activity_id) SELECT id, activity_id FROM activity_flags;
