-- The activity chain becomes keyed: rows, checkpoints and this seal carry an HMAC-SHA256 under
-- a key derived from SESSION_SECRET, so someone with only the database file can no longer
-- rewrite rows or delete the oldest ones behind a forged checkpoint.
--
-- Transition: rows written before this migration keep their SHA-256 chain. The first time
-- the service writes a row after it, it records the seal below, in the same transaction:
-- keyed rows start at `keyed_from_id`, and the seal's MAC pins the number of earlier rows and
-- the hash of the last one, so they can be neither rewritten nor declared legacy afterwards.
-- The latest unkeyed checkpoint, if any, is re-issued with a MAC at the same time.
ALTER TABLE activity_checkpoints ADD COLUMN mac TEXT;

CREATE TABLE activity_chain_seal (
  id                   INTEGER PRIMARY KEY CHECK (id = 1),
  at                   TEXT    NOT NULL,
  keyed_from_id        INTEGER NOT NULL,
  legacy_rows          INTEGER NOT NULL,
  legacy_end_hash      TEXT    NOT NULL,
  -- Checkpoints up to this id were written unkeyed; every later one must carry a valid MAC.
  legacy_checkpoint_id INTEGER NOT NULL,
  -- HMAC of a fixed label: tells "another SESSION_SECRET" apart from "tampered".
  key_check            TEXT    NOT NULL,
  mac                  TEXT    NOT NULL
);

CREATE TRIGGER activity_chain_seal_no_update BEFORE UPDATE ON activity_chain_seal BEGIN
  SELECT RAISE(ABORT, 'the chain seal is written once');
END;
CREATE TRIGGER activity_chain_seal_no_delete BEFORE DELETE ON activity_chain_seal BEGIN
  SELECT RAISE(ABORT, 'the chain seal is written once');
END;
CREATE TRIGGER activity_checkpoints_no_delete BEFORE DELETE ON activity_checkpoints BEGIN
  SELECT RAISE(ABORT, 'checkpoints are append-only');
END;
