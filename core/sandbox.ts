// What a migration may touch. Every database duckmig opens runs DuckDB's own sandbox: no
// file system beyond the database file (and an explicit allow-list) and no extension
// installs or auto-loading; DuckDB itself refuses to widen file access again while running.
// Statements that would change the connection's state (USE, ATTACH/DETACH, SET/RESET,
// SET VARIABLE, state-changing PRAGMAs, INSTALL/LOAD) are recognised by DuckDB's own
// parser (the prepared statement's type) and refused; and the connection's catalog and
// schema are checked after every migration so a miss can never outlive it.
import { StatementType, type DuckDBConnection, type DuckDBExtractedStatements } from '@duckdb/node-api';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { sqlTokens } from './sql-lexer.js';
import type { StatementText } from './statement-text.js';

function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function sqlList(values: readonly string[]): string {
  return `[${values.map(sqlString).join(', ')}]`;
}

/** Directories go to DuckDB's allowed_directories, everything else to allowed_paths. */
export function splitAllowList(paths: readonly string[]): { directories: string[]; files: string[] } {
  const directories: string[] = [];
  const files: string[] = [];
  for (const raw of paths) {
    const full = resolve(raw);
    let isDirectory = raw.endsWith('/');
    try {
      isDirectory = statSync(full).isDirectory();
    } catch {
      // a path that does not exist yet: a trailing slash says it is meant as a directory
    }
    if (isDirectory) directories.push(full.endsWith('/') ? full : `${full}/`);
    else files.push(full);
  }
  return { directories, files };
}

/**
 * Puts a freshly opened connection's instance into the sandbox. The order matters: DuckDB
 * accepts the allow-list only while external access is still enabled (it cannot be passed
 * when the instance is created: "Failed to set config"), and once access is disabled it
 * refuses both to enable it again and to change the allow-list. `lock_configuration` is
 * not used: DuckDB 1.5 runs `ALTER TABLE … ADD COLUMN … DEFAULT …` inside a transaction
 * through an internal SET, which a locked configuration refuses. `otherSettings` (SET
 * statements) run in the same call, after the sandbox's.
 */
export async function applySandbox(connection: DuckDBConnection, allowedPaths: readonly string[] = [], otherSettings: readonly string[] = []): Promise<void> {
  const { directories, files } = splitAllowList(allowedPaths);
  const settings = [
    ...(directories.length > 0 ? [`SET allowed_directories = ${sqlList(directories)}`] : []),
    ...(files.length > 0 ? [`SET allowed_paths = ${sqlList(files)}`] : []),
    'SET enable_external_access = false',
    ...otherSettings,
  ];
  // one call, in this order: every opened file pays for it (a fleet worker opens thousands)
  await connection.run(settings.join(';\n'));
}

/** Options for DuckDBInstance.create: no extension is ever installed or loaded on its own. */
export const SANDBOX_INSTANCE_OPTIONS = {
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
} as const;

/**
 * Why a statement of this type may not run in a migration, or undefined when it may. The
 * type is DuckDB's: `USE`, `SET`, `RESET`, `SET VARIABLE` and `PRAGMA name = value` all
 * prepare as SET; `INSTALL` and `LOAD` as LOAD; other PRAGMAs that only read are rewritten
 * to SELECT or CALL by DuckDB, so those that stay PRAGMA change settings.
 */
export function connectionStateRefusal(type: StatementType): string | undefined {
  switch (type) {
    case StatementType.SET:
      return 'USE, SET, RESET and SET VARIABLE change the connection for every later migration and job';
    case StatementType.ATTACH:
      return 'ATTACH opens another database on the worker\'s connection';
    case StatementType.DETACH:
      return 'DETACH changes which databases the worker\'s connection sees';
    case StatementType.PRAGMA:
      return 'this PRAGMA changes a setting of the connection';
    case StatementType.LOAD:
      return 'INSTALL and LOAD of extensions are not allowed in migrations';
    case StatementType.PREPARE:
    case StatementType.EXECUTE:
      return 'prepared statements live on the connection beyond the migration';
    default:
      return undefined;
  }
}

/** Types DuckDB itself emits when it rewrites one statement into several (see below). */
const REWRITE_TYPES = new Set<StatementType>([StatementType.SET, StatementType.TRANSACTION]);

/**
 * The refusal for a statement as it runs: validation has judged every statement the file
 * shows already (the type, or the first keyword); what is left to catch here are the types
 * no rewrite of DuckDB's produces. SET and transaction statements can be DuckDB's own
 * rewrite of one statement (see connectionStateStatements) and are not refused here.
 */
export function runtimeRefusal(type: StatementType): string | undefined {
  return REWRITE_TYPES.has(type) ? undefined : connectionStateRefusal(type);
}

/**
 * Statement types that never change the connection's catalog or schema: after a migration
 * made only of these, the check that the connection is still at home is skipped.
 */
const STAYS_HOME = new Set<StatementType>([
  StatementType.SELECT,
  StatementType.INSERT,
  StatementType.UPDATE,
  StatementType.DELETE,
  StatementType.MERGE_INTO,
  StatementType.CREATE,
  StatementType.CREATE_FUNC,
  StatementType.ALTER,
  StatementType.DROP,
  StatementType.COPY,
  StatementType.ANALYZE,
  StatementType.VACUUM,
  StatementType.EXPLAIN,
]);

/** Whether a statement of this type could leave the connection somewhere else. */
export function mayMoveConnection(type: StatementType): boolean {
  return !STAYS_HOME.has(type);
}

/** A statement refused because it changes the connection's state. */
export class ConnectionStateError extends Error {
  override name = 'ConnectionStateError';
}

/** The statement's first keyword (comments skipped), upper-cased. */
function firstWord(sql: string): string {
  for (const token of sqlTokens(sql)) return token.kind === 'word' ? token.text.toUpperCase() : '';
  return '';
}

/** First keywords of the statements connectionStateRefusal refuses, for those DuckDB cannot prepare yet. */
const REFUSED_FIRST_WORDS: Record<string, StatementType> = {
  USE: StatementType.SET,
  SET: StatementType.SET,
  RESET: StatementType.SET,
  ATTACH: StatementType.ATTACH,
  DETACH: StatementType.DETACH,
  PRAGMA: StatementType.PRAGMA,
  INSTALL: StatementType.LOAD,
  FORCE: StatementType.LOAD,
  LOAD: StatementType.LOAD,
  PREPARE: StatementType.PREPARE,
  EXECUTE: StatementType.EXECUTE,
};

/**
 * First keywords that decide the statement's type in DuckDB's grammar, none of them a
 * connection-state type: such statements are not prepared just to learn their type.
 */
const SAFE_FIRST_WORDS = new Set(['CREATE', 'INSERT', 'UPDATE', 'DELETE', 'ALTER', 'DROP']);

/**
 * Whether DuckDB's grammar makes this statement one that neither changes the connection's
 * state nor moves it (its first keyword decides: every type it can have stays home), so
 * it needs neither the runtime refusal nor the check that the connection is still at home.
 */
export function keepsConnection(sql: string): boolean {
  return SAFE_FIRST_WORDS.has(firstWord(sql));
}

async function preparedType(extracted: DuckDBExtractedStatements, index: number): Promise<StatementType | undefined> {
  try {
    const prepared = await extracted.prepare(index);
    const type = prepared.statementType;
    prepared.destroySync();
    return type;
  } catch {
    return undefined; // depends on an earlier statement of its file: judged by its first keyword
  }
}

/**
 * The statements of a parsed file that change the connection's state, by index into
 * `statements` (the file's statements as reported). DuckDB's prepared type decides; a
 * statement DuckDB cannot prepare on its own yet (it reads a table an earlier statement
 * creates, say) is judged by its first keyword. DuckDB 1.5 extracts some single statements
 * as several (`ALTER TABLE … ADD COLUMN … DEFAULT …` becomes a SET of an internal setting,
 * a transaction and the ALTER and UPDATE); the SET and transaction statements of such a
 * rewrite are DuckDB's own doing and are not refused.
 */
export async function connectionStateStatements(
  connection: DuckDBConnection,
  extracted: DuckDBExtractedStatements,
  statements: readonly StatementText[],
): Promise<{ index: number; reason: string }[]> {
  const aligned = extracted.count === statements.length;
  const refused: { index: number; reason: string }[] = [];
  for (const [index, statement] of statements.entries()) {
    let types: (StatementType | undefined)[];
    if (aligned) {
      if (keepsConnection(statement.sql)) continue;
      types = [await preparedType(extracted, index)];
    } else {
      const alone = await connection.extractStatements(statement.sql).catch(() => undefined);
      if (!alone) continue;
      types = [];
      for (let i = 0; i < alone.count; i++) types.push(await preparedType(alone, i));
    }
    const rewritten = types.length > 1;
    let reason: string | undefined;
    for (const type of types) {
      const judged = type ?? REFUSED_FIRST_WORDS[firstWord(statement.sql)];
      if (judged === undefined || (rewritten && REWRITE_TYPES.has(judged))) continue;
      reason ??= connectionStateRefusal(judged);
    }
    if (reason) refused.push({ index, reason });
  }
  return refused;
}

/** The catalog and schema a connection resolves names in. */
export interface ConnectionHome {
  database: string;
  schema: string;
}

export async function readHome(connection: DuckDBConnection): Promise<ConnectionHome> {
  const row = (await connection.runAndReadAll('SELECT current_database(), current_schema()')).getRows()[0];
  return { database: String(row?.[0]), schema: String(row?.[1]) };
}

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Checks that the connection still resolves names where it did; when it does not, puts it
 * back and throws, so the migration that moved it fails (and rolls back) instead of the
 * ledger row, and every later job, landing elsewhere.
 */
export async function ensureHome(connection: DuckDBConnection, home: ConnectionHome): Promise<void> {
  const now = await readHome(connection);
  if (now.database === home.database && now.schema === home.schema) return;
  await connection.run(`USE ${ident(home.database)}.${ident(home.schema)}`);
  await connection.run('RESET search_path');
  throw new ConnectionStateError(
    `the migration moved the connection to ${now.database}.${now.schema} (expected ${home.database}.${home.schema}); it was put back and the migration refused`,
  );
}
