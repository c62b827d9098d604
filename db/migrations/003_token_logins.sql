-- A token login: one successful POST /auth/login and every token issued from it. Each JWT
-- carries the login's id (claim "sid"); revoking the row kills its access and refresh tokens.
CREATE TABLE token_logins (
  id                 TEXT    PRIMARY KEY,
  user_id            INTEGER NOT NULL REFERENCES users (id),
  -- The user's credential version at login: a password change, reset, role change or
  -- termination bumps the user's and so ends every login issued before it.
  credential_version INTEGER NOT NULL,
  created_at         TEXT    NOT NULL,
  expires_at         TEXT    NOT NULL,
  last_used_at       TEXT    NOT NULL,
  ip                 TEXT,
  user_agent         TEXT,
  revoked_at         TEXT,
  revoked_reason     TEXT CHECK (revoked_reason IN ('logout', 'refresh_reuse', 'password_change', 'admin')),
  CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
) WITHOUT ROWID;
CREATE INDEX token_logins_user ON token_logins (user_id);
CREATE INDEX token_logins_expires ON token_logins (expires_at);

-- Refresh tokens by jti. Rotation spends the presented one; presenting a spent one is reuse.
CREATE TABLE refresh_tokens (
  jti        TEXT PRIMARY KEY,
  login_id   TEXT NOT NULL REFERENCES token_logins (id) ON DELETE CASCADE,
  issued_at  TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  spent_at   TEXT
) WITHOUT ROWID;
CREATE INDEX refresh_tokens_login ON refresh_tokens (login_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);
