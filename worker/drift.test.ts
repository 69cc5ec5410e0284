// Specification of the worker's drift check as webhooks see it: `drift.found` is announced
// once when a database is found drifted (at the first check, or when it was clean before),
// not again while it stays drifted, and not when it is clean; the message names the first
// differences and the version.
import { DuckDBInstance } from '@duckdb/node-api';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import type { NotificationInput } from '../contract/index.js';
import { openRunner, sandbox, type Sandbox } from '../test/support/db.js';
import { loadWorkerConfig } from './config.js';
import { DatabaseOwner } from './database-owner.js';
import { checkedDrift } from './drift.js';

let box: Sandbox;
let owner: DatabaseOwner | undefined;
afterEach(async () => {
  await owner?.close();
  owner = undefined;
  box?.cleanup();
});

const log = pino({ level: 'silent' });

async function byHand(path: string, ...statements: string[]): Promise<void> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    for (const s of statements) await connection.run(s);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function openOwner(): Promise<DatabaseOwner> {
  const config = loadWorkerConfig({ DUCKMIG_DB: box.dbPath, DUCKMIG_MIGRATIONS: box.migrationsDir, DUCKMIG_RESTORE_POINTS: 'off' });
  return DatabaseOwner.open({ dbPath: config.dbPath, migrationsDir: config.migrationsDir, restore: config.restore, logger: log });
}

it('announces drift.found once when the database drifts, and nothing while it is clean', async () => {
  box = sandbox();
  const { db, runner } = await openRunner(box);
  expect((await runner.run()).status).toBe('success');
  await db.close();

  const sent: NotificationInput[] = [];
  const notify = async (input: NotificationInput) => void sent.push(input);

  owner = await openOwner();
  const clean = await checkedDrift(owner, null, log, notify);
  expect(clean).toMatchObject({ drifted: false });
  expect(sent).toEqual([]);
  await owner.close();

  await byHand(box.dbPath, 'CREATE TABLE extra (id INTEGER)');
  owner = await openOwner();
  const drifted = await checkedDrift(owner, clean, log, notify);
  expect(drifted).toMatchObject({ drifted: true, version: 4 });
  expect(sent).toEqual([{ event: 'drift.found', toVersion: 4, message: expect.stringContaining('extra table extra, extra column extra.id') }]);
  expect(sent[0]!.message).toContain('migrations 1..4');

  // still drifted: no second announcement
  await checkedDrift(owner, drifted, log, notify);
  expect(sent).toHaveLength(1);
});
