// The CPU priority of the worker's DuckDB work (DUCKMIG_DUCKDB_NICE). DuckDB runs every query
// on libuv's thread pool and, with threads > 1, on threads of its own that it starts from
// there; the event loop (heartbeat, progress, in `duckmig start` also the API) runs on the
// process's main thread. Lowering every thread but the main one lets a long, CPU-bound
// migration yield to the event loop and to the other processes on the machine (the API,
// Redis) without slowing it when the machine is otherwise idle. Threads started later inherit
// the priority of the thread that starts them, which is a lowered one for DuckDB's.
// Linux only (threads are listed in /proc/self/task); it never raises a priority.
import { readdir } from 'node:fs/promises';
import { getPriority, setPriority } from 'node:os';
import type { Logger } from 'pino';

interface ThreadPriorityOutcome {
  /** threads whose priority this call lowered */
  lowered: number;
  /** threads already at that nice value or above (e.g. the whole process started under `nice`) */
  already: number;
  /** why nothing was changed, when nothing could be */
  skipped?: string;
}

/** Sets every thread of this process but the main one to `nice` (0–19) unless its nice value is that or above already. */
async function lowerWorkThreads(nice: number): Promise<ThreadPriorityOutcome> {
  if (nice === 0) return { lowered: 0, already: 0, skipped: 'DUCKMIG_DUCKDB_NICE is 0' };
  let tids: number[];
  try {
    // read through the thread pool, so its threads exist (libuv starts them on first use) and are listed
    tids = (await readdir('/proc/self/task')).map(Number);
  } catch {
    return { lowered: 0, already: 0, skipped: 'threads cannot be listed here (/proc/self/task, Linux only)' };
  }
  // the main thread's id is the process id; under another PID namespace's /proc it may not be
  if (!tids.includes(process.pid)) return { lowered: 0, already: 0, skipped: 'this process is not in /proc/self/task (another PID namespace)' };
  let lowered = 0;
  let already = 0;
  for (const tid of tids) {
    if (tid === process.pid) continue;
    try {
      if (getPriority(tid) >= nice) already++;
      else {
        setPriority(tid, nice);
        lowered++;
      }
    } catch {
      // the thread ended since the listing
    }
  }
  return { lowered, already };
}

/** lowerWorkThreads, logged (`duckdb:priority`): the worker calls it once DuckDB is open. */
export async function applyDuckdbPriority(nice: number, log: Logger): Promise<void> {
  const outcome = await lowerWorkThreads(nice);
  const text = outcome.skipped
    ? `DuckDB's work runs at the process's own priority (${outcome.skipped})`
    : `DuckDB's work runs at nice ${nice} (${outcome.lowered} threads lowered, ${outcome.already} already there); the event loop keeps its priority`;
  log.info({ event: 'duckdb:priority', nice, ...outcome }, text);
}
