import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TokenEntry } from '../config/token-list.js';
import { createTokenStore, generateToken, resolveTokens } from './tokens.js';

const ada: TokenEntry = { name: 'ada', role: 'admin', token: generateToken() };
const vera: TokenEntry = { name: 'vera', role: 'viewer', token: generateToken() };

describe('token store', () => {
  it('finds the entry for a token and nothing for near misses', () => {
    const store = createTokenStore([ada, vera]);
    expect(store.verify(ada.token)).toBe(ada);
    expect(store.verify(vera.token)).toBe(vera);
    expect(store.verify(ada.token.slice(0, -1))).toBeNull();
    expect(store.verify(`${ada.token}x`)).toBeNull();
    expect(store.verify('')).toBeNull();
  });

  it('generates 32-byte base64url tokens', () => {
    const token = generateToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });
});

describe('resolveTokens', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'duckmig-tokens-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('uses DUCKMIG_TOKENS when set and writes no file', async () => {
    const lines: string[] = [];
    const resolved = await resolveTokens({ configured: [ada], dataDir: dir, print: (l) => lines.push(l) });
    expect(resolved).toEqual({ entries: [ada], tokenFile: null, generated: false });
    expect(lines).toEqual([]);
  });

  it('generates an admin token on first start with mode 0600 and prints it once', async () => {
    const first: string[] = [];
    const created = await resolveTokens({ configured: null, dataDir: join(dir, 'data'), print: (l) => first.push(l) });
    const file = join(dir, 'data', 'admin.token');
    expect(created.generated).toBe(true);
    expect(created.tokenFile).toBe(file);
    const token = (await readFile(file, 'utf8')).trim();
    expect(token.length).toBeGreaterThanOrEqual(43);
    expect(created.entries).toEqual([{ name: 'admin', role: 'admin', token }]);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(first.filter((line) => line.includes(token))).toHaveLength(1);
    expect(first.join('\n')).toContain(file);

    const second: string[] = [];
    const reread = await resolveTokens({ configured: null, dataDir: join(dir, 'data'), print: (l) => second.push(l) });
    expect(reread).toEqual({ entries: created.entries, tokenFile: file, generated: false });
    expect(second.join('\n')).not.toContain(token);
    expect(second.join('\n')).toContain(file);
  });

  it('agrees on one token when two instances start at once', async () => {
    const quiet = () => undefined;
    const [a, b] = await Promise.all([
      resolveTokens({ configured: null, dataDir: dir, print: quiet }),
      resolveTokens({ configured: null, dataDir: dir, print: quiet }),
    ]);
    expect(a.entries).toEqual(b.entries);
    expect([a.generated, b.generated].filter(Boolean)).toHaveLength(1);
  });

  it('tightens a token file that others can read', async () => {
    const file = join(dir, 'admin.token');
    await writeFile(file, `${generateToken()}\n`);
    await chmod(file, 0o644);
    const lines: string[] = [];
    await resolveTokens({ configured: null, dataDir: dir, print: (l) => lines.push(l) });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(lines.join('\n')).toMatch(/mode is now 0600/);
  });

  it('refuses a token file that holds no usable token', async () => {
    await writeFile(join(dir, 'admin.token'), 'short\n', { mode: 0o600 });
    await expect(resolveTokens({ configured: null, dataDir: dir, print: () => undefined })).rejects.toThrow(/does not hold a valid token/);
  });
});
