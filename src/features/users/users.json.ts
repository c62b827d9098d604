import type { User } from '../../domain/account.js';

/** An account in the API's contract. */
export const userJson = (u: User) => ({
  id: u.id, username: u.username, role: u.role, created_by: u.createdBy, created_at: u.createdAt,
  is_active: u.isActive, last_login_at: u.lastLoginAt,
});

/** The contract's answer to a creation names only who was made, and by whom. */
export const createdUserJson = (u: User) => ({ id: u.id, username: u.username, role: u.role, created_by: u.createdBy });
