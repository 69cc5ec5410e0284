// The Redis that `duckmig start` runs when REDIS_URL is unset: a `redis-server` child on
// a free loopback port, append-only persistence under <data dir>/redis (queue history
// survives restarts), ready when it says so, stopped (AOF flushed) on shutdown. A server
// left behind by a start that was killed is recognised by its pid file and stopped first,
// so two servers never share one append-only file. It requires a password, generated on
// first start into <data dir>/redis.password (mode 0600, like admin.token) and handed to
// redis-server in a 0600 config file, never on its command line (which every local user
// can read) and never logged: without it, any local process could enqueue a job that the
// worker would apply in anyone's name.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';

export interface ManagedRedis {
  /** redis://:<password>@127.0.0.1:<port>: a secret, never print or log it */
  url: string;
  /** 127.0.0.1:<port>, for messages */
  location: string;
  port: number;
  dir: string;
  pid: number;
  stop(): Promise<void>;
}

export interface ManagedRedisOptions {
  dataDir: string;
  logger: Logger;
  /** the server binary (default redis-server on PATH) */
  binary?: string;
  /** how long to wait for "Ready to accept connections" (default 15 s) */
  readyTimeoutMs?: number;
  /** the loopback port to listen on (default a free one); a restart that clients must find again keeps it */
  port?: number;
}

export class RedisNotInstalledError extends Error {
  override name = 'RedisNotInstalledError';
  constructor(binary: string) {
    super(`${binary} was not found: install redis-server (apt-get install redis-server) or set REDIS_URL to a running Redis`);
  }
}

export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops a redis-server that an earlier, killed `duckmig start` left running on this dir. */
async function stopLeftover(pidFile: string, logger: Logger): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid || !alive(pid)) return;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return; // no /proc: leave it alone
  }
  if (!cmdline.includes('redis-server')) return; // the pid was reused by something else
  logger.warn({ event: 'redis:leftover', pid }, `stopping the managed redis-server (PID ${pid}) left by an earlier start`);
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && alive(pid); i++) await delay(100);
}

/**
 * The managed Redis's password: read from <dataDir>/redis.password, or generated there
 * (32 random bytes, mode 0600; written to a private temp file and linked into place, so
 * two starts at once agree on one password).
 */
export function managedRedisPassword(dataDir: string): string {
  const file = join(dataDir, 'redis.password');
  mkdirSync(dataDir, { recursive: true });
  const fresh = randomBytes(32).toString('base64url');
  const temp = `${file}.${process.pid}.${fresh.slice(0, 8)}.tmp`;
  try {
    writeFileSync(temp, `${fresh}\n`, { mode: 0o600, flag: 'wx' });
    linkSync(temp, file);
    return fresh;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(temp, { force: true });
  }
  const password = readFileSync(file, 'utf8').trim();
  if (password.length < 16 || /\s/.test(password)) {
    throw new Error(`${file} does not hold a usable password (delete it to generate a new one)`);
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return password;
}

/** redis.conf for the managed server: only what must not appear on its command line. */
function writeServerConfig(dir: string, password: string): string {
  const file = join(dir, 'redis.conf');
  rmSync(file, { force: true });
  // redis.conf quoting: a double-quoted string with \\ and \" escaped (base64url needs none)
  writeFileSync(file, `requirepass "${password.replace(/[\\"]/g, '\\$&')}"\n`, { mode: 0o600 });
  return file;
}

function waitForReady(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolveReady, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`redis-server did not become ready within ${timeoutMs} ms: ${output.slice(-500)}`)), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', fail);
    };
    const fail = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        cleanup();
        resolveReady();
      }
    };
    const onExit = (code: number | null) => fail(new Error(`redis-server exited with code ${code} before it was ready: ${output.slice(-500)}`));
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', fail);
  });
}

export async function startManagedRedis(options: ManagedRedisOptions): Promise<ManagedRedis> {
  const { dataDir, logger, binary = 'redis-server', readyTimeoutMs = 15_000 } = options;
  const dir = resolve(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const pidFile = join(dir, 'redis.pid');
  await stopLeftover(pidFile, logger);
  const port = options.port ?? (await freeLoopbackPort());
  const password = managedRedisPassword(dataDir);
  const configFile = writeServerConfig(dir, password);

  const child = spawn(
    binary,
    [
      configFile,
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--protected-mode', 'yes',
      '--dir', dir,
      '--appendonly', 'yes',
      '--save', '',
      '--pidfile', pidFile,
      '--daemonize', 'no',
      '--loglevel', 'notice',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    await waitForReady(child, readyTimeoutMs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new RedisNotInstalledError(binary);
    if (child.exitCode === null) child.kill('SIGKILL');
    throw err;
  }

  let stopping = false;
  child.stdout?.on('data', (chunk: Buffer) => logger.debug({ redis: chunk.toString().trim() }, 'redis-server'));
  child.stderr?.on('data', (chunk: Buffer) => logger.warn({ redis: chunk.toString().trim() }, 'redis-server'));
  child.once('exit', (code, signal) => {
    if (!stopping) logger.error({ event: 'redis:exited', code, signal }, 'the managed redis-server stopped unexpectedly');
  });
  const location = `127.0.0.1:${port}`;
  const url = `redis://:${encodeURIComponent(password)}@${location}`;
  logger.info({ event: 'redis:ready', location, dir, pid: child.pid }, `managed redis-server ready at ${location}, password in ${join(dataDir, 'redis.password')} (data in ${dir})`);

  let stopped: Promise<void> | null = null;
  return {
    url,
    location,
    port,
    dir,
    pid: child.pid ?? 0,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGTERM'); // redis flushes the append-only file and exits
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
        logger.info({ event: 'redis:stopped' }, 'managed redis-server stopped');
      })();
      return stopped;
    },
  };
}
