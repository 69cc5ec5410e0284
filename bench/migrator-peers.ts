// Two more peers for the runner benchmark, each driven as its documentation describes for a
// custom database and wired to the same @duckdb/node-api instance as every other variant:
// - umzug 3: the SQL files found by its glob, each migration's `up` runs the file in its own
//   transaction; its storage (the "history store": executed/log/unlog) is a DuckDB table.
// - postgrator 8: its `pg` dialect (DuckDB accepts its SQL), `execQuery` and
//   `execSqlScript` over the connection; files named NNN.do.name.sql as it expects.
// Neither puts a migration and its history row in one transaction; both then CHECKPOINT
// once, as the floor does.
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Postgrator from 'postgrator';
import { Umzug, type UmzugStorage } from 'umzug';
import type { GeneratedMigration } from './generate.js';

export interface PeerOutcome {
  applied: number;
  error?: string;
}

async function withConnection(instance: DuckDBInstance, work: (c: DuckDBConnection) => Promise<PeerOutcome>): Promise<PeerOutcome> {
  const c = await instance.connect();
  try {
    const outcome = await work(c);
    await c.run('CHECKPOINT');
    return outcome;
  } catch (err) {
    return { applied: 0, error: (err as Error).message };
  } finally {
    c.closeSync();
  }
}

/** umzug's history store in a DuckDB table. */
function duckdbStorage(c: DuckDBConnection): UmzugStorage {
  let ready: Promise<unknown> | undefined;
  const table = () => (ready ??= c.run('CREATE TABLE IF NOT EXISTS umzug_meta (name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)'));
  return {
    async executed() {
      await table();
      return (await c.runAndReadAll('SELECT name FROM umzug_meta ORDER BY name')).getRows().map((r) => String(r[0]));
    },
    async logMigration({ name }) {
      await table();
      await c.run('INSERT INTO umzug_meta VALUES (?, CAST(? AS TIMESTAMP))', [name, new Date().toISOString().replace('T', ' ').replace('Z', '')]);
    },
    async unlogMigration({ name }) {
      await table();
      await c.run('DELETE FROM umzug_meta WHERE name = ?', [name]);
    },
  };
}

export function umzugMigrate(instance: DuckDBInstance, dir: string): Promise<PeerOutcome> {
  return withConnection(instance, async (c) => {
    const umzug = new Umzug({
      migrations: {
        glob: join(dir, '*.sql'),
        resolve: ({ name, path }) => ({
          name,
          up: async () => {
            const text = await readFile(path!, 'utf8');
            await c.run('BEGIN TRANSACTION');
            try {
              await c.run(text);
              await c.run('COMMIT');
            } catch (err) {
              await c.run('ROLLBACK');
              throw err;
            }
          },
        }),
      },
      storage: duckdbStorage(c),
      logger: undefined,
    });
    const applied = await umzug.up();
    return { applied: applied.length };
  });
}

/** postgrator wants NNN.do.name.sql: copies of the generated files under that name (untimed). */
export async function postgratorFiles(dir: string, migrations: GeneratedMigration[], into: string): Promise<string> {
  await mkdir(into, { recursive: true });
  await Promise.all(migrations.map((m, i) => copyFile(join(dir, m.file), join(into, `${String(i + 1).padStart(4, '0')}.do.${m.key}.sql`))));
  return into;
}

export function postgratorMigrate(instance: DuckDBInstance, postgratorDir: string): Promise<PeerOutcome> {
  return withConnection(instance, async (c) => {
    const postgrator = new Postgrator({
      migrationPattern: join(postgratorDir, '*'),
      driver: 'pg',
      schemaTable: 'schemaversion',
      execQuery: async (query) => ({ rows: (await c.runAndReadAll(query)).getRowObjectsJS() }),
      execSqlScript: async (script) => void (await c.run(script)),
    });
    const applied = await postgrator.migrate();
    return { applied: applied.length };
  });
}
