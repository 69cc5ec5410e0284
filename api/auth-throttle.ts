// Throttling of failed authentication (bad bearer tokens, unknown session cookies,
// failed sign-ins), per client address and counted in Redis so every API instance
// counts together. A client with `limit` failures in the current window gets 429 with
// Retry-After for the rest of it, whatever it presents, so guessing stays slow. Logging
// is summarised: one line for a client's first failure in a window and one when it is
// throttled, never a line per guess (and never what was presented). A client that has
// no failure at all is remembered as clean for CLEAN_CLIENT_MS, so its authenticated
// requests do not ask Redis each time (and, while it keeps asking, that is renewed in the
// background before it runs out); its own failure here forgets that at once, and
// failures counted by other instances apply here within CLEAN_CLIENT_MS.
import type { RedisConnection } from '../config/redis-connection.js';
import type { Logger } from 'pino';
import { ApiError } from './errors.js';

export interface AuthThrottleOptions {
  redis: RedisConnection;
  /** e.g. duckmig:migrations:authfail */
  keyPrefix: string;
  /** failures allowed per client and window */
  limit: number;
  windowMs: number;
}

export const DEFAULT_AUTH_FAILURES = { limit: 20, windowMs: 60_000 } as const;

/** How long a client with no failures is let through without asking Redis. */
export const CLEAN_CLIENT_MS = 1_000;
/** At most this many clean clients are remembered (the oldest are forgotten first). */
const CLEAN_CLIENTS_MAX = 10_000;

export class AuthThrottle {
  readonly #options: AuthThrottleOptions;
  /** client → until when it is known clean */
  readonly #clean = new Map<string, number>();
  /** client → the background check in flight for it (#recheck) */
  readonly #checks = new Map<string, object>();

  constructor(options: AuthThrottleOptions) {
    this.#options = options;
  }

  #key(client: string): string {
    return `${this.#options.keyPrefix}:${client}`;
  }

  /** Throws 429 while the client has used up its failures for the window. */
  async assertAllowed(client: string): Promise<void> {
    const { redis, limit } = this.#options;
    if (this.knownClean(client)) return;
    const key = this.#key(client);
    const count = Number((await redis.get(key)) ?? 0);
    if (count === 0) this.#rememberClean(client);
    if (count < limit) return;
    const ttlMs = await redis.pttl(key);
    throw this.#throttled(ttlMs);
  }

  /** True while the client is remembered as clean: assertAllowed() then passes without asking Redis. */
  knownClean(client: string): boolean {
    const until = this.#clean.get(client);
    const now = Date.now();
    if (until === undefined || until <= now) return false;
    // in the second half of that time Redis is asked again beside the request, so a
    // client that keeps asking is never held up by the check
    if (until - now < CLEAN_CLIENT_MS / 2) this.#recheck(client);
    return true;
  }

  /** Counts one failure; logs the first of a window and the one that reaches the limit. */
  async recordFailure(client: string, logger: Logger | undefined, what: string): Promise<void> {
    const { redis, limit, windowMs } = this.#options;
    this.#clean.delete(client);
    // a check still on its way may have read the count before this failure: it must not mark the client clean
    this.#checks.delete(client);
    const key = this.#key(client);
    // NX: the window starts with the first failure and is never extended by later ones
    const replies = await redis.multi().incr(key).pexpire(key, windowMs, 'NX').exec();
    const [err, count] = replies?.[0] ?? [new Error('auth throttle: empty MULTI reply'), 0];
    if (err) throw err;
    if (count === 1) logger?.warn({ event: 'auth:failed', client, what }, `authentication failed (${what}); further failures from ${client} in this window are counted, not logged`);
    if (count === limit) logger?.warn({ event: 'auth:throttled', client, failures: limit, windowMs }, `${client} failed authentication ${limit} times: throttled for the rest of the window`);
  }

  /** Renews a clean client's standing in the background; one check per client at a time. */
  #recheck(client: string): void {
    if (this.#checks.has(client)) return;
    const check = {};
    this.#checks.set(client, check);
    const current = () => this.#checks.get(client) === check;
    this.#options.redis.get(this.#key(client)).then(
      (count) => {
        if (!current()) return;
        this.#checks.delete(client);
        // failures counted elsewhere: the next request asks Redis itself (and may be refused)
        if (Number(count ?? 0) === 0) this.#rememberClean(client);
        else this.#clean.delete(client);
      },
      () => {
        if (current()) this.#checks.delete(client);
      },
    );
  }

  #rememberClean(client: string): void {
    this.#clean.delete(client);
    if (this.#clean.size >= CLEAN_CLIENTS_MAX) this.#clean.delete(this.#clean.keys().next().value!);
    this.#clean.set(client, Date.now() + CLEAN_CLIENT_MS);
  }

  #throttled(ttlMs: number): ApiError {
    const retryAfter = String(Math.max(1, Math.ceil((ttlMs > 0 ? ttlMs : this.#options.windowMs) / 1000)));
    return new ApiError(429, 'too-many-failures', 'too many failed authentication attempts from this address; try again later', {
      details: { retryAfterSeconds: Number(retryAfter) },
      headers: { 'Retry-After': retryAfter },
    });
  }
}
