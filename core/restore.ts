// Restoring a database to a restore point from the process that owns it. First the state it
// replaces becomes a restore point (so a restore can be undone), then the file is swapped under
// a journal (restore-journal.ts): the verified copy is staged and fsynced, the database closed,
// the previous file kept under a second name, the copy renamed into place, the restored file
// reopened, the run history carried over and the restore recorded; only then does the previous
// file go. A failure rolls the swap back and reopens the previous database; a crash is settled
// by the next open. Returns the open database and one RunResult (mode 'restore') like any run,
// and reports its phases (restore point, copying, swapping, recording) as events.
// Why a file swap and not a restore inside DuckDB: docs/operations.md, "How a restore swaps the file".
import { randomUUID } from 'node:crypto';
import { access, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { RestorePointRef, RunPhaseName, RunResult, RunnerEvent } from '../contract/index.js';
import { Database, recoverWal } from './database.js';
import { effectiveApplied, Ledger } from './ledger.js';
import { recordFinishedRun } from './finished-run.js';
import { advanceSwap, beginSwap, finishSwap, keepPrevious, releaseSwap, rollBackSwap, syncPath, type SwapFiles } from './restore-journal.js';
import { RestorePointError, type RestorePoint, type RestorePoints } from './restore-points.js';

/** The steps of the swap, in order; `onStep` is called after each (tests inject crashes there). */
export const RESTORE_STEPS = ['staged', 'closed', 'linked', 'swapped', 'reopened', 'recorded'] as const;
export type RestoreStep = (typeof RESTORE_STEPS)[number];

export interface RestoreOptions {
  /** the open database; it is closed and a reopened one is returned */
  db: Database;
  points: RestorePoints;
  id: string;
  requestedBy?: string;
  reason?: string;
  jobId?: string;
  /** the run's id (the worker passes the job id); minted when not given */
  runId?: string;
  logger?: Logger;
  emit?: (event: RunnerEvent) => void;
  /** called after each step of the swap; only tests use it (restore-settings.ts) */
  onStep?: (step: RestoreStep) => void;
}

async function currentVersion(db: Database): Promise<number> {
  return effectiveApplied(await new Ledger(db.connection).read()).reduce((v, e) => Math.max(v, e.version), 0);
}

const exists = (path: string) => access(path).then(() => true, () => false);

function refOf(point: RestorePoint): RestorePointRef {
  const { id, path, sizeBytes, checksum, createdAt, version, reason } = point;
  return { id, path, sizeBytes, checksum, createdAt, version, reason };
}

export async function restoreDatabase(options: RestoreOptions): Promise<{ db: Database; result: RunResult }> {
  const { points, id, logger, emit, onStep } = options;
  const runId = options.runId ?? randomUUID();
  const startedAt = new Date();
  const start = process.hrtime.bigint();
  const path = options.db.path;
  const point = await points.get(id, path); // unknown or another database's: refused before anything is touched
  const fromVersion = await currentVersion(options.db);
  const history = await new Ledger(options.db.connection).runs.list(Number.MAX_SAFE_INTEGER);
  emit?.({ type: 'run:start', runId, mode: 'restore', migrations: [], totalStatements: 0 });
  const phase = (name: RunPhaseName, bytes?: number, bytesDone?: number) =>
    emit?.({ type: 'phase', runId, phase: name, ...(bytes !== undefined && { bytes }), ...(bytesDone !== undefined && { bytesDone }) });
  /** a copy's bytes as it goes, reported as its phase again */
  const copying = (name: RunPhaseName) => ({ onCopied: (done: number, bytes: number) => phase(name, bytes, done) });

  phase('restore-point', options.db.sizeBytes);

  // the state this restore replaces, kept first so that the restore can be undone
  const undo = await points
    .create(options.db.connection, path, { version: fromVersion, reason: `before restoring ${id}`, ignoreSizeLimit: true, protect: [id] }, copying('restore-point'))
    .catch((err: unknown) => {
      throw new RestorePointError(`no restore point of the current state could be taken, so nothing was restored: ${(err as Error).message}`, { cause: err });
    });
  const undoPoint = undo ? refOf(undo) : undefined;
  logger?.info({ event: 'restore-point:created', id: undo?.id, reason: 'before restore' }, `restore point ${undo?.id} of the current state taken`);

  let db = options.db;
  let open = true;
  let files: SwapFiles | null = null;
  let restoreError: unknown;
  const durationMs = () => Number(process.hrtime.bigint() - start) / 1e6;

  const record = async (status: 'success' | 'failed'): Promise<RunResult> => {
    const ledger = new Ledger(db.connection);
    await ledger.ensure();
    // the run history is the operators' record: the restored file gets every run it lacks
    const known = new Set((await ledger.runs.list(Number.MAX_SAFE_INTEGER)).map((r) => r.runId));
    for (const run of [...history].reverse()) if (!known.has(run.runId)) await ledger.runs.write(run);
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
      restorePoint: refOf(point),
      ...(undoPoint && { undoPoint }),
      ...(restoreError
        ? { error: `restore from ${id} failed, the database was left as it was: ${(restoreError as Error).message}`, errorCode: 'restore-failed' as const }
        : {}),
    };
    await recordFinishedRun(ledger, result, options);
    await db.checkpoint();
    return result;
  };

  let result: RunResult;
  try {
    files = await beginSwap(path, id);
    phase('copying', point.sizeBytes);
    await points.stage(point, files.staging, copying('copying'));
    onStep?.('staged');
    phase('swapping');
    await db.close();
    open = false;
    onStep?.('closed');
    // a WAL left beside the previous file would be replayed onto the restored one: fold it in first
    if (await exists(files.wal)) await recoverWal(path);
    await advanceSwap(files, id, 'swapping');
    await keepPrevious(files);
    onStep?.('linked');
    await rename(files.staging, path);
    await syncPath(dirname(path));
    onStep?.('swapped');
    db = await Database.open(path, { logger, allowedPaths: options.db.allowedPaths, threads: options.db.threads });
    open = true;
    onStep?.('reopened');
    phase('recording');
    result = await record('success');
    await advanceSwap(files, id, 'recorded');
    onStep?.('recorded');
  } catch (err) {
    restoreError = err;
    if (open && db !== options.db) {
      await db.close(); // the restored file is being given up
      open = false;
    }
    if (files) {
      const swap = files;
      await rollBackSwap(swap).catch((rollBackError: unknown) => {
        releaseSwap(swap); // the next open settles it
        throw rollBackError;
      });
    }
    if (!open) db = await Database.open(path, { logger, allowedPaths: options.db.allowedPaths, threads: options.db.threads });
    result = await record('failed');
  }
  if (!restoreError && files) {
    await finishSwap(files).catch((err: unknown) => logger?.warn({ err, event: 'restore:cleanup-failed' }, 'the restore is complete, but the previous file could not be removed'));
  }
  logger?.info({ event: 'restore:done', id, fromVersion, toVersion: result.toVersion, status: result.status, undoPoint: undo?.id }, 'restore finished');
  emit?.({ type: 'run:done', runId, mode: 'restore', status: result.status, durationMs: result.durationMs, applied: 0, failed: restoreError ? 1 : 0 });
  return { db, result };
}
