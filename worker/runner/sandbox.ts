// What a migration may touch. Every database duckmig opens runs DuckDB's own sandbox: no
// file system beyond the database file (and an explicit allow-list), no extension installs
// or auto-loading, and the configuration locked so SQL cannot switch any of it back.
// Statements that would change the connection's state (USE, ATTACH/DETACH, SET/RESET,
// SET VARIABLE, state-changing PRAGMAs, INSTALL/LOAD) are recognised by DuckDB's own
// parser (the prepared statement's type) and refused; and the connection's catalog and
// schema are checked after every migration so a miss can never outlive it.
import { StatementType, type DuckDBConnection, type DuckDBExtractedStatements } from '@duckdb/node-api';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';

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
 * Locks a freshly opened connection's instance into the sandbox. The order matters: DuckDB
 * accepts the allow-list only while external access is still enabled, and nothing at all
 * once the configuration is locked (the allow-list cannot be passed when the instance is
 * created: "Failed to set config").
 */
export async function applySandbox(connection: DuckDBConnection, allowedPaths: readonly string[] = []): Promise<void> {
  const { directories, files } = splitAllowList(allowedPaths);
  if (directories.length > 0) await connection.run(`SET allowed_directories = ${sqlList(directories)}`);
  if (files.length > 0) await connection.run(`SET allowed_paths = ${sqlList(files)}`);
  await connection.run('SET enable_external_access = false');
  await connection.run('SET lock_configuration = true');
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

/** A statement refused because it changes the connection's state. */
export class ConnectionStateError extends Error {
  override name = 'ConnectionStateError';
}

/**
 * The statements of a parsed file that change the connection's state, by index. A
 * statement DuckDB cannot prepare on its own (it depends on an earlier statement of the
 * file, say) is checked again when it runs.
 */
export async function connectionStateStatements(extracted: DuckDBExtractedStatements): Promise<{ index: number; reason: string }[]> {
  const refused: { index: number; reason: string }[] = [];
  for (let index = 0; index < extracted.count; index++) {
    let type: StatementType;
    try {
      const prepared = await extracted.prepare(index);
      type = prepared.statementType;
      prepared.destroySync();
    } catch {
      continue;
    }
    const reason = connectionStateRefusal(type);
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
