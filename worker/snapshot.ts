// What the worker tells the API about itself and its database, so the API never opens
// the DuckDB file: the status snapshot (runner.status() + recent runs + worker info,
// published at start-up and after every job; pending migrations without their SQL), the
// pending migrations' previewed statements (one Redis list per file checksum, paged by the
// API), the plan links that let the API name what changed since a pinned plan, and the
// heartbeat (a key refreshed every HEARTBEAT_INTERVAL_MS that expires after
// HEARTBEAT_TTL_MS, naming the job in progress). A new snapshot, the first beat and the
// last one are also announced on the state-changed channel, so the API pushes them at once.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RedisConnection } from '../config/redis-connection.js';
import type { Logger } from 'pino';
import {
  EMPTY_PLAN_ID,
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_TTL_MS,
  type Heartbeat,
  type PendingMigration,
  type PlanLink,
  type RestorePointRef,
  type WorkerInfo,
  type WorkerSnapshot,
} from '../contract/index.js';
import type { MigrationFile, MigrationRunner } from '../core/index.js';
import { fileChunks, previewStatement } from '../core/preview.js';

/** How many runs of the database's history the snapshot carries. */
export const SNAPSHOT_RUNS = 50;

/** duckmig's version from the nearest package.json (works from source and from dist/). */
export function duckmigVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'duckmig' && pkg.version) return pkg.version;
    } catch {
      // not here: look one level up
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

export function workerInfo(id: string): WorkerInfo {
  return { id, pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), version: duckmigVersion() };
}

/**
 * Reads the snapshot from the database (the drift report is the publisher's to add); only
 * call it while no job uses the connection.
 * With `sameStatus` (after a run that had nothing to do, which changes only the run
 * history) the status is reused and only the runs are read again.
 */
export async function buildSnapshot(
  runner: MigrationRunner,
  worker: WorkerInfo,
  sameStatus?: WorkerSnapshot['status'],
  restorePoints: RestorePointRef[] = [],
  withPending?: (files: readonly MigrationFile[]) => Promise<void>,
): Promise<WorkerSnapshot> {
  const status = sameStatus ?? (await runner.status({ withPending }));
  const [runs, approvals] = [await runner.listRuns(SNAPSHOT_RUNS), await runner.listApprovals(SNAPSHOT_RUNS)];
  // each run that needed approval says who approved it (the approvals share the run's id)
  const byRun = new Map(approvals.map((a) => [a.runId, a]));
  const withApproval = runs.map((run) => (byRun.has(run.runId) ? { ...run, approval: byRun.get(run.runId)! } : run));
  return { worker, publishedAt: new Date().toISOString(), status, runs: withApproval, restorePoints, drift: null, approvals };
}

/** Stores the snapshot and announces it on `changedChannel` (the API's live channel pushes it). */
export async function publishSnapshot(redis: RedisConnection, key: string, snapshot: WorkerSnapshot, changedChannel: string): Promise<void> {
  await redis.multi().set(key, JSON.stringify(snapshot)).publish(changedChannel, snapshot.publishedAt).exec();
}

/** How long previews and plan links stay after the last snapshot that listed them. */
const PREVIEW_TTL_MS = 7 * 24 * 3600 * 1000;
/** The most statements of one pending migration kept for paging (each capped in size). */
export const SQL_PREVIEW_STATEMENTS = 5_000;
const PUSH_BATCH = 500;

/**
 * Publishes each pending file's text, one capped piece per statement (comments included,
 * as written), under its checksum (written once per file version, then only kept alive),
 * so the API pages through it without the worker.
 */
export async function publishPendingSql(redis: RedisConnection, keyFor: (checksum: string) => string, files: readonly MigrationFile[]): Promise<void> {
  for (const file of files) {
    const key = keyFor(file.checksum);
    if ((await redis.pexpire(key, PREVIEW_TTL_MS)) === 1) continue;
    const listed = fileChunks(file).slice(0, SQL_PREVIEW_STATEMENTS);
    const staging = `${key}:writing`;
    await redis.del(staging);
    for (let i = 0; i < listed.length; i += PUSH_BATCH) {
      await redis.rpush(staging, ...listed.slice(i, i + PUSH_BATCH).map((s, j) => JSON.stringify(previewStatement(s, i + j))));
    }
    // readers see the whole list or none of it
    if (listed.length > 0) await redis.multi().rename(staging, key).pexpire(key, PREVIEW_TTL_MS).exec();
  }
}

/** Stores the plan links of every prefix of the pending list (what `plan` ids a run may pin). */
export async function publishPlans(redis: RedisConnection, key: string, pending: readonly PendingMigration[]): Promise<void> {
  if (pending.length === 0) return;
  const fields: string[] = [];
  let previous = EMPTY_PLAN_ID;
  for (const m of pending) {
    const link: PlanLink = { previous, version: m.version, name: m.name, file: m.file, checksum: m.checksum };
    fields.push(m.planId, JSON.stringify(link));
    previous = m.planId;
  }
  await redis.multi().hset(key, ...fields).pexpire(key, PREVIEW_TTL_MS).exec();
}

export interface HeartbeatOptions {
  redis: RedisConnection;
  key: string;
  workerId: string;
  /** the job in progress, read at every beat */
  busyWith: () => string | null;
  intervalMs?: number;
  ttlMs?: number;
  logger?: Logger;
  /** pub/sub channel told when the worker comes online (first beat) and goes offline (stop) */
  changedChannel?: string;
}

export interface HeartbeatHandle {
  /** beat now (e.g. when a job starts or ends) */
  beat(): Promise<void>;
  /** stops beating and deletes the key, so the API reports the worker offline at once */
  stop(): Promise<void>;
}

export function startHeartbeat(options: HeartbeatOptions): HeartbeatHandle {
  const { redis, key, workerId, busyWith, intervalMs = HEARTBEAT_INTERVAL_MS, ttlMs = HEARTBEAT_TTL_MS, logger, changedChannel } = options;
  let inFlight: Promise<void> | null = null;
  let stopped = false;
  let announced = false;
  const announce = async (what: string) => {
    if (changedChannel) await redis.publish(changedChannel, what);
  };

  const beat = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    // while Redis is away a write may wait for the reconnect; never pile up more of them
    inFlight ??= (async () => {
      const heartbeat: Heartbeat = { workerId, at: new Date().toISOString(), busyWith: busyWith() };
      try {
        await redis.set(key, JSON.stringify(heartbeat), 'PX', ttlMs);
        if (!announced) {
          announced = true;
          await announce('online');
        }
      } catch (err) {
        logger?.warn({ err }, 'heartbeat not written');
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  };

  const timer = setInterval(() => void beat(), intervalMs);
  timer.unref();
  void beat();

  return {
    beat,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await inFlight;
      try {
        // only our own heartbeat: another worker may already have taken over the key
        const current = await redis.get(key);
        if (current && (JSON.parse(current) as Heartbeat).workerId === workerId) {
          await redis.del(key);
          await announce('offline');
        }
      } catch (err) {
        logger?.warn({ err }, 'heartbeat key not removed');
      }
    },
  };
}
