export class QueueFullError extends Error {
  constructor() {
    super('too many operations waiting');
  }
}

/**
 * Runs at most `concurrency` tasks at once and queues up to `maxQueued` more; beyond that it
 * refuses at once rather than letting a flood build an unbounded backlog.
 */
export function createLimiter(options: { concurrency: number; maxQueued: number }) {
  const { concurrency, maxQueued } = options;
  let running = 0;
  const waiting: Array<() => void> = [];

  const release = () => {
    running -= 1;
    waiting.shift()?.();
  };

  async function run<T>(task: () => Promise<T>): Promise<T> {
    if (running >= concurrency) {
      if (waiting.length >= maxQueued) throw new QueueFullError();
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    running += 1;
    try {
      return await task();
    } finally {
      release();
    }
  }

  /** True when the next task would be refused: callers can shed work before doing any. */
  const isFull = () => running >= concurrency && waiting.length >= maxQueued;

  return Object.assign(run, { isFull });
}
