// The fleet worker (`duckmig worker` with DUCKMIG_DATABASES or DUCKMIG_FLEET_MANIFEST): it
// serves one shard of target files. It competes for the shard's lease; while it holds it,
// it consumes the shard queue, scans its targets (at start and every DUCKMIG_FLEET_SCAN_MS)
// and publishes their states and the ShardState; without it, it stands by. It also runs
// the fleet services (services.ts: the coordinator). close() is memoised: services stop,
// the shard queue drains (target jobs in flight finish; a second signal aborts them), the
// lease is released so a standby takes over at once, then Redis closes.
import { join } from 'node:path';
import type { Logger } from 'pino';
import { fleetKeys, type ShardState } from '../../contract/index.js';
import { redisUrlMissing } from '../../config/config-error.js';
import { redisTopology, type ConnectionSettings, type RedisConnection, type RedisTopology } from '../../config/redis-connection.js';
import { dataDirSecrets, redisUrlSecrets } from '../../config/secrets.js';
import type { FleetConfig, WorkerConfig } from '../../config/worker.js';
import type { WriteFence } from '../../core/index.js';
import type { FleetPrefixes } from '../../fleet/options.js';
import { teardown, type TeardownStep } from '../../lifecycle/teardown.js';
import { Catalog } from './catalog.js';
import { startLease, type ShardLease } from './lease.js';
import { FLEET_SERVICES, type FleetService } from './services.js';
import { shardConsumer } from './shard-consumer.js';
import { createTargetProcessor } from './target-job.js';
import type { TargetSettings } from './target-file.js';
import { applyDuckdbPriority } from '../thread-priority.js';

export interface FleetWorkerHandle {
  readonly workerId: string;
  /** graceful and idempotent: see the header */
  close(): Promise<void>;
  /** aborts the target jobs in flight (rolled back, reported as failed) */
  cancelActive(reason: string): void;
}

export interface StartFleetWorkerOptions extends FleetPrefixes {
  /** where relative globs and manifests are resolved (default: the working directory) */
  cwd?: string;
}

/** A connection of the REDIS_URL's topology (one Redis, Cluster, Sentinel); one warning when it is lost, one line when it is back. */
function connect(name: string, topology: RedisTopology, log: Logger, extra: Partial<ConnectionSettings> = {}): RedisConnection {
  const connection = topology.connect({ name: `duckmig-fleet-${name}`, maxRetriesPerRequest: null, ...extra });
  let down = false;
  connection.on('error', (err: Error) => {
    if (!down) log.warn({ event: 'redis:down', connection: name, err: { message: err.message } }, `redis at ${topology.location} unreachable (${name}); retrying`);
    down = true;
  });
  connection.on('ready', () => {
    if (down) log.info({ event: 'redis:up', connection: name }, `redis connection restored (${name})`);
    down = false;
  });
  return connection;
}

async function quit(connection: RedisConnection): Promise<void> {
  await connection.quit().catch(() => connection.disconnect());
}

export async function startFleetWorker(config: WorkerConfig, logger: Logger, options: StartFleetWorkerOptions = {}): Promise<FleetWorkerHandle> {
  const fleet: FleetConfig | null = config.fleet;
  if (!fleet) throw new Error('not a fleet worker: set DUCKMIG_DATABASES or DUCKMIG_FLEET_MANIFEST');
  const redisUrl = config.redisUrl;
  if (!redisUrl) throw redisUrlMissing('the worker');
  const topology = redisTopology(redisUrl);
  // the topology's prefixes ({duckmig}… under Cluster), unless the caller names others
  const { cwd = process.cwd(), keyPrefix = topology.keyPrefix, bullPrefix = topology.bullPrefix } = options;
  const { shard, workerId } = fleet;
  const keys = fleetKeys(keyPrefix);
  const log = logger.child({ component: 'fleet-worker', workerId, shard });

  const redis = connect('state', topology, log);
  // lease commands never wait longer than a renewal period: a silent Redis must not hide a lost lease
  const leaseRedis = connect('lease', topology, log, { commandTimeout: Math.max(200, Math.floor(fleet.leaseTtlMs / 3)), maxRetriesPerRequest: 1 });
  const bullConnection = connect('bullmq', topology, log);

  const settings: TargetSettings = {
    migrationsDir: config.migrationsDir,
    maxFileBytes: config.maxFileBytes,
    allowedPaths: config.allowedPaths,
    threads: config.duckdbThreads,
    checkpoint: config.checkpoint,
    secrets: () => [...(config.secrets ?? []), ...redisUrlSecrets(config.redisUrl), ...dataDirSecrets(config.dataDir)],
    logger: log,
    parsed: new Map(),
  };
  const catalog = new Catalog({ source: fleet.targets, cwd, shard, workerId, settings, redis, keys, logger: log });
  let lease: ShardLease | null = null;
  const fence = (): WriteFence | null => {
    const token = lease?.token ?? null;
    // valid only while the lease is held under this very token
    return token === null ? null : { shard, token, held: () => lease?.token === token };
  };
  const processor = createTargetProcessor({
    catalog,
    settings,
    shard,
    workerId,
    fence,
    restore: {
      enabled: config.restore.enabled,
      keep: config.restore.keep,
      maxBytes: config.restore.maxBytes,
      dir: (root) => fleet.restoreDir ?? join(root, '.duckmig', 'restore-points'),
    },
    redis,
    keys,
    logger: log,
  });
  const consumer = shardConsumer({
    shard,
    processor,
    connection: bullConnection,
    bullPrefix,
    concurrency: fleet.concurrency,
    lockDurationMs: config.lockDurationMs,
    stalledIntervalMs: config.stalledIntervalMs,
    redis,
    keys,
    logger: log,
  });

  const publishShard = async (token: number) => {
    const now = new Date().toISOString();
    const state: ShardState = {
      shard,
      owner: workerId,
      token,
      since: (lease?.since ?? new Date()).toISOString(),
      renewedAt: now,
      targets: catalog.size,
      migrationsId: catalog.migrationsId || (await catalog.currentMigrationsId()),
      concurrency: fleet.concurrency,
    };
    await redis.hset(keys.shards, shard, JSON.stringify(state));
  };
  const scan = (options?: { drift?: boolean }) =>
    catalog.scan(options).catch((err: unknown) => {
      log.error({ err, event: 'fleet:scan-failed' }, `shard ${shard}: scan failed: ${(err as Error)?.message}`);
      return null;
    });

  lease = startLease({
    redis: leaseRedis,
    keys,
    shard,
    workerId,
    ttlMs: fleet.leaseTtlMs,
    logger: log,
    onAcquired: async (token) => {
      // states first: a coordinator that sees the lease finds the targets; ledgers only, so the
      // consumer does not wait for every catalog (each target keeps the drift last published;
      // the next scan compares them, and every target job checks its own)
      await scan({ drift: false });
      await publishShard(token).catch((err: unknown) => log.warn({ err }, 'shard state not published'));
      await consumer.start();
    },
    onLost: (_token, why) => consumer.abandon(why),
    onRenewed: (token) => void publishShard(token).catch((err: unknown) => log.debug({ err }, 'shard state not published')),
  });
  const scanTimer = setInterval(() => {
    if (lease?.held()) void scan();
  }, fleet.scanMs);
  scanTimer.unref();

  const services: { name: string; service: FleetService }[] = [];
  const closeAll = teardown(
    [
      ...[...FLEET_SERVICES].reverse().map((entry): TeardownStep => ({ name: entry.name, limitMs: 30_000, run: () => services.find((s) => s.name === entry.name)?.service.close() })),
      { name: 'scans', limitMs: 1_000, run: () => clearInterval(scanTimer) },
      { name: 'target jobs in flight', limitMs: Infinity, run: () => consumer.drain() },
      { name: 'lease', limitMs: 3_000, run: () => lease?.release() },
      { name: 'bullmq connection', limitMs: 3_000, run: () => quit(bullConnection) },
      { name: 'lease connection', limitMs: 3_000, run: () => quit(leaseRedis) },
      { name: 'redis', limitMs: 3_000, run: () => quit(redis) },
    ],
    { logger: log, what: 'fleet worker' },
  );

  try {
    for (const entry of FLEET_SERVICES) {
      const service = await entry.start({ config, fleet, redisUrl, keyPrefix, bullPrefix, keys, redis, bullConnection, logger: log, migrationsId: () => catalog.currentMigrationsId() });
      services.push({ name: entry.name, service });
    }
  } catch (err) {
    await closeAll();
    throw err;
  }

  await applyDuckdbPriority(config.duckdbNice, log);
  if (config.lockDurationMs < fleet.leaseTtlMs) {
    // an outage that lapses a job's lock must also cost the lease, whose fence then refuses the job's commits
    log.warn(
      { event: 'fleet:lock-shorter-than-lease', lockDurationMs: config.lockDurationMs, leaseTtlMs: fleet.leaseTtlMs },
      `DUCKMIG_LOCK_DURATION_MS (${config.lockDurationMs} ms) is shorter than DUCKMIG_LEASE_TTL_MS (${fleet.leaseTtlMs} ms): a target job failed as crashed while Redis was away may still commit its migrations afterwards; keep the lock at least as long as the lease`,
    );
  }
  log.info(
    { event: 'worker:ready', mode: 'fleet', pid: process.pid, shard, workerId, redis: topology.location, concurrency: fleet.concurrency, leaseTtlMs: fleet.leaseTtlMs },
    `fleet worker ${workerId} ready for shard ${shard} (${lease.held() ? 'owner' : 'standing by for the lease'})`,
  );
  let closing: Promise<void> | null = null;
  return {
    workerId,
    cancelActive: (reason) => consumer.cancelActive(reason),
    close() {
      closing ??= (async () => {
        log.info({ event: 'worker:closing' }, 'fleet worker shutting down');
        await closeAll();
        log.info({ event: 'worker:closed' }, 'fleet worker closed');
      })();
      return closing;
    },
  };
}
