// Reads a database's schema from DuckDB's catalog (tables, columns with type, default and
// nullability, constraints, indexes, views, sequences, macros) as comparable definitions,
// and diffs two such snapshots. Used for the rehearsal's schema diff and by the tests
// that prove the migrations reproduce the legacy schema exactly.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { SchemaChange } from '../contract/index.js';

export interface SchemaObject {
  kind: SchemaChange['kind'];
  name: string;
  definition: string;
}

/** key (`kind:name`) → object */
export type SchemaSnapshot = Map<string, SchemaObject>;

const SCOPE = "database_name = current_database() AND schema_name = 'main'";

async function rows(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

export async function readSchema(connection: DuckDBConnection, exclude: readonly string[] = []): Promise<SchemaSnapshot> {
  const snapshot: SchemaSnapshot = new Map();
  const skip = new Set(exclude);
  const add = (kind: SchemaObject['kind'], name: string, definition: string) =>
    snapshot.set(`${kind}:${name}`, { kind, name, definition });

  const constraints = new Map<string, string[]>();
  for (const c of await rows(connection, `SELECT table_name, constraint_text FROM duckdb_constraints() WHERE ${SCOPE} ORDER BY table_name, constraint_text`)) {
    const list = constraints.get(String(c.table_name)) ?? [];
    list.push(String(c.constraint_text));
    constraints.set(String(c.table_name), list);
  }
  for (const t of await rows(connection, `SELECT table_name FROM duckdb_tables() WHERE ${SCOPE} AND NOT internal AND NOT temporary ORDER BY table_name`)) {
    const name = String(t.table_name);
    if (!skip.has(name)) add('table', name, (constraints.get(name) ?? []).join('; '));
  }
  for (const c of await rows(
    connection,
    `SELECT table_name, column_name, column_index, data_type, column_default, is_nullable FROM duckdb_columns()
      WHERE ${SCOPE} AND NOT internal AND table_name IN (SELECT table_name FROM duckdb_tables() WHERE ${SCOPE})
      ORDER BY table_name, column_index`,
  )) {
    if (skip.has(String(c.table_name))) continue;
    const def = [c.data_type, c.is_nullable ? '' : 'NOT NULL', c.column_default === null ? '' : `DEFAULT ${c.column_default}`, `#${c.column_index}`]
      .filter(Boolean)
      .join(' ');
    add('column', `${c.table_name}.${c.column_name}`, def);
  }
  for (const i of await rows(connection, `SELECT index_name, table_name, is_unique, expressions FROM duckdb_indexes() WHERE ${SCOPE} ORDER BY index_name`)) {
    if (skip.has(String(i.table_name))) continue;
    add('index', String(i.index_name), `${i.is_unique ? 'UNIQUE ' : ''}ON ${i.table_name} ${i.expressions}`);
  }
  for (const v of await rows(connection, `SELECT view_name, sql FROM duckdb_views() WHERE ${SCOPE} AND NOT internal ORDER BY view_name`)) {
    add('view', String(v.view_name), String(v.sql));
  }
  for (const s of await rows(connection, `SELECT sequence_name, start_value, increment_by FROM duckdb_sequences() WHERE ${SCOPE} ORDER BY sequence_name`)) {
    add('sequence', String(s.sequence_name), `START ${s.start_value} INCREMENT ${s.increment_by}`);
  }
  for (const f of await rows(
    connection,
    `SELECT function_name, function_type, parameters, macro_definition FROM duckdb_functions()
      WHERE ${SCOPE} AND NOT internal AND function_type IN ('macro', 'table_macro') ORDER BY function_name`,
  )) {
    const params = Array.isArray(f.parameters) ? f.parameters.join(', ') : String(f.parameters);
    const table = f.function_type === 'table_macro' ? 'TABLE ' : '';
    add('macro', String(f.function_name), `(${params}) AS ${table}${f.macro_definition}`);
  }
  return snapshot;
}

/** What changed from `before` to `after`, in a stable order. */
export function diffSchema(before: SchemaSnapshot, after: SchemaSnapshot): SchemaChange[] {
  const changes: SchemaChange[] = [];
  for (const [key, b] of before) {
    const a = after.get(key);
    if (!a) changes.push({ kind: b.kind, change: 'dropped', name: b.name, before: b.definition });
    else if (a.definition !== b.definition) changes.push({ kind: b.kind, change: 'changed', name: b.name, before: b.definition, after: a.definition });
  }
  for (const [key, a] of after) {
    if (!before.has(key)) changes.push({ kind: a.kind, change: 'added', name: a.name, after: a.definition });
  }
  const order = ['table', 'column', 'index', 'view', 'sequence', 'macro'];
  return changes.sort((x, y) => order.indexOf(x.kind) - order.indexOf(y.kind) || x.name.localeCompare(y.name));
}
