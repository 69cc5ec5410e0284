// Specification: the default `duckmig run` is crash-safe. A real child process applying
// 200 migrations is killed with SIGKILL at random moments (≥ 50 trials, resumed runs
// included); every time the file opens through Database.open and the ledger matches the
// schema: each version recorded as applied has all its objects and rows, and no object of
// an unrecorded migration exists. The migrations hit DuckDB 1.5.6's WAL-replay bug (ADD
// COLUMN on a table with a function default), so the WAL recovery on open is exercised too.
import { mkdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { crashTrials, ledgerSchemaMismatches, writeCrashMigrations } from '../support/crash-trials.js';
import { openRunner, sandbox, type Sandbox } from '../support/db.js';

const MIGRATIONS = 200;
const TRIALS = 50;

let box: Sandbox | undefined;
afterEach(() => box?.cleanup());

describe('crash trials', () => {
  it('the ledger-vs-schema check catches a recorded migration without its objects and objects of an unrecorded one', async () => {
    box = sandbox({ copyMigrations: false });
    mkdirSync(box.migrationsDir, { recursive: true });
    writeCrashMigrations(box.migrationsDir, 8);
    const { db, runner } = await openRunner(box);
    try {
      expect((await runner.run()).status).toBe('success');
      expect(await ledgerSchemaMismatches(db, 8)).toEqual({ applied: 8, mismatches: [] });
      await db.connection.run('DELETE FROM schema_migrations WHERE version = 8');
      await db.connection.run('ALTER TABLE c_6 DROP COLUMN note');
      await db.connection.run('DELETE FROM c_5 WHERE id = 1');
      const { mismatches } = await ledgerSchemaMismatches(db, 8);
      expect(mismatches).toHaveLength(3);
      expect(mismatches).toEqual(
        expect.arrayContaining([
          '5 is recorded as applied but its rows are incomplete',
          '6 is recorded as applied but lacks column c_6.note',
          '8 is not recorded but its table c_8, column c_8.note, index c_7_name, column c_7.from_8 exist',
        ]),
      );
    } finally {
      await db.close();
    }
  });

  it(
    `killed at ${TRIALS} random points of a ${MIGRATIONS}-migration run with the default checkpoint policy: the file always opens and the ledger always matches the schema`,
    async () => {
      const summary = await crashTrials({ count: MIGRATIONS, trials: TRIALS, parallel: 2, policy: 'default', memoryBacked: true });
      process.stderr.write(`crash trials: ${JSON.stringify({ ...summary, failures: summary.failures.slice(0, 5) })}\n`);
      expect(summary.failures).toEqual([]);
      expect(summary.trials).toBeGreaterThanOrEqual(TRIALS);
      expect(summary.openable).toBe(summary.trials);
      expect(summary.ledgerMatchesSchema).toBe(summary.trials);
      // the trials really crashed mid-run, resumed crashed runs, and met the WAL DuckDB cannot replay directly
      expect(summary.killed).toBeGreaterThanOrEqual(TRIALS / 2);
      expect(summary.resumed).toBeGreaterThan(0);
      expect(summary.walRecovered).toBeGreaterThan(0);
    },
    900_000,
  );
});
