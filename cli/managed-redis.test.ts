// Specification of the Redis that `duckmig start` manages: loopback only, append-only
// persistence under <data dir>/redis, stopped cleanly, a leftover from a killed start
// replaced, and a clear message when redis-server is not installed.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisNotInstalledError, startManagedRedis, type ManagedRedis } from './managed-redis.js';

const logger = pino({ level: 'silent' });
let dir: string;
const started: ManagedRedis[] = [];
afterEach(async () => {
  for (const r of started.splice(0)) await r.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('managed redis-server', () => {
  it('listens on loopback, keeps its data under <data dir>/redis across restarts, and stops cleanly', async () => {
    dir = mkdtempSync(join(tmpdir(), 'duckmig-managed-'));
    const first = await startManagedRedis({ dataDir: dir, logger });
    started.push(first);
    expect(first.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    const client = new Redis(first.url);
    await client.set('kept', 'yes');
    await client.quit();
    await first.stop();
    expect(alive(first.pid)).toBe(false);
    expect(existsSync(join(dir, 'redis', 'appendonlydir'))).toBe(true);

    const second = await startManagedRedis({ dataDir: dir, logger });
    started.push(second);
    const again = new Redis(second.url);
    expect(await again.get('kept')).toBe('yes');
    await again.quit();
  });

  it('stops a server left running by a start that was killed, so two never share the data', async () => {
    dir = mkdtempSync(join(tmpdir(), 'duckmig-managed-'));
    const orphan = await startManagedRedis({ dataDir: dir, logger });
    started.push(orphan);
    const next = await startManagedRedis({ dataDir: dir, logger });
    started.push(next);
    expect(alive(orphan.pid)).toBe(false);
    expect(next.pid).not.toBe(orphan.pid);
  });

  it('says how to install redis-server when it is missing', async () => {
    dir = mkdtempSync(join(tmpdir(), 'duckmig-managed-'));
    const attempt = startManagedRedis({ dataDir: dir, logger, binary: 'redis-server-that-is-not-installed' });
    await expect(attempt).rejects.toBeInstanceOf(RedisNotInstalledError);
    await expect(attempt).rejects.toThrow('install redis-server (apt-get install redis-server) or set REDIS_URL');
  });
});
