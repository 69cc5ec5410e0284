// The version tables other migration tools keep inside a database, read as they write
// them, and their versions recorded in duckmig's ledger as 'adopted' (never re-run):
// goose's goose_db_version, golang-migrate's schema_migrations(version, dirty), dbmate's
// schema_migrations(version) and Flyway's flyway_schema_history. golang-migrate and dbmate
// use duckmig's ledger name, so their table is kept under another name when adopted.
import type { DuckDBConnection } from '@duckdb/node-api';
import { fromDbTimestamp } from './db-timestamp.js';
import { effectiveApplied, Ledger } from './ledger.js';

export const TOOLS = ['goose', 'golang-migrate', 'dbmate', 'flyway'] as const;
export type Tool = (typeof TOOLS)[number];

/** The database's history cannot be adopted as it is (dirty, failed, or not that tool's table). */
export class ToolHistoryError extends Error {
  override name = 'ToolHistoryError';
}

export interface ToolHistory {
  tool: Tool;
  /** the table it was read from */
  table: string;
  /** versions the tool applied, as it writes them ('20240101120000', '1.1'), with when */
  applied: { version: string; appliedAt: string | null }[];
  /** golang-migrate: every version up to this one is applied; Flyway: its baseline */
  upTo?: string;
}

/** Where golang-migrate's and dbmate's schema_migrations goes when duckmig's ledger takes the name. */
export const KEPT_AS: Partial<Record<Tool, string>> = {
  'golang-migrate': 'golang_migrate_schema_migrations',
  dbmate: 'dbmate_schema_migrations',
};

async function columnsOf(connection: DuckDBConnection, table: string): Promise<Set<string> | null> {
  const reader = await connection.runAndReadAll(
    "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ?",
    [table],
  );
  const names = reader.getRows().map(([name]) => String(name).toLowerCase());
  return names.length === 0 ? null : new Set(names);
}

async function rows(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}

const at = (value: unknown) => (value === null || value === undefined ? null : fromDbTimestamp(value));

/** golang-migrate's or dbmate's table: under its own name, or kept aside by an earlier import. */
async function schemaMigrationsTable(connection: DuckDBConnection, tool: 'golang-migrate' | 'dbmate', needs: string[]): Promise<string | null> {
  for (const table of ['schema_migrations', KEPT_AS[tool]!]) {
    const columns = await columnsOf(connection, table);
    if (!columns) continue;
    if (columns.has('checksum') && columns.has('status')) continue; // duckmig's own ledger
    if (needs.every((c) => columns.has(c)) && (tool === 'golang-migrate' || !columns.has('dirty'))) return table;
    throw new ToolHistoryError(`${table} has columns ${[...columns].join(', ')}, which is not ${tool}'s version table (${needs.join(', ')})`);
  }
  return null;
}

async function readGoose(connection: DuckDBConnection): Promise<ToolHistory | null> {
  const columns = await columnsOf(connection, 'goose_db_version');
  if (!columns) return null;
  const stamp = columns.has('tstamp') ? 'CAST(tstamp AS VARCHAR)' : 'NULL';
  // one row per up (is_applied true) or down (false); the latest row per version decides
  const state = new Map<string, { applied: boolean; appliedAt: string | null }>();
  for (const r of await rows(connection, `SELECT CAST(version_id AS VARCHAR) AS v, CAST(is_applied AS BOOLEAN) AS a, ${stamp} AS t FROM goose_db_version ORDER BY id`)) {
    state.set(String(r.v), { applied: Boolean(r.a), appliedAt: at(r.t) });
  }
  state.delete('0'); // the row goose writes when it creates the table
  return {
    tool: 'goose',
    table: 'goose_db_version',
    applied: [...state].filter(([, s]) => s.applied).map(([version, s]) => ({ version, appliedAt: s.appliedAt })),
  };
}

async function readGolangMigrate(connection: DuckDBConnection): Promise<ToolHistory | null> {
  const table = await schemaMigrationsTable(connection, 'golang-migrate', ['version', 'dirty']);
  if (!table) return null;
  const recorded = await rows(connection, `SELECT CAST(version AS VARCHAR) AS v, CAST(dirty AS BOOLEAN) AS d FROM ${table} ORDER BY version DESC`);
  const current = recorded[0];
  if (!current) return { tool: 'golang-migrate', table, applied: [] };
  if (current.d) {
    throw new ToolHistoryError(
      `golang-migrate marked version ${current.v} dirty: a migration failed half-way and the database may be partly changed. ` +
        `Check the database, then clear the flag with \`migrate … force ${current.v}\` (or force the version before it) and import again`,
    );
  }
  return { tool: 'golang-migrate', table, applied: [], upTo: String(current.v) };
}

async function readDbmate(connection: DuckDBConnection): Promise<ToolHistory | null> {
  const table = await schemaMigrationsTable(connection, 'dbmate', ['version']);
  if (!table) return null;
  const recorded = await rows(connection, `SELECT CAST(version AS VARCHAR) AS v FROM ${table} ORDER BY version`);
  return { tool: 'dbmate', table, applied: recorded.map((r) => ({ version: String(r.v).trim(), appliedAt: null })) };
}

async function readFlyway(connection: DuckDBConnection): Promise<ToolHistory | null> {
  if (!(await columnsOf(connection, 'flyway_schema_history'))) return null;
  const applied = new Map<string, string | null>();
  let upTo: string | undefined;
  const history = await rows(
    connection,
    'SELECT version, type, script, CAST(success AS BOOLEAN) AS ok, CAST(installed_on AS VARCHAR) AS t FROM flyway_schema_history ORDER BY installed_rank',
  );
  for (const r of history) {
    const type = String(r.type).toUpperCase();
    if (r.version === null || type === 'SCHEMA') continue; // repeatables, the schema-creation marker
    const version = String(r.version);
    if (!r.ok) {
      throw new ToolHistoryError(
        `flyway_schema_history records a failed migration (version ${version}, ${String(r.script)}): the database may be partly changed. ` +
          'Check it, run `flyway repair`, and import again',
      );
    }
    if (type === 'BASELINE') upTo = version;
    else if (type.startsWith('UNDO')) applied.delete(version);
    else applied.set(version, at(r.t));
  }
  return { tool: 'flyway', table: 'flyway_schema_history', applied: [...applied].map(([version, appliedAt]) => ({ version, appliedAt })), ...(upTo && { upTo }) };
}

/** The tool's history in the database, or null when its table is not there. */
export function readToolHistory(connection: DuckDBConnection, tool: Tool): Promise<ToolHistory | null> {
  switch (tool) {
    case 'goose':
      return readGoose(connection);
    case 'golang-migrate':
      return readGolangMigrate(connection);
    case 'dbmate':
      return readDbmate(connection);
    case 'flyway':
      return readFlyway(connection);
  }
}

/** Flyway orders versions part by part (1.1 < 1.2 < 1.10 < 2), and 1.0 is 1. */
function versionParts(version: string): bigint[] {
  const parts = version.split(/[._]/).map((p) => BigInt(p));
  while (parts.length > 1 && parts.at(-1) === 0n) parts.pop();
  return parts;
}

export function compareToolVersions(a: string, b: string): number {
  const x = versionParts(a);
  const y = versionParts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0n) - (y[i] ?? 0n);
    if (d !== 0n) return d < 0n ? -1 : 1;
  }
  return 0;
}

/** A migration file as duckmig will see it, with the version the tool knew it by. */
export interface AdoptableFile {
  toolVersion: string;
  version: number;
  name: string;
  checksum: string;
}

/**
 * Which files the history says are applied. Throws when the history names a version that
 * has no file (golang-migrate's current version and Flyway's baseline included, except a
 * baseline, which Flyway allows without a file).
 */
export function appliedFiles(history: ToolHistory, files: AdoptableFile[]): { file: AdoptableFile; appliedAt: string | null }[] {
  const known = (v: string) => files.find((f) => compareToolVersions(f.toolVersion, v) === 0);
  const missing = history.applied.map((a) => a.version).filter((v) => !known(v));
  if (history.upTo && history.tool === 'golang-migrate' && !known(history.upTo)) missing.push(history.upTo);
  if (missing.length > 0) {
    throw new ToolHistoryError(
      `${history.table} records version${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which ${missing.length > 1 ? 'have' : 'has'} no migration file: ` +
        'import from the folder that database was migrated with',
    );
  }
  return files.flatMap((file) => {
    const entry = history.applied.find((a) => compareToolVersions(a.version, file.toolVersion) === 0);
    if (entry) return [{ file, appliedAt: entry.appliedAt }];
    if (history.upTo && compareToolVersions(file.toolVersion, history.upTo) <= 0) return [{ file, appliedAt: null }];
    return [];
  });
}

/**
 * Records the applied files as 'adopted' in duckmig's ledger (versions already there are
 * left alone), after keeping a colliding schema_migrations under its KEPT_AS name.
 * Returns the versions adopted now.
 */
export async function adoptToolHistory(
  connection: DuckDBConnection,
  history: ToolHistory,
  applied: { file: AdoptableFile; appliedAt: string | null }[],
): Promise<number[]> {
  if (history.table === 'schema_migrations') {
    await connection.run(`ALTER TABLE schema_migrations RENAME TO ${KEPT_AS[history.tool]!}`);
  }
  const ledger = new Ledger(connection);
  await ledger.ensure();
  const present = new Set(effectiveApplied(await ledger.read()).map((e) => e.version));
  const todo = applied.filter((a) => !present.has(a.file.version));
  if (todo.length === 0) return [];
  const now = new Date().toISOString();
  await ledger.adopt(
    todo.map(({ file, appliedAt }) => ({ version: file.version, name: file.name, checksum: file.checksum, appliedAt: appliedAt ?? now })),
    `import:${history.tool}`,
  );
  return todo.map((a) => a.file.version);
}
