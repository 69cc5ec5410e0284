// Teardown: the steps run one after another in the order given; a hanging step is cut
// off at its limit and a failing one is logged, and the later steps run all the same;
// however often it is called, each step runs once.
import { describe, expect, it } from 'vitest';
import { teardown, type TeardownStep } from './teardown.js';

function recordingLogger() {
  const lines: { obj: Record<string, unknown>; msg: string }[] = [];
  return { lines, warn: (obj: object, msg: string) => void lines.push({ obj: obj as Record<string, unknown>, msg }) };
}

const step = (name: string, run: () => unknown, limitMs = 1_000): TeardownStep => ({ name, limitMs, run });

describe('teardown', () => {
  it('runs the steps in the order given, each after the previous one has finished', async () => {
    const events: string[] = [];
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstStarted!: () => void;
    const firstRunning = new Promise<void>((resolve) => (firstStarted = resolve));
    const close = teardown(
      [
        step('first', async () => {
          events.push('first:start');
          firstStarted();
          await firstHeld;
          events.push('first:end');
        }),
        step('second', () => void events.push('second')),
        step('third', async () => void events.push('third')),
      ],
      { logger: recordingLogger(), what: 'test' },
    );
    const done = close();
    await firstRunning;
    expect(events).toEqual(['first:start']);
    releaseFirst();
    expect(await done).toEqual([
      { name: 'first', outcome: 'done' },
      { name: 'second', outcome: 'done' },
      { name: 'third', outcome: 'done' },
    ]);
    expect(events).toEqual(['first:start', 'first:end', 'second', 'third']);
  });

  it('cuts a hanging step off at its limit, logs it by name, and runs the later steps', async () => {
    const logger = recordingLogger();
    const ran: string[] = [];
    const close = teardown(
      [step('hangs', () => new Promise(() => undefined), 200), step('after', () => void ran.push('after'))],
      { logger, what: 'api' },
    );
    const started = performance.now();
    const reports = await close();
    const elapsed = performance.now() - started;
    expect(reports).toEqual([
      { name: 'hangs', outcome: 'timed-out' },
      { name: 'after', outcome: 'done' },
    ]);
    expect(ran).toEqual(['after']);
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(2_000);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]!.obj).toMatchObject({ event: 'teardown:timed-out', what: 'api', step: 'hangs', limitMs: 200 });
  });

  it('logs a step that throws or rejects, and runs the later steps', async () => {
    const logger = recordingLogger();
    const ran: string[] = [];
    const close = teardown(
      [
        step('throws', () => {
          throw new Error('boom');
        }),
        step('rejects', () => Promise.reject(new Error('bang'))),
        step('after', () => void ran.push('after')),
      ],
      { logger, what: 'worker' },
    );
    expect((await close()).map((r) => r.outcome)).toEqual(['failed', 'failed', 'done']);
    expect(ran).toEqual(['after']);
    expect(logger.lines.map((l) => [l.obj.step, (l.obj.err as Error).message])).toEqual([
      ['throws', 'boom'],
      ['rejects', 'bang'],
    ]);
  });

  it('waits as long as it takes for a step without a limit', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const close = teardown([step('migration in progress', () => held, Infinity)], { logger: recordingLogger(), what: 'worker' });
    const done = close();
    setTimeout(release, 300);
    expect(await done).toEqual([{ name: 'migration in progress', outcome: 'done' }]);
  });

  it('runs each step once however often it is called, and every call gets the same run', async () => {
    const runs: string[] = [];
    const close = teardown(
      [step('a', async () => void runs.push('a')), step('b', () => void runs.push('b'))],
      { logger: recordingLogger(), what: 'test' },
    );
    const first = close();
    const second = close();
    expect(second).toBe(first);
    await first;
    expect(close()).toBe(first);
    await close();
    expect(runs).toEqual(['a', 'b']);
  });
});
