// Real Redis topologies on loopback for tests, in a temp dir each: a Redis Cluster (three
// `redis-server --cluster-enabled yes` masters joined by `redis-cli --cluster create`,
// ready once every node reports cluster_state:ok) and a Sentinel group (one master and
// two `redis-server --sentinel` watching it). Both require a password. Their `url` is the
// REDIS_URL form duckmig reads (redis+cluster://, redis+sentinel://); they fit where a
// TestRedis is expected (startSystem's `redis`), minus restart/down/freeze.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freeLoopbackPort } from '../../cli/managed-redis.js';
import type { TestRedis } from './redis.js';

export interface TestTopology extends TestRedis {
  /** the loopback ports of the data nodes (cluster masters, or the sentinel group's master) */
  nodePorts: number[];
}

const READY_TIMEOUT_MS = 20_000;

/** A port whose cluster bus port (port + 10000) is free too. */
async function clusterPort(): Promise<number> {
  for (;;) {
    const port = await freeLoopbackPort();
    if (port + 10_000 > 65_535) continue;
    const probe = createServer();
    const busFree = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(port + 10_000, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (busFree) return port;
  }
}

/** Starts a redis-server (or sentinel) and resolves once its log says `ready`. */
async function startServer(args: string[], ready: string): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`redis-server ${args[0]} not ready within ${READY_TIMEOUT_MS} ms: ${output.slice(-800)}`)), READY_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(ready)) done();
    };
    const onExit = (code: number | null) => fail(new Error(`redis-server ${args[0]} exited with code ${code}: ${output.slice(-800)}`));
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
    };
    const done = () => (cleanup(), resolve());
    const fail = (err: Error) => {
      cleanup();
      child.kill('SIGKILL');
      reject(err);
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', fail);
  });
  return child;
}

async function stopServers(children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      if ((await Promise.race([exited.then(() => 'exited'), delay(5_000, 'hung')])) === 'hung') child.kill('SIGKILL');
    }),
  );
}

function unsupported(what: string): () => never {
  return () => {
    throw new Error(`${what} is not supported on a test cluster or sentinel group`);
  };
}

function topology(url: string, nodePorts: number[], password: string, stop: () => Promise<void>): TestTopology {
  return {
    url,
    host: '127.0.0.1',
    port: nodePorts[0]!,
    password,
    nodePorts,
    restart: () => Promise.reject(new Error('restart() is not supported on a test cluster or sentinel group')),
    down: () => Promise.reject(new Error('down() is not supported on a test cluster or sentinel group')),
    up: () => Promise.reject(new Error('up() is not supported on a test cluster or sentinel group')),
    freeze: unsupported('freeze()'),
    thaw: () => undefined,
    stop,
  };
}

/** Polls CLUSTER INFO of a node until it says cluster_state:ok (Redis announces it nowhere else). */
async function waitForClusterOk(port: number, password: string): Promise<void> {
  const client = new Redis({ host: '127.0.0.1', port, password, maxRetriesPerRequest: 1 });
  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!/cluster_state:ok/.test(String(await client.cluster('INFO')))) {
      if (Date.now() > deadline) throw new Error(`the node on ${port} did not reach cluster_state:ok within ${READY_TIMEOUT_MS} ms`);
      await delay(50);
    }
  } finally {
    client.disconnect();
  }
}

/** A three-master Redis Cluster (no replicas) on loopback; `url` is its redis+cluster:// REDIS_URL. */
export async function startTestCluster(masters = 3): Promise<TestTopology> {
  const dir = mkdtempSync(join(tmpdir(), 'duckmig-cluster-'));
  const password = randomBytes(16).toString('hex');
  const children: ChildProcess[] = [];
  const stop = async () => {
    await stopServers(children);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < masters; i++) ports.push(await clusterPort());
    for (const port of ports) {
      const conf = join(dir, `node-${port}.conf`);
      writeFileSync(conf, `requirepass ${password}\nmasterauth ${password}\n`, { mode: 0o600 });
      children.push(
        await startServer(
          [conf, '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir, '--save', '', '--appendonly', 'no'],
          'Ready to accept connections',
        ),
      );
    }
    const create = spawn('redis-cli', ['--no-auth-warning', '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
      env: { ...process.env, REDISCLI_AUTH: password },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    create.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    create.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(create, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`redis-cli --cluster create failed (${code}): ${output.slice(-800)}`);
    await Promise.all(ports.map((port) => waitForClusterOk(port, password)));
    return topology(`redis+cluster://:${password}@${ports.map((p) => `127.0.0.1:${p}`).join(',')}`, ports, password, stop);
  } catch (err) {
    await stop();
    throw err;
  }
}

/** One password-protected master watched by two sentinels as "duckmig-master"; `url` is its redis+sentinel:// REDIS_URL. */
export async function startTestSentinels(masterName = 'duckmig-master'): Promise<TestTopology> {
  const dir = mkdtempSync(join(tmpdir(), 'duckmig-sentinel-'));
  const password = randomBytes(16).toString('hex');
  const children: ChildProcess[] = [];
  const stop = async () => {
    await stopServers(children);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const masterPort = await freeLoopbackPort();
    const masterConf = join(dir, 'master.conf');
    writeFileSync(masterConf, `requirepass ${password}\n`, { mode: 0o600 });
    children.push(await startServer([masterConf, '--port', String(masterPort), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], 'Ready to accept connections'));
    const sentinelPorts = [await freeLoopbackPort(), await freeLoopbackPort()];
    for (const port of sentinelPorts) {
      // a sentinel rewrites its config file, so each gets its own
      const conf = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 1`,
          `sentinel auth-pass ${masterName} ${password}`,
          `sentinel down-after-milliseconds ${masterName} 60000`,
          '',
        ].join('\n'),
        { mode: 0o600 },
      );
      children.push(await startServer([conf, '--sentinel'], `+monitor master ${masterName}`));
    }
    return topology(`redis+sentinel://:${password}@${sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',')}/${masterName}`, [masterPort], password, stop);
  } catch (err) {
    await stop();
    throw err;
  }
}
