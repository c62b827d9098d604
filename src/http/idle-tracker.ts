import type { RequestHandler } from 'express';
import { systemClock, type Clock } from '../clock.js';

export interface IdleTracker {
  track: RequestHandler;
  /** No request in flight, and none finished in the last `ms`. */
  idleFor(ms: number): boolean;
}

/** Counts requests in flight, so housekeeping (WAL truncation) can wait for a quiet moment. */
export function createIdleTracker(deps: { clock: Clock } = { clock: systemClock }): IdleTracker {
  const { clock } = deps;
  let inFlight = 0;
  let lastActive = clock();
  return {
    track(_req, res, next) {
      inFlight += 1;
      lastActive = clock();
      res.once('close', () => {
        inFlight -= 1;
        lastActive = clock();
      });
      next();
    },
    idleFor: (ms) => inFlight === 0 && clock() - lastActive >= ms,
  };
}
