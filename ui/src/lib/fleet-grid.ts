// What the fleet-run grid shows: one cell per target, in a fixed order (by id, so a cell
// never moves while the run fills it), its state from the run's outcomes and the targets
// a worker has started, and a sentence per cell for its title and accessible name. Also
// the run's rate (targets finished per second, from the outcomes' own timestamps, so a
// reload or a skewed client clock does not change it) and the time left at that rate.
import type { FleetRun, TargetOutcome } from './types.js';

export type CellState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'not-in-run';

export interface GridCell {
  id: string;
  state: CellState;
  /** "t003: succeeded, 2 migrations applied (version 0 → 2)" */
  label: string;
}

/** the legend's order; `not-in-run` only appears once the run has ended */
export const CELL_STATES: readonly CellState[] = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'not-in-run'];

export const CELL_STATE_LABEL: Record<CellState, string> = {
  pending: 'pending',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  skipped: 'skipped',
  'not-in-run': 'not in this run',
};

function stateOf(outcome: TargetOutcome | undefined, running: boolean, ended: boolean): CellState {
  if (outcome) return outcome.result === 'failed' ? 'failed' : outcome.result === 'skipped' ? 'skipped' : 'succeeded';
  if (running) return 'running';
  return ended ? 'not-in-run' : 'pending';
}

const version = (v: number | null) => (v === null ? 'none' : String(v));

function describe(id: string, state: CellState, outcome: TargetOutcome | undefined): string {
  if (!outcome) return `${id}: ${CELL_STATE_LABEL[state]}`;
  const wave = `wave ${outcome.wave + 1}`;
  switch (outcome.result) {
    case 'succeeded':
      return `${id}: succeeded, ${outcome.applied} applied (version ${version(outcome.fromVersion)} → ${version(outcome.toVersion)}), ${wave}`;
    case 'nothing-to-do':
      return `${id}: succeeded, nothing to do (version ${version(outcome.toVersion)}), ${wave}`;
    case 'rehearsed':
      return `${id}: succeeded, rehearsed (nothing changed), ${wave}`;
    case 'failed':
      return `${id}: failed, ${outcome.errorCode ?? 'error'}${outcome.error ? `: ${outcome.error}` : ''}, ${wave}`;
    case 'skipped':
      return `${id}: skipped${outcome.errorCode ? ` (${outcome.errorCode})` : ''}`;
  }
}

/**
 * The cells: every known target id (sorted), plus any target the run reports that the list
 * lacks. `ended`: the run is over, so a target with no outcome was not part of it.
 */
export function gridCells(ids: readonly string[], outcomes: ReadonlyMap<string, TargetOutcome>, running: ReadonlySet<string>, ended: boolean): GridCell[] {
  const all = new Set(ids);
  for (const id of outcomes.keys()) all.add(id);
  for (const id of running) all.add(id);
  return [...all]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((id) => {
      const outcome = outcomes.get(id);
      const state = stateOf(outcome, running.has(id), ended);
      return { id, state, label: describe(id, state, outcome) };
    });
}

export function countCells(cells: readonly GridCell[]): Record<CellState, number> {
  const counts = Object.fromEntries(CELL_STATES.map((s) => [s, 0])) as Record<CellState, number>;
  for (const cell of cells) counts[cell.state] += 1;
  return counts;
}

/** targets finished (not skipped) per second since the run started; null before the first one */
export function runRate(run: Pick<FleetRun, 'startedAt'>, outcomes: Iterable<TargetOutcome>): number | null {
  const started = run.startedAt ? Date.parse(run.startedAt) : NaN;
  if (!Number.isFinite(started)) return null;
  let done = 0;
  let last = -Infinity;
  for (const outcome of outcomes) {
    if (outcome.result === 'skipped') continue;
    done += 1;
    last = Math.max(last, Date.parse(outcome.finishedAt));
  }
  const elapsedMs = last - started;
  return done > 0 && elapsedMs > 0 ? (done * 1000) / elapsedMs : null;
}

/** milliseconds left at `rate` for the run's targets not yet finished; null when unknown or nothing is left */
export function runEta(run: Pick<FleetRun, 'counts'>, rate: number | null): number | null {
  if (rate === null || rate <= 0 || run.counts.pending <= 0) return null;
  return (run.counts.pending / rate) * 1000;
}
