import 'express-session';
import type { User } from '../domain/account.js';

export interface Flash {
  type: 'success' | 'error' | 'info';
  message: string;
}

declare module 'express-session' {
  interface SessionData {
    userId: number;
    credentialVersion: number;
    authenticatedAt: number;
    flash: Flash[];
  }
}

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    currentUser?: User;
    /** The matched route's template (`/api/users/:id`), noted by its permission guard. */
    routeTemplate?: string;
  }
}
