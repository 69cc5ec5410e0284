// Reads a database's schema from DuckDB's catalog as structured data (tables with columns,
// constraints, indexes and, on request, row counts; views, macros, sequences), and as
// comparable definitions (readSchema) for the rehearsal's schema diff and the tests that
// prove the migrations reproduce the legacy schema exactly. The diff itself lives in the
// contract (the API diffs two replayed versions without DuckDB).
import type { DuckDBConnection } from '@duckdb/node-api';
import { schemaObjects, type DatabaseSchema, type SchemaTable, type SchemaSnapshot } from '../contract/index.js';

export { diffSchema, type SchemaSnapshot } from '../contract/index.js';

const SCOPE = "database_name = current_database() AND schema_name = 'main'";

/** Tables up to this many rows (by estimate) are counted exactly; larger ones keep the estimate. */
export const EXACT_COUNT_MAX_ROWS = 100_000;
/** count(*) subqueries per query. */
const COUNT_BATCH = 200;

export interface ReadSchemaOptions {
  /** tables to leave out (duckmig's ledger) */
  exclude?: readonly string[];
  /** estimated row counts per table, and exact ones for small tables (default false) */
  rowCounts?: boolean;
}

async function rows(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

export async function readDatabaseSchema(connection: DuckDBConnection, options: ReadSchemaOptions = {}): Promise<DatabaseSchema> {
  const skip = new Set(options.exclude ?? []);
  /** the excluded tables this database has */
  const left: string[] = [];
  const tables = new Map<string, SchemaTable>();
  const estimates = new Map<string, number>();
  for (const t of await rows(connection, `SELECT table_name, estimated_size FROM duckdb_tables() WHERE ${SCOPE} AND NOT internal AND NOT temporary ORDER BY table_name`)) {
    const name = String(t.table_name);
    if (skip.has(name)) {
      left.push(name);
      continue;
    }
    tables.set(name, { name, columns: [], constraints: [], indexes: [], rows: null });
    estimates.set(name, Number(t.estimated_size));
  }
  for (const c of await rows(
    connection,
    `SELECT table_name, constraint_type, constraint_name, constraint_text, constraint_column_names, referenced_table, referenced_column_names
       FROM duckdb_constraints() WHERE ${SCOPE} ORDER BY table_name, constraint_text`,
  )) {
    const isFk = c.constraint_type === 'FOREIGN KEY';
    tables.get(String(c.table_name))?.constraints.push({
      kind: String(c.constraint_type),
      name: String(c.constraint_name ?? ''),
      columns: strings(c.constraint_column_names),
      text: String(c.constraint_text),
      references: isFk ? { table: String(c.referenced_table), columns: strings(c.referenced_column_names) } : null,
    });
  }
  for (const c of await rows(
    connection,
    // views' columns come too and are dropped here: a semi-join against duckdb_tables() in the
    // query costs DuckDB several times the whole read (10 ms against 2 on a small catalog)
    `SELECT table_name, column_name, column_index, data_type, column_default, is_nullable FROM duckdb_columns()
      WHERE ${SCOPE} AND NOT internal ORDER BY table_name, column_index`,
  )) {
    tables.get(String(c.table_name))?.columns.push({
      name: String(c.column_name),
      position: Number(c.column_index),
      type: String(c.data_type),
      nullable: Boolean(c.is_nullable),
      default: c.column_default === null || c.column_default === undefined ? null : String(c.column_default),
    });
  }
  for (const i of await rows(connection, `SELECT index_name, table_name, is_unique, expressions, sql FROM duckdb_indexes() WHERE ${SCOPE} ORDER BY index_name`)) {
    tables.get(String(i.table_name))?.indexes.push({
      name: String(i.index_name),
      unique: Boolean(i.is_unique),
      expressions: String(i.expressions),
      sql: i.sql === null || i.sql === undefined ? null : String(i.sql),
    });
  }
  if (options.rowCounts) await countRows(connection, [...tables.values()], estimates);

  const views = (await rows(connection, `SELECT view_name, sql FROM duckdb_views() WHERE ${SCOPE} AND NOT internal ORDER BY view_name`)).map((v) => ({
    name: String(v.view_name),
    sql: String(v.sql),
  }));
  const sequences = (await rows(connection, `SELECT sequence_name, start_value, increment_by FROM duckdb_sequences() WHERE ${SCOPE} ORDER BY sequence_name`)).map((s) => ({
    name: String(s.sequence_name),
    start: String(s.start_value),
    increment: String(s.increment_by),
  }));
  const macros = (
    await rows(
      connection,
      `SELECT function_name, function_type, parameters, macro_definition FROM duckdb_functions()
        WHERE ${SCOPE} AND NOT internal AND function_type IN ('macro', 'table_macro') ORDER BY function_name`,
    )
  ).map((f) => ({
    name: String(f.function_name),
    table: f.function_type === 'table_macro',
    parameters: Array.isArray(f.parameters) ? f.parameters.map(String) : [String(f.parameters)],
    definition: String(f.macro_definition),
  }));
  return { tables: [...tables.values()], views, macros, sequences, excluded: left.sort() };
}

/** Estimated sizes for every table; count(*) for those small enough, in batched queries. */
async function countRows(connection: DuckDBConnection, tables: SchemaTable[], estimates: Map<string, number>): Promise<void> {
  for (const t of tables) t.rows = { estimated: estimates.get(t.name) ?? 0, exact: null };
  const small = tables.filter((t) => t.rows!.estimated <= EXACT_COUNT_MAX_ROWS);
  for (let i = 0; i < small.length; i += COUNT_BATCH) {
    const batch = small.slice(i, i + COUNT_BATCH);
    const sql = `SELECT ${batch.map((t, j) => `(SELECT count(*) FROM main.${quoteIdent(t.name)}) AS c${j}`).join(', ')}`;
    const [counts] = await rows(connection, sql);
    batch.forEach((t, j) => (t.rows!.exact = Number(counts?.[`c${j}`])));
  }
}

/** The schema as comparable definitions (key `kind:name`), without row counts. */
export async function readSchema(connection: DuckDBConnection, exclude: readonly string[] = []): Promise<SchemaSnapshot> {
  return schemaObjects(await readDatabaseSchema(connection, { exclude }));
}
