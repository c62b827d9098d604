import type { Db } from '../../db.js';
import type { Role } from '../users/users.repo.js';

export interface UserCounts {
  byRole: Record<Role, number>;
  active: number;
  terminated: number;
}

export function createDashboardRepo(db: Db) {
  const counts = db.prepare<[], { role: Role; is_active: number; n: number }>(
    'SELECT role, is_active, count(*) AS n FROM users GROUP BY role, is_active');

  return {
    userCounts: (): UserCounts => {
      const result: UserCounts = { byRole: { worker: 0, manager: 0, admin: 0 }, active: 0, terminated: 0 };
      for (const row of counts.all()) {
        if (row.is_active === 1) {
          result.byRole[row.role] += row.n;
          result.active += row.n;
        } else {
          result.terminated += row.n;
        }
      }
      return result;
    },
  };
}
