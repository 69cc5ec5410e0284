// The browser session cookie `duckmig_session`. Its value is not the token but
// `v1.<name>.<expires>.<mac>`, where mac = HMAC-SHA256 keyed by (a hash of) that
// token over name and expiry. So the cookie never carries the secret, expires on its
// own, dies when the token is rotated or removed, and any API instance with the same
// tokens can verify it (stateless, nothing stored in Redis).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { TokenEntry, TokenStore } from './tokens.js';

export const SESSION_COOKIE = 'duckmig_session';
export const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60 * 1000;

function mac(token: string, name: string, expiresAt: number): Buffer {
  const key = createHash('sha256').update(`duckmig-session-key\0${token}`).digest();
  return createHmac('sha256', key).update(`v1\0${name}\0${expiresAt}`).digest();
}

export function signSession(entry: TokenEntry, expiresAt: number): string {
  const name = Buffer.from(entry.name).toString('base64url');
  return `v1.${name}.${expiresAt.toString(36)}.${mac(entry.token, entry.name, expiresAt).toString('base64url')}`;
}

/** The token entry a session cookie stands for, or null when forged, expired or revoked. */
export function verifySession(value: string, tokens: TokenStore, now = Date.now()): TokenEntry | null {
  const parts = value.split('.');
  if (parts.length !== 4 || parts[0] !== 'v1') return null;
  const [, encodedName = '', encodedExpiry = '', encodedMac = ''] = parts;
  const expiresAt = Number.parseInt(encodedExpiry, 36);
  if (!Number.isSafeInteger(expiresAt) || expiresAt <= now) return null;
  const entry = tokens.byName(Buffer.from(encodedName, 'base64url').toString());
  if (!entry) return null;
  const expected = mac(entry.token, entry.name, expiresAt);
  const given = Buffer.from(encodedMac, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected) ? entry : null;
}
