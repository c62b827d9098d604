import express, { Router } from 'express';
import { jsonErrorHandler } from './http/error-handlers.js';
import { NotFound } from './http/errors.js';
import type { Logger } from './http/logger.js';

export interface ApiDeps {
  logger: Logger;
}

/** The JSON surface for the main app (/auth/*, /api/*): bearer tokens, JSON errors. */
export function createApi(deps: ApiDeps): Router {
  const api = Router();
  api.use(express.json({ limit: '2mb' }));
  api.use(() => {
    throw new NotFound('Not found');
  });
  api.use(jsonErrorHandler(deps.logger));
  return api;
}
