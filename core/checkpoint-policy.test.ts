// Specification: when a run checkpoints. By default not after every migration (that cost a
// CHECKPOINT per file) but on a budget, and always when the run ends, so a finished run
// leaves no WAL behind; 'each' and 'end' stay available; budgets are written "2s,64MB".
// Observed from outside: the size of the database's WAL file when each migration is done
// (the time budget with a stand-in CHECKPOINT whose cost the test chooses).
import { statSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { openRunner, sandbox, type Sandbox } from '../test/support/db.js';
import { Checkpointer, DEFAULT_CHECKPOINT_BUDGET, parseCheckpointPolicy, type CheckpointPolicy } from './checkpoint-policy.js';

let box: Sandbox;
afterEach(() => box?.cleanup());

function walSize(path: string): number {
  try {
    return statSync(`${path}.wal`).size;
  } catch {
    return 0;
  }
}

/** Applies the 4 shipped migrations and 12 small ones; the WAL's size as each migration is done, and as the run ends. */
async function walSizes(checkpoint?: CheckpointPolicy): Promise<{ duringRun: number[]; atRunEnd: number }> {
  box = sandbox();
  for (let n = 5; n <= 16; n++) box.write(`${String(n).padStart(3, '0')}_step_${n}.sql`, `CREATE TABLE step_${n} (id INTEGER, name VARCHAR);\nINSERT INTO step_${n} VALUES (1, 'x');\n`);
  const { db, runner } = await openRunner(box, checkpoint === undefined ? {} : { checkpoint });
  try {
    const duringRun: number[] = [];
    let atRunEnd = Number.NaN;
    runner.events.on('migration:done', () => duringRun.push(walSize(box.dbPath)));
    // run:done comes once the migrations are settled, before the run-history row is written
    runner.events.on('run:done', () => (atRunEnd = walSize(box.dbPath)));
    const result = await runner.run();
    expect(result.status).toBe('success');
    expect(duringRun).toHaveLength(16);
    return { duringRun, atRunEnd };
  } finally {
    await db.close();
  }
}

describe('checkpoint policy', () => {
  it('by default does not checkpoint after every migration, and checkpoints when the run ends', async () => {
    const { duringRun, atRunEnd } = await walSizes();
    // committed migrations wait in the WAL for the budget (2 s or 64 MiB)…
    expect(duringRun.filter((size) => size > 0).length).toBeGreaterThan(8);
    // …and the end of the run checkpoints them
    expect(atRunEnd).toBe(0);
  });

  it("'each' checkpoints after every committed migration", async () => {
    const { duringRun } = await walSizes('each');
    expect(duringRun.every((size) => size === 0)).toBe(true);
  });

  it("'end' leaves every migration in the WAL until the run ends", async () => {
    const { duringRun, atRunEnd } = await walSizes('end');
    expect(duringRun.every((size) => size > 0)).toBe(true);
    expect(atRunEnd).toBe(0);
  });

  it('a budget checkpoints once the WAL reaches its size', async () => {
    const { duringRun } = await walSizes({ intervalMs: 3_600_000, walBytes: 1 });
    expect(duringRun.every((size) => size === 0)).toBe(true);
  });

  it('a budget checkpoints once its interval has passed, but never spends more than ~5% of the time checkpointing', async () => {
    const checkpoints: number[] = [];
    let cost = 0;
    // a stand-in for CHECKPOINT that takes `cost` ms
    const run = async () => {
      checkpoints.push(checkpoints.length);
      if (cost > 0) await delay(cost);
    };
    const free = new Checkpointer(run, { intervalMs: 0, walBytes: 1024 ** 4 }, undefined);
    for (let i = 0; i < 5; i++) {
      // the migration's own time, between two commits: long enough that a free checkpoint's
      // measured duration (a scheduling hiccup on a busy machine) stays well under 5 % of it
      await delay(50);
      await free.afterCommit();
    }
    expect(checkpoints).toHaveLength(5);

    checkpoints.length = 0;
    cost = 100;
    const costly = new Checkpointer(run, { intervalMs: 0, walBytes: 1024 ** 4 }, undefined);
    for (let i = 0; i < 5; i++) {
      await delay(2);
      await costly.afterCommit();
    }
    // the first took 100 ms, so the next waits for 19 × 100 ms to have passed
    expect(checkpoints).toHaveLength(1);
    await costly.atEnd();
    expect(checkpoints).toHaveLength(2);
    await costly.atEnd();
    expect(checkpoints).toHaveLength(2);
  });

  it('reads "each", "end" and budgets such as "2s", "64MB", "500ms,1GB"', () => {
    expect(parseCheckpointPolicy('each')).toBe('each');
    expect(parseCheckpointPolicy(' END ')).toBe('end');
    expect(parseCheckpointPolicy('budget')).toEqual(DEFAULT_CHECKPOINT_BUDGET);
    expect(parseCheckpointPolicy('2s')).toEqual({ ...DEFAULT_CHECKPOINT_BUDGET, intervalMs: 2000 });
    expect(parseCheckpointPolicy('64MB')).toEqual({ ...DEFAULT_CHECKPOINT_BUDGET, walBytes: 64 * 1024 * 1024 });
    expect(parseCheckpointPolicy('500ms,1GB')).toEqual({ intervalMs: 500, walBytes: 1024 ** 3 });
    for (const bad of ['', 'sometimes', '2', '2s,3s', '-1s', '0MB', '2 hours']) expect(() => parseCheckpointPolicy(bad), bad).toThrow(/each.*end.*budget/);
  });
});
