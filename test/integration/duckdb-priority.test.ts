// The worker's DuckDB work runs at a lower CPU priority than its event loop: by default
// (DUCKMIG_DUCKDB_NICE unset: nice 10, docs/configuration.md and operations.md › DuckDB
// threads) the thread that executes a long statement is at nice 10 while the main thread
// (heartbeat, progress, the API in `duckmig start`) stays at the priority it started with.
// Read from /proc of the real worker process while a CPU-bound migration runs.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedJob, openLive, runUntilFirstStatementDone, statementDone } from '../support/live.js';
import { initialSchemaOnly, startSystem, type RunningSystem } from '../support/system.js';

interface ThreadSample {
  tid: number;
  /** user + system CPU ticks */
  ticks: number;
  nice: number;
}

/** Every thread of `pid` from /proc/<pid>/task/<tid>/stat (fields after the command: see proc(5)). */
function threadsOf(pid: number): ThreadSample[] {
  const samples: ThreadSample[] = [];
  for (const entry of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${entry}/stat`, 'utf8');
    } catch {
      continue; // ended since the listing
    }
    // field 3 (state) is the first after ") "; utime is field 14, stime 15, nice 19
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    samples.push({ tid: Number(entry), ticks: Number(fields[11]) + Number(fields[12]), nice: Number(fields[16]) });
  }
  return samples;
}

/** The thread (other than the main one) that used the most CPU while `busyFor` resolves. */
async function busiestThread(pid: number, busyFor: () => Promise<void>): Promise<{ busiest: ThreadSample; ticks: number; all: ThreadSample[] }> {
  const before = new Map(threadsOf(pid).map((t) => [t.tid, t.ticks]));
  await busyFor();
  const all = threadsOf(pid);
  const used = all.filter((t) => t.tid !== pid).map((t) => ({ t, ticks: t.ticks - (before.get(t.tid) ?? 0) }));
  used.sort((a, b) => b.ticks - a.ticks);
  return { busiest: used[0]!.t, ticks: used[0]!.ticks, all };
}

/** The second statement keeps one DuckDB thread busy for seconds. */
const LONG_MIGRATION = `CREATE TABLE busy_marker (id INTEGER);
CREATE TABLE busy AS SELECT count(*) AS n FROM range(300000000) t(i) WHERE hash(i) % 7 = 0;
`;

let sys: RunningSystem;
beforeAll(async () => {
  // the suite itself runs workers at nice 0 (vitest.config.ts): this file checks the product's default
  sys = await startSystem({ migrations: initialSchemaOnly(), env: { DUCKMIG_DUCKDB_NICE: undefined } });
});
afterAll(async () => {
  await sys?.stop();
});

describe('the CPU priority of the worker\'s DuckDB work', () => {
  it('a long statement runs on a thread at nice 10 while the event loop keeps its priority', async () => {
    const pid = sys.worker.pid!;
    const mainBefore = threadsOf(pid).find((t) => t.tid === pid)!;
    writeFileSync(join(sys.migrationsDir, '002_busy.sql'), LONG_MIGRATION);
    const live = await openLive(sys.url, sys.tokens.viewer);
    let jobId: string;
    try {
      // the first statement is done: the long one runs now
      jobId = await runUntilFirstStatementDone(sys.url, sys.tokens.operator, live, 2);
      const longDone = () => live.next(statementDone(jobId, 2, 1), 120_000).then(() => undefined);
      const { busiest, ticks, all } = await busiestThread(pid, longDone);
      // the statement took real CPU on that thread (ticks are 10 ms)
      expect(ticks).toBeGreaterThan(20);
      expect(busiest.nice).toBe(10);
      expect(all.find((t) => t.tid === pid)!.nice).toBe(mainBefore.nice);
      expect(mainBefore.nice).toBe(0);
      // no thread but the main one was left at a higher priority
      expect(all.filter((t) => t.tid !== pid && t.nice < 10)).toEqual([]);
    } finally {
      live.close();
    }
    const job = await finishedJob(sys.url, sys.tokens.viewer, jobId);
    expect(job.result?.status).toBe('success');
    expect(sys.worker.output()).toMatch(/"event":"duckdb:priority","nice":10,"lowered":\d+/);
  });
});
