-- Password checks under way for an account or IP. An attempt is reserved here, atomically,
-- before its argon2 verification starts, so parallel guesses cannot all pass the budget check
-- before the first failure is counted: failures + in_flight never exceeds the ceiling.
ALTER TABLE login_throttle ADD COLUMN in_flight INTEGER NOT NULL DEFAULT 0 CHECK (in_flight >= 0);
