// A data-free copy of a database's schema for experiments: reads the live catalog's DDL
// (schemas, enum types, sequences, tables with their constraints, views, indexes, macros)
// and replays it into a fresh in-memory DuckDB, so lint can run pending migrations against
// the real shape of the database without touching it or its rows.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

const SCOPE = 'database_name = current_database()';
/** DuckDB's own catalogs are built in, not part of the schema */
const SYSTEM_SCHEMAS = "('information_schema', 'pg_catalog')";

async function rows(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
const quoteString = (value: string) => `'${value.replaceAll("'", "''")}'`;
const qualified = (schema: string, name: string) => (schema === 'main' ? quoteIdent(name) : `${quoteIdent(schema)}.${quoteIdent(name)}`);

/**
 * The statements that recreate the schema of `connection`'s current database: schemas,
 * enum types, sequences, tables, views, indexes, macros, each kind in creation order.
 */
export async function schemaDdl(connection: DuckDBConnection): Promise<string[]> {
  const ddl: string[] = [];
  for (const s of await rows(connection, `SELECT schema_name FROM duckdb_schemas() WHERE ${SCOPE} AND NOT internal AND schema_name NOT IN ${SYSTEM_SCHEMAS} ORDER BY oid`)) {
    if (s.schema_name !== 'main') ddl.push(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(String(s.schema_name))};`);
  }
  for (const t of await rows(connection, `SELECT schema_name, type_name, labels FROM duckdb_types() WHERE ${SCOPE} AND NOT internal AND logical_type = 'ENUM' ORDER BY type_oid`)) {
    const labels = (t.labels as string[]).map(quoteString).join(', ');
    ddl.push(`CREATE TYPE ${qualified(String(t.schema_name), String(t.type_name))} AS ENUM (${labels});`);
  }
  const queries = [
    `SELECT sql FROM duckdb_sequences() WHERE ${SCOPE} AND NOT temporary ORDER BY sequence_oid`,
    `SELECT sql FROM duckdb_tables() WHERE ${SCOPE} AND NOT internal AND NOT temporary ORDER BY table_oid`,
    `SELECT sql FROM duckdb_views() WHERE ${SCOPE} AND NOT internal AND NOT temporary ORDER BY view_oid`,
    `SELECT sql FROM duckdb_indexes() WHERE ${SCOPE} AND sql IS NOT NULL ORDER BY index_oid`,
  ];
  for (const query of queries) for (const r of await rows(connection, query)) ddl.push(String(r.sql));
  for (const f of await rows(
    connection,
    `SELECT schema_name, function_name, function_type, parameters, macro_definition FROM duckdb_functions()
      WHERE ${SCOPE} AND NOT internal AND function_type IN ('macro', 'table_macro') ORDER BY function_oid`,
  )) {
    const params = (f.parameters as string[]).join(', ');
    const table = f.function_type === 'table_macro' ? 'TABLE ' : '';
    ddl.push(`CREATE MACRO ${qualified(String(f.schema_name), String(f.function_name))}(${params}) AS ${table}${f.macro_definition};`);
  }
  return ddl;
}

/**
 * Replays DDL on a connection. Each kind comes in creation order, but kinds depend on each
 * other across the lists (a view that calls a macro, a macro that reads a table), so
 * statements that fail are retried until a round makes no progress. Returns what could not
 * be replayed.
 */
export async function replaySchema(connection: DuckDBConnection, ddl: string[]): Promise<{ sql: string; error: string }[]> {
  let todo = ddl;
  for (;;) {
    const failed: { sql: string; error: string }[] = [];
    for (const sql of todo) {
      try {
        await connection.run(sql);
      } catch (err) {
        failed.push({ sql, error: (err as Error).message });
      }
    }
    if (failed.length === 0 || failed.length === todo.length) return failed;
    todo = failed.map((f) => f.sql);
  }
}

export interface Scratch {
  connection: DuckDBConnection;
  close(): void;
}

/**
 * A fresh in-memory database, closed to the file system (migration SQL runs there), holding
 * `ddl` when given. Everything in it is thrown away by close().
 */
export async function openScratch(ddl: string[] = []): Promise<Scratch & { unreplayed: { sql: string; error: string }[] }> {
  const instance = await DuckDBInstance.create(':memory:', { enable_external_access: 'false', threads: '1' });
  const connection = await instance.connect();
  const unreplayed = await replaySchema(connection, ddl);
  return {
    connection,
    unreplayed,
    close: () => {
      // an instance DuckDB invalidated may refuse to close cleanly: it is thrown away either way
      try {
        connection.closeSync();
        instance.closeSync();
      } catch {
        // nothing to keep
      }
    },
  };
}
