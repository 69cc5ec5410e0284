// What people see of migration files, bounded whatever their size: each statement's text
// up to STATEMENT_PREVIEW_BYTES with its real size, a plan that lists at most
// PLAN_PREVIEW_STATEMENTS statements per migration, and the pending list without SQL
// (with the plan id of a run up to each migration). A 50 MB seed INSERT stays a few KB.
// The pending SQL is shown as the file reads, comments included, cut at statement ends.
import {
  PLAN_PREVIEW_STATEMENTS,
  STATEMENT_PREVIEW_BYTES,
  type PendingMigration,
  type PlannedMigration,
  type PlannedStatement,
} from '../contract/index.js';
import { destructiveStatements } from './destructive.js';
import { planIds } from './plan.js';
import type { MigrationFile } from './source.js';
import type { StatementText } from './statement-text.js';

/** The beginning of `text`, at most `maxBytes` of UTF-8, never splitting a character. */
export function excerpt(text: string, maxBytes = STATEMENT_PREVIEW_BYTES): { text: string; sizeBytes: number; truncated: boolean } {
  // a character takes at least one byte: measure only what might be kept
  const sizeBytes = Buffer.byteLength(text);
  if (sizeBytes <= maxBytes) return { text, sizeBytes, truncated: false };
  const head = Buffer.from(text.slice(0, maxBytes)).subarray(0, maxBytes).toString('utf8');
  return { text: head.replace(/\uFFFD+$/, ''), sizeBytes, truncated: true };
}

export function previewStatement(statement: StatementText, index: number): PlannedStatement {
  const { text, sizeBytes, truncated } = excerpt(statement.sql);
  return { index, line: statement.line, sql: text, sizeBytes, ...(truncated && { truncated }) };
}

export function pendingList(files: MigrationFile[]): PendingMigration[] {
  const ids = planIds(files);
  return files.map((m, i) => ({ ...described(m), planId: ids[i]! }));
}

/** What the status and a plan say about a file besides its SQL. */
function described(m: MigrationFile): Omit<PendingMigration, 'planId'> {
  const destructive = destructiveStatements(m);
  return {
    version: m.version,
    name: m.name,
    file: m.file,
    checksum: m.checksum,
    statementCount: m.statements.length,
    sizeBytes: m.sizeBytes,
    ...(destructive.length > 0 && { destructive }),
  };
}

export function plannedMigration(m: MigrationFile): PlannedMigration {
  const listed = m.statements.slice(0, PLAN_PREVIEW_STATEMENTS);
  return {
    ...described(m),
    statements: listed.map(previewStatement),
    ...(listed.length < m.statements.length && { statementsTruncated: true }),
  };
}

/**
 * The file's text in one piece per statement, as written: each piece runs from the end of
 * the previous statement's line (so comments above a statement come with it) to the end
 * of its own; the first piece starts at the top of the file. Lines are the pieces' own.
 */
export function fileChunks(m: Pick<MigrationFile, 'sql' | 'statements'>): StatementText[] {
  const text = m.sql;
  const starts: number[] = [0];
  for (let i = 1; i < m.statements.length; i++) {
    const previous = m.statements[i - 1]!;
    const semicolon = text.indexOf(';', previous.offset + previous.sql.length);
    const next = m.statements[i]!.offset;
    const newline = semicolon === -1 || semicolon >= next ? -1 : text.indexOf('\n', semicolon);
    starts.push(newline === -1 || newline >= next ? next : newline + 1);
  }
  const chunks: StatementText[] = [];
  let line = 1;
  for (let i = 0; i < starts.length && m.statements.length > 0; i++) {
    const start = starts[i]!;
    const end = starts[i + 1] ?? text.length;
    const sql = text.slice(start, end).replace(/\n$/, '');
    chunks.push({ sql, offset: start, line });
    for (let j = start; j < end; j++) if (text.charCodeAt(j) === 10) line++;
  }
  return chunks;
}
