// Restoring a database to a restore point from the process that owns it: closes the open
// database, swaps the file for the verified copy, reopens it, and carries the run history
// over so nothing in it is lost (the ledger itself goes back with the schema it describes).
// Returns the reopened database and one RunResult (mode 'restore') like any run.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { RunResult, RunnerEvent } from '../../contract/index.js';
import { Database } from './database.js';
import { effectiveApplied, ensureLedger, readLedger, readRuns, writeRun } from './ledger.js';
import type { RestorePoints } from './restore-points.js';

export interface RestoreOptions {
  /** the open database; it is closed and a reopened one is returned */
  db: Database;
  points: RestorePoints;
  id: string;
  requestedBy?: string;
  reason?: string;
  jobId?: string;
  runId?: string;
  logger?: Logger;
  emit?: (event: RunnerEvent) => void;
}

async function currentVersion(db: Database): Promise<number> {
  return effectiveApplied(await readLedger(db.connection)).reduce((v, e) => Math.max(v, e.version), 0);
}

export async function restoreDatabase(options: RestoreOptions): Promise<{ db: Database; result: RunResult }> {
  const { points, id, logger, emit } = options;
  const runId = options.runId ?? randomUUID();
  const startedAt = new Date();
  const start = process.hrtime.bigint();
  const point = await points.get(id); // fails before anything is closed
  const fromVersion = await currentVersion(options.db);
  const history = await readRuns(options.db.connection, Number.MAX_SAFE_INTEGER);
  const path = options.db.path;
  emit?.({ type: 'run:start', runId, mode: 'restore', migrations: [], totalStatements: 0 });

  await options.db.close();
  let restoreError: unknown;
  try {
    await points.restore(id, path);
  } catch (err) {
    restoreError = err;
  }
  const db = await Database.open(path, { logger });
  const durationMs = () => Number(process.hrtime.bigint() - start) / 1e6;
  const ref = { id: point.id, path: point.path, sizeBytes: point.sizeBytes, checksum: point.checksum, createdAt: point.createdAt, version: point.version };

  await ensureLedger(db.connection);
  const known = new Set((await readRuns(db.connection, Number.MAX_SAFE_INTEGER)).map((r) => r.runId));
  for (const run of [...history].reverse()) if (!known.has(run.runId)) await writeRun(db.connection, run);

  const status = restoreError ? 'failed' : 'success';
  const toVersion = await currentVersion(db);
  const result: RunResult = {
    runId,
    mode: 'restore',
    status,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date(startedAt.getTime() + durationMs()).toISOString(),
    durationMs: durationMs(),
    fromVersion,
    toVersion,
    migrations: [],
    problems: [],
    restorePoint: ref,
    ...(restoreError ? { error: `restore from ${id} failed, the database was left as it was: ${(restoreError as Error).message}` } : {}),
  };
  await writeRun(db.connection, {
    runId,
    jobId: options.jobId ?? null,
    mode: 'restore',
    status,
    requestedBy: options.requestedBy ?? 'duckmig',
    reason: options.reason ?? null,
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
    durationMs: result.durationMs,
    fromVersion,
    toVersion,
    error: result.error ?? null,
    migrations: [],
    restorePoint: ref,
  });
  await db.checkpoint();
  logger?.info({ event: 'restore:done', id, fromVersion, toVersion, status }, 'restore finished');
  emit?.({ type: 'run:done', runId, mode: 'restore', status, durationMs: result.durationMs, applied: 0, failed: restoreError ? 1 : 0 });
  return { db, result };
}
