// What the worker tells the API about itself and its database, so the API never opens
// the DuckDB file: the status snapshot (runner.status() + recent runs + worker info,
// published at start-up and after every job) and the heartbeat (a key refreshed every
// HEARTBEAT_INTERVAL_MS that expires after HEARTBEAT_TTL_MS, naming the job in progress).
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_TTL_MS,
  type Heartbeat,
  type RestorePointRef,
  type WorkerInfo,
  type WorkerSnapshot,
} from '../contract/index.js';
import type { MigrationRunner } from './runner/index.js';

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
 * Reads the snapshot from the database; only call it while no job uses the connection.
 * With `sameStatus` (after a run that had nothing to do, which changes only the run
 * history) the status is reused and only the runs are read again.
 */
export async function buildSnapshot(
  runner: MigrationRunner,
  worker: WorkerInfo,
  sameStatus?: WorkerSnapshot['status'],
  restorePoints: RestorePointRef[] = [],
): Promise<WorkerSnapshot> {
  const status = sameStatus ?? (await runner.status());
  const runs = await runner.listRuns(SNAPSHOT_RUNS);
  return { worker, publishedAt: new Date().toISOString(), status, runs, restorePoints };
}

export async function publishSnapshot(redis: Redis, key: string, snapshot: WorkerSnapshot): Promise<void> {
  await redis.set(key, JSON.stringify(snapshot));
}

export interface HeartbeatOptions {
  redis: Redis;
  key: string;
  workerId: string;
  /** the job in progress, read at every beat */
  busyWith: () => string | null;
  intervalMs?: number;
  ttlMs?: number;
  logger?: Logger;
}

export interface HeartbeatHandle {
  /** beat now (e.g. when a job starts or ends) */
  beat(): Promise<void>;
  /** stops beating and deletes the key, so the API reports the worker offline at once */
  stop(): Promise<void>;
}

export function startHeartbeat(options: HeartbeatOptions): HeartbeatHandle {
  const { redis, key, workerId, busyWith, intervalMs = HEARTBEAT_INTERVAL_MS, ttlMs = HEARTBEAT_TTL_MS, logger } = options;
  let inFlight: Promise<void> | null = null;
  let stopped = false;

  const beat = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    // while Redis is away a write may wait for the reconnect; never pile up more of them
    inFlight ??= (async () => {
      const heartbeat: Heartbeat = { workerId, at: new Date().toISOString(), busyWith: busyWith() };
      try {
        await redis.set(key, JSON.stringify(heartbeat), 'PX', ttlMs);
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
        if (current && (JSON.parse(current) as Heartbeat).workerId === workerId) await redis.del(key);
      } catch (err) {
        logger?.warn({ err }, 'heartbeat key not removed');
      }
    },
  };
}
