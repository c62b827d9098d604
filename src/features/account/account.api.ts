import express, { Router } from 'express';
import { actorFromToken, permit, principalOf } from '../../http/bearer.js';
import { parseInput } from '../../http/validate.js';
import { refuseMethod } from '../../http/error-handlers.js';
import { changePasswordBodySchema } from './account.schemas.js';
import type { AccountService } from './account.service.js';

/** /auth/me and /auth/password: the caller's own account, in the original contract. */
export function createAccountApi(deps: { account: AccountService }): Router {
  const router = Router();
  const json = express.json({ limit: '16kb' });

  router.get('/me', permit('account.viewOwn'), (_req, res) => {
    const p = principalOf(res);
    res.json({ id: p.userId, username: p.username, role: p.role, created_at: p.createdAt });
  });

  router.post('/password', permit('account.changeOwnPassword'), json, async (req, res) => {
    const input = parseInput(changePasswordBodySchema, req.body);
    await deps.account.changeOwnPassword(actorFromToken(req, res), input.current_password, input.new_password);
    res.json({ message: 'Password changed' });
  });

  router.all('/me', refuseMethod('GET'));
  router.all('/password', refuseMethod('POST'));
  return router;
}
