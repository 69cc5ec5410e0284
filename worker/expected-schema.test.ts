// The expected schema a worker keeps in Redis for its drift checks (worker/expected-schema.ts):
// it comes back for the versions that made it, and anything else (another DuckDB or duckmig
// version, a record that is not one, a Redis that does not answer) reads as nothing kept, so
// the check replays instead of failing or trusting it.
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExpectedSchema } from '../core/index.js';
import { startTestRedis, type TestRedis } from '../test/support/redis.js';
import { redisExpectedSchemaStore } from './expected-schema.js';

let redis: TestRedis;
let client: Redis;
beforeAll(async () => {
  redis = await startTestRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

const expected: ExpectedSchema = {
  applied: [
    { version: 1, checksum: 'a'.repeat(64) },
    { version: 2, checksum: 'b'.repeat(64) },
  ],
  schema: { tables: [{ name: 'accounts', columns: [], constraints: [], indexes: [], rows: null }], views: [], macros: [], sequences: [], excluded: [] },
};

const store = (key: string, versions = { duckdbVersion: 'v1.4.1', duckmigVersion: '0.1.0' }, connection: Redis = client) =>
  redisExpectedSchemaStore({ redis: connection, key, ...versions, log: pino({ level: 'silent' }) });

describe('the expected schema kept in Redis', () => {
  it('comes back as it was saved, for the same DuckDB and duckmig versions', async () => {
    await store('kept:same').save(expected);
    expect(await store('kept:same').load()).toEqual(expected);
  });

  it('is not used by another DuckDB or duckmig version (either may read a catalog differently)', async () => {
    await store('kept:versions').save(expected);
    expect(await store('kept:versions', { duckdbVersion: 'v1.5.0', duckmigVersion: '0.1.0' }).load()).toBeUndefined();
    expect(await store('kept:versions', { duckdbVersion: 'v1.4.1', duckmigVersion: '0.2.0' }).load()).toBeUndefined();
  });

  it('reads as nothing kept when the key holds something else, or Redis does not answer', async () => {
    expect(await store('kept:none').load()).toBeUndefined();
    await client.set('kept:garbage', '{"applied": "not a list"}');
    expect(await store('kept:garbage').load()).toBeUndefined();
    await client.set('kept:not-json', 'not json at all');
    expect(await store('kept:not-json').load()).toBeUndefined();

    const unreachable = new Redis({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    try {
      expect(await store('kept:same', undefined, unreachable).load()).toBeUndefined();
      await expect(store('kept:same', undefined, unreachable).save(expected)).resolves.toBeUndefined();
    } finally {
      unreachable.disconnect();
    }
  });
});
