// The worker's DuckDB runs with the threads DUCKMIG_DUCKDB_THREADS allows (default: one
// core fewer than the machine has), so the API keeps a core while a migration runs; the
// setting survives a reopen and reaches rehearsal copies.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { openRehearsalDatabase } from '../core/dry-run-database.js';
import type { Database } from '../core/index.js';
import { sandbox, scalar, type Sandbox } from '../test/support/db.js';
import { loadWorkerConfig } from './config.js';
import { DatabaseOwner } from './database-owner.js';

const boxes: Sandbox[] = [];
const owners: DatabaseOwner[] = [];
afterEach(async () => {
  for (const owner of owners.splice(0)) await owner.close();
  for (const box of boxes.splice(0)) box.cleanup();
});

async function openOwner(env: Record<string, string>): Promise<DatabaseOwner> {
  const box = sandbox();
  boxes.push(box);
  const config = loadWorkerConfig({ DUCKMIG_DB: box.dbPath, DUCKMIG_MIGRATIONS: box.migrationsDir, ...env });
  const owner = await DatabaseOwner.open({
    dbPath: config.dbPath,
    migrationsDir: config.migrationsDir,
    restore: config.restore,
    logger: pino({ level: 'silent' }),
    threads: config.duckdbThreads,
  });
  owners.push(owner);
  return owner;
}

const threadsOf = (db: Database) => scalar(db, "SELECT current_setting('threads')");

describe('DuckDB threads in the worker', () => {
  it.each([1, 3])('DUCKMIG_DUCKDB_THREADS=%i is the threads setting of the database the worker opens', async (threads) => {
    const owner = await openOwner({ DUCKMIG_DUCKDB_THREADS: String(threads) });
    expect(Number(await owner.exclusive(({ db }) => threadsOf(db)))).toBe(threads);
  });

  it('keeps the setting when the file is reopened and on a rehearsal copy', async () => {
    const owner = await openOwner({ DUCKMIG_DUCKDB_THREADS: '1' });
    await owner.exclusive(async ({ db }) => {
      await db.reopen();
      expect(Number(await threadsOf(db))).toBe(1);
      const copy = await openRehearsalDatabase(db.path, { threads: db.threads });
      try {
        expect(Number(await threadsOf(copy.db))).toBe(1);
      } finally {
        await copy.discard();
      }
    });
  });
});
