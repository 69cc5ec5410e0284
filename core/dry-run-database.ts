// The database a rehearsal runs on, so that it can run exactly as the real run (one
// committed transaction per file) without touching the live database: a copy of the live
// file and its WAL (copied by a child process, as restore points are, so the owner keeps
// its lock; no CHECKPOINT, so not even the live file's bytes change), opened as its own
// instance in a temp folder (which replays the copied WAL) and deleted afterwards; or,
// without a database file (files-only validation), an empty in-memory one.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, type OpenOptions } from './database.js';

// The copy is made by a child process: copying in the owning process would close a
// descriptor of the database file and so drop the owner's lock (restore-points.ts says
// why). `cp` starts in a millisecond (a node child takes 50 ms and more) and lets the
// kernel copy (copy_file_range, or a reflink where the file system has them); node's
// fs.copyFile in a child where there is no `cp`. No checksum: the copy lives only as long
// as the rehearsal.
const NODE_COPY = `
const { constants, copyFile } = require('node:fs');
const [from, to] = process.argv.slice(1);
copyFile(from, to, constants.COPYFILE_EXCL, (err) => { if (err) { process.stderr.write(err.message); process.exit(1); } });
`;

async function inChild(command: string, args: string[]): Promise<{ code: number | null; err: string }> {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const [code] = (await Promise.race([once(child, 'close'), once(child, 'error').then(([e]) => [null, e])])) as [number | null, Error?];
  return { code, err: err.trim() };
}

async function copyFile(from: string, to: string): Promise<void> {
  let outcome = await inChild('cp', [from, to]).catch(() => ({ code: null, err: '' }));
  if (outcome.code === null) outcome = await inChild(process.execPath, ['-e', NODE_COPY, from, to]);
  if (outcome.code !== 0) throw new Error(`copying ${from} for the rehearsal failed: ${outcome.err || `exit ${outcome.code}`}`);
}

export interface RehearsalDatabase {
  readonly db: Database;
  /** false when it started empty (no live file to copy) */
  readonly copied: boolean;
  /** closes it and deletes the copy; safe to call more than once */
  discard(): Promise<void>;
}

/**
 * A database to rehearse on: a copy of `livePath` (the owner's open file), or an empty
 * in-memory one when there is no file. The owner must make no write meanwhile.
 */
export async function openRehearsalDatabase(livePath: string | undefined, options: Pick<OpenOptions, 'allowedPaths' | 'threads'> = {}): Promise<RehearsalDatabase> {
  if (!livePath || livePath === ':memory:') {
    const db = await Database.open(':memory:', options);
    return { db, copied: false, discard: () => db.close() };
  }
  const dir = await mkdtemp(join(tmpdir(), 'duckmig-rehearsal-'));
  let db: Database | undefined;
  try {
    const copy = join(dir, 'rehearsal.duckdb');
    // the file changes only at a checkpoint and the WAL only at a commit: with the owner
    // making no write, the two copies are one consistent state
    const wal = await access(`${livePath}.wal`).then(() => true, () => false);
    await Promise.all([copyFile(livePath, copy), wal ? copyFile(`${livePath}.wal`, `${copy}.wal`) : undefined]);
    db = await Database.open(copy, { ...options, attempts: 1 });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const opened = db;
  let discarded: Promise<void> | null = null;
  return {
    db: opened,
    copied: true,
    discard: () =>
      (discarded ??= (async () => {
        try {
          // no CHECKPOINT on the way out: the copy is thrown away
          opened.connection.closeSync();
          opened.instance.closeSync();
        } catch {
          // an instance DuckDB invalidated may refuse to close; its folder goes anyway
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      })()),
  };
}
