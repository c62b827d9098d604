/** Roles from least to most trusted; the permission table says what each may do. */
export const ROLES = ['worker', 'manager', 'admin'] as const;
export type Role = (typeof ROLES)[number];
