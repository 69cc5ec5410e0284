// Specification: nothing committed is ever lost and no database is left unopenable — a
// process killed right after a migration commits leaves a file that opens (directly with
// a checkpoint per migration, or through WAL recovery), and a locked file is
// reported with the process that holds it.
import { DuckDBInstance } from '@duckdb/node-api';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openRunner, sandbox, scalar, type Sandbox } from '../test/support/db.js';
import { nodeArgs } from '../test/support/node-entry.js';
import { Database, DatabaseLockedError } from './database.js';

let box: Sandbox;
afterEach(() => box?.cleanup());

const CHILD = nodeArgs('test/fixtures/apply-then-die.ts');

function killAfterCommit(box: Sandbox, version: number, checkpoint: 'each' | 'end') {
  const child = spawnSync(process.execPath, [...CHILD, box.dbPath, box.migrationsDir, String(version), checkpoint], {
    encoding: 'utf8',
    cwd: resolve(import.meta.dirname, '..'),
  });
  expect(child.signal).toBe('SIGKILL');
  expect(child.stdout).toContain(`committed ${version}`);
}

async function openDirectly(path: string): Promise<string | null> {
  try {
    const instance = await DuckDBInstance.create(path);
    instance.closeSync();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

describe('durability', () => {
  it('killed (SIGKILL) right after 002 commits: with a checkpoint after each migration the file opens directly and 002 is there', async () => {
    box = sandbox();
    killAfterCommit(box, 2, 'each');
    expect(await openDirectly(box.dbPath)).toBeNull();
    const { db, runner } = await openRunner(box);
    expect((await runner.getAppliedMigrations()).map((m) => m.version)).toEqual([1, 2]);
    expect(await scalar(db, "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'projects' AND column_name = 'context'")).toBe(1n);
    await db.close();
  });

  it('killed with checkpoints deferred to the end: opening recovers the WAL and keeps every committed migration', async () => {
    box = sandbox();
    killAfterCommit(box, 2, 'end');
    expect(existsSync(`${box.dbPath}.wal`)).toBe(true);
    // DuckDB 1.5.6 cannot replay this WAL (002's ALTER on a table with a function default) on
    // a direct open: shown on a copy, so the original goes through duckmig's recovery
    copyFileSync(box.dbPath, `${box.dir}/copy.duckdb`);
    copyFileSync(`${box.dbPath}.wal`, `${box.dir}/copy.duckdb.wal`);
    expect(await openDirectly(`${box.dir}/copy.duckdb`)).toMatch(/Failure while replaying WAL/);
    const logs: string[] = [];
    const { pino } = await import('pino');
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });
    const db = await Database.open(box.dbPath, { logger, attempts: 1 });
    expect(await scalar(db, "SELECT count(*) FROM schema_migrations WHERE status = 'applied'")).toBe(2n);
    expect(await scalar(db, "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'projects' AND column_name = 'context_file_path'")).toBe(1n);
    await db.close();
    expect(logs.some((l) => l.includes('"event":"wal-recovered"'))).toBe(true);
    expect(await openDirectly(box.dbPath)).toBeNull();
  });

  it('a file another process holds is retried, then reported with that process id', async () => {
    box = sandbox();
    const holder = spawn(
      process.execPath,
      ['-e', `const {DuckDBInstance}=require('@duckdb/node-api');DuckDBInstance.create(${JSON.stringify(box.dbPath)}).then(()=>{console.log('holding');setInterval(()=>{},1000)})`],
      { cwd: resolve(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await once(holder.stdout!, 'data');
      const started = Date.now();
      const error = await Database.open(box.dbPath, { attempts: 3, retryDelayMs: 100 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabaseLockedError);
      expect((error as DatabaseLockedError).holderPid).toBe(holder.pid);
      expect((error as Error).message).toContain(`PID ${holder.pid}`);
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    } finally {
      holder.kill('SIGKILL');
      await once(holder, 'exit');
    }
  });
});
