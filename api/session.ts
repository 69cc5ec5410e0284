// Browser sessions, kept in Redis. The `duckmig_session` cookie holds `v2.<random id>`
// (32 random bytes); Redis holds, under a hash of that id, who signed in and a
// fingerprint of the token they used, with the session's lifetime as TTL. So the cookie
// carries no secret, sign-out deletes the session for good, any API instance on the
// same Redis knows it, and a session ends at its next use once its token is removed
// from DUCKMIG_TOKENS or rotated (the fingerprint no longer matches).
// What Redis holds for a session is kept in this process for SESSION_CACHE_MS, so a page's
// requests do not each ask Redis: a sign-out on this instance ends the session here at
// once, on other instances within SESSION_CACHE_MS; a removed or rotated token ends it
// at once (the fingerprint is checked at every request).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RedisConnection } from '../config/redis-connection.js';
import type { TokenEntry } from '../config/token-list.js';
import type { TokenStore } from './tokens.js';

export const SESSION_COOKIE = 'duckmig_session';
export const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** How long this process trusts what Redis said about a session. */
export const SESSION_CACHE_MS = 2_000;
/** At most this many sessions are remembered (the oldest are forgotten first). */
const SESSION_CACHE_MAX = 10_000;

const VALUE = /^v2\.([A-Za-z0-9_-]{43})$/;

const sha256 = (text: string) => createHash('sha256').update(text).digest();
/** what identifies the token behind a session without storing the token */
const fingerprint = (token: string) => sha256(`duckmig-session-token\0${token}`).toString('base64url');

interface StoredSession {
  name: string;
  fingerprint: string;
}

export interface SessionStore {
  /** a new session for this token entry; returns the cookie value */
  create(entry: TokenEntry): Promise<string>;
  /** the token entry a cookie value stands for, or null when unknown, expired, revoked or its token changed */
  verify(value: string): Promise<TokenEntry | null>;
  /** ends the session (sign-out); unknown values are ignored */
  revoke(value: string): Promise<void>;
}

export interface SessionStoreOptions {
  redis: RedisConnection;
  tokens: TokenStore;
  /** e.g. duckmig:migrations:session */
  keyPrefix: string;
  ttlMs: number;
  /** how long a session read from Redis is trusted here (default SESSION_CACHE_MS) */
  cacheMs?: number;
  /** the clock of that cache (tests) */
  now?: () => number;
}

export function createSessionStore({ redis, tokens, keyPrefix, ttlMs, cacheMs = SESSION_CACHE_MS, now = Date.now }: SessionStoreOptions): SessionStore {
  /** Redis key → the stored session and until when it is trusted without asking again */
  const cache = new Map<string, { stored: StoredSession; until: number }>();
  const remember = (key: string, stored: StoredSession) => {
    cache.delete(key);
    if (cache.size >= SESSION_CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.set(key, { stored, until: now() + cacheMs });
  };
  async function read(key: string): Promise<StoredSession | null> {
    const known = cache.get(key);
    if (known && known.until > now()) return known.stored;
    cache.delete(key);
    const raw = await redis.get(key);
    if (raw === null) return null;
    try {
      const stored = JSON.parse(raw) as StoredSession;
      if (cacheMs > 0) remember(key, stored);
      return stored;
    } catch {
      return null;
    }
  }

  // Redis holds a hash of the id: whoever can read Redis still cannot present the cookie
  const keyOf = (value: string) => {
    const id = VALUE.exec(value)?.[1];
    return id ? `${keyPrefix}:${sha256(id).toString('base64url')}` : null;
  };
  return {
    async create(entry) {
      const value = `v2.${randomBytes(32).toString('base64url')}`;
      const stored: StoredSession = { name: entry.name, fingerprint: fingerprint(entry.token) };
      await redis.set(keyOf(value)!, JSON.stringify(stored), 'PX', ttlMs);
      return value;
    },
    async verify(value) {
      const key = keyOf(value);
      if (!key) return null;
      const stored = await read(key);
      if (stored === null) return null;
      const entry = tokens.byName(String(stored.name));
      if (!entry) return null;
      const expected = Buffer.from(fingerprint(entry.token));
      const given = Buffer.from(String(stored.fingerprint));
      return given.length === expected.length && timingSafeEqual(given, expected) ? entry : null;
    },
    async revoke(value) {
      const key = keyOf(value);
      if (!key) return;
      cache.delete(key);
      await redis.del(key);
    },
  };
}
