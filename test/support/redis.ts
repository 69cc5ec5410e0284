// Starts a real Redis for a test file: a testcontainers Redis when a container engine
// answers, otherwise the product's managed `redis-server` child (cli/managed-redis.ts) on
// a free loopback port with its own temp dir and password. Tests never share the
// machine's Redis on 6379, so they are isolated and run anywhere.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startManagedRedis, type ManagedRedis } from '../../cli/managed-redis.js';

export interface TestRedis {
  /** with the password, when the server has one */
  url: string;
  host: string;
  port: number;
  /** '' when the server needs none */
  password: string;
  /** restart the server on the same port and data dir (only for the local redis-server) */
  restart(): Promise<void>;
  /** stop the server but keep its port, password and data, for up() (only for the local redis-server) */
  down(): Promise<void>;
  /** start it again after down(), on the same port with the same data */
  up(): Promise<void>;
  /** SIGSTOP / SIGCONT the server: it keeps its connections but answers nothing (only for the local redis-server) */
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
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
    password: '',
    restart: async () => {
      await container.restart();
    },
    freeze: () => {
      throw new Error('freeze() needs the local redis-server (set DUCKMIG_TEST_NO_CONTAINERS=1)');
    },
    down: () => Promise.reject(new Error('down() needs the local redis-server (set DUCKMIG_TEST_NO_CONTAINERS=1)')),
    up: () => Promise.reject(new Error('up() needs the local redis-server (set DUCKMIG_TEST_NO_CONTAINERS=1)')),
    thaw: () => undefined,
    stop: async () => {
      await container.stop();
    },
  };
}

/**
 * The product's managed redis-server (what `duckmig start` runs) on a temp data dir: a
 * free loopback port, a generated password, append-only data. A restart keeps the port,
 * the password and the data, as a restarted Redis in production would.
 */
async function startLocal(): Promise<TestRedis> {
  const dataDir = mkdtempSync(join(tmpdir(), 'duckmig-redis-'));
  const logger = pino({ level: process.env.DUCKMIG_TEST_LOG ?? 'silent' });
  let server: ManagedRedis;
  try {
    server = await startManagedRedis({ dataDir, logger });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const { url, port } = server;
  const resume = () => {
    try {
      process.kill(server.pid, 'SIGCONT');
    } catch {
      // already gone
    }
  };
  return {
    url,
    host: '127.0.0.1',
    port,
    password: decodeURIComponent(new URL(url).password),
    restart: async () => {
      resume();
      await server.stop();
      server = await startManagedRedis({ dataDir, logger, port });
    },
    down: async () => {
      resume();
      await server.stop();
    },
    up: async () => {
      server = await startManagedRedis({ dataDir, logger, port });
    },
    freeze: () => process.kill(server.pid, 'SIGSTOP'),
    thaw: resume,
    stop: async () => {
      resume();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function startTestRedis(): Promise<TestRedis> {
  return (await tryContainer()) ?? (await startLocal());
}
