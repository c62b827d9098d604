-- Accounts. Terminated accounts keep their row (soft delete): is_active = 0 + terminated_*.
CREATE TABLE users (
  id                   INTEGER PRIMARY KEY,
  username             TEXT    NOT NULL COLLATE NOCASE UNIQUE
                               CHECK (length(username) BETWEEN 3 AND 64),
  password_hash        TEXT    NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  role                 TEXT    NOT NULL CHECK (role IN ('worker', 'manager', 'admin')),
  created_by           INTEGER REFERENCES users (id),
  is_owner             INTEGER NOT NULL DEFAULT 0 CHECK (is_owner IN (0, 1)),
  is_active            INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
  must_change_password INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)),
  -- Bumped on password change, reset, role change and termination: sessions and tokens that
  -- carry an older version are dead.
  credential_version   INTEGER NOT NULL DEFAULT 1,
  created_at           TEXT    NOT NULL,
  updated_at           TEXT    NOT NULL,
  password_changed_at  TEXT,
  last_login_at        TEXT,
  last_login_ip        TEXT,
  terminated_at        TEXT,
  terminated_by        INTEGER REFERENCES users (id),
  CHECK (is_owner = 0 OR role = 'admin'),
  CHECK ((is_active = 1) = (terminated_at IS NULL))
);

-- At most one owner.
CREATE UNIQUE INDEX users_single_owner ON users (is_owner) WHERE is_owner = 1;
CREATE INDEX users_created_by ON users (created_by);
