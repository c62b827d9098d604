/** Milliseconds since the epoch. The one clock type: every service takes one, so tests can move time. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** A time as every stored time is written: UTC ISO 8601. */
export const isoTime = (ms: number): string => new Date(ms).toISOString();
