-- The console reads the log newest first by who did it, what it was about, the action and the
-- IP. Each of these indexes holds its rows in id order (SQLite appends the rowid), so a page is
-- read along the index with no sort, however many rows the account or IP has.
CREATE INDEX activity_log_actor ON activity_log (user_id);
CREATE INDEX activity_log_target ON activity_log (target_type, target_id);
CREATE INDEX activity_log_action ON activity_log (action);
CREATE INDEX activity_log_ip ON activity_log (ip);
