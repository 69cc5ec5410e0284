// Specification of the Redis that `duckmig start` manages: loopback only, append-only
// persistence under <data dir>/redis, stopped cleanly, a leftover from a killed start
// replaced, and a clear message when redis-server is not installed.
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { Writable } from 'node:stream';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { Queue } from 'bullmq';
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
    expect(first.url).toMatch(/^redis:\/\/:[^@]+@127\.0\.0\.1:\d+$/);
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

  it('listens on the port it is given, so a client keeps its URL across a restart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'duckmig-managed-'));
    const first = await startManagedRedis({ dataDir: dir, logger });
    started.push(first);
    const client = new Redis(first.url, { maxRetriesPerRequest: null });
    await client.set('kept', 'yes');
    await first.stop();
    const second = await startManagedRedis({ dataDir: dir, logger, port: first.port });
    started.push(second);
    expect(second.url).toBe(first.url);
    expect(await client.get('kept')).toBe('yes'); // the same client, reconnected
    client.disconnect();
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

  it('requires a generated password (kept 0600 beside admin.token, never on the command line or in the log): a client without it can neither enqueue nor read', async () => {
    dir = mkdtempSync(join(tmpdir(), 'duckmig-managed-'));
    let logged = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logged += chunk.toString();
        done();
      },
    });
    const managed = await startManagedRedis({ dataDir: dir, logger: pino({ level: 'debug' }, sink) });
    started.push(managed);
    const passwordFile = join(dir, 'redis.password');
    const password = readFileSync(passwordFile, 'utf8').trim();
    expect(password.length).toBeGreaterThanOrEqual(32);
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(`/proc/${managed.pid}/cmdline`, 'utf8')).not.toContain(password);
    expect(logged).not.toContain(password);
    expect(managed.url).toBe(`redis://:${encodeURIComponent(password)}@127.0.0.1:${managed.port}`);

    // any local process without the password: a raw connection is refused every command
    const raw = createConnection({ host: '127.0.0.1', port: managed.port });
    await once(raw, 'connect');
    raw.write('LPUSH bull:migrations:wait 1\r\nKEYS *\r\n');
    let replies = '';
    for await (const chunk of raw) {
      replies += String(chunk);
      if (replies.split('\r\n').filter(Boolean).length >= 2) break;
    }
    raw.destroy();
    expect(replies.split('\r\n').filter(Boolean)).toEqual([expect.stringMatching(/^-NOAUTH/), expect.stringMatching(/^-NOAUTH/)]);
    // and so is BullMQ on a connection without it
    const stranger = new Redis({ host: '127.0.0.1', port: managed.port, maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
    stranger.on('error', () => undefined);
    const strangersQueue = new Queue('migrations', { connection: stranger });
    strangersQueue.on('error', () => undefined);
    await expect(strangersQueue.add('run', { kind: 'run', requestedBy: 'ops' })).rejects.toThrow();
    await strangersQueue.close().catch(() => undefined);
    stranger.disconnect();

    // duckmig, with the URL it was given, works, and finds nothing the stranger tried to add
    const client = new Redis(managed.url);
    expect(await client.keys('bull:*')).toEqual([]);
    await client.set('kept', 'yes');
    expect(await client.get('kept')).toBe('yes');
    await client.quit();

    // the same password after a restart
    await managed.stop();
    const again = await startManagedRedis({ dataDir: dir, logger });
    started.push(again);
    expect(again.url).toContain(`:${encodeURIComponent(password)}@`);
  });

  it('says how to install redis-server when it is missing', async () => {
    dir = mkdtempSync(join(tmpdir(), 'duckmig-managed-'));
    const attempt = startManagedRedis({ dataDir: dir, logger, binary: 'redis-server-that-is-not-installed' });
    await expect(attempt).rejects.toBeInstanceOf(RedisNotInstalledError);
    await expect(attempt).rejects.toThrow('install redis-server (apt-get install redis-server) or set REDIS_URL');
  });
});
