// API tokens: the generated admin token in <data dir>/admin.token (mode 0600, printed only when
// created), and the store that verifies a presented token in constant time.
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, link, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MIN_TOKEN_LENGTH, type TokenEntry } from '../config/token-list.js';

/** A fresh token: 32 random bytes, base64url (43 characters). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

export interface TokenStore {
  /** the entry whose token equals `presented`, compared in constant time; null when none */
  verify(presented: string): TokenEntry | null;
  byName(name: string): TokenEntry | undefined;
}

/** one-shot SHA-256 (no Hash object per request) */
const digest = (value: string) => hash('sha256', value, 'buffer');

export function createTokenStore(entries: readonly TokenEntry[]): TokenStore {
  const hashed = entries.map((entry) => ({ entry, hash: digest(entry.token) }));
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  return {
    verify(presented) {
      // Equal-length SHA-256 digests, and no early exit: timing says nothing about
      // which token (or how much of one) matched.
      const presentedHash = digest(presented);
      let found: TokenEntry | null = null;
      for (const candidate of hashed) {
        if (timingSafeEqual(presentedHash, candidate.hash)) found = candidate.entry;
      }
      return found;
    },
    byName: (name) => byName.get(name),
  };
}

export interface ResolveTokensOptions {
  /** DUCKMIG_TOKENS, parsed; null when unset */
  configured: TokenEntry[] | null;
  dataDir: string;
  /** where the one-time token announcement goes (default: stdout) */
  print?: (line: string) => void;
}

export interface ResolvedTokens {
  entries: TokenEntry[];
  /** the generated admin token's file, when DUCKMIG_TOKENS is unset */
  tokenFile: string | null;
  /** true when this call created the token (and printed it) */
  generated: boolean;
}

/**
 * DUCKMIG_TOKENS when set; otherwise the admin token in <dataDir>/admin.token, created
 * on first start with mode 0600 (atomically, so two instances starting at once agree
 * on one token) and printed once. Later starts only say where it is.
 */
export async function resolveTokens(options: ResolveTokensOptions): Promise<ResolvedTokens> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  if (options.configured) return { entries: options.configured, tokenFile: null, generated: false };

  const tokenFile = join(options.dataDir, 'admin.token');
  await mkdir(options.dataDir, { recursive: true });
  const fresh = generateToken();
  // Write a private temp file, then link() it into place: the link is atomic and fails
  // when the file exists, so a concurrent start never reads a half-written token.
  const temp = `${tokenFile}.${process.pid}.${fresh.slice(0, 8)}.tmp`;
  let generated = true;
  try {
    await writeFile(temp, `${fresh}\n`, { mode: 0o600, flag: 'wx' });
    await link(temp, tokenFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    generated = false;
  } finally {
    await rm(temp, { force: true });
  }

  if (generated) {
    print(`duckmig: DUCKMIG_TOKENS is unset, generated an admin token (shown only this once, stored in ${tokenFile}, mode 0600):`);
    print(`  ${fresh}`);
    return { entries: [{ name: 'admin', role: 'admin', token: fresh }], tokenFile, generated };
  }

  const token = (await readFile(tokenFile, 'utf8')).trim();
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw new Error(`${tokenFile} does not hold a valid token (delete it to generate a new one, or set DUCKMIG_TOKENS)`);
  }
  if (((await stat(tokenFile)).mode & 0o077) !== 0) {
    await chmod(tokenFile, 0o600);
    print(`duckmig: ${tokenFile} was readable by other users; its mode is now 0600`);
  }
  print(`duckmig: DUCKMIG_TOKENS is unset, using the admin token stored in ${tokenFile}`);
  return { entries: [{ name: 'admin', role: 'admin', token }], tokenFile, generated };
}
