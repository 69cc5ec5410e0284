// Specification of the remote mode's pieces that need no server: reading SSE frames,
// which result and exit code a job view stands for, and the progress display.
import { describe, expect, it } from 'vitest';
import type { JobView, RunResult } from '../../contract/index.js';
import { exitCodeOf } from './index.js';
import { liveMessages } from './live-events.js';
import { bar, createProgressView } from './progress-view.js';
import { sseEvents } from './sse.js';

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(encoder.encode(c));
      controller.close();
    },
  });
}

const result = (status: RunResult['status']) => ({ status }) as RunResult;
const view = (over: Partial<JobView>): JobView => ({ id: 'j', kind: 'run', state: 'completed', data: { kind: 'run', requestedBy: 'ci' }, progress: null, result: null, errorCode: null, failedReason: null, logs: [], createdAt: '', startedAt: null, finishedAt: null, ...over });

describe('remote mode', () => {
  it('reads SSE data across chunk boundaries, skipping comments, with LF or CRLF', async () => {
    const frames: string[] = [];
    for await (const e of sseEvents(streamOf([': connected\n\n', 'data: {"a":', '1}\n\nda', 'ta: two\r\n\r\n', 'event: x\ndata: 3\n\n']))) frames.push(e.data);
    expect(frames).toEqual(['{"a":1}', 'two', '3']);
  });

  it('reads each SSE event\'s name (message when unnamed) and the last event id, which lasts until the next id line', async () => {
    const events = [];
    const stream = streamOf(['id: 7\ndata: one\n\n', 'event: progress\ndata: two\n\n', 'id: 8\nevent: done\ndata: three\n\n', 'id\ndata: four\n\n']);
    for await (const e of sseEvents(stream)) events.push(e);
    expect(events).toEqual([
      { event: 'message', data: 'one', lastEventId: '7' },
      { event: 'progress', data: 'two', lastEventId: '7' },
      { event: 'done', data: 'three', lastEventId: '8' },
      { event: 'message', data: 'four', lastEventId: '' },
    ]);
  });

  it('takes the live channel from unnamed SSE events carrying a LiveMessage, skipping other names and other data', async () => {
    const status = { type: 'status', worker: { online: false, lastHeartbeatAt: null, snapshotAgeMs: null, busyWith: null } };
    const active = { type: 'active', jobId: 'j' };
    const stream = streamOf([
      `data: ${JSON.stringify(status)}\n\n`,
      `event: audit\ndata: ${JSON.stringify(active)}\n\n`,
      'data: not json\n\n',
      'data: {"type":"from-a-newer-server"}\n\n',
      `id: 3\ndata: ${JSON.stringify(active)}\n\n`,
    ]);
    const messages = [];
    for await (const m of liveMessages(stream)) messages.push(m);
    expect(messages).toEqual([status, active]);
  });

  it('exits 0 only for a completed job whose run succeeded or had nothing to do', () => {
    expect(exitCodeOf(view({ result: result('success') }))).toBe(0);
    expect(exitCodeOf(view({ result: result('nothing-to-do') }))).toBe(0);
    expect(exitCodeOf(view({ result: result('failed') }))).toBe(1);
    expect(exitCodeOf(view({ state: 'failed', failedReason: 'job stalled more than allowable limit', errorCode: 'crashed' }))).toBe(1);
    expect(exitCodeOf(view({ state: 'failed', result: result('cancelled'), errorCode: 'cancelled' }))).toBe(1);
  });

  it('draws a progress bar in place on a terminal, and plain lines elsewhere', () => {
    expect(bar(50, 10)).toBe('[#####-----]  50%');
    let tty = '';
    const ttyView = createProgressView({ write: (t) => void (tty += t) }, { tty: true, columns: 120 });
    ttyView.progress({ seq: 1, percent: 25, at: '', event: { type: 'migration:start', runId: 'r', version: 2, name: 'add_x', index: 0, total: 2, statements: 4 } });
    expect(tty).toContain('\r\x1b[2K[######------------------]  25% 002_add_x (1/2)');

    let plain = '';
    const plainView = createProgressView({ write: (t) => void (plain += t) }, { tty: false });
    plainView.progress({ seq: 1, percent: 25, at: '', event: { type: 'migration:start', runId: 'r', version: 2, name: 'add_x', index: 0, total: 2, statements: 4 } });
    expect(plain).toBe('[1/2] 002_add_x (4 statements) …\n');
  });
  it('on a terminal, names the running statement with its elapsed time, DuckDB\'s percent and the time left, then the commit', () => {
    let tty = '';
    let clock = 10_000;
    const view = createProgressView({ write: (t) => void (tty += t) }, { tty: true, columns: 200, now: () => clock });
    const step = { runId: 'r', version: 5, name: 'big', statementIndex: 1, statementCount: 3 };
    const lastDraw = () => tty.slice(tty.lastIndexOf('\x1b[2K') + 4);
    view.progress({ seq: 1, percent: 0, at: '', event: { type: 'migration:start', runId: 'r', version: 5, name: 'big', index: 0, total: 1, statements: 3 } });
    view.progress({ seq: 2, percent: 33.3, at: '', event: { type: 'statement:start', ...step, line: 4, summary: 'INSERT INTO t2 SELECT' } });
    expect(lastDraw()).toBe('[########----------------]  33% 005_big (1/1) statement 2/3 · 0.0 s: INSERT INTO t2 SELECT');
    clock += 3000;
    view.progress({ seq: 3, percent: 50, at: '', event: { type: 'statement:progress', ...step, percent: 50, rowsProcessed: 500_000, totalRows: 1_000_000, elapsedMs: 3000, etaMs: 3000 } });
    expect(lastDraw()).toBe('[############------------]  50% 005_big (1/1) statement 2/3 · 50 % of 1,000,000 rows · 3.0 s · about 3.0 s left: INSERT INTO t2 SELECT');
    view.progress({ seq: 4, percent: 66.7, at: '', event: { type: 'statement:done', ...step, line: 4, durationMs: 6000, summary: 'INSERT INTO t2 SELECT' } });
    expect(lastDraw()).toContain('statement 2/3 done: INSERT INTO t2 SELECT');
    view.progress({ seq: 5, percent: 100, at: '', event: { type: 'phase', runId: 'r', phase: 'committing', version: 5, name: 'big' } });
    expect(lastDraw()).toBe('[########################] 100% 005_big (1/1) committing… 0.0 s');
    view.progress({ seq: 6, percent: 100, at: '', event: { type: 'phase', runId: 'r', phase: 'checkpointing' } });
    expect(lastDraw()).toContain('checkpointing…');
    view.done();
  });

  it("on a terminal, a copy shows how far it got, its time counted from the phase's start", () => {
    let tty = '';
    let clock = 10_000;
    const view = createProgressView({ write: (t) => void (tty += t) }, { tty: true, columns: 200, now: () => clock });
    const lastDraw = () => tty.slice(tty.lastIndexOf('\x1b[2K') + 4);
    const MiB = 1024 * 1024;
    view.progress({ seq: 1, percent: 0, at: '', event: { type: 'phase', runId: 'r', phase: 'restore-point', bytes: 800 * MiB } });
    expect(lastDraw()).toContain('taking a restore point… (800.0 MiB) 0.0 s');
    clock += 2000;
    view.progress({ seq: 2, percent: 0, at: '', event: { type: 'phase', runId: 'r', phase: 'restore-point', bytes: 800 * MiB, bytesDone: 200 * MiB } });
    expect(lastDraw()).toContain('taking a restore point… (25 % of 800.0 MiB) 2.0 s');
    clock += 1000;
    view.progress({ seq: 3, percent: 0, at: '', event: { type: 'phase', runId: 'r', phase: 'copying', bytes: 800 * MiB } });
    expect(lastDraw()).toContain('copying the restore point… (800.0 MiB) 0.0 s');
    view.done();
  });

  it('a file run as one call: the bar shows its elapsed time, then DuckDB\'s progress of its running statement; plain output a line every 5 seconds', () => {
    let tty = '';
    let clock = 10_000;
    const view = createProgressView({ write: (t) => void (tty += t) }, { tty: true, columns: 200, now: () => clock });
    const lastDraw = () => tty.slice(tty.lastIndexOf('\x1b[2K') + 4);
    const start = { type: 'migration:start', runId: 'r', version: 5, name: 'big', index: 0, total: 1, statements: 2 } as const;
    const sample = (elapsedMs: number, percent: number) =>
      ({ type: 'migration:progress', runId: 'r', version: 5, name: 'big', percent, rowsProcessed: percent * 10_000, totalRows: 1_000_000, elapsedMs, etaMs: elapsedMs }) as const;
    view.progress({ seq: 1, percent: 0, at: '', event: start });
    expect(lastDraw()).toBe('[------------------------]   0% 005_big (1/1) 0.0 s');
    clock += 3000;
    view.progress({ seq: 2, percent: 25, at: '', event: sample(3000, 50) });
    expect(lastDraw()).toBe('[######------------------]  25% 005_big (1/1) running statement · 50 % of 1,000,000 rows · 3.0 s · about 3.0 s left');
    view.done();

    let plain = '';
    const lines = createProgressView({ write: (t) => void (plain += t) }, { tty: false });
    lines.progress({ seq: 1, percent: 0, at: '', event: start });
    for (const [elapsedMs, percent] of [[300, 5], [5200, 40], [6000, 50], [10_300, 90]] as const) lines.progress({ seq: 2, percent, at: '', event: sample(elapsedMs, percent) });
    expect(plain).toBe(
      '[1/1] 005_big (2 statements) …\n      … running statement: 40 % of 1,000,000 rows · 5.2 s · about 5.2 s left\n      … running statement: 90 % of 1,000,000 rows · 10.3 s · about 10.3 s left\n',
    );
  });

  it('in plain output, a long statement leaves a progress line every 5 seconds and short steps none', () => {
    let plain = '';
    const view = createProgressView({ write: (t) => void (plain += t) }, { tty: false });
    const step = { runId: 'r', version: 5, name: 'big', statementIndex: 0, statementCount: 1 };
    const sample = (elapsedMs: number, percent: number) =>
      view.progress({ seq: 1, percent, at: '', event: { type: 'statement:progress', ...step, percent, rowsProcessed: 0, totalRows: 0, elapsedMs } });
    view.progress({ seq: 1, percent: 0, at: '', event: { type: 'statement:start', ...step, line: 1, summary: 'INSERT' } });
    sample(300, 5);
    sample(5200, 40);
    sample(6000, 50);
    sample(10_300, 90);
    view.progress({ seq: 1, percent: 100, at: '', event: { type: 'phase', runId: 'r', phase: 'committing' } });
    expect(plain).toBe('      … statement 1/1: 40 % · 5.2 s\n      … statement 1/1: 90 % · 10.3 s\n');
  });
});
