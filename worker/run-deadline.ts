// The worker's half of a run's deadline (the API's is api/run-deadline.ts). A run or
// restore job that carries `notAfter` starts only once the API has confirmed it (its
// `accepted` key exists). Until the deadline (plus a margin for clocks that differ
// between hosts) the worker waits for the confirmation, which normally follows the
// enqueue within a millisecond (so the wait polls after 1 ms, then backs off to `pollMs`);
// after it, an unconfirmed job is refused: its client was answered 503 and must never see
// it applied later.
import { setTimeout as delay } from 'node:timers/promises';
import type { RedisConnection } from '../config/redis-connection.js';

export const CLOCK_MARGIN_MS = 1_000;

export interface AwaitConfirmationOptions {
  /** the longest wait between two looks (the first comes after 1 ms, each next one twice as late) */
  pollMs?: number;
  now?: () => number;
}

/** True once `<acceptedPrefix>:<jobId>` exists; false when the deadline (plus margin) passes first. */
export async function awaitConfirmation(redis: RedisConnection, key: string, notAfterMs: number, options: AwaitConfirmationOptions = {}): Promise<boolean> {
  const { pollMs = 50, now = Date.now } = options;
  const giveUpAt = notAfterMs + CLOCK_MARGIN_MS;
  // the waits between looks: 1, 2, 4, … ms, then `pollMs`
  for (let wait = Math.min(1, pollMs); ; wait = Math.min(wait * 2, pollMs)) {
    if ((await redis.exists(key)) === 1) return true;
    const left = giveUpAt - now();
    if (left < 0) return false;
    await delay(Math.min(wait, left + 1));
  }
}

export function expiredMessage(kind: string, notAfter: string): string {
  return (
    `${kind} request expired: the API did not confirm it by ${notAfter} (Redis answered too late) and told its ` +
    'client it failed, so it was not started; nothing was changed: request it again'
  );
}
