// The fleet-run coordinator: the processor of FLEET_QUEUE jobs (one per fleet run), a
// BullMQ step job. Step 'plan' resolves the selection into waves and refuses a run whose
// shards' owners disagree on the migration files (or differ from the pinned id); step
// 'dispatch' applies control requests, then adds the wave's target jobs to their shard
// queues as children of this job and waits for them (moveToWaitingChildren); step
// 'collect' waits for any of them still in flight, reads their outcomes, applies the halt
// rule, and goes on with the next wave. The step lives in the job's data and the counts in
// the FleetRun record, so a coordinator whose worker died resumes where it was; target job
// ids are deterministic, so dispatching a wave again adds nothing. A coordinator that lost
// the job's lock never ends the run on the error: the one that takes the job up goes on. A
// paused run polls its controls by moving itself to the delayed set. The run's start, each
// wave's start and end, and the run's end are announced to webhooks (run-notifications.ts).
// docs/fleet.md ("Fleet runs") explains the choices.
import { DelayedError, UnrecoverableError, WaitingChildrenError, type Job, type Queue } from 'bullmq';
import type { Logger } from 'pino';
import { FleetJobData, HaltRule, STALLED_FAILED_REASON, type FleetErrorCode, type FleetRun, type NotificationInput, type ShardState, type TargetJobData, type TargetOutcome } from '../../contract/index.js';
import { errorExcerpt } from '../../core/index.js';
import { finishedStatus, haltReason, plannedRun, shardOffline, TERMINAL, withWave } from './run-record.js';
import type { FleetRunStore } from '../../fleet/records.js';
import { fleetRunEnded, fleetRunStarted, fleetWaveFinished, fleetWaveStarted } from './run-notifications.js';
import { planWaves, type PlannedTarget, type PlannedWave } from './waves.js';

export interface CoordinatorStep {
  phase: 'plan' | 'dispatch' | 'collect';
  /** the wave being dispatched or collected */
  wave: number;
  /** the planned waves (set by 'plan') */
  waves?: PlannedWave[];
  /** ids a skip control named, not dispatched */
  skip: string[];
  paused?: { by: string };
  cancelled?: { by: string };
  /** when the wave in flight was dispatched (ms): shards never seen count as offline from then */
  dispatchedAt?: number;
}

export type CoordinatorJobData = FleetJobData & { step?: CoordinatorStep };
export type CoordinatorJob = Job<CoordinatorJobData, FleetRun, string>;

export interface CoordinatorDeps {
  store: FleetRunStore;
  /** the queue of a shard's target jobs */
  shardQueue: (shard: string) => Queue;
  offlineAfterMs: number;
  /** how often a paused run looks for resume or cancel */
  pausePollMs: number;
  /** the coordinator Worker's lockDuration (BullMQ's default 30 s) */
  lockDurationMs?: number;
  logger: Logger;
  now?: () => number;
  /** announces the run's start, waves and end to webhooks (notify/notifier.ts); never throws */
  notify?: (input: NotificationInput) => Promise<void>;
}

/** A target job's id: one per target and run, so a target appears once per run. */
export const targetJobId = (runId: string, target: string) => `${runId}--${target}`;

/** Target job ids back from BullMQ job keys (`<prefix>:<queue>:<jobId>`). */
function byTarget<T>(runId: string, values: Record<string, T>): Map<string, T> {
  const marker = `:${runId}--`;
  const map = new Map<string, T>();
  for (const [key, value] of Object.entries(values)) {
    const at = key.indexOf(marker);
    if (at >= 0) map.set(key.slice(at + marker.length), value);
  }
  return map;
}

/**
 * Finished target jobs are kept an hour, for inspection: the run's record and its outcomes
 * are the history, and a dispatch replayed after that (a coordinator that died in between)
 * still runs no target twice, since it leaves out targets with an outcome.
 */
const KEEP_FINISHED_TARGET_JOBS = { age: 3600 };

export function createCoordinator(deps: CoordinatorDeps) {
  const { store, shardQueue, offlineAfterMs, pausePollMs, logger, notify = async () => undefined } = deps;
  const now = deps.now ?? Date.now;
  const iso = () => new Date(now()).toISOString();

  const outcome = (target: PlannedTarget | string, wave: number, result: TargetOutcome['result'], errorCode?: FleetErrorCode, error?: string): TargetOutcome => ({
    id: typeof target === 'string' ? target : target.id,
    wave,
    result,
    fromVersion: null,
    toVersion: null,
    applied: 0,
    durationMs: 0,
    ...(errorCode && { errorCode }),
    ...(error && { error: errorExcerpt(error) }),
    finishedAt: iso(),
  });

  return async function coordinateFleetRun(job: CoordinatorJob, token?: string): Promise<FleetRun> {
    const log = logger.child({ fleetRun: job.id });
    const parsed = FleetJobData.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid fleet run request: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    if (!token) throw new UnrecoverableError('the coordinator needs its job lock token');
    const data = parsed.data;
    const runId = data.runId;
    const halt = HaltRule.parse(data.halt ?? {});
    let run: FleetRun = (await store.read(runId)) ?? {
      id: runId,
      mode: data.mode,
      status: 'queued',
      requestedBy: data.requestedBy,
      ...(data.reason !== undefined && { reason: data.reason }),
      createdAt: iso(),
      halt,
      waves: [],
      counts: { targets: 0, succeeded: 0, failed: 0, skipped: 0, pending: 0 },
      ...(data.retryOf !== undefined && { retryOf: data.retryOf }),
    };
    if (TERMINAL.has(run.status)) {
      await store.clearActive(runId);
      return run;
    }
    let step: CoordinatorStep = job.data.step ?? { phase: 'plan', wave: 0, skip: [] };
    const saveStep = async (next: CoordinatorStep) => {
      step = next;
      await job.updateData({ ...job.data, step });
    };

    /** Applies control requests to the step (kept in the job data), then trims them. */
    const applyControls = async () => {
      const { controls, read } = await store.controls(runId);
      if (read === 0) return;
      const next: CoordinatorStep = { ...step, skip: [...step.skip] };
      for (const c of controls) {
        if (c.action === 'pause') next.paused = { by: c.requestedBy };
        else if (c.action === 'resume') delete next.paused;
        else if (c.action === 'cancel') next.cancelled = { by: c.requestedBy };
        else next.skip.push(...(c.ids ?? []));
        log.info({ event: 'fleet:control', action: c.action, requestedBy: c.requestedBy }, `fleet run ${runId}: ${c.action} requested by ${c.requestedBy}`);
      }
      await saveStep(next);
      await store.trimControls(runId, read);
    };

    /** Ends the run: the waves from `from` on are skipped (their targets recorded as skipped). */
    const finish = async (status: FleetRun['status'], reason?: string, from?: number): Promise<FleetRun> => {
      for (const wave of step.waves?.slice(from ?? Infinity) ?? []) {
        const why = reason ? `not run: ${reason}` : 'not run';
        const known = await store.outcomes(runId, wave.targets.map((t) => t.id));
        await store.record(runId, wave.targets.filter((t) => !known.has(t.id)).map((t) => outcome(t, wave.index, 'skipped', undefined, why)));
        const all = await store.outcomes(runId, wave.targets.map((t) => t.id));
        run = withWave(run, wave.index, [...all.values()], { status: 'skipped' });
      }
      const { pausedBy: _unpaused, ...rest } = run;
      run = { ...rest, status, finishedAt: iso(), ...(reason !== undefined && { haltReason: reason }) };
      // the fleet is free before anyone hears of the end: a client may request the next run at once
      await store.clearActive(runId);
      await store.save(run);
      log.info({ event: 'fleet:run-done', status, counts: run.counts, haltReason: reason }, `fleet run ${runId} ${status}${reason ? `: ${reason}` : ''}`);
      const outcomes = await store.allOutcomes(runId).catch(() => []);
      await notify(fleetRunEnded(run, outcomes));
      return run;
    };

    const plan = async (): Promise<FleetRun | null> => {
      await applyControls();
      const targets = await store.targets();
      const only = data.retryOf ? await store.failedTargets(data.retryOf) : undefined;
      const planned = planWaves(targets, {
        select: data.select,
        waves: data.waves,
        ...(data.mode === 'dry-run' && data.sample !== undefined && { sample: data.sample }),
        skip: new Set(step.skip),
        ...(only && { only }),
      });
      const shards = await store.shards();
      const owning = [...new Set(planned.waves.flatMap((w) => w.targets.map((t) => t.shard)))].sort();
      const refusal = disagreement(owning, shards, data.migrationsId);
      const agreed = owning.map((s) => shards.get(s)?.migrationsId).find((id) => id !== undefined) ?? data.migrationsId;
      run = plannedRun({ ...run, halt, ...(agreed !== undefined && { migrationsId: agreed }) }, planned, iso());
      await store.record(runId, [
        ...planned.skipped.map((t) => outcome(t, 0, 'skipped', undefined, 'skipped on request before the run started')),
        ...planned.missing.map((id) => outcome(id, 0, 'skipped', 'target-missing', 'no worker has published this target')),
      ]);
      // the record before the step: a coordinator resumed after the step finds the planned record
      if (!refusal) await store.save(run);
      await saveStep({ ...step, phase: 'dispatch', wave: 0, waves: planned.waves });
      if (refusal) return finish('failed', refusal, 0);
      log.info({ event: 'fleet:planned', waves: planned.waves.map((w) => w.targets.length), migrationsId: agreed }, `fleet run ${runId}: ${run.counts.targets} target(s) in ${planned.waves.length} wave(s)`);
      await notify(fleetRunStarted(run));
      return null;
    };

    /** Dispatches the current wave; null when its children are all done already. */
    const dispatch = async (): Promise<FleetRun | 'waiting' | null> => {
      await applyControls();
      const waves = step.waves ?? [];
      if (step.cancelled) return finish('cancelled', `cancelled by ${step.cancelled.by}`, step.wave);
      if (step.paused) {
        // delayed first, then announced: a resume sent by someone who saw 'paused' finds the job delayed and wakes it
        await job.moveToDelayed(now() + pausePollMs, token);
        if (run.status !== 'paused' || run.pausedBy !== step.paused.by) {
          run = { ...run, status: 'paused', pausedBy: step.paused.by };
          await store.save(run);
        }
        throw new DelayedError();
      }
      if (run.status !== 'running') {
        const { pausedBy: _resumed, ...rest } = run;
        run = { ...rest, status: 'running' };
      }
      const wave = waves[step.wave];
      if (!wave) return finish(finishedStatus(run));

      const skip = new Set(step.skip);
      const skipped = wave.targets.filter((t) => skip.has(t.id));
      const candidates = wave.targets.filter((t) => !skip.has(t.id));
      const shardNames = [...new Set(candidates.map((t) => t.shard))];
      const [leased, shards] = await Promise.all([store.leased(shardNames), store.shards()]);
      const offline = new Set(shardNames.filter((s) => shards.has(s) && shardOffline(leased.has(s), shards.get(s), now(), now(), offlineAfterMs)));
      // a dispatch replayed after a crash leaves out the targets that already have an outcome
      const settled = await store.outcomes(runId, candidates.map((t) => t.id));
      const toRun = candidates.filter((t) => !offline.has(t.shard) && !settled.has(t.id));
      await store.record(runId, [
        ...skipped.map((t) => outcome(t, wave.index, 'skipped', undefined, 'skipped on request')),
        ...candidates.filter((t) => offline.has(t.shard) && !settled.has(t.id)).map((t) => outcome(t, wave.index, 'failed', 'owner-offline', `no worker has owned shard ${t.shard} for more than ${offlineAfterMs} ms`)),
      ]);
      for (const shard of new Set(toRun.map((t) => t.shard))) {
        const kind: TargetJobData['kind'] = data.mode === 'run' ? 'target-run' : 'target-dry-run';
        await shardQueue(shard).addBulk(
          toRun
            .filter((t) => t.shard === shard)
            .map((t) => ({
              name: kind,
              data: {
                kind,
                runId,
                target: t.id,
                wave: wave.index,
                requestedBy: data.requestedBy,
                ...(data.reason !== undefined && { reason: data.reason }),
                ...(run.migrationsId !== undefined && { migrationsId: run.migrationsId }),
                ...(data.restorePoints !== undefined && { restorePoints: data.restorePoints }),
                ...(data.allowDrift && { allowDrift: true }),
              } satisfies TargetJobData,
              opts: {
                jobId: targetJobId(runId, t.id),
                parent: { id: job.id!, queue: job.queueQualifiedName },
                ignoreDependencyOnFailure: true,
                removeOnComplete: KEEP_FINISHED_TARGET_JOBS,
                removeOnFail: KEEP_FINISHED_TARGET_JOBS,
              },
            })),
        );
      }
      const known = await store.outcomes(runId, wave.targets.map((t) => t.id));
      run = withWave(run, wave.index, [...known.values()], { status: 'running', startedAt: run.waves[wave.index]?.startedAt ?? iso() });
      await store.save(run);
      await saveStep({ ...step, phase: 'collect', dispatchedAt: now() });
      log.info({ event: 'fleet:wave-start', wave: wave.index, dispatched: toRun.length, skipped: skipped.length, offline: [...offline] }, `fleet run ${runId}: ${wave.name} started on ${toRun.length} target(s)`);
      await notify(fleetWaveStarted(run, run.waves[wave.index]!));
      if (toRun.length > 0 && (await job.moveToWaitingChildren(token))) return 'waiting';
      return null;
    };

    /**
     * Reads the wave's outcomes (filling in those no worker recorded) and applies the halt rule;
     * 'waiting' while some of its target jobs are still to end (a coordinator taken up between
     * a dispatch and its wait must not read the wave before its targets are done).
     */
    const collect = async (): Promise<FleetRun | 'waiting' | null> => {
      if (await job.moveToWaitingChildren(token)) return 'waiting';
      const wave = step.waves![step.wave]!;
      const ids = wave.targets.map((t) => t.id);
      const known = await store.outcomes(runId, ids);
      const unknown = ids.filter((id) => !known.has(id));
      if (unknown.length > 0) {
        const values = byTarget(runId, await job.getChildrenValues<unknown>());
        const failures = byTarget(runId, await job.getIgnoredChildrenFailures());
        await store.record(
          runId,
          unknown.map((id) => {
            const returned = values.get(id) as Partial<TargetOutcome> | undefined;
            if (returned && typeof returned === 'object' && returned.result) return { ...outcome(id, wave.index, 'failed'), ...returned, id, wave: wave.index } as TargetOutcome;
            const reason = failures.get(id);
            if (reason !== undefined) return outcome(id, wave.index, 'failed', reason === STALLED_FAILED_REASON ? 'crashed' : 'internal', reason === STALLED_FAILED_REASON ? 'the worker died while this target was in flight; its transaction never committed' : reason);
            return outcome(id, wave.index, 'failed', 'internal', 'the target job ended without an outcome');
          }),
        );
      }
      const all = await store.outcomes(runId, ids);
      run = withWave(run, wave.index, [...all.values()], { status: 'done', finishedAt: iso() });
      const reason = haltReason(run.waves[wave.index]!, halt);
      log.info({ event: 'fleet:wave-done', wave: wave.index, ...run.waves[wave.index] }, `fleet run ${runId}: ${wave.name} done`);
      await notify(fleetWaveFinished(run, run.waves[wave.index]!));
      if (reason) {
        run = { ...run, waves: run.waves.map((w) => (w.index === wave.index ? { ...w, status: 'halted' } : w)) };
        return finish('halted', reason, wave.index + 1);
      }
      await store.save(run);
      await saveStep({ ...step, phase: 'dispatch', wave: step.wave + 1 });
      return null;
    };

    try {
      for (;;) {
        if (step.phase === 'plan') {
          const done = await plan();
          if (done) return done;
        } else if (step.phase === 'dispatch') {
          const done = await dispatch();
          if (done === 'waiting') throw new WaitingChildrenError();
          if (done) return done;
        } else {
          const done = await collect();
          if (done === 'waiting') throw new WaitingChildrenError();
          if (done) return done;
        }
      }
    } catch (err) {
      if (err instanceof WaitingChildrenError || err instanceof DelayedError) throw err;
      // a lock lost (Redis away for longer than it) means the job is, or soon will be, another
      // coordinator's, which resumes from the step: this one must not end the run under it
      if (!(await stillOurs(job, token, deps.lockDurationMs ?? BULLMQ_LOCK_DURATION_MS))) {
        log.warn({ event: 'fleet:coordinator-lost-lock', err: { message: (err as Error)?.message } }, `fleet run ${runId}: this coordinator lost the job's lock; the one that takes it up goes on`);
        throw err;
      }
      const message = errorExcerpt(`the coordinator stopped: ${(err as Error)?.message ?? String(err)}`);
      log.error({ err, event: 'fleet:coordinator-failed' }, message);
      await finish('failed', message).catch((e: unknown) => log.error({ err: e }, 'fleet run not closed'));
      throw new UnrecoverableError(message);
    }
  };
}

/** BullMQ's Worker lockDuration when none is set. */
const BULLMQ_LOCK_DURATION_MS = 30_000;

/** Whether this processor still holds the job's lock (renewing it if so). */
async function stillOurs(job: CoordinatorJob, token: string, lockDurationMs: number): Promise<boolean> {
  try {
    return (await job.extendLock(token, lockDurationMs)) === 1;
  } catch {
    return false;
  }
}

/** Why the owning shards' migration files rule the run out, or null when they agree. */
export function disagreement(owning: readonly string[], shards: ReadonlyMap<string, ShardState>, pinned: string | undefined): string | null {
  const ids = new Map<string, string[]>();
  for (const shard of owning) {
    const id = shards.get(shard)?.migrationsId;
    if (id !== undefined) ids.set(id, [...(ids.get(id) ?? []), shard]);
  }
  const describe = () => [...ids].map(([id, list]) => `${id} on ${list.join(', ')}`).join('; ');
  if (ids.size > 1) return `refused before any target: the shards' owners have different migration files (${describe()})`;
  if (pinned !== undefined && ids.size === 1 && !ids.has(pinned)) return `refused before any target: the run pinned migrations ${pinned} but the owners have ${describe()}`;
  return null;
}
