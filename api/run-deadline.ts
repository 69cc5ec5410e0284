// The API's half of a run's deadline. A run or restore job carries `notAfter`; once
// queue.add() has answered, the API confirms the job by setting its `accepted` key, but
// only while Redis's own clock is before the deadline (one Lua script, so the check and
// the write happen at the same instant). An enqueue that reached a frozen Redis after
// the API had answered 503 is therefore never confirmed, and the worker refuses it.
import type { RedisConnection } from '../config/redis-connection.js';
import { ApiError } from './errors.js';

/** How long a run request may take to reach Redis and be confirmed (default). */
export const DEFAULT_RUN_DEADLINE_MS = 10_000;
/** The confirmation outlives any wait in the queue. */
const ACCEPTED_TTL_MS = 7 * 24 * 60 * 60 * 1000;

const ACCEPT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
return 1`;

export function acceptedKey(prefix: string, jobId: string): string {
  return `${prefix}:${jobId}`;
}

/** Confirms an enqueued job (a scheduled one for its delay longer); throws 503 when its deadline passed before Redis saw the confirmation. */
export async function confirmWithinDeadline(redis: RedisConnection, key: string, notAfterMs: number, delayMs = 0): Promise<void> {
  const confirmed = await redis.eval(ACCEPT_SCRIPT, 1, key, String(notAfterMs), String(ACCEPTED_TTL_MS + delayMs));
  if (Number(confirmed) !== 1) {
    throw new ApiError(503, 'redis-unavailable', 'Redis answered too late; the request was not accepted and will not run', {
      headers: { 'Retry-After': '5' },
    });
  }
}
