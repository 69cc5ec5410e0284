// Splits one duckmig run's wall time into phases using only the runner's public events
// (timestamped as they arrive), so the benchmark can say where the time goes without
// instrumenting core. Listener cost: one hrtime call per event. Without statement events
// (a run nobody follows statement by statement runs each file at once) the statements
// phase lasts from migration:start to the 'committing' phase, the ledger INSERT included.
import type { MigrationRunner } from '../core/index.js';
import { median } from './benchmark.js';

export interface Phases {
  totalMs: number;
  /** call → run:start: scan, checksums, display split, parse check, lint, ledger reads, ensureLedger */
  analyzeMs: number;
  /** Σ statement durations (prepare + execute, as the runner times them) */
  statementsMs: number;
  /** Σ per migration: migration:start → last statement:done, minus the statements themselves */
  extractMs: number;
  /** Σ per migration: last statement:done → migration:done */
  ledgerCommitMs: number;
  /** run:start → first migration:start, and migration:done → next migration:start */
  betweenMs: number;
  /** last migration:done → run() returns (final CHECKPOINT, run-history row) */
  finishMs: number;
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

/** Call before run(); call done(wallMs) right after run() resolves. `statements`: listen to statement events too. */
export function attachPhases(runner: MigrationRunner, statements: boolean): { done(wallMs: number): Phases } {
  let runStart = Number.NaN;
  let migrationStart = 0;
  let lastStatement = 0;
  let lastDone = Number.NaN;
  let statementsInMigration = 0;
  const p = { statementsMs: 0, extractMs: 0, ledgerCommitMs: 0, betweenMs: 0 };
  const off = runner.events.onEvent(
    (event) => {
      const t = now();
      switch (event.type) {
        case 'run:start':
          runStart = t;
          lastDone = t;
          break;
        case 'migration:start':
          p.betweenMs += t - lastDone;
          migrationStart = lastStatement = t;
          statementsInMigration = 0;
          break;
        case 'statement:done':
          p.statementsMs += event.durationMs;
          statementsInMigration += event.durationMs;
          lastStatement = t;
          break;
        case 'phase':
          if (!statements && event.phase === 'committing' && event.version !== undefined) {
            p.statementsMs += t - migrationStart;
            statementsInMigration += t - migrationStart;
            lastStatement = t;
          }
          break;
        case 'migration:done':
          p.extractMs += lastStatement - migrationStart - statementsInMigration;
          p.ledgerCommitMs += t - lastStatement;
          lastDone = t;
          break;
        default:
          break;
      }
    },
    { statements },
  );
  return {
    done(wallMs) {
      off();
      const end = now();
      const start = end - wallMs;
      const finishMs = Number.isNaN(lastDone) ? 0 : end - lastDone;
      return { totalMs: wallMs, analyzeMs: (Number.isNaN(runStart) ? end : runStart) - start, finishMs, ...p };
    },
  };
}

export type PhaseKey = keyof Omit<Phases, 'totalMs'>;

export const PHASE_ROWS: { key: PhaseKey; phase: string; what: string }[] = [
  { key: 'analyzeMs', phase: 'analyze', what: 'duckmig: scan + SHA-256 + split, parse check, lint, ledger reads; floor: read files' },
  { key: 'statementsMs', phase: 'statements', what: 'the migrations\' statements (prepare + run each; floor (a): one multi-statement query)' },
  { key: 'extractMs', phase: 'extract/emit', what: 'extractStatements per file (+ duckmig: timing, events)' },
  { key: 'ledgerCommitMs', phase: 'ledger+commit', what: 'ledger INSERT (+ duckmig: schema_version mirror), COMMIT (+ CHECKPOINT in (c))' },
  { key: 'betweenMs', phase: 'between', what: 'BEGIN and the loop between migrations' },
  { key: 'finishMs', phase: 'finish', what: 'final CHECKPOINT (+ duckmig: run-history row)' },
];

export function emptyPhases(): Phases {
  return { totalMs: 0, analyzeMs: 0, statementsMs: 0, extractMs: 0, ledgerCommitMs: 0, betweenMs: 0, finishMs: 0 };
}

/** For code timed by hand (the floors): adds the time since `since` to one phase. */
export function lap(phases: Phases, key: PhaseKey, since: number): number {
  const t = now();
  phases[key] += t - since;
  return t;
}

export { now as phaseNow };

/** Each phase's median over several runs. */
export function medianPhases(runs: Phases[]): Phases {
  const out = emptyPhases();
  for (const key of Object.keys(out) as (keyof Phases)[]) out[key] = median(runs.map((r) => r[key]));
  return out;
}
