// What the shard's owner publishes about each target (TargetState in fleetKeys().targets):
// read from the file itself (applied version, pending migrations, size, drift), or why it
// could not be read; the last fleet run that touched it is carried over from the previous
// state, and so is its drift while nothing new is known about it at the same version.
// Reading a file for a scan is target-scan.ts's job; checking drift, target-drift.ts's.
import { statSync } from 'node:fs';
import type { RunResult, TargetOutcome, TargetState } from '../../contract/index.js';
import type { OpenedTarget, TargetOpenError } from './target-file.js';
import type { DriftFinding } from './target-drift.js';
import type { Target } from './targets.js';

export interface StateContext {
  shard: string;
  owner: string;
  /** the previous state (its lastRun and lastError carry over) */
  previous?: TargetState;
}

function sizeOf(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
}

/** The state of a target whose file is open (after a job, before closing it). */
export async function stateOfOpen(target: Target, opened: OpenedTarget, ctx: StateContext, outcome?: { runId: string; outcome: TargetOutcome }, drift?: DriftFinding): Promise<TargetState> {
  const applied = await opened.runner.getAppliedMigrations();
  const pending = await opened.runner.getPendingMigrations();
  return stateOfLedger(target, ctx, { version: applied.reduce((v, e) => Math.max(v, e.version), 0), pending: pending.length, drift }, outcome);
}

/**
 * The state of a target after a run on it, from the run's own result rather than reading
 * the ledger back: without a target version the run's batch is every pending migration,
 * and what it did not apply (failed, not run, or all of them when refused) is still pending.
 */
export function stateOfRun(target: Target, ctx: StateContext, result: RunResult, outcome: { runId: string; outcome: TargetOutcome }, drift?: DriftFinding): TargetState {
  const pending = result.migrations.filter((m) => m.status !== 'applied').length;
  return stateOfLedger(target, ctx, { version: result.toVersion, pending, drift }, outcome);
}

/**
 * The state of a target from its applied version, its number of pending migrations and what
 * a drift check found. A drifted schema comes before pending and failed (the last run's
 * failure stays in lastError and lastRun): it is about the file now, and is resolved first.
 * Nothing known about drift (not checked, or the replay could not be made) keeps the
 * previous state's drift at the same version: a scan never clears drift it did not check.
 */
export function stateOfLedger(
  target: Target,
  ctx: StateContext,
  read: { version: number; pending: number; drift?: DriftFinding },
  outcome?: { runId: string; outcome: TargetOutcome },
): TargetState {
  const { drift: found, ...ledger } = read;
  const drift = found === undefined ? (ctx.previous?.version === read.version ? ctx.previous.drift : undefined) : (found ?? undefined);
  return base(target, ctx, outcome, {
    ...ledger,
    ...(drift && { drift }),
    health: drift ? 'drifted' : outcome?.outcome.result === 'failed' ? 'failed' : read.pending > 0 ? 'pending' : 'ok',
  });
}

/** The state of a target that could not be opened. */
export function stateOfUnopened(target: Target, ctx: StateContext, err: TargetOpenError, outcome?: { runId: string; outcome: TargetOutcome }): TargetState {
  return base(target, ctx, outcome, {
    version: null,
    pending: 0,
    health: err.code === 'target-locked' ? 'locked' : err.code === 'target-unreadable' ? 'unreadable' : 'failed',
    lastError: { code: err.code, message: err.message },
  });
}

function base(target: Target, ctx: StateContext, outcome: { runId: string; outcome: TargetOutcome } | undefined, read: Pick<TargetState, 'version' | 'pending' | 'health' | 'lastError' | 'drift'>): TargetState {
  const now = new Date().toISOString();
  const lastRun = outcome ? { runId: outcome.runId, outcome: outcome.outcome.result, at: outcome.outcome.finishedAt } : ctx.previous?.lastRun;
  const lastError =
    read.lastError ??
    (outcome?.outcome.errorCode ? { code: outcome.outcome.errorCode, message: outcome.outcome.error ?? outcome.outcome.errorCode } : outcome ? undefined : ctx.previous?.lastError);
  // a failed last run stays visible until a later run succeeds there
  const health = read.health === 'pending' && !outcome && ctx.previous?.health === 'failed' ? 'failed' : read.health;
  const bytes = sizeOf(target.file);
  return {
    id: target.id,
    shard: ctx.shard,
    path: target.path,
    labels: target.labels,
    version: read.version,
    pending: read.pending,
    ...(bytes !== undefined && { bytes }),
    health,
    ...(read.drift && { drift: read.drift }),
    ...(lastError && { lastError }),
    ...(lastRun && { lastRun }),
    owner: ctx.owner,
    checkedAt: now,
  };
}
