import { describe, expect, it } from 'vitest';
import { StatusPoll } from './status-poll.js';

/** a StatusPoll on a manual clock: `advance(ms)` runs the timers that fall due */
function harness(intervalMs = 5_000) {
  let now = 0;
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const refreshes: number[] = [];
  const poll = new StatusPoll({
    refresh: () => refreshes.push(now),
    intervalMs,
    timers: {
      set: (fn, ms) => {
        const id = nextId++;
        timers.set(id, { at: now + ms, fn });
        return id;
      },
      clear: (id) => void timers.delete(id as number),
    },
  });
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      now = due[1].at;
      due[1].fn();
    }
    now = end;
  };
  return { poll, refreshes, advance, pending: () => timers.size };
}

describe('status polling', () => {
  it('does not poll while the live channel is open', () => {
    const { poll, refreshes, advance } = harness();
    poll.setChannelOpen(true);
    advance(60_000);
    expect(refreshes).toEqual([]);
    expect(poll.polling).toBe(false);
  });

  it('polls every interval while the channel is down, and stops when it is back', () => {
    const { poll, refreshes, advance } = harness();
    poll.setChannelOpen(true);
    poll.setChannelOpen(false);
    advance(15_000);
    expect(refreshes).toEqual([5_000, 10_000, 15_000]);
    poll.setChannelOpen(true);
    advance(30_000);
    expect(refreshes).toHaveLength(3);
  });

  it('pauses in a hidden tab and reads at once on return', () => {
    const { poll, refreshes, advance, pending } = harness();
    poll.setVisible(false);
    advance(60_000);
    expect(refreshes).toEqual([]);
    expect(pending()).toBe(0);
    poll.setVisible(true);
    expect(refreshes).toEqual([60_000]);
    advance(5_000);
    expect(refreshes).toEqual([60_000, 65_000]);
  });

  it('reads on return to the tab even while the channel is open (a hidden tab may have been frozen)', () => {
    const { poll, refreshes, advance } = harness();
    poll.setChannelOpen(true);
    poll.setVisible(false);
    advance(1_000);
    poll.setVisible(true);
    poll.setVisible(true); // already visible: no second read
    expect(refreshes).toEqual([1_000]);
  });

  it('does nothing once stopped', () => {
    const { poll, refreshes, advance, pending } = harness();
    poll.stop();
    poll.setVisible(false);
    poll.setVisible(true);
    advance(60_000);
    expect(refreshes).toEqual([]);
    expect(pending()).toBe(0);
  });
});
