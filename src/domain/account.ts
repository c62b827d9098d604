import type { Role } from './roles.js';

/** An account as stored (the password hash included: it never leaves the services). */
export interface User {
  id: number;
  username: string;
  passwordHash: string;
  role: Role;
  createdBy: number | null;
  isOwner: boolean;
  isActive: boolean;
  mustChangePassword: boolean;
  credentialVersion: number;
  createdAt: string;
  updatedAt: string;
  passwordChangedAt: string | null;
  lastLoginAt: string | null;
  lastLoginIp: string | null;
  terminatedAt: string | null;
  terminatedBy: number | null;
}

/** How the panel guard finds the session's account, read again on every request. */
export interface AccountLookup {
  findById(id: number): User | null;
}

/** A token login that is still usable: the devices an account is signed in on. */
export interface LiveLogin {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
}

/** The team a manager's data scope covers: the workers the manager created. */
export interface TeamLookup {
  workerIdsCreatedBy(managerId: number): number[];
}

/** What sign-in needs from account storage (the users repo, built once and shared). */
export interface SignInAccounts extends AccountLookup {
  findByUsername(username: string): User | null;
  recordLogin(id: number, ip: string, at: string): void;
  upgradeHash(id: number, passwordHash: string): void;
}

/** What one's own account needs from account storage: a new password ends every other session. */
export interface OwnAccounts extends AccountLookup {
  updatePassword(id: number, passwordHash: string, mustChangePassword: boolean, at: string): void;
}
