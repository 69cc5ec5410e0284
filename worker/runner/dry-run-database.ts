// The database a rehearsal runs on, so that it can run exactly as the real run (one
// committed transaction per file) without touching the live database: a copy of the live
// file and its WAL (copied by a child process, as restore points are, so the owner keeps
// its lock; no CHECKPOINT, so not even the live file's bytes change), opened as its own
// instance in a temp folder (which replays the copied WAL) and deleted afterwards; or,
// without a database file (files-only validation), an empty in-memory one.
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from './database.js';
import { copyWithChecksum } from './restore-points.js';

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
export async function openRehearsalDatabase(livePath: string | undefined): Promise<RehearsalDatabase> {
  if (!livePath || livePath === ':memory:') {
    const db = await Database.open(':memory:');
    return { db, copied: false, discard: () => db.close() };
  }
  const dir = await mkdtemp(join(tmpdir(), 'duckmig-rehearsal-'));
  let db: Database | undefined;
  try {
    const copy = join(dir, 'rehearsal.duckdb');
    // the file changes only at a checkpoint and the WAL only at a commit: with the owner
    // making no write, the two copies are one consistent state
    const wal = await access(`${livePath}.wal`).then(() => true, () => false);
    await Promise.all([copyWithChecksum(livePath, copy), wal ? copyWithChecksum(`${livePath}.wal`, `${copy}.wal`) : undefined]);
    db = await Database.open(copy, { attempts: 1 });
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
