// The shard lease: who owns a shard now. The key fleetKeys().lease(shard) holds
// `<workerId>:<token>` with a TTL; acquiring takes a new fencing token (INCR of
// fleetKeys().fence(shard)) in the same script, renewing is a compare-and-extend, releasing
// a compare-and-delete, so no worker ever extends or deletes another's lease. The lease
// counts as held only until its last confirmed renewal's deadline (by this process's
// monotonic clock, minus a margin): past it, held() is false at once, before any timer
// fires, and the fence (core/write-fence.ts) refuses every write under the token.
import { performance } from 'node:perf_hooks';
import type { RedisConnection } from '../../config/redis-connection.js';
import type { Logger } from 'pino';
import type { FleetKeys } from '../../fleet/options.js';

/** Takes the lease when free, with a new token; returns the token or 0. */
const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. token, 'PX', ARGV[2])
return token`;

/** Extends the lease only while it still holds this owner's value. */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

/** Deletes the lease only while it still holds this owner's value. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface LeaseOptions {
  redis: RedisConnection;
  keys: FleetKeys;
  shard: string;
  workerId: string;
  ttlMs: number;
  logger: Logger;
  /** the lease was taken with this token: start consuming (renewals go on meanwhile) */
  onAcquired(token: number): Promise<void>;
  /** the lease is gone (not renewed in time, or someone else holds it): stop at once (awaited before trying to acquire again) */
  onLost(token: number, why: string): Promise<void>;
  /** after each renewal (ShardState) */
  onRenewed?(token: number): void;
}

export interface ShardLease {
  /** the token while the lease is held, else null */
  readonly token: number | null;
  /** true while the lease is held and its deadline has not passed */
  held(): boolean;
  /** when the current lease was taken */
  readonly since: Date | null;
  /** stops renewing and deletes the lease if still ours (so a standby takes over at once) */
  release(): Promise<void>;
}

/** Keeps trying to hold the shard's lease every ttl/3 until released. */
export function startLease(options: LeaseOptions): ShardLease {
  const { redis, keys, shard, workerId, ttlMs, logger } = options;
  const leaseKey = keys.lease(shard);
  const every = Math.max(200, Math.floor(ttlMs / 3));
  // renewals take time on the wire and clocks drift: stop trusting the lease a little early
  const margin = Math.min(1000, Math.floor(ttlMs / 10));
  let token: number | null = null;
  let since: Date | null = null;
  let validUntil = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let expiry: NodeJS.Timeout | undefined;
  let ticking: Promise<void> = Promise.resolve();
  /** starting and stopping the consumer, one after the other and apart from renewals; a new acquisition waits for them */
  let transitions: Promise<void> = Promise.resolve();
  const transition = (step: () => Promise<void>) => {
    transitions = transitions.then(step, step).catch((err: unknown) => logger.error({ err, event: 'lease:transition-failed', shard }, `shard ${shard}: ${(err as Error)?.message}`));
    return transitions;
  };

  const value = () => `${workerId}:${token}`;
  const held = () => token !== null && !stopped && performance.now() < validUntil;

  const lose = async (why: string) => {
    if (token === null) return;
    const lost = token;
    const mine = value();
    token = null;
    // if Redis still holds it (renewed too late), give it up so a standby need not wait for the TTL
    void redis.eval(RELEASE, 1, leaseKey, mine).catch(() => undefined);
    since = null;
    clearTimeout(expiry);
    logger.error({ event: 'lease:lost', shard, token: lost, why }, `lease of shard ${shard} lost (token ${lost}): ${why}; no more writes under it`);
    await transition(() => options.onLost(lost, why));
  };

  const confirmed = (sentAt: number) => {
    validUntil = sentAt + ttlMs - margin;
    clearTimeout(expiry);
    // the deadline passes without a confirmed renewal: lost (held() already says so)
    // (not behind a renewal that waits for Redis: the consumer must stop now)
    expiry = setTimeout(() => void lose('not renewed before its deadline'), Math.max(0, validUntil - performance.now()));
  };

  const tick = async () => {
    if (stopped) return;
    const sentAt = performance.now();
    try {
      if (token === null) {
        await transitions;
        const got = Number(await redis.eval(ACQUIRE, 2, leaseKey, keys.fence(shard), workerId, String(ttlMs)));
        if (got > 0 && !stopped) {
          token = got;
          since = new Date();
          confirmed(sentAt);
          logger.info({ event: 'lease:acquired', shard, token }, `lease of shard ${shard} acquired (token ${token})`);
          // not awaited here: renewals go on while the consumer starts
          void transition(() => options.onAcquired(got));
        }
      } else {
        const renewed = Number(await redis.eval(RENEW, 1, leaseKey, value(), String(ttlMs)));
        if (token === null) return; // lost while waiting for the answer
        if (renewed === 1 && sentAt < validUntil) {
          confirmed(sentAt);
          options.onRenewed?.(token);
        } else {
          await lose(renewed === 1 ? 'renewed after its deadline' : 'another worker holds it');
        }
      }
    } catch (err) {
      logger.warn({ event: 'lease:error', shard, err: { message: (err as Error).message } }, `lease of shard ${shard}: ${(err as Error).message}`);
    }
  };

  /** one lease step at a time */
  const schedule = (step: () => Promise<void>) => (ticking = ticking.then(step, step));

  const loop = () => {
    if (stopped) return;
    void schedule(tick).then(() => {
      if (!stopped) timer = setTimeout(loop, every);
    });
  };
  loop();

  return {
    get token() {
      return held() ? token : null;
    },
    get since() {
      return since;
    },
    held,
    async release() {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(expiry);
      await ticking;
      await transitions;
      if (token === null) return;
      const mine = value();
      token = null;
      await redis.eval(RELEASE, 1, leaseKey, mine);
      logger.info({ event: 'lease:released', shard }, `lease of shard ${shard} released`);
    },
  };
}
