// Discovers migration files in one directory, ordered by number: duckmig's `NNN_name.sql`
// and the layouts of other tools (see layouts.ts), each read once, checksummed (SHA-256 of
// the whole file's bytes) and its Up part split into statements for display. Symlinked
// files are followed (a Kubernetes ConfigMap mounts each file as a symlink into a hidden
// `..data/` directory); dot-entries are never migrations. Reports bad names, duplicate
// numbers, unreadable, oversized and non-UTF-8 files as problems with file and line
// instead of skipping them silently; an empty file is a warning (recorded as a no-op).
import { createHash } from 'node:crypto';
import { open, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ValidationProblem } from '../contract/index.js';
import { parseFileName, splitSections, type Layout } from './layouts.js';
import { lineAt, splitStatements, type StatementText } from './statement-text.js';

export interface MigrationFile {
  version: number;
  name: string;
  /** file name, e.g. 001_initial_schema.sql */
  file: string;
  path: string;
  /** the SQL that runs: the Up part, with other sections blanked so lines match the file */
  sql: string;
  /** the Down part (a `.down.sql` / `U<n>__` file, or a Down section), run by `duckmig undo` */
  down?: string;
  /** where the Down part comes from: its own file, or this file's Down section */
  downFile?: string;
  /** SHA-256 of the Down part: the Down file's bytes, or the Down section's text */
  downChecksum?: string;
  /** whose conventions the file follows */
  layout?: Layout;
  /** the file's size in bytes */
  sizeBytes: number;
  /** SHA-256 of the whole file */
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

const READ_BATCH = 256;

type Named = { version: number; name: string; file: string; layout: Layout };

/** Default maximum size of one migration file (DUCKMIG_MAX_FILE_BYTES). */
export const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;

export interface FileSourceOptions {
  /** files larger than this are refused (a `file-too-large` problem) without being read */
  maxFileBytes?: number;
}

/** 4 KiB, 50.0 MiB: a size for people. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

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

/**
 * Reads migration files (or symlinks to files) from a directory: `NNN_name.sql` and the
 * layouts in layouts.ts. Non-.sql entries and dot-entries are ignored.
 */
export class FileMigrationSource implements MigrationSource {
  readonly location: string;
  readonly maxFileBytes: number;

  constructor(dir: string, options: FileSourceOptions = {}) {
    this.location = resolve(dir);
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  }

  /** A file, or a symlink whose target is a file; a dangling symlink counts (reported when read). */
  private async isFileEntry(entry: { name: string; isFile(): boolean; isSymbolicLink(): boolean }): Promise<boolean> {
    if (entry.isFile()) return true;
    if (!entry.isSymbolicLink()) return false;
    try {
      return (await stat(join(this.location, entry.name))).isFile();
    } catch {
      return true;
    }
  }

  async scan(): Promise<SourceScan> {
    const problems: ValidationProblem[] = [];
    let entries: string[];
    try {
      const candidates = (await readdir(this.location, { withFileTypes: true })).filter(
        (e) => !e.name.startsWith('.') && e.name.toLowerCase().endsWith('.sql'),
      );
      const files = await Promise.all(candidates.map((e) => this.isFileEntry(e)));
      entries = candidates.filter((_, i) => files[i]).map((e) => e.name);
    } catch (err) {
      problems.push({
        code: 'unreadable-dir',
        severity: 'error',
        message: `cannot read migrations directory ${this.location}: ${(err as Error).message}`,
        hint: 'pass --dir PATH or set DUCKMIG_MIGRATIONS to the folder holding NNN_name.sql files',
      });
      return { migrations: [], problems };
    }

    const named: Named[] = [];
    const downs = new Map<number, Named>();
    for (const file of entries) {
      const n = parseFileName(file);
      if (!n) {
        problems.push({
          code: 'bad-name',
          severity: 'error',
          file,
          message: `${file}: migration file names must look like NNN_snake_case.sql`,
          hint: 'rename it, e.g. 005_add_user_table.sql (digits, underscore, words joined by underscores)',
        });
      } else if (n.role === 'refused') problems.push(n.problem);
      else if (n.role === 'down') downs.set(n.version, n);
      else named.push(n);
    }

    // Files are read concurrently but reported in version order: each read collects its
    // own problems, merged in file order, so the same directory always gives the same list.
    named.sort((a, b) => a.version - b.version || a.file.localeCompare(b.file));
    const migrations: MigrationFile[] = [];
    for (let i = 0; i < named.length; i += READ_BATCH) {
      const batch = named.slice(i, i + READ_BATCH);
      const read = await Promise.all(
        batch.map(async (n) => {
          const own: ValidationProblem[] = [];
          return { migration: await this.readOne(n, own), own };
        }),
      );
      for (const { migration, own } of read) {
        problems.push(...own);
        if (migration) migrations.push(migration);
      }
    }
    await this.attachDowns(migrations, downs, problems);

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

  /** Gives each migration its Down file; a Down file without its migration is reported. */
  private async attachDowns(migrations: MigrationFile[], downs: Map<number, Named>, problems: ValidationProblem[]): Promise<void> {
    if (downs.size === 0) return;
    const byVersion = new Map(migrations.map((m) => [m.version, m]));
    for (const d of downs.values()) {
      const m = byVersion.get(d.version);
      if (!m) {
        problems.push({
          code: 'orphan-down',
          severity: 'warning',
          file: d.file,
          version: d.version,
          message: `${d.file}: a Down file without a migration numbered ${d.version}`,
          hint: 'add the migration it undoes, or delete the file',
        });
        continue;
      }
      const bytes = await this.readBytes(d, problems);
      if (bytes) {
        m.down = new TextDecoder('utf-8').decode(bytes);
        m.downFile = d.file;
        m.downChecksum = checksumOf(bytes);
      }
    }
  }

  /** The file's bytes, or null with the problem recorded (unreadable, or above the size limit). */
  private async readBytes(n: Named, problems: ValidationProblem[]): Promise<Buffer | null> {
    const path = join(this.location, n.file);
    try {
      const handle = await open(path, 'r');
      try {
        const { size } = await handle.stat();
        if (size > this.maxFileBytes) {
          problems.push({
            code: 'file-too-large',
            severity: 'error',
            file: n.file,
            version: n.version,
            message: `${n.file}: the file is ${formatBytes(size)}, above the maximum migration file size of ${formatBytes(this.maxFileBytes)}`,
            hint: 'split the migration, load large data with COPY … FROM a file instead of inline INSERTs, or raise DUCKMIG_MAX_FILE_BYTES',
          });
          return null;
        }
        return await handle.readFile();
      } finally {
        await handle.close();
      }
    } catch (err) {
      problems.push({
        code: 'unreadable-file',
        severity: 'error',
        file: n.file,
        version: n.version,
        message: `${n.file}: cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        hint: 'check that the file (or the target of its symlink) exists and is readable by the worker',
      });
      return null;
    }
  }

  private async readOne(n: Named, problems: ValidationProblem[]): Promise<MigrationFile | null> {
    const path = join(this.location, n.file);
    const bytes = await this.readBytes(n, problems);
    if (!bytes) return null;
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
    const sections = splitSections(decoded.text);
    const statements = splitStatements(sections.up);
    if (statements.length === 0) {
      problems.push({
        code: 'empty-file',
        severity: 'warning',
        file: n.file,
        version: n.version,
        line: 1,
        message: `${n.file}: the file ${sections.layout ? 'has no SQL in its Up section' : 'contains no SQL statements'}; it will be recorded as applied without running anything`,
        hint: 'fine for a placeholder; otherwise add the migration SQL, or delete the file before it is applied',
      });
    }
    return {
      version: n.version,
      name: n.name,
      file: n.file,
      path,
      sql: sections.up,
      ...(sections.down !== undefined && { down: sections.down, downFile: n.file, downChecksum: checksumOf(sections.down) }),
      layout: sections.layout ?? n.layout,
      sizeBytes: bytes.length,
      checksum: checksumOf(bytes),
      statements,
    };
  }
}
