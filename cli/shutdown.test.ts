// The long-running commands end through their teardown: SIGINT (Ctrl-C) and SIGTERM
// (docker stop, systemd) alike run every step once and resolve with exit code 0.
// Real signals, sent to this test process while the handlers are installed.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { teardown } from '../lifecycle/teardown.js';
import { untilShutdown } from './shutdown.js';

const silent = pino({ level: 'silent' });

describe('untilShutdown', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} runs the teardown, every step once, and exits 0`, async () => {
      const ran: string[] = [];
      const close = teardown(
        [
          { name: 'worker', limitMs: 1_000, run: async () => void ran.push('worker') },
          { name: 'api', limitMs: 1_000, run: () => void ran.push('api') },
        ],
        { logger: silent, what: 'test' },
      );
      const before = process.listenerCount(signal);
      const exit = untilShutdown({ logger: silent, close: async () => void (await close()) });
      expect(process.listenerCount(signal)).toBe(before + 1);
      process.kill(process.pid, signal);
      expect(await exit).toBe(0);
      expect(ran).toEqual(['worker', 'api']);
      expect(process.listenerCount(signal)).toBe(before); // a later signal is the default again
    });
  }
});
