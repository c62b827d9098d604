import { escapeLike, statementCache, whereClause, type Db } from '../../db.js';
import type { User } from '../../domain/account.js';
import type { Role } from '../../domain/roles.js';

interface UserRow {
  id: number;
  username: string;
  password_hash: string;
  role: Role;
  created_by: number | null;
  is_owner: number;
  is_active: number;
  must_change_password: number;
  credential_version: number;
  created_at: string;
  updated_at: string;
  password_changed_at: string | null;
  last_login_at: string | null;
  last_login_ip: string | null;
  terminated_at: string | null;
  terminated_by: number | null;
}

const COLUMNS = `id, username, password_hash, role, created_by, is_owner, is_active, must_change_password,
  credential_version, created_at, updated_at, password_changed_at, last_login_at, last_login_ip,
  terminated_at, terminated_by`;

function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    role: row.role,
    createdBy: row.created_by,
    isOwner: row.is_owner === 1,
    isActive: row.is_active === 1,
    mustChangePassword: row.must_change_password === 1,
    credentialVersion: row.credential_version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    passwordChangedAt: row.password_changed_at,
    lastLoginAt: row.last_login_at,
    lastLoginIp: row.last_login_ip,
    terminatedAt: row.terminated_at,
    terminatedBy: row.terminated_by,
  };
}

export interface NewUser {
  username: string;
  passwordHash: string;
  role: Role;
  createdBy: number | null;
  isOwner: boolean;
  mustChangePassword: boolean;
  now: string;
}

export interface UserFilters {
  /** Only accounts created by this user with this role now (a manager's scope). */
  scope?: { createdBy: number; role: Role } | null;
  search?: string;
  role?: Role;
  status?: 'active' | 'terminated';
  limit: number;
  offset: number;
}

/** An account with the username of whoever created it, for lists and pages. */
export interface UserListing extends User {
  createdByUsername: string | null;
}

export function createUsersRepo(db: Db) {
  const byId = db.prepare<{ id: number }, UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = @id`);
  const byUsername = db.prepare<{ username: string }, UserRow>(
    `SELECT ${COLUMNS} FROM users WHERE username = @username COLLATE NOCASE`);
  const count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM users');
  const countAdmins = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM users WHERE role = 'admin'");
  const insertUser = db.prepare(`INSERT INTO users
      (username, password_hash, role, created_by, is_owner, must_change_password, created_at, updated_at, password_changed_at)
    VALUES (@username, @passwordHash, @role, @createdBy, @isOwner, @mustChangePassword, @now, @now, @now)`);
  const setPassword = db.prepare(`UPDATE users SET password_hash = @passwordHash,
      must_change_password = @mustChangePassword, credential_version = credential_version + 1,
      password_changed_at = @now, updated_at = @now
    WHERE id = @id`);
  const setHash = db.prepare('UPDATE users SET password_hash = @passwordHash WHERE id = @id');
  const setLastLogin = db.prepare('UPDATE users SET last_login_at = @now, last_login_ip = @ip WHERE id = @id');
  const setUsername = db.prepare('UPDATE users SET username = @username, updated_at = @now WHERE id = @id');
  const setRole = db.prepare(`UPDATE users SET role = @role, credential_version = credential_version + 1,
    updated_at = @now WHERE id = @id`);
  const terminate = db.prepare(`UPDATE users SET is_active = 0, terminated_at = @now, terminated_by = @by,
    credential_version = credential_version + 1, updated_at = @now WHERE id = @id AND is_active = 1`);
  const reactivate = db.prepare(`UPDATE users SET is_active = 1, terminated_at = NULL, terminated_by = NULL,
    updated_at = @now WHERE id = @id AND is_active = 0`);
  const bump = db.prepare('UPDATE users SET credential_version = credential_version + 1, updated_at = @now WHERE id = @id');
  const workersOf = db.prepare<{ id: number }, number>("SELECT id FROM users WHERE created_by = @id AND role = 'worker'").pluck();
  // Only workers move: an account the manager created and an admin promoted is a peer now.
  const transfer = db.prepare(`UPDATE users SET created_by = @to, updated_at = @now
    WHERE created_by = @from AND role = 'worker'`);
  const listing = (where: string) => `SELECT ${COLUMNS.replace(/(\w+)/g, 'u.$1')}, c.username AS created_by_username
    FROM users u LEFT JOIN users c ON c.id = u.created_by ${where}`;
  const byIdListed = db.prepare<{ id: number }, UserRow & { created_by_username: string | null }>(listing('WHERE u.id = @id'));

  const filterSql = (f: UserFilters) => whereClause([
    f.scope && ['u.created_by = @scopeCreatedBy AND u.role = @scopeRole', { scopeCreatedBy: f.scope.createdBy, scopeRole: f.scope.role }],
    f.search && ["u.username LIKE @search ESCAPE '\\'", { search: `%${escapeLike(f.search)}%` }],
    f.role && ['u.role = @role', { role: f.role }],
    f.status && [f.status === 'active' ? 'u.is_active = 1' : 'u.is_active = 0'],
  ]);
  const prepared = statementCache(db);
  const toListing = (row: UserRow & { created_by_username: string | null }): UserListing =>
    ({ ...toUser(row), createdByUsername: row.created_by_username });

  return {
    findById: (id: number): User | null => {
      const row = byId.get({ id });
      return row ? toUser(row) : null;
    },
    findByUsername: (username: string): User | null => {
      const row = byUsername.get({ username });
      return row ? toUser(row) : null;
    },
    count: (): number => count.get()!.n,
    countAdmins: (): number => countAdmins.get()!.n,
    insert: (user: NewUser): number =>
      Number(insertUser.run({
        ...user,
        isOwner: user.isOwner ? 1 : 0,
        mustChangePassword: user.mustChangePassword ? 1 : 0,
      }).lastInsertRowid),
    updatePassword: (id: number, passwordHash: string, mustChangePassword: boolean, now: string): void => {
      setPassword.run({ id, passwordHash, mustChangePassword: mustChangePassword ? 1 : 0, now });
    },
    /** Replaces a hash with a stronger one for the same password: sessions stay valid. */
    upgradeHash: (id: number, passwordHash: string): void => {
      setHash.run({ id, passwordHash });
    },
    recordLogin: (id: number, ip: string, now: string): void => {
      setLastLogin.run({ id, ip, now });
    },
    findListing: (id: number): UserListing | null => {
      const row = byIdListed.get({ id });
      return row ? toListing(row) : null;
    },
    /** One page of accounts (newest first) and the total under the same filters. */
    listPage: (filters: UserFilters): { users: UserListing[]; total: number } => {
      const { sql, params } = filterSql(filters);
      const rows = prepared(`${listing(sql)} ORDER BY u.id DESC LIMIT @limit OFFSET @offset`)
        .all({ ...params, limit: filters.limit, offset: filters.offset }) as Array<UserRow & { created_by_username: string | null }>;
      const total = (prepared(`SELECT count(*) AS n FROM users u ${sql}`).get(params) as { n: number }).n;
      return { users: rows.map(toListing), total };
    },
    updateUsername: (id: number, username: string, now: string): void => {
      setUsername.run({ id, username, now });
    },
    updateRole: (id: number, role: Role, now: string): void => {
      setRole.run({ id, role, now });
    },
    terminate: (id: number, by: number, now: string): boolean => terminate.run({ id, by, now }).changes > 0,
    reactivate: (id: number, now: string): boolean => reactivate.run({ id, now }).changes > 0,
    /** Ends every panel session and token login of the user. */
    bumpCredentialVersion: (id: number, now: string): void => {
      bump.run({ id, now });
    },
    /** The workers this manager created, as of now: its team (promoted accounts are not in it). */
    workerIdsCreatedBy: (id: number): number[] => workersOf.all({ id }),
    /** Moves the workers `from` created to `to`; managers and admins it created stay. */
    transferWorkers: (from: number, to: number, now: string): number => transfer.run({ from, to, now }).changes,
  };
}

export type UsersRepo = ReturnType<typeof createUsersRepo>;
