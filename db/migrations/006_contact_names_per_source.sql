-- A contact's name belongs to whoever synced it: each source row keeps the name its syncer
-- gave, so one team's sync never renames a contact for another team, and each caller sees
-- (and searches) only the names of the sources it may see. Until now there was one shared
-- name; it is copied onto every existing source, which is what each of them saw.
CREATE TABLE contact_sources_named (
  scraped_by       INTEGER NOT NULL REFERENCES users (id),
  contact_id       INTEGER NOT NULL REFERENCES contacts (id),
  source_group     TEXT    NOT NULL DEFAULT '',
  -- The name index's row id: the contact's id times 2^20 plus a number of its own, so a hit
  -- names its contact (id >> 20) without a lookup and hits come in contact order. The table
  -- stays clustered by syncer, so a team's sources are read together.
  id               INTEGER NOT NULL CHECK (id >> 20 = contact_id),
  name             TEXT,
  -- When this source last got a non-empty name: a caller sees the latest one it may see.
  named_at         TEXT,
  first_scraped_at TEXT    NOT NULL,
  scraped_at       TEXT    NOT NULL,
  PRIMARY KEY (scraped_by, contact_id, source_group)
) WITHOUT ROWID;
INSERT INTO contact_sources_named (scraped_by, contact_id, source_group, id, name, named_at, first_scraped_at, scraped_at)
  SELECT s.scraped_by, s.contact_id, s.source_group, s.contact_id * 1048576 - 1 + row_number() OVER (PARTITION BY s.contact_id ORDER BY s.scraped_by, s.source_group),
    c.name, CASE WHEN c.name IS NULL THEN NULL ELSE s.scraped_at END, s.first_scraped_at, s.scraped_at
  FROM contact_sources s JOIN contacts c ON c.id = s.contact_id;
DROP TABLE contact_sources;
ALTER TABLE contact_sources_named RENAME TO contact_sources;
CREATE UNIQUE INDEX contact_sources_id ON contact_sources (id);
CREATE INDEX contact_sources_contact ON contact_sources (contact_id, scraped_by);
CREATE INDEX contact_sources_group ON contact_sources (source_group, contact_id);

-- Names are searched per source (trigram, any substring): a hit counts only when its source
-- is one the caller may see. New sources are indexed by the sync in one statement; renames
-- and deletions are kept in step here.
CREATE VIRTUAL TABLE contact_names_fts USING fts5 (name, content = 'contact_sources', content_rowid = 'id', tokenize = 'trigram');
INSERT INTO contact_names_fts (contact_names_fts) VALUES ('rebuild');
INSERT INTO contact_names_fts (contact_names_fts, rank) VALUES ('automerge', 16);
CREATE TRIGGER contact_names_fts_update AFTER UPDATE OF name, id ON contact_sources
  WHEN old.name IS NOT new.name OR old.id IS NOT new.id BEGIN
  INSERT INTO contact_names_fts (contact_names_fts, rowid, name) VALUES ('delete', old.id, old.name);
  INSERT INTO contact_names_fts (rowid, name) VALUES (new.id, new.name);
END;
CREATE TRIGGER contact_names_fts_delete AFTER DELETE ON contact_sources BEGIN
  INSERT INTO contact_names_fts (contact_names_fts, rowid, name) VALUES ('delete', old.id, old.name);
END;

-- The contacts' own index now holds phones only, and the shared name goes.
DROP TRIGGER contacts_fts_update;
DROP TRIGGER contacts_fts_delete;
DROP TABLE contacts_fts;
ALTER TABLE contacts DROP COLUMN name;
CREATE VIRTUAL TABLE contacts_fts USING fts5 (phone, content = 'contacts', content_rowid = 'id', tokenize = 'trigram');
INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild');
INSERT INTO contacts_fts (contacts_fts, rank) VALUES ('automerge', 16);
CREATE TRIGGER contacts_fts_update AFTER UPDATE OF phone ON contacts WHEN old.phone IS NOT new.phone BEGIN
  INSERT INTO contacts_fts (contacts_fts, rowid, phone) VALUES ('delete', old.id, old.phone);
  INSERT INTO contacts_fts (rowid, phone) VALUES (new.id, new.phone);
END;
CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
  INSERT INTO contacts_fts (contacts_fts, rowid, phone) VALUES ('delete', old.id, old.phone);
END;

-- Phones stored before they were canonical (E.164) are rewritten once by the application
-- (this SQL cannot parse phone numbers); a row here says it ran for that DEFAULT_COUNTRY
-- ('' for none), so later starts skip it.
CREATE TABLE phone_canonicalisations (
  default_country  TEXT PRIMARY KEY,
  ran_at           TEXT    NOT NULL,
  contacts_changed INTEGER NOT NULL,
  contacts_merged  INTEGER NOT NULL,
  messages_changed INTEGER NOT NULL,
  left_as_stored   INTEGER NOT NULL
) WITHOUT ROWID;
