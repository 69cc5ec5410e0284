// The fleet-run record's arithmetic, pure: the record once the waves are planned, counts
// after outcomes, the halt rule (any failure in the canary halts the run; a later wave
// halts it when more than maxFailedPercent of the targets it ran failed), the run's end
// status, and whether a shard counts as offline. The coordinator does the Redis I/O.
import type { FleetRun, HaltRule, ShardState, TargetOutcome, WaveState } from '../../contract/index.js';
import type { WavePlan } from './waves.js';

export const TERMINAL = new Set<FleetRun['status']>(['succeeded', 'failed', 'halted', 'cancelled']);

/** The record with its planned waves, every target pending but those skipped before the start. */
export function plannedRun(run: FleetRun, plan: WavePlan, now: string): FleetRun {
  const waves: WaveState[] = plan.waves.map((w) => ({ index: w.index, name: w.name, targets: w.targets.length, status: 'pending', succeeded: 0, failed: 0, skipped: 0 }));
  const total = waves.reduce((n, w) => n + w.targets, 0) + plan.skipped.length + plan.missing.length;
  return withTotals({ ...run, status: 'running', startedAt: run.startedAt ?? now, waves, counts: { targets: total, succeeded: 0, failed: 0, skipped: 0, pending: 0 } });
}

const bucket = (result: TargetOutcome['result']): 'succeeded' | 'failed' | 'skipped' =>
  result === 'failed' ? 'failed' : result === 'skipped' ? 'skipped' : 'succeeded';

/**
 * The totals from the waves: targets in no wave were skipped before the start; the
 * rest of the run's targets are pending.
 */
function withTotals(run: FleetRun): FleetRun {
  const sum = (key: 'targets' | 'succeeded' | 'failed' | 'skipped') => run.waves.reduce((n, w) => n + w[key], 0);
  const skipped = run.counts.targets - sum('targets') + sum('skipped');
  const [succeeded, failed] = [sum('succeeded'), sum('failed')];
  return { ...run, counts: { targets: run.counts.targets, succeeded, failed, skipped, pending: run.counts.targets - succeeded - failed - skipped } };
}

/**
 * One wave's counts from every outcome its targets have so far (so counting twice, after
 * a coordinator resumed, changes nothing), its status, and the totals again.
 */
export function withWave(run: FleetRun, index: number, outcomes: readonly TargetOutcome[], change: Partial<Pick<WaveState, 'status' | 'startedAt' | 'finishedAt'>> = {}): FleetRun {
  const counts = { succeeded: 0, failed: 0, skipped: 0 };
  for (const outcome of outcomes) counts[bucket(outcome.result)] += 1;
  return withTotals({ ...run, waves: run.waves.map((w) => (w.index === index ? { ...w, ...counts, ...change } : w)) });
}

/** Why the run halts after this wave, or null when it goes on. */
export function haltReason(wave: WaveState, rule: HaltRule): string | null {
  if (wave.failed === 0) return null;
  const ran = wave.succeeded + wave.failed;
  if (wave.index === 0) return `the canary (${wave.name}) failed on ${wave.failed} of ${ran} target(s): no other target was touched`;
  const percent = (wave.failed * 100) / ran;
  if (percent <= rule.maxFailedPercent) return null;
  return `${wave.name}: ${wave.failed} of ${ran} target(s) failed (${Number(percent.toFixed(1))} %), more than the ${rule.maxFailedPercent} % the halt rule allows`;
}

/** The status of a run whose every wave ran: failed when any target failed (within the halt rule). */
export const finishedStatus = (run: FleetRun): FleetRun['status'] => (run.counts.failed > 0 ? 'failed' : 'succeeded');

/**
 * A shard without a lease is offline once its owner's last renewal is more than
 * `offlineAfterMs` ago (a shard never seen: once the coordinator has waited that long).
 */
export function shardOffline(leaseHeld: boolean, state: ShardState | undefined, waitingSince: number, now: number, offlineAfterMs: number): boolean {
  if (leaseHeld) return false;
  const lastSeen = state ? Date.parse(state.renewedAt) : waitingSince;
  return now - lastSeen > offlineAfterMs;
}
