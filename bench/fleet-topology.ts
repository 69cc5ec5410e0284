// One duckmig fleet for the fleet benchmark: its own Redis (the tests' one: the product's
// managed redis-server on a free loopback port when no container engine answers), `workers` fleet worker processes (`duckmig worker`, as the
// integration tests start them), each owning its own shard directory of target files — as
// separate machines would — and a fleet run over every target in one wave, requested the
// way the API does (createFleetRun) and followed on the fleet's pub/sub channel.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { FleetEvent, fleetKeys, type FleetRun } from '../contract/index.js';
import { requestFleetRun } from '../test/support/fleet.js';
import { startTestRedis } from '../test/support/redis.js';
import { manage, type ManagedChild } from '../test/support/system.js';
import { redisCounters, type RedisCounters } from './redis-counters.js';

export interface TopologySpec {
  /** e.g. '2x1' */
  id: string;
  workers: number;
  concurrency: number;
  /** target ids, split over the workers' shards in contiguous halves */
  targets: string[];
  /** where the shards' directories and the Redis data go */
  dir: string;
  migrationsDir: string;
  /** the file every target starts as */
  template: string;
  threads: number;
}

export interface FleetTopology {
  readonly spec: TopologySpec;
  /** every target file */
  readonly files: string[];
  readonly workerPids: number[];
  readonly redisPid: number;
  /** MEMORY USAGE of the published target states (fleetKeys().targets), once every worker consumes */
  readonly targetsHashBytes: number;
  /** puts every target back to the template (untimed, between runs) */
  reset(): Promise<void>;
  counters(): Promise<RedisCounters>;
  /** a fleet run over every target in one wave of 100 %; resolves with its final record and the pub/sub bytes one subscriber received; fails when no event came for `stallMs` */
  run(stallMs: number): Promise<{ run: FleetRun; subscriberBytes: number }>;
  stop(): Promise<void>;
}

const prefixes = { keyPrefix: 'duckmig', bullPrefix: 'bull' };

/** Splits `list` into `parts` contiguous slices of near-equal size. */
export function halves<T>(list: readonly T[], parts: number): T[][] {
  return Array.from({ length: parts }, (_, k) => list.slice(Math.floor((k * list.length) / parts), Math.floor(((k + 1) * list.length) / parts)));
}

/** Puts every file back to the template (its WAL removed). */
export async function resetTargets(files: readonly string[], template: string): Promise<void> {
  for (let i = 0; i < files.length; i += 64) {
    await Promise.all(files.slice(i, i + 64).map(async (file) => (await rm(`${file}.wal`, { force: true }), await copyFile(template, file))));
  }
}

export async function startFleetTopology(spec: TopologySpec, log: (message: string) => void): Promise<FleetTopology> {
  const shards = halves(spec.targets, spec.workers).map((ids, k) => ({ name: `${spec.id}-s${k}`, dir: join(spec.dir, `s${k}`), ids }));
  const files = shards.flatMap((s) => s.ids.map((id) => join(s.dir, `${id}.duckdb`)));
  for (const s of shards) await mkdir(s.dir, { recursive: true });
  await resetTargets(files, spec.template);

  const redis = await startTestRedis();
  const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
  const sub = new Redis(redis.url, { maxRetriesPerRequest: null });
  const workers: ManagedChild[] = [];
  let targetsHashBytes = 0;
  let redisPid = 0;
  try {
    // the server's own pid, for its CPU time (INFO server names it, wherever it runs)
    redisPid = Number(/process_id:(\d+)/.exec(await conn.info('server'))?.[1] ?? 0);
    await sub.subscribe(fleetKeys(prefixes.keyPrefix).events);
    for (const s of shards) {
      const worker = manage(
        {
          name: 'worker',
          readyEvent: 'worker:ready',
          env: {
            ...process.env,
            REDIS_URL: redis.url,
            DUCKMIG_DATABASES: join(s.dir, '*.duckdb'),
            DUCKMIG_SHARD: s.name,
            DUCKMIG_WORKER_ID: `bench-${s.name}`,
            DUCKMIG_MIGRATIONS: spec.migrationsDir,
            DUCKMIG_DATA_DIR: join(spec.dir, `data-${s.name}`),
            DUCKMIG_RESTORE_POINTS: 'off',
            DUCKMIG_DUCKDB_THREADS: String(spec.threads),
            DUCKMIG_FLEET_CONCURRENCY: String(spec.concurrency),
            // the scan at lease acquisition publishes the targets; later scans would open files mid-run
            DUCKMIG_FLEET_SCAN_MS: '3600000',
            LOG_LEVEL: 'info',
          },
        },
        () => undefined,
      );
      workers.push(worker);
      await (worker as ManagedChild & { start(): Promise<void> }).start();
    }
    // a worker consumes its shard queue once it holds the lease and has published its targets
    await Promise.all(workers.map((w) => w.waitForOutput('"event":"fleet:consuming"', 300_000 + 2_000 * spec.targets.length)));
    log(`fleet ${spec.id}: ${spec.workers} worker(s) × concurrency ${spec.concurrency} consuming, ${await conn.hlen(fleetKeys(prefixes.keyPrefix).targets)} targets published`);
    targetsHashBytes = Number(await conn.call('MEMORY', 'USAGE', fleetKeys(prefixes.keyPrefix).targets, 'SAMPLES', '0'));
  } catch (err) {
    await Promise.allSettled(workers.map((w) => w.kill('SIGTERM')));
    sub.disconnect();
    conn.disconnect();
    await redis.stop();
    throw err;
  }

  return {
    spec,
    files,
    workerPids: workers.map((w) => w.pid!),
    redisPid,
    targetsHashBytes,
    reset: () => resetTargets(files, spec.template),
    counters: () => redisCounters(conn),
    async run(stallMs) {
      let subscriberBytes = 0;
      let runId: string | null = null;
      let onMessage: ((channel: Buffer, message: Buffer) => void) | undefined;
      const finished = new Promise<FleetRun>((resolve, reject) => {
        const stalled = () => reject(new Error(`fleet run ${spec.id}: no fleet event for ${stallMs} ms; workers said:\n${workers.map((w) => w.output().slice(-1500)).join('\n')}`));
        let timer = setTimeout(stalled, stallMs);
        onMessage = (_channel, message) => {
          clearTimeout(timer);
          timer = setTimeout(stalled, stallMs);
          subscriberBytes += message.length;
          if (message.indexOf('"fleet:run"') < 0) return;
          const event = FleetEvent.parse(JSON.parse(message.toString()));
          if (event.type === 'fleet:run' && event.run.id === runId && event.run.finishedAt !== undefined) {
            clearTimeout(timer);
            resolve(event.run);
          }
        };
        sub.on('messageBuffer', onMessage);
      });
      try {
        runId = await requestFleetRun(conn, prefixes, { mode: 'run', reason: 'fleet benchmark', waves: [{ name: 'all', percent: 100 }] }, 'bench');
        if (runId === null) throw new Error(`fleet ${spec.id}: another fleet run is in flight`);
        return { run: await finished, subscriberBytes };
      } finally {
        sub.off('messageBuffer', onMessage!);
      }
    },
    async stop() {
      await Promise.allSettled(workers.map((w) => w.kill('SIGTERM')));
      sub.disconnect();
      conn.disconnect();
      await redis.stop();
    },
  };
}
