import type { Role } from './features/users/users.repo.js';

type Audience = 'anyone' | 'signed-in' | readonly Role[];

/**
 * Who may do what: the only place roles are compared. Every route names one of these actions
 * through a guard (`allow` on the panel); nothing checks roles ad hoc.
 */
export const PERMISSIONS = {
  'health.read': 'anyone',
  'session.login': 'anyone',
  'session.logout': 'signed-in',
  // The token itself is the credential for these two; the handler verifies it.
  'token.validate': 'anyone',
  'token.refresh': 'anyone',
  'account.viewOwn': 'signed-in',
  'panel.enter': ['manager', 'admin'],
  'dashboard.view': ['manager', 'admin'],
  'account.changeOwnPassword': 'signed-in',
  'users.view': ['manager', 'admin'],
  'contacts.view': ['manager', 'admin'],
  'messages.view': ['manager', 'admin'],
  'activity.view': ['admin'],
} as const satisfies Record<string, Audience>;

export type Action = keyof typeof PERMISSIONS;

export function audienceOf(action: Action): Audience {
  return PERMISSIONS[action];
}

export function can(user: { role: Role } | null | undefined, action: Action): boolean {
  const audience: Audience = PERMISSIONS[action];
  if (audience === 'anyone') return true;
  if (!user) return false;
  if (audience === 'signed-in') return true;
  return audience.includes(user.role);
}
