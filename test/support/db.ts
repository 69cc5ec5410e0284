// Temp folders, DuckDB files and migration directories for tests: each test gets its own
// folder, a copy of the real migrations, and helpers to add files and open databases.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { jsonRows } from './rows.js';
import { Database, FileMigrationSource, MigrationRunner, type RunnerOptions } from '../../core/index.js';

export const REPO_MIGRATIONS = resolve(import.meta.dirname, '../../migrations/duckdb');

export interface Sandbox {
  dir: string;
  dbPath: string;
  migrationsDir: string;
  write(file: string, sql: string | Buffer): string;
  cleanup(): void;
}

/** A temp folder with an (optionally copied) migrations directory and a database path. */
export function sandbox(options: { copyMigrations?: boolean } = {}): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'duckmig-test-'));
  const migrationsDir = join(dir, 'migrations');
  if (options.copyMigrations ?? true) cpSync(REPO_MIGRATIONS, migrationsDir, { recursive: true });
  else cpSync(REPO_MIGRATIONS, migrationsDir, { recursive: true, filter: (src) => !src.endsWith('.sql') });
  return {
    dir,
    dbPath: join(dir, 'test.duckdb'),
    migrationsDir,
    write: (file, sql) => {
      const path = join(migrationsDir, file);
      writeFileSync(path, sql);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export async function openRunner(box: Sandbox, options: Partial<RunnerOptions> = {}): Promise<{ db: Database; runner: MigrationRunner }> {
  const db = await Database.open(box.dbPath, { attempts: 1 });
  const runner = new MigrationRunner({ connection: db.connection, source: new FileMigrationSource(box.migrationsDir), database: db, ...options });
  return { db, runner };
}

export async function scalar(db: Database, sql: string, params: (string | number)[] = []): Promise<unknown> {
  return (await db.connection.runAndReadAll(sql, params)).getRows()[0]?.[0];
}

export async function rowsOf(db: Database, sql: string): Promise<Record<string, unknown>[]> {
  return jsonRows(await db.connection.runAndReadAll(sql));
}
