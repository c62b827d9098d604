import express, { Router } from 'express';
import { actorFromToken, allowBearer, parseInput } from '../../http/bearer.js';
import { pathId, undecodableParam } from '../../http/id-param.js';
import type { TokenAuthService } from '../auth/token-auth.service.js';
import type { UserListing } from './users.repo.js';
import type { User } from '../../domain/account.js';
import type { UserManagement } from './users.manage.js';
import {
  createUserSchema, listQuerySchema, roleChangeSchema, transferSchema, updateUserSchema,
} from './users.schemas.js';

export function serializeUser(u: User | UserListing) {
  return { id: u.id, username: u.username, role: u.role, created_by: u.createdBy, created_at: u.createdAt,
    is_active: u.isActive, last_login_at: u.lastLoginAt };
}

/** /api/users: the original contract, every call scoped by the permission table. */
export function createUsersApi(manage: UserManagement, tokens: TokenAuthService): Router {
  const router = Router();
  const json = express.json({ limit: '16kb' });

  router.get('/', allowBearer(tokens, 'users.list'), (req, res) => {
    const { users, total } = manage.list(actorFromToken(req, res), parseInput(listQuerySchema, req.query));
    res.json({ users: users.map(serializeUser), total });
  });

  router.get('/:id', allowBearer(tokens, 'users.read'), (req, res) => {
    res.json(serializeUser(manage.show(actorFromToken(req, res), pathId(req))));
  });

  router.post('/', allowBearer(tokens, 'users.create'), json, async (req, res) => {
    const input = parseInput(createUserSchema, req.body);
    const user = await manage.create(actorFromToken(req, res), input);
    res.status(201).json({ message: 'User created successfully',
      user: { id: user.id, username: user.username, role: user.role, created_by: user.createdBy } });
  });

  router.put('/:id', allowBearer(tokens, 'users.update'), json, async (req, res) => {
    const id = pathId(req);
    const patch = parseInput(updateUserSchema, req.body);
    const user = await manage.update(actorFromToken(req, res), id,
      { username: patch.username, password: patch.password, isActive: patch.is_active });
    res.json({ message: 'User updated successfully', user: serializeUser(user) });
  });

  router.put('/:id/role', allowBearer(tokens, 'users.changeRole'), json, (req, res) => {
    const id = pathId(req);
    const user = manage.changeRole(actorFromToken(req, res), id, parseInput(roleChangeSchema, req.body).role);
    res.json({ message: 'Role updated successfully', user: serializeUser(user) });
  });

  router.delete('/:id', allowBearer(tokens, 'users.terminate'), async (req, res) => {
    await manage.terminate(actorFromToken(req, res), pathId(req));
    res.json({ message: 'User terminated successfully' });
  });

  router.post('/:id/sign-out', allowBearer(tokens, 'users.signOutEverywhere'), (req, res) => {
    manage.signOutEverywhere(actorFromToken(req, res), pathId(req));
    res.json({ message: 'User signed out everywhere' });
  });

  router.post('/:id/transfer', allowBearer(tokens, 'users.transfer'), json, (req, res) => {
    const id = pathId(req);
    const moved = manage.transferAccounts(actorFromToken(req, res), id, parseInput(transferSchema, req.body).manager_id);
    res.json({ message: `Handed over ${moved} accounts`, moved });
  });

  router.use(undecodableParam());
  return router;
}
