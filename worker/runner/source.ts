// Discovers migration files: `NNN_snake_case.sql` in one directory, ordered by number,
// each read once, checksummed (SHA-256 of the bytes) and split into statements for
// display. Reports bad names, duplicate numbers, non-UTF-8 and empty files as problems
// with file and line instead of skipping them silently.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ValidationProblem } from '../../contract/index.js';
import { lineAt, splitStatements, type StatementText } from './statement-text.js';

export interface MigrationFile {
  version: number;
  name: string;
  /** file name, e.g. 001_initial_schema.sql */
  file: string;
  path: string;
  sql: string;
  checksum: string;
  statements: StatementText[];
}

export interface SourceScan {
  migrations: MigrationFile[];
  problems: ValidationProblem[];
}

/** Where migrations come from; the runner only needs a scan. */
export interface MigrationSource {
  readonly location: string;
  scan(): Promise<SourceScan>;
}

export const MIGRATION_FILE = /^(\d+)_([a-z0-9]+(?:_[a-z0-9]+)*)\.sql$/;
const READ_BATCH = 256;

export function checksumOf(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function decodeUtf8(bytes: Buffer): { text: string } | { badLine: number } {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
  } catch {
    const loose = new TextDecoder('utf-8').decode(bytes);
    return { badLine: lineAt(loose, Math.max(0, loose.indexOf('\uFFFD'))) };
  }
}

/** Reads `NNN_name.sql` files from a directory. Non-.sql files and dotfiles are ignored. */
export class FileMigrationSource implements MigrationSource {
  readonly location: string;

  constructor(dir: string) {
    this.location = resolve(dir);
  }

  async scan(): Promise<SourceScan> {
    const problems: ValidationProblem[] = [];
    let entries: string[];
    try {
      entries = (await readdir(this.location, { withFileTypes: true }))
        .filter((e) => e.isFile() && !e.name.startsWith('.') && e.name.toLowerCase().endsWith('.sql'))
        .map((e) => e.name);
    } catch (err) {
      problems.push({
        code: 'unreadable-dir',
        severity: 'error',
        message: `cannot read migrations directory ${this.location}: ${(err as Error).message}`,
        hint: 'pass --dir PATH or set DUCKMIG_MIGRATIONS to the folder holding NNN_name.sql files',
      });
      return { migrations: [], problems };
    }

    const named: { version: number; name: string; file: string }[] = [];
    for (const file of entries) {
      const m = MIGRATION_FILE.exec(file);
      if (!m) {
        problems.push({
          code: 'bad-name',
          severity: 'error',
          file,
          message: `${file}: migration file names must look like NNN_snake_case.sql`,
          hint: 'rename it, e.g. 005_add_user_table.sql (digits, underscore, lower-case words joined by underscores)',
        });
        continue;
      }
      named.push({ version: Number(m[1]), name: m[2]!, file });
    }

    const migrations: MigrationFile[] = [];
    for (let i = 0; i < named.length; i += READ_BATCH) {
      const batch = named.slice(i, i + READ_BATCH);
      const read = await Promise.all(batch.map((n) => this.readOne(n, problems)));
      for (const m of read) if (m) migrations.push(m);
    }
    migrations.sort((a, b) => a.version - b.version || a.file.localeCompare(b.file));

    const byVersion = new Map<number, string>();
    for (const n of [...named].sort((a, b) => a.file.localeCompare(b.file))) {
      const first = byVersion.get(n.version);
      if (first) {
        problems.push({
          code: 'duplicate-version',
          severity: 'error',
          file: n.file,
          version: n.version,
          message: `${n.file}: version ${n.version} is also used by ${first}`,
          hint: 'give each migration its own number (run `duckmig new <name>` to get the next free one)',
        });
      } else byVersion.set(n.version, n.file);
    }
    return { migrations, problems };
  }

  private async readOne(
    n: { version: number; name: string; file: string },
    problems: ValidationProblem[],
  ): Promise<MigrationFile | null> {
    const path = join(this.location, n.file);
    const bytes = await readFile(path);
    const decoded = decodeUtf8(bytes);
    if ('badLine' in decoded) {
      problems.push({
        code: 'not-utf8',
        severity: 'error',
        file: n.file,
        version: n.version,
        line: decoded.badLine,
        message: `${n.file}:${decoded.badLine}: the file is not valid UTF-8`,
        hint: 'save the file as UTF-8',
      });
      return null;
    }
    const statements = splitStatements(decoded.text);
    if (statements.length === 0) {
      problems.push({
        code: 'empty-file',
        severity: 'error',
        file: n.file,
        version: n.version,
        line: 1,
        message: `${n.file}: the file contains no SQL statements`,
        hint: 'add the migration SQL, or delete the file',
      });
    }
    return { ...n, path, sql: decoded.text, checksum: checksumOf(bytes), statements };
  }
}
