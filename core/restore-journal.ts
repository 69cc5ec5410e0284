// The journal of a restore's file swap, `<db>.restore-journal`: created (exclusively) before
// the restore touches anything, advanced at each durable step, removed when the swap is final.
// While it exists and its process lives, nobody else may open the database: it stands in for
// DuckDB's file lock, which the restore releases between closing the old file and opening the
// restored one. A journal whose process is gone is an interrupted swap: settleSwap() rolls it
// back, or finishes it once the restored database has recorded the restore. Every step is
// written so that, at any moment, one complete database is at the database path or beside it.
import { hostname } from 'node:os';
import { link, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';

/** staging: the copy is being made (the database is untouched); swapping: files move; recorded: the restored database is final */
export type SwapState = 'staging' | 'swapping' | 'recorded';

export interface SwapJournal {
  pid: number;
  host: string;
  pointId: string;
  state: SwapState;
  startedAt: string;
}

export interface SwapFiles {
  target: string;
  journal: string;
  /** the verified copy of the restore point, renamed over the target */
  staging: string;
  /** a second name of the previous database (a hard link) until the restored one is final */
  aside: string;
  wal: string;
}

export class SwapInProgressError extends Error {
  override name = 'SwapInProgressError';
  constructor(
    readonly path: string,
    readonly holderPid: number,
  ) {
    super(`a restore (PID ${holderPid}) is swapping ${path}`);
  }
}

export function swapFiles(target: string): SwapFiles {
  return { target, journal: `${target}.restore-journal`, staging: `${target}.restoring`, aside: `${target}.before-restore`, wal: `${target}.wal` };
}

// journals this process holds: its own reopen passes, and a PID equal to ours (a restarted
// container is PID 1 again) means a journal left by a previous life
const held = new Set<string>();

/** fsync of a file or a directory (a rename or link is durable once its directory is synced). */
export async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function statOrNull(path: string) {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export async function readJournal(target: string): Promise<SwapJournal | null> {
  try {
    return JSON.parse(await readFile(swapFiles(target).journal, 'utf8')) as SwapJournal;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    // a journal cut short by a crash while it was first written: nothing was moved yet
    return { pid: 0, host: hostname(), pointId: 'unknown', state: 'staging', startedAt: '' };
  }
}

function alive(journal: SwapJournal, path: string): boolean {
  // one host per database file: a journal written on another host (a replaced pod on the same
  // volume) has no process here to wait for
  if (journal.host !== hostname() || journal.pid <= 0) return false;
  if (journal.pid === process.pid) return held.has(path);
  try {
    process.kill(journal.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Starts a swap: the journal is created exclusively and durably, or the call fails. */
export async function beginSwap(target: string, pointId: string): Promise<SwapFiles> {
  const files = swapFiles(target);
  if (await statOrNull(files.aside)) {
    throw new Error(`${files.aside} exists (left by an earlier restore): it may be the only copy of a database; move it away before restoring`);
  }
  const journal: SwapJournal = { pid: process.pid, host: hostname(), pointId, state: 'staging', startedAt: new Date().toISOString() };
  try {
    await writeFile(files.journal, `${JSON.stringify(journal)}\n`, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const other = await readJournal(target);
    throw new SwapInProgressError(target, other?.pid ?? 0);
  }
  held.add(files.journal);
  await syncPath(files.journal);
  await syncPath(dirname(target));
  return files;
}

export async function advanceSwap(files: SwapFiles, pointId: string, state: SwapState): Promise<void> {
  const next = `${files.journal}.next`;
  const journal: SwapJournal = { pid: process.pid, host: hostname(), pointId, state, startedAt: new Date().toISOString() };
  await writeFile(next, `${JSON.stringify(journal)}\n`);
  await syncPath(next);
  await rename(next, files.journal);
  await syncPath(dirname(files.target));
}

/** The swap is over (finished or rolled back): the journal goes, and with it the claim on the file. */
export async function endSwap(files: SwapFiles): Promise<void> {
  await rm(files.staging, { force: true });
  await rm(`${files.journal}.next`, { force: true });
  await rm(files.journal, { force: true });
  await syncPath(dirname(files.target));
  held.delete(files.journal);
}

/** The previous database keeps a second name; the target is never missing while files move. */
export async function keepPrevious(files: SwapFiles): Promise<void> {
  await link(files.target, files.aside);
  await syncPath(dirname(files.target));
}

/**
 * Undoes a swap that did not finish: the previous database goes back to the target path
 * (its hard link is removed when the target still is that same file), the staging copy and
 * the restored database's WAL go. Safe to repeat after a crash half-way through.
 */
export async function rollBackSwap(files: SwapFiles): Promise<void> {
  const journal = await readJournal(files.target);
  const previous = journal?.state === 'staging' ? null : await statOrNull(files.aside);
  if (previous) {
    const current = await statOrNull(files.target);
    if (current && current.ino === previous.ino && current.dev === previous.dev) {
      await rm(files.aside); // two names of one file: nothing was swapped yet
    } else {
      await rm(files.wal, { force: true }); // belongs to the restored database, never to the previous one
      await rename(files.aside, files.target);
    }
    await syncPath(dirname(files.target));
  }
  await endSwap(files);
}

/**
 * Gives up this process's claim without settling (a rollback that failed half-way): the next
 * open, here or after a restart, finds the journal unclaimed and settles it.
 */
export function releaseSwap(files: SwapFiles): void {
  held.delete(files.journal);
}

/** After the restored database recorded the restore: the previous copy goes (a restore point of it was taken first). */
export async function finishSwap(files: SwapFiles): Promise<void> {
  await rm(files.aside, { force: true });
  await endSwap(files);
}

/**
 * Before anything opens the database: settles a swap whose process is gone (rolled back, or
 * finished when the restored database already recorded the restore) and returns null, or
 * returns the PID of the live process that is swapping the file (the caller must not open
 * it). A swap held by this very process (the restore reopening the file) returns null.
 * With `settle: false` it only answers (used once the file is open: nothing may move then).
 */
export async function settleSwap(target: string, options: { logger?: Logger; settle?: boolean } = {}): Promise<number | null> {
  const { logger, settle = true } = options;
  const files = swapFiles(target);
  const journal = await readJournal(target);
  if (!journal) return null;
  if (alive(journal, files.journal)) return journal.pid === process.pid ? null : journal.pid;
  if (!settle) return null;
  const finished = journal.state === 'recorded';
  logger?.warn({ event: 'restore:interrupted', path: target, pointId: journal.pointId, state: journal.state, pid: journal.pid }, `a restore of ${basename(target)} was interrupted (${journal.state}): ${finished ? 'finishing' : 'rolling back'} its swap`);
  if (finished) await finishSwap(files);
  else await rollBackSwap(files);
  logger?.info({ event: finished ? 'restore:finished' : 'restore:rolled-back', path: target, pointId: journal.pointId }, finished ? 'interrupted restore finished' : 'interrupted restore rolled back: the previous database is in place');
  return null;
}
