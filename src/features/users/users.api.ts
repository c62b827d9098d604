import express, { Router } from 'express';
import { actorFromToken, permit } from '../../http/bearer.js';
import { parseInput, pathId, undecodableParam } from '../../http/validate.js';
import { createdUserJson, userJson } from './users.json.js';
import { createUserSchema, listQuerySchema, roleChangeSchema, transferSchema, updateUserSchema } from './users.schemas.js';
import type { UsersService } from './users.service.js';

/** /api/users: the original contract, every call scoped by the permission table. */
export function createUsersApi(deps: { users: UsersService }): Router {
  const { users } = deps;
  const router = Router();
  const json = express.json({ limit: '16kb' });

  router.get('/', permit('users.list'), (req, res) => {
    const { users: page, total } = users.list(actorFromToken(req, res), parseInput(listQuerySchema, req.query));
    res.json({ users: page.map(userJson), total });
  });

  router.get('/:id', permit('users.read'), (req, res) => {
    res.json(userJson(users.show(actorFromToken(req, res), pathId(req))));
  });

  router.post('/', permit('users.create'), json, async (req, res) => {
    const user = await users.create(actorFromToken(req, res), parseInput(createUserSchema, req.body));
    res.status(201).json({ message: 'User created successfully', user: createdUserJson(user) });
  });

  router.put('/:id', permit('users.update'), json, async (req, res) => {
    const id = pathId(req);
    const patch = parseInput(updateUserSchema, req.body);
    const user = await users.update(actorFromToken(req, res), id, { username: patch.username, password: patch.password, isActive: patch.is_active });
    res.json({ message: 'User updated successfully', user: userJson(user) });
  });

  router.put('/:id/role', permit('users.changeRole'), json, (req, res) => {
    const id = pathId(req);
    const user = users.changeRole(actorFromToken(req, res), id, parseInput(roleChangeSchema, req.body).role);
    res.json({ message: 'Role updated successfully', user: userJson(user) });
  });

  router.delete('/:id', permit('users.terminate'), async (req, res) => {
    await users.terminate(actorFromToken(req, res), pathId(req));
    res.json({ message: 'User terminated successfully' });
  });

  router.post('/:id/sign-out', permit('users.signOutEverywhere'), (req, res) => {
    users.signOutEverywhere(actorFromToken(req, res), pathId(req));
    res.json({ message: 'User signed out everywhere' });
  });

  router.post('/:id/transfer', permit('users.transfer'), json, (req, res) => {
    const id = pathId(req);
    const moved = users.transferAccounts(actorFromToken(req, res), id, parseInput(transferSchema, req.body).manager_id);
    res.json({ message: `Handed over ${moved} accounts`, moved });
  });

  router.use(undecodableParam());
  return router;
}
