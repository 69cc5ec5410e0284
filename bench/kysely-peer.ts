// The peer for the runner benchmark: Kysely's Migrator (kysely 0.28) on kysely-duckdb's
// @duckdb/node-api dialect, fed the same SQL files (each migration's `up` runs the file
// through `sql.raw`, which @duckdb/node-api splits and runs statement by statement).
//
// Kysely decides atomicity from the dialect adapter: with `supportsTransactionalDdl` it
// wraps the whole batch in ONE transaction; without it, every statement autocommits.
// kysely-duckdb 0.4 says false (DuckDB's DDL is in fact transactional, as the runner's tests show), and its
// migration lock is a no-op (a DuckDB file has one writing process anyway). Both modes are
// measured: as shipped, and with an adapter that admits transactional DDL.
import { DuckDBInstance } from '@duckdb/node-api';
import { DialectAdapterBase, Kysely, Migrator, sql, type Dialect, type Migration } from 'kysely';
import { DuckDbDialect } from 'kysely-duckdb';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GeneratedMigration } from './generate.js';

/** kysely-duckdb's adapter, except that it tells Kysely DuckDB's DDL is transactional. */
class TransactionalDuckDbAdapter extends DialectAdapterBase {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
  override get supportsReturning(): boolean {
    return true;
  }
  async acquireMigrationLock(): Promise<void> {}
  async releaseMigrationLock(): Promise<void> {}
}

/**
 * kysely-duckdb's dialect for an instance we own. Its .d.ts resolve kysely's CJS typings
 * (a dual-package type hazard) while its ESM build imports the same kysely as this file,
 * hence the cast.
 */
function duckDbDialect(instance: DuckDBInstance, transactionalDdl: boolean): Dialect {
  const inner = new DuckDbDialect({ database: instance }) as unknown as Dialect;
  if (!transactionalDdl) return inner;
  return {
    createDriver: () => inner.createDriver(),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createIntrospector: (db) => inner.createIntrospector(db),
    createAdapter: () => new TransactionalDuckDbAdapter(),
  };
}

export type KyselyMode = 'as-shipped' | 'batch-transaction';

export interface KyselyOutcome {
  applied: number;
  error?: string;
}

/**
 * Applies `migrations` from `dir` to the database file with Kysely's Migrator, then one
 * CHECKPOINT (as the floor does). Reading the files is part of the measured work, as it
 * is for duckmig.
 */
export async function kyselyMigrate(
  instance: DuckDBInstance,
  dir: string,
  migrations: GeneratedMigration[],
  mode: KyselyMode,
): Promise<KyselyOutcome> {
  const db = new Kysely<unknown>({ dialect: duckDbDialect(instance, mode === 'batch-transaction') });
  const migrator = new Migrator({
    db,
    provider: {
      async getMigrations() {
        const texts = await Promise.all(migrations.map((m) => readFile(join(dir, m.file), 'utf8')));
        const entries = migrations.map((m, i): [string, Migration] => {
          const text = texts[i]!;
          // keyed by file name so that Kysely's alphabetical order is version order
          return [m.file.replace(/\.sql$/, ''), { up: async (trx) => void (await sql.raw(text).execute(trx)) }];
        });
        return Object.fromEntries(entries);
      },
    },
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  await sql.raw('CHECKPOINT').execute(db);
  // not db.destroy(): kysely-duckdb's destroy closes the instance, which the caller owns
  const applied = results.filter((r) => r.status === 'Success').length;
  return error ? { applied, error: error instanceof Error ? error.message : String(error) } : { applied };
}
