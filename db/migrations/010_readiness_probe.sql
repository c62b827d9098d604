-- One row that GET /ready rewrites to prove the database still takes writes.
CREATE TABLE readiness_probe (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  checked_at TEXT NOT NULL
);
INSERT INTO readiness_probe (id, checked_at) VALUES (1, '1970-01-01T00:00:00.000Z');
