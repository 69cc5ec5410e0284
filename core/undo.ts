// What an undo is made of, apart from running it (the runner does that): which applied
// migrations an undo back to a version takes back (newest first) and with which down
// scripts, its plan id, the restore point offered when a down script is missing, and the
// data the down scripts would drop, counted on the live database before anything runs.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DroppedData, RestoreOffer, RestorePointRef, SchemaChange, UndoReport, UndoStep } from '../contract/index.js';
import type { Analysis } from './analysis.js';
import { destructiveStatements } from './destructive.js';
import { planIdOf } from './plan.js';
import type { MigrationFile } from './source.js';
import { splitStatements } from './statement-text.js';

/** The migrations an undo to `to` takes back, newest first, split by whether they have a down script. */
export interface UndoRange {
  to: number;
  /** applied migrations above `to` that have a down script, newest first */
  steps: MigrationFile[];
  /** applied migrations above `to` without one */
  missing: MigrationFile[];
}

export function undoRange(a: Analysis, to: number): UndoRange {
  const files = new Map(a.migrations.map((m) => [m.version, m]));
  const above = a.applied
    .filter((e) => e.version > to)
    .sort((x, y) => y.version - x.version)
    .map((e) => files.get(e.version))
    .filter((m): m is MigrationFile => m !== undefined);
  return { to, steps: above.filter((m) => m.down !== undefined), missing: above.filter((m) => m.down === undefined) };
}

/** The down script as a migration of its own: its file, checksum and statements (run like any migration). */
export function downMigration(m: MigrationFile): MigrationFile {
  const sql = m.down ?? '';
  return {
    version: m.version,
    name: m.name,
    file: m.downFile ?? m.file,
    path: m.path,
    sql,
    sizeBytes: Buffer.byteLength(sql),
    checksum: m.downChecksum ?? '',
    statements: splitStatements(sql),
  };
}

export function undoSteps(range: UndoRange): UndoStep[] {
  return range.steps.map(downMigration).map((d) => {
    const destructive = destructiveStatements(d);
    return { version: d.version, name: d.name, file: d.file, checksum: d.checksum, statementCount: d.statements.length, ...(destructive.length > 0 && { destructive }) };
  });
}

/**
 * The plan id of an undo: chained over the down scripts in the order they run, marked as
 * undo steps so that no run's plan id can equal it. A new applied migration, or a changed
 * down script, gives another id.
 */
export function undoPlanId(steps: readonly UndoStep[]): string {
  return planIdOf(steps.map((s) => ({ version: s.version, checksum: `undo:${s.checksum}` })));
}

/**
 * The restore point to go back to instead of an undo that lacks down scripts: the newest
 * one taken at a version at or below `to`. Its warning says what restoring it loses; how
 * much was written since is not known, and the warning says that too.
 */
export function restoreOffer(points: readonly RestorePointRef[], range: UndoRange): RestoreOffer {
  const without = range.missing.map((m) => m.file).join(', ');
  const point =
    [...points]
      .filter((p) => p.version !== undefined && p.version <= range.to)
      .sort((x, y) => (y.createdAt ?? '').localeCompare(x.createdAt ?? ''))[0] ?? null;
  if (!point) {
    return {
      restorePoint: null,
      warning:
        `no down script for ${without}, and no restore point was taken at version ${range.to} or below: ` +
        'write the missing down scripts (see docs/authoring.md), or restore a backup of the database',
    };
  }
  return {
    restorePoint: point,
    warning:
      `no down script for ${without}. Restore point ${point.id} was taken at ${point.createdAt ?? 'an unknown time'} at version ${point.version}: ` +
      'restoring it puts the whole database back as it was then, and everything written since (by the application as well as by migrations) is lost. ' +
      'duckmig does not know how many rows or changes that is.',
  };
}

export function undoReport(range: UndoRange, extra: Pick<UndoReport, 'dropped' | 'restoreOffer'> = {}): UndoReport {
  return {
    to: range.to,
    steps: undoSteps(range),
    missingDown: range.missing.map((m) => ({ version: m.version, name: m.name, file: m.file })),
    ...extra,
  };
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

async function counts(connection: DuckDBConnection, sql: string): Promise<number[]> {
  const row = (await connection.runAndReadAll(sql)).getRows()[0] ?? [];
  return row.map((v) => Number(v ?? 0));
}

/**
 * Row counts of what a schema diff drops, read from `connection` (the database as it is
 * before the undo): every dropped table's rows, and for a column dropped from a table that
 * stays, the table's rows and the column's non-NULL values.
 */
export async function droppedData(connection: DuckDBConnection, diff: readonly SchemaChange[]): Promise<DroppedData> {
  const droppedTables = diff.filter((c) => c.kind === 'table' && c.change === 'dropped').map((c) => c.name);
  const gone = new Set(droppedTables);
  const tables: DroppedData['tables'] = [];
  for (const name of droppedTables) {
    const [rows = 0] = await counts(connection, `SELECT count(*) FROM ${quote(name)}`);
    tables.push({ name, rows });
  }
  const columns: DroppedData['columns'] = [];
  for (const c of diff) {
    if (c.kind !== 'column' || c.change !== 'dropped') continue;
    const dot = c.name.indexOf('.');
    const table = c.name.slice(0, dot);
    const column = c.name.slice(dot + 1);
    if (gone.has(table)) continue;
    const [rows = 0, nonNull = 0] = await counts(connection, `SELECT count(*), count(${quote(column)}) FROM ${quote(table)}`);
    columns.push({ table, column, rows, nonNull });
  }
  return { tables, columns };
}
