import { pino, type DestinationStream, type Logger as Pino } from 'pino';

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** Writes out whatever is still buffered (before the process exits). */
  flush?(): void;
  /**
   * A pino instance on the same destination for the request log's fixed fields, which hold no
   * header or body, so it skips redaction (a fifth of a line's cost). Absent in hand-made loggers.
   */
  pino?: Pino;
}

/**
 * Header values that must never reach a log line, should a caller ever pass headers in: the
 * request log itself logs none.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]',
  'headers.authorization', 'headers.cookie', 'headers["set-cookie"]', 'authorization', 'cookie', '["set-cookie"]',
];

// Under load, lines are written in blocks of this size (one system call each, not one per line);
// when traffic is light, whatever is buffered goes out at least this often.
const BLOCK_BYTES = 8 * 1024;
const FLUSH_EVERY_MS = 500;

/**
 * One JSON object per line: {"level":"info","time":"<ISO>","msg":...,...fields}, through pino.
 * By default to stdout through an asynchronous buffered destination (a request does not wait
 * for its log line to be written), flushed at exit. `write`, when given, receives each line
 * synchronously (tests). Callers pass only fields that hold no secret.
 */
export function createJsonLogger(write?: (line: string, level: string) => void): Logger {
  const destination: DestinationStream = write
    ? { write: (line: string) => write(line.endsWith('\n') ? line.slice(0, -1) : line, levelOf(line)) }
    : bufferedStdout();
  const options = { base: undefined, timestamp: isoTimeOncePerMillisecond(), formatters: { level: (label: string) => ({ level: label }) } };
  const base = pino({ ...options, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination);
  const requestLines = pino(options, destination);
  const log = (level: 'info' | 'warn' | 'error') => (msg: string, fields: LogFields = {}) => base[level](fields, msg);
  const flushable = destination as { flushSync?: () => void };
  return {
    info: log('info'), warn: log('warn'), error: log('error'), pino: requestLines,
    flush: () => {
      try {
        flushable.flushSync?.();
      } catch {
        // Nothing written yet (the destination is still opening): there is nothing to lose.
      }
    },
  };
}

/** pino's isoTime, formatted once per millisecond: formatting a date is a quarter of a line's cost. */
function isoTimeOncePerMillisecond(): () => string {
  let formattedAt = -1;
  let field = '';
  return () => {
    const now = Date.now();
    if (now !== formattedAt) {
      formattedAt = now;
      field = `,"time":"${new Date(now).toISOString()}"`;
    }
    return field;
  };
}

/**
 * sonic-boom in buffer mode, fed one Buffer a line: in its text mode every write measures the
 * whole pending text again (up to 16 KB), which cost more than formatting the line.
 */
function bufferedStdout(): DestinationStream & { flushSync(): void } {
  // Its type declares only text mode's write(string).
  const destination = pino.destination({ dest: 1, sync: false, minLength: BLOCK_BYTES, contentMode: 'buffer' }) as unknown as
    { write(data: Buffer): boolean; flush(): void; flushSync(): void };
  setInterval(() => {
    try {
      destination.flush();
    } catch {
      // Closed at exit, or a write still under way: the next turn or the exit flush takes it.
    }
  }, FLUSH_EVERY_MS).unref();
  return {
    write: (line: string) => destination.write(Buffer.from(line)),
    flushSync: () => destination.flushSync(),
  };
}

function levelOf(line: string): string {
  const match = /"level":"(\w+)"/.exec(line);
  return match?.[1] ?? 'info';
}
