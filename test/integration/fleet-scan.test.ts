// Specification of an owner's scan of a large shard, with a real fleet worker process: the
// lease is renewed all through the scan (it never lapses, its token never changes, with a
// lease TTL a fraction of the scan's time), every target's
// state is published from its ledger (fresh, partly migrated, locked by another process,
// corrupt), the scan writes nothing to any file, and its cost per file is logged.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TargetState } from '../../contract/index.js';
import { Database, FileMigrationSource, MigrationRunner } from '../../core/index.js';
import { startTestFleet, type TestFleet } from '../support/fleet-workers.js';

let fleet: TestFleet | undefined;
afterEach(async () => {
  await fleet?.stop();
  fleet = undefined;
});

const MIGRATIONS = {
  '001_accounts.sql': 'CREATE TABLE accounts (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL);',
  '002_invoices.sql': 'CREATE TABLE invoices (id INTEGER, account_id INTEGER, total DECIMAL(12, 2));',
};
const TARGETS = 240;
const id = (i: number) => `t${String(i).padStart(3, '0')}`;
/** every sixth target is already at version 1 */
const atVersion1 = (i: number) => i % 6 === 0;

describe('scanning a large shard', () => {
  it('keeps the lease renewed throughout, publishes every target from its ledger and writes nothing', async () => {
    const f = (fleet = await startTestFleet({ targets: Array.from({ length: TARGETS }, (_, i) => id(i)), migrations: MIGRATIONS }));
    // a file at version 1: 001 applied through the runner on a copy of the empty template
    const v1 = join(f.dir, 'v1.template');
    copyFileSync(f.template, v1);
    const only001 = join(f.dir, 'only-001');
    mkdirSync(only001);
    writeFileSync(join(only001, '001_accounts.sql'), MIGRATIONS['001_accounts.sql']);
    const db = await Database.open(v1, { attempts: 1 });
    expect((await new MigrationRunner({ connection: db.connection, source: new FileMigrationSource(only001), database: db }).run()).status).toBe('success');
    await db.close();
    for (let i = 0; i < TARGETS; i++) if (atVersion1(i)) copyFileSync(v1, f.file(id(i)));
    writeFileSync(f.file('corrupt'), Buffer.alloc(64 * 1024, 0x5a));
    const before = new Map([id(1), id(6), 'corrupt'].map((t) => [t, readFileSync(f.file(t))]));

    // another process (this test) holds one file
    const holder = await Database.open(f.file(id(7)), { attempts: 1 });
    try {
      // renewals every second; one not confirmed within 2.7 s loses the lease (the scan takes several TTLs)
      const worker = await f.startWorker('worker-a', { DUCKMIG_LEASE_TTL_MS: '3000', DUCKMIG_FLEET_SCAN_MS: '3600000' });
      const seen = new Set<string | null>();
      const watching = (async () => {
        // sampled until the scan has ended, and once after it
        for (let done = false; !done; ) {
          done = worker.output().includes('"event":"fleet:scanned"');
          seen.add(await f.client.get(f.keys.lease('shard-a')));
          if (!done) await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();
      await worker.waitForOutput('"event":"fleet:consuming"', 120_000);
      await watching;
      expect(worker.output()).not.toContain('"event":"lease:lost"');
      expect([...seen]).toEqual(['worker-a:1']);

      const scanned = JSON.parse(/\{.*"event":"fleet:scanned".*\}/.exec(worker.output())![0]) as { targets: number; durationMs: number; perFileMs: number };
      expect(scanned.targets).toBe(TARGETS + 1);
      console.info(`scan of ${scanned.targets} targets: ${scanned.durationMs} ms, ${scanned.perFileMs} ms a file`);

      const states = new Map(Object.entries(await f.client.hgetall(f.keys.targets)).map(([t, json]) => [t, TargetState.parse(JSON.parse(json))]));
      expect(states.size).toBe(TARGETS + 1);
      for (let i = 0; i < TARGETS; i++) {
        if (i === 7) continue;
        const expected = atVersion1(i) ? { version: 1, pending: 1, health: 'pending' } : { version: 0, pending: 2, health: 'pending' };
        expect(states.get(id(i)), id(i)).toMatchObject({ ...expected, shard: 'shard-a', owner: 'worker-a' });
      }
      expect(states.get(id(7))).toMatchObject({ health: 'locked', version: null, lastError: { code: 'target-locked' } });
      expect(states.get('corrupt')).toMatchObject({ health: 'unreadable', version: null, lastError: { code: 'target-unreadable' } });
    } finally {
      await holder.close();
    }
    for (const [t, bytes] of before) expect(readFileSync(f.file(t)).equals(bytes), t).toBe(true);
  }, 180_000);
});
