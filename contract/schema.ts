// The schema browser's shapes: a database's schema as structured data (tables with their
// columns, constraints, indexes and row counts; views, macros, sequences), the live one
// the worker publishes and the one replayed at an applied version, and the answers of the
// schema routes. No hashing or I/O here: the UI imports it too.
import { z } from 'zod';
import { SchemaChange } from './results.js';

export const SchemaColumn = z.object({
  name: z.string(),
  /** DuckDB's column_index (1-based) */
  position: z.number().int(),
  type: z.string(),
  nullable: z.boolean(),
  /** the default expression as DuckDB prints it, null when none */
  default: z.string().nullable(),
});
export type SchemaColumn = z.infer<typeof SchemaColumn>;

export const SchemaConstraint = z.object({
  /** PRIMARY KEY, UNIQUE, CHECK, FOREIGN KEY or NOT NULL (DuckDB's constraint_type) */
  kind: z.string(),
  name: z.string(),
  columns: z.array(z.string()),
  /** as DuckDB prints it, e.g. `FOREIGN KEY (project_id) REFERENCES projects(id)` */
  text: z.string(),
  /** foreign keys only */
  references: z.object({ table: z.string(), columns: z.array(z.string()) }).nullable(),
});
export type SchemaConstraint = z.infer<typeof SchemaConstraint>;

export const SchemaIndex = z.object({
  name: z.string(),
  unique: z.boolean(),
  /** DuckDB's expressions list, e.g. `[project_id, filename]` */
  expressions: z.string(),
  sql: z.string().nullable(),
});
export type SchemaIndex = z.infer<typeof SchemaIndex>;

export const RowCount = z.object({
  /** DuckDB's estimated_size (cheap: storage statistics) */
  estimated: z.number(),
  /** count(*), taken only for small tables; null when not counted */
  exact: z.number().nullable(),
});
export type RowCount = z.infer<typeof RowCount>;

export const SchemaTable = z.object({
  name: z.string(),
  columns: z.array(SchemaColumn),
  /** in DuckDB's order of constraint_text */
  constraints: z.array(SchemaConstraint),
  indexes: z.array(SchemaIndex),
  /** null where rows are not counted (a schema replayed at a version has no data) */
  rows: RowCount.nullable(),
});
export type SchemaTable = z.infer<typeof SchemaTable>;

export const SchemaView = z.object({ name: z.string(), sql: z.string() });
export type SchemaView = z.infer<typeof SchemaView>;

export const SchemaMacro = z.object({
  name: z.string(),
  /** a table macro (AS TABLE …) rather than a scalar one */
  table: z.boolean(),
  parameters: z.array(z.string()),
  definition: z.string(),
});
export type SchemaMacro = z.infer<typeof SchemaMacro>;

export const SchemaSequence = z.object({
  name: z.string(),
  /** BIGINTs, as text (they may exceed what a JSON number holds exactly) */
  start: z.string(),
  increment: z.string(),
});
export type SchemaSequence = z.infer<typeof SchemaSequence>;

export const DatabaseSchema = z.object({
  tables: z.array(SchemaTable),
  views: z.array(SchemaView),
  macros: z.array(SchemaMacro),
  sequences: z.array(SchemaSequence),
  /** tables left out: duckmig's own ledger tables that this database has */
  excluded: z.array(z.string()),
});
export type DatabaseSchema = z.infer<typeof DatabaseSchema>;

/** GET …/admin/schema: the live schema, published by the worker at start-up and after every job that changed the database. */
export const LiveSchema = DatabaseSchema.extend({
  /** the database's version when it was read */
  version: z.number().int(),
  readAt: z.string(),
  /** how long reading it took (catalog queries and row counts) */
  readMs: z.number(),
});
export type LiveSchema = z.infer<typeof LiveSchema>;

/** One applied migration, as much as identifies what a replay ran. */
export const AppliedFile = z.object({ version: z.number().int(), checksum: z.string() });
export type AppliedFile = z.infer<typeof AppliedFile>;

/** GET …/admin/schema/versions/:version: the schema the applied files 1..version produce on an empty database. */
export const VersionSchema = DatabaseSchema.extend({
  version: z.number().int(),
  /** the files replayed, in order: the cache holds as long as they are what the ledger says was applied */
  applied: z.array(AppliedFile),
  readAt: z.string(),
});
export type VersionSchema = z.infer<typeof VersionSchema>;

/** GET …/admin/schema/diff: what changed from one applied version's schema to another's. */
export const SchemaDiffResponse = z.object({
  from: z.number().int(),
  to: z.number().int(),
  changes: z.array(SchemaChange),
});
export type SchemaDiffResponse = z.infer<typeof SchemaDiffResponse>;

/** Two applied-file lists name the same replay (the cache check). */
export function sameApplied(a: readonly AppliedFile[], b: readonly AppliedFile[]): boolean {
  return a.length === b.length && a.every((f, i) => f.version === b[i]!.version && f.checksum === b[i]!.checksum);
}

/** One schema object as a comparable definition (what the rehearsal's schema diff compares). */
export interface SchemaObject {
  kind: SchemaChange['kind'];
  name: string;
  definition: string;
}

/** key (`kind:name`) → object */
export type SchemaSnapshot = Map<string, SchemaObject>;

/**
 * The schema's objects as comparable definitions: a table by its constraints, a column by
 * type, nullability, default and position, an index by uniqueness, table and expressions.
 */
export function schemaObjects(schema: DatabaseSchema): SchemaSnapshot {
  const snapshot: SchemaSnapshot = new Map();
  const add = (kind: SchemaObject['kind'], name: string, definition: string) => snapshot.set(`${kind}:${name}`, { kind, name, definition });
  for (const t of schema.tables) add('table', t.name, t.constraints.map((c) => c.text).join('; '));
  for (const t of schema.tables) {
    for (const c of t.columns) {
      const def = [c.type, c.nullable ? '' : 'NOT NULL', c.default === null ? '' : `DEFAULT ${c.default}`, `#${c.position}`].filter(Boolean).join(' ');
      add('column', `${t.name}.${c.name}`, def);
    }
  }
  const indexes = schema.tables.flatMap((t) => t.indexes.map((i) => ({ ...i, table: t.name }))).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const i of indexes) add('index', i.name, `${i.unique ? 'UNIQUE ' : ''}ON ${i.table} ${i.expressions}`);
  for (const v of schema.views) add('view', v.name, v.sql);
  for (const s of schema.sequences) add('sequence', s.name, `START ${s.start} INCREMENT ${s.increment}`);
  for (const m of schema.macros) add('macro', m.name, `(${m.parameters.join(', ')}) AS ${m.table ? 'TABLE ' : ''}${m.definition}`);
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
