// When the runner CHECKPOINTs the database file during a run. A migration and its ledger row
// commit together whatever the policy, and Database.open replays any WAL a crash leaves
// (recovering the WAL DuckDB 1.5 cannot replay directly), so the policy decides cost and
// how much WAL a crash leaves to replay, never what is applied. Policies: a budget (the
// default; interval, WAL size, ≤ ~5% of the run), 'each' migration, or 'end' of the run;
// what each does and why the default's numbers: docs/operations.md (Checkpoints).
import { statSync } from 'node:fs';
import type { Logger } from 'pino';

export interface CheckpointBudget {
  /** checkpoint after a commit once this long has passed since the last checkpoint */
  intervalMs: number;
  /** …or once the WAL file has grown to this size */
  walBytes: number;
}

export type CheckpointPolicy = 'each' | 'end' | CheckpointBudget;

export const DEFAULT_CHECKPOINT_BUDGET: CheckpointBudget = Object.freeze({ intervalMs: 2000, walBytes: 64 * 1024 * 1024 });

/** the time between checkpoints is at least this many times the last one's duration (≤ 5% of a run) */
const GAP_PER_CHECKPOINT_TIME = 19;

export class CheckpointPolicyError extends Error {
  override name = 'CheckpointPolicyError';
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/**
 * `each`, `end`, or a budget: a duration, a WAL size or both, comma-separated
 * (`2s`, `500ms`, `64MB`, `2s,64MB`); a part left out keeps its default.
 */
export function parseCheckpointPolicy(text: string): CheckpointPolicy {
  const value = text.trim().toLowerCase();
  if (value === 'each' || value === 'end') return value;
  if (value === 'budget' || value === 'default') return DEFAULT_CHECKPOINT_BUDGET;
  const budget = { ...DEFAULT_CHECKPOINT_BUDGET };
  const seen = new Set<string>();
  for (const part of value.split(',').map((p) => p.trim())) {
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|b|kb|mb|gb)$/.exec(part);
    const amount = m ? Number(m[1]) * UNITS[m[2]!]! : Number.NaN;
    const key = m && (m[2] === 'ms' || m[2] === 's') ? 'intervalMs' : 'walBytes';
    if (!m || !(amount > 0) || seen.has(key)) {
      throw new CheckpointPolicyError(`checkpoint policy must be "each", "end" or a budget such as "2s", "64MB" or "2s,64MB"; got "${text}"`);
    }
    seen.add(key);
    budget[key] = Math.round(amount);
  }
  return budget;
}

export function describeCheckpointPolicy(policy: CheckpointPolicy): string {
  if (typeof policy === 'string') return policy;
  return `every ${policy.intervalMs} ms or ${(policy.walBytes / 1024 ** 2).toFixed(0)} MiB of WAL`;
}

/** One run's checkpoints: ask after each commit, and once more when the run ends. */
export class Checkpointer {
  /** runs CHECKPOINT on the runner's current connection */
  readonly #run: () => Promise<unknown>;
  readonly #policy: CheckpointPolicy;
  /** the database file's WAL, or undefined (in-memory, or unknown: time budget only) */
  readonly #walPath: string | undefined;
  readonly #logger: Logger | undefined;
  #last = performance.now();
  /** how long the last CHECKPOINT took */
  #lastDuration = 0;
  #dirty = false;

  constructor(run: () => Promise<unknown>, policy: CheckpointPolicy, databasePath: string | undefined, logger?: Logger) {
    this.#run = run;
    this.#logger = logger;
    this.#policy = policy;
    this.#walPath = databasePath && databasePath !== ':memory:' ? `${databasePath}.wal` : undefined;
  }

  /** After a commit: checkpoints when the policy says so. */
  async afterCommit(): Promise<void> {
    this.#dirty = true;
    if (this.#due()) await this.#checkpoint();
  }

  /**
   * When the run ends (success or not): checkpoints whatever was committed since the last
   * one. Never throws: a failed CHECKPOINT loses nothing (the WAL holds every commit and the
   * next open replays it), and the run's outcome must still be reported.
   */
  async atEnd(): Promise<void> {
    if (!this.#dirty) return;
    try {
      await this.#checkpoint();
    } catch (err) {
      this.#logger?.warn({ event: 'checkpoint:failed', error: (err as Error).message }, 'final CHECKPOINT failed; the WAL keeps the committed migrations');
    }
  }

  #due(): boolean {
    const policy = this.#policy;
    if (policy === 'each') return true;
    if (policy === 'end') return false;
    const since = performance.now() - this.#last;
    return since >= Math.max(policy.intervalMs, GAP_PER_CHECKPOINT_TIME * this.#lastDuration) || this.#walSize() >= policy.walBytes;
  }

  #walSize(): number {
    if (!this.#walPath) return 0;
    try {
      return statSync(this.#walPath).size;
    } catch {
      return 0;
    }
  }

  async #checkpoint(): Promise<void> {
    const start = performance.now();
    await this.#run();
    this.#dirty = false;
    this.#last = performance.now();
    this.#lastDuration = this.#last - start;
  }
}
