// Starts a real Redis for a test file: a testcontainers Redis when a container engine
// answers, otherwise a `redis-server` child on a free loopback port with its own temp dir.
// Tests never share the machine's Redis on 6379, so they are isolated and run anywhere.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

export interface TestRedis {
  url: string;
  host: string;
  port: number;
  /** restart the server on the same port and data dir (only for the local redis-server) */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT the server: it keeps its connections but answers nothing (only for the local redis-server) */
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const address = srv.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

async function tryContainer(): Promise<TestRedis | null> {
  if (process.env.DUCKMIG_TEST_NO_CONTAINERS) return null;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
  } catch {
    return null; // no engine: fails within milliseconds
  }
  const { RedisContainer } = await import('@testcontainers/redis');
  const container = await new RedisContainer('redis:7-alpine').start();
  const host = container.getHost();
  const port = container.getPort();
  return {
    url: `redis://${host}:${port}`,
    host,
    port,
    restart: async () => {
      await container.restart();
    },
    freeze: () => {
      throw new Error('freeze() needs the local redis-server (set DUCKMIG_TEST_NO_CONTAINERS=1)');
    },
    thaw: () => undefined,
    stop: async () => {
      await container.stop();
    },
  };
}

async function waitForReady(child: ChildProcess): Promise<void> {
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out.slice(-500)}`)));
    child.once('error', reject);
  });
}

async function startLocal(): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'duckmig-redis-'));
  let child: ChildProcess;
  const start = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--loglevel', 'notice'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await waitForReady(child);
  };
  const stopChild = async () => {
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await start();
  } catch (err) {
    throw new Error(`could not start redis-server (is it installed? apt-get install redis-server): ${(err as Error).message}`);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    restart: async () => {
      await stopChild();
      await start();
    },
    freeze: () => {
      child.kill('SIGSTOP');
    },
    thaw: () => {
      child.kill('SIGCONT');
    },
    stop: async () => {
      if (child && child.exitCode === null) child.kill('SIGCONT');
      await stopChild();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startTestRedis(): Promise<TestRedis> {
  return (await tryContainer()) ?? (await startLocal());
}
