// One target job from the shard queue (TargetJobData → TargetOutcome): opens that target's
// file (core Database, sandboxed), runs its pending migrations under the fleet run's id and
// the shard lease's fencing token (optionally after a restore point, whose copy's progress
// goes to the run's live channel as 'fleet:target-copy' events), or rehearses them on a
// copy, closes it, and publishes the outcome (fleetKeys().runTargets, a 'fleet:target'
// event) and the target's new state (from the run's result, not read back from the file).
// A run on a target whose schema drifted is refused ('drifted', nothing applied) unless the
// fleet run allows drift; after its work the job compares the target's schema with what its
// applied files produce (job-drift.ts), so the state it publishes carries its drift; a
// file unchanged since a check found it clean is not read again (DriftFindings).
// A target-read job (the API asking for the file's views) is target-read.ts's.
// Every end is an outcome the job returns, failures included (errorCode says why), so the
// coordinator reads them all the same way; only a job whose worker died fails (stalled →
// 'crashed', recorded by the shard's next consumer).
import { join } from 'node:path';
import type { Job } from 'bullmq';
import type { RedisConnection } from '../../config/redis-connection.js';
import type { Logger } from 'pino';
import { TargetJobData, type FleetErrorCode, type FleetEvent, type RunResult, type TargetOutcome, type TargetState } from '../../contract/index.js';
import { RestorePoints, errorExcerpt, type WriteFence } from '../../core/index.js';
import type { RunOptions } from '../../core/runner-options.js';
import type { FleetKeys } from '../../fleet/options.js';
import { publishFleetEvent } from '../../fleet/records.js';
import type { Catalog } from './catalog.js';
import { JobDrift } from './job-drift.js';
import type { DriftFinding } from './target-drift.js';
import { openTarget, TargetOpenError, type OpenedTarget, type TargetSettings } from './target-file.js';
import { processTargetRead } from './target-read.js';
import { stateOfOpen, stateOfRun, stateOfUnopened } from './target-state.js';
import type { Target } from './targets.js';

export type TargetJob = Job<TargetJobData, TargetOutcome>;

export interface RestoreOptions {
  /** the worker's setting (DUCKMIG_RESTORE_POINTS); a fleet run may override it */
  enabled: boolean;
  keep: number;
  maxBytes: number;
  /** per target: `<dir>/<target id>/` */
  dir(root: string): string;
  /** how often a copy's progress is published (default 250 ms: a small file's copy publishes none) */
  copySampleMs?: number;
}

export interface TargetJobDeps {
  catalog: Catalog;
  settings: TargetSettings;
  shard: string;
  workerId: string;
  /** the lease's fence while this worker owns the shard, else null */
  fence(): WriteFence | null;
  restore: RestoreOptions;
  redis: RedisConnection;
  keys: FleetKeys;
  logger: Logger;
}

const RESULT_CODES: Partial<Record<NonNullable<RunResult['errorCode']>, FleetErrorCode>> = {
  'migration-failed': 'migration-failed',
  'validation-failed': 'validation-failed',
  'target-invalid': 'validation-failed',
  'plan-changed': 'plan-changed',
  'restore-point-failed': 'restore-point-failed',
  'lease-lost': 'lease-lost',
  drifted: 'drifted',
  crashed: 'crashed',
};

/** A crash outcome for a job whose worker died (stalled); the wave comes from the job's data. */
export function crashedOutcome(data: TargetJobData, message: string): TargetOutcome {
  return { id: data.target, wave: data.wave, result: 'failed', fromVersion: null, toVersion: null, applied: 0, durationMs: 0, errorCode: 'crashed', error: message, finishedAt: new Date().toISOString() };
}

/** Stores the outcome in the run's hash (HSETNX for a crash: an outcome the job stored itself wins) and announces it. */
export async function publishOutcome(redis: RedisConnection, keys: FleetKeys, runId: string, outcome: TargetOutcome, onlyIfNone = false): Promise<void> {
  const json = JSON.stringify(outcome);
  const stored = onlyIfNone ? await redis.hsetnx(keys.runTargets(runId), outcome.id, json) : await redis.hset(keys.runTargets(runId), outcome.id, json);
  if (onlyIfNone && stored === 0) return;
  await publishFleetEvent(redis, keys, { type: 'fleet:target', runId, outcome });
}

/**
 * A finished job's records in one round trip (a pipeline on one connection keeps their
 * order): the outcome stored in the run's hash, then announced, and the target's new state.
 */
async function publishResult(redis: RedisConnection, keys: FleetKeys, catalog: Catalog, runId: string, outcome: TargetOutcome, state: TargetState | undefined): Promise<void> {
  const batch = redis.pipeline();
  batch.hset(keys.runTargets(runId), outcome.id, JSON.stringify(outcome));
  batch.publish(keys.events, JSON.stringify({ type: 'fleet:target', runId, outcome } satisfies FleetEvent));
  if (state) catalog.stage(state, batch);
  const failed = ((await batch.exec()) ?? []).find(([err]) => err);
  if (failed) throw failed[0];
}

export function createTargetProcessor(deps: TargetJobDeps) {
  const { catalog, settings, shard, workerId, redis, keys, logger } = deps;

  const outcomeOf = (data: TargetJobData, started: number, fields: Partial<TargetOutcome> & Pick<TargetOutcome, 'result'>): TargetOutcome => ({
    id: data.target,
    wave: data.wave,
    fromVersion: null,
    toVersion: null,
    applied: 0,
    durationMs: Math.round(performance.now() - started),
    worker: workerId,
    finishedAt: new Date().toISOString(),
    ...fields,
    ...(fields.error !== undefined && { error: errorExcerpt(fields.error, 2000) }),
  });

  const failed = (data: TargetJobData, started: number, errorCode: FleetErrorCode, error: string, extra: Partial<TargetOutcome> = {}) =>
    outcomeOf(data, started, { result: 'failed', errorCode, error, ...extra });

  /** Where a target's restore journal is: every open of its file (a job's, a read's) looks there. */
  const targetRestoreDir = (id: string) => join(deps.restore.dir(catalog.root ?? '.'), id);

  /** Runs or rehearses on the open file: the outcome, and the run's result when it ran. */
  const work = async (
    data: TargetJobData,
    jobId: string,
    target: Target,
    opened: OpenedTarget,
    drift: JobDrift,
    started: number,
    signal: AbortSignal | undefined,
  ): Promise<{ outcome: TargetOutcome; ran?: RunResult }> => {
    if (data.kind === 'target-dry-run') {
      const result = await opened.runner.dryRun({ rehearse: true, runId: data.runId, jobId, signal });
      return { outcome: outcomeFromResult(data, result, started) };
    }
    const fence = deps.fence();
    if (!fence) return { outcome: failed(data, started, 'lease-lost', `this worker no longer owns shard ${shard}: nothing was written`) };
    const result = await opened.runner.run({
      runId: data.runId,
      jobId,
      appliedBy: data.requestedBy,
      reason: data.reason,
      signal,
      fence,
      beforeApply: restoreHook(data, target, opened),
      // as the single database's run: checked only when something is pending, refused on drift unless allowed
      ...(!data.allowDrift && { driftCheck: drift.before }),
    });
    return { outcome: outcomeFromResult(data, result, started), ran: result };
  };

  /** The target's drift once the job's work is done (JobDrift.after); undefined when it could not be checked. */
  const driftAfter = async (drift: JobDrift, opened: OpenedTarget, ran: RunResult | undefined, log: Logger): Promise<DriftFinding> => {
    try {
      return await drift.after(opened.runner, opened.db.connection, ran);
    } catch (err) {
      log.warn({ err, event: 'fleet:drift-check-failed' }, `drift not checked: ${(err as Error)?.message}`);
      return undefined;
    }
  };

  const restoreHook = (data: TargetJobData, target: Target, opened: OpenedTarget): RunOptions['beforeApply'] => {
    if (!(data.restorePoints ?? deps.restore.enabled)) return undefined;
    const root = catalog.root;
    if (root === null) return undefined;
    const points = new RestorePoints({ dir: join(deps.restore.dir(root), target.id), keep: deps.restore.keep, maxBytes: deps.restore.maxBytes });
    // the copy's progress goes to the run's live channel as the single worker's goes to its job (lossy, never waited for)
    const copied = (bytesDone: number, bytes: number) =>
      void publishFleetEvent(redis, keys, { type: 'fleet:target-copy', runId: data.runId, id: target.id, bytes, bytesDone }).catch(() => undefined);
    return async ({ fromVersion, onCopied }) =>
      (await points.create(opened.db.connection, opened.db.path, { version: fromVersion, reason: `before fleet run ${data.runId}` }, { onCopied: (done, bytes) => (onCopied?.(done, bytes), copied(done, bytes)), everyMs: deps.restore.copySampleMs })) ??
      undefined;
  };

  const outcomeFromResult = (data: TargetJobData, result: RunResult, started: number): TargetOutcome => {
    const applied = result.migrations.filter((m) => m.status === 'applied').length;
    const versions = { fromVersion: result.fromVersion, toVersion: result.toVersion, applied, ...(result.restorePoint && { restorePoint: result.restorePoint.id }) };
    if (result.status === 'nothing-to-do') return outcomeOf(data, started, { result: 'nothing-to-do', ...versions });
    if (result.status === 'success') return outcomeOf(data, started, { result: data.kind === 'target-dry-run' ? 'rehearsed' : 'succeeded', ...versions });
    const leaseLost = result.errorCode === 'lease-lost' || (data.kind === 'target-run' && deps.fence() === null);
    const code: FleetErrorCode = leaseLost ? 'lease-lost' : result.status === 'cancelled' ? 'crashed' : (RESULT_CODES[result.errorCode ?? 'internal'] ?? 'internal');
    const why = result.status === 'cancelled' && !leaseLost ? `cancelled: the worker was shutting down; ${result.error ?? ''}` : (result.error ?? result.status);
    return failed(data, started, code, why, versions);
  };

  return async function processTargetJob(job: TargetJob, _token: string | undefined, signal: AbortSignal | undefined): Promise<TargetOutcome> {
    const started = performance.now();
    const parsed = TargetJobData.safeParse(job.data);
    if (!parsed.success) {
      // nothing to run: the coordinator still gets an outcome under the id it sent, if any
      const raw = job.data as Partial<TargetJobData>;
      return { id: String(raw.target ?? 'unknown'), wave: Number(raw.wave ?? 0), result: 'failed', fromVersion: null, toVersion: null, applied: 0, durationMs: 0, worker: workerId, errorCode: 'internal', error: 'invalid target job data', finishedAt: new Date().toISOString() };
    }
    const data = parsed.data;
    const jobId = job.id ?? `${data.runId}--${data.target}`;
    if (data.kind === 'target-read') return processTargetRead({ catalog, settings, workerId, redis, keys, restoreDir: targetRestoreDir }, data, jobId);
    const log = logger.child({ jobId, runId: data.runId, target: data.target });
    let outcome: TargetOutcome;
    let state: TargetState | undefined;
    // the target's catalog, read for its drift (0 when a finding still stood for the file)
    let catalogsRead = 0;
    let files: Awaited<ReturnType<Catalog['currentFiles']>> | undefined;

    if (job.attemptsStarted > 1 || job.stalledCounter > 0) {
      outcome = failed(data, started, 'crashed', 'this target job already started once (its worker died): never run twice; start a new fleet run for what is pending');
    } else {
      const target = await catalog.find(data.target);
      if (!target) {
        outcome = failed(data, started, 'target-missing', `target ${data.target} is not in shard ${shard} any more (deleted or renamed?)`);
      } else if (data.migrationsId !== undefined && data.migrationsId !== (files = await catalog.currentFiles()).migrationsId) {
        outcome = failed(data, started, 'plan-changed', `this worker's migration files (id ${files.migrationsId.slice(0, 12)}…) are not the ones the fleet run pinned (${data.migrationsId.slice(0, 12)}…): nothing was applied`);
      } else {
        // one scan of the files per job: the pinned id was checked on it, and the runner runs it
        const current = files ?? (await catalog.currentFiles());
        const source = current.source;
        ({ outcome, state } = await catalog.exclusive(target.id, async () => {
          void announceStart(data).catch(() => undefined);
          const ctx = { shard, owner: workerId, previous: catalog.state(target.id) };
          let opened: OpenedTarget;
          try {
            opened = await openTarget(target.file, settings, source, targetRestoreDir(target.id));
          } catch (err) {
            if (!(err instanceof TargetOpenError)) throw err;
            const o = failed(data, started, err.code, err.message);
            return { outcome: o, state: stateOfUnopened(target, ctx, err, { runId: data.runId, outcome: o }) };
          }
          const drift = new JobDrift(catalog, target, current);
          try {
            const { outcome: o, ran } = await work(data, jobId, target, opened, drift, started, signal);
            const done = { runId: data.runId, outcome: o };
            const found = await driftAfter(drift, opened, ran, log);
            // a run's result says where the target stands; only a rehearsal or a refused job reads the ledger
            const s = ran ? stateOfRun(target, ctx, ran, done, found) : await stateOfOpen(target, opened, ctx, done, found).catch(() => undefined);
            return { outcome: o, state: s };
          } catch (err) {
            log.error({ err, event: 'fleet:target-crashed' }, `target ${target.id}: ${(err as Error)?.message}`);
            return { outcome: failed(data, started, 'internal', `the target job ended without a result: ${(err as Error)?.message ?? String(err)}`), state: undefined };
          } finally {
            const closing = await drift.closing(opened.db);
            await opened.db.close();
            drift.closed(closing);
            catalogsRead = drift.catalogsRead;
          }
        }));
      }
    }

    await publishResult(redis, keys, catalog, data.runId, outcome, state).catch((err: unknown) => log.warn({ err }, 'target outcome or state not published'));
    log.info(
      { event: 'fleet:target-done', result: outcome.result, errorCode: outcome.errorCode, fromVersion: outcome.fromVersion, toVersion: outcome.toVersion, durationMs: outcome.durationMs, catalogsRead },
      `target ${data.target}: ${outcome.result}${outcome.errorCode ? ` (${outcome.errorCode})` : ''}`,
    );
    return outcome;
  };

  async function announceStart(data: TargetJobData): Promise<void> {
    await publishFleetEvent(redis, keys, { type: 'fleet:target-start', runId: data.runId, id: data.target, wave: data.wave, worker: workerId });
  }
}
