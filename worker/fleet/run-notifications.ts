// The fleet-run events the coordinator announces to webhooks: fleet.run.started once the
// waves are planned, fleet.wave.started / fleet.wave.finished per wave, and the end
// (fleet.run.halted, .succeeded, or .failed for a run with failures, refused or cancelled)
// with the totals: the run's counts, every target's outcome by result and the failures by
// error code. Per-target events are not announced (a fleet has thousands of targets); the
// run's record and its outcomes have them. Never SQL, never DuckDB's text.
import type { FleetRun, NotificationInput, TargetOutcome, WaveState } from '../../contract/index.js';

const about = (run: FleetRun) => ({ jobId: run.id, mode: run.mode, requestedBy: run.requestedBy, ...(run.reason !== undefined && { reason: run.reason }) });

export function fleetRunStarted(run: FleetRun): NotificationInput {
  return { event: 'fleet.run.started', ...about(run), message: `${run.counts.targets} target(s) in ${run.waves.length} wave(s)` };
}

export function fleetWaveStarted(run: FleetRun, wave: WaveState): NotificationInput {
  return { event: 'fleet.wave.started', ...about(run), wave: { index: wave.index, name: wave.name, targets: wave.targets } };
}

export function fleetWaveFinished(run: FleetRun, wave: WaveState): NotificationInput {
  const { index, name, targets, succeeded, failed, skipped } = wave;
  return { event: 'fleet.wave.finished', ...about(run), wave: { index, name, targets, succeeded, failed, skipped } };
}

/** The end of a run, from its final record and every outcome it recorded. */
export function fleetRunEnded(run: FleetRun, outcomes: readonly TargetOutcome[]): NotificationInput {
  const byResult: Record<string, number> = {};
  const failedBy: Record<string, number> = {};
  for (const o of outcomes) {
    byResult[o.result] = (byResult[o.result] ?? 0) + 1;
    if (o.result === 'failed') failedBy[o.errorCode ?? 'internal'] = (failedBy[o.errorCode ?? 'internal'] ?? 0) + 1;
  }
  const summary = { counts: run.counts, byResult, failedBy };
  const message = run.haltReason ?? `${run.counts.succeeded} succeeded, ${run.counts.failed} failed, ${run.counts.skipped} skipped of ${run.counts.targets}`;
  switch (run.status) {
    case 'halted':
      return { event: 'fleet.run.halted', ...about(run), summary, message };
    case 'succeeded':
      return { event: 'fleet.run.succeeded', ...about(run), summary, message };
    default:
      return { event: 'fleet.run.failed', ...about(run), summary, errorCode: errorCodeOf(run), message };
  }
}

/** Why a run that did not succeed failed: cancelled, refused before any target, or failures within the halt rule. */
function errorCodeOf(run: FleetRun): string {
  if (run.status === 'cancelled') return 'cancelled';
  if (run.haltReason?.startsWith('refused')) return 'migrations-differ';
  if (run.haltReason?.startsWith('the coordinator stopped')) return 'internal';
  return 'targets-failed';
}
