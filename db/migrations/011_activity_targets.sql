-- The console reads the log newest first by who did it, what it was about, the action and the
-- IP. Each of these indexes holds its rows in id order (SQLite appends the rowid), so a page is
-- read along the index with no sort, however many rows the account or IP has.
CREATE INDEX activity_log_actor ON activity_log (user_id);
-- "Done to an account" is what others did to it: its own sign-ins are found by who acted, and
-- leaving them out of this index keeps it to the rows an admin looks for there.
CREATE INDEX activity_log_done_to ON activity_log (target_type, target_id)
  WHERE target_type = 'user' AND (user_id IS NULL OR CAST(user_id AS TEXT) <> target_id);
CREATE INDEX activity_log_action ON activity_log (action);
CREATE INDEX activity_log_ip ON activity_log (ip);
