// The drift checks' expected schema kept in Redis (keys.driftExpected): the schema the
// applied files produce, from a replay or a drift-free run, so a worker that starts again
// over the same applied files reads it instead of replaying every file (data included).
// It holds only for the DuckDB and duckmig versions that made it (either may read a catalog
// differently); anything else, or a Redis that does not answer, costs a replay, never a check.
import type { Logger } from 'pino';
import { z } from 'zod';
import type { RedisConnection } from '../config/redis-connection.js';
import { AppliedFile, DatabaseSchema } from '../contract/index.js';
import type { ExpectedSchema, ExpectedSchemaStore } from '../core/index.js';

const ExpectedSchemaRecord = z.object({
  duckdbVersion: z.string(),
  duckmigVersion: z.string(),
  applied: z.array(AppliedFile),
  schema: DatabaseSchema,
  savedAt: z.string(),
});

export interface ExpectedSchemaStoreOptions {
  redis: RedisConnection;
  key: string;
  /** the versions the record must have been made by */
  duckdbVersion: string;
  duckmigVersion: string;
  log: Logger;
}

export function redisExpectedSchemaStore({ redis, key, duckdbVersion, duckmigVersion, log }: ExpectedSchemaStoreOptions): ExpectedSchemaStore {
  return {
    async load(): Promise<ExpectedSchema | undefined> {
      try {
        const raw = await redis.get(key);
        if (raw === null) return undefined;
        let json: unknown;
        try {
          json = JSON.parse(raw);
        } catch {
          json = undefined;
        }
        const parsed = ExpectedSchemaRecord.safeParse(json);
        if (!parsed.success) {
          log.warn({ event: 'drift:expected-unreadable' }, 'the kept expected schema is not readable: replaying the applied files');
          return undefined;
        }
        const record = parsed.data;
        if (record.duckdbVersion !== duckdbVersion || record.duckmigVersion !== duckmigVersion) return undefined;
        return { applied: record.applied, schema: record.schema };
      } catch (err) {
        log.warn({ err, event: 'drift:expected-unread' }, 'the kept expected schema was not read: replaying the applied files');
        return undefined;
      }
    },
    async save({ applied, schema }: ExpectedSchema): Promise<void> {
      try {
        const record: z.infer<typeof ExpectedSchemaRecord> = { duckdbVersion, duckmigVersion, applied: [...applied], schema, savedAt: new Date().toISOString() };
        await redis.set(key, JSON.stringify(record));
      } catch (err) {
        log.warn({ err, event: 'drift:expected-unsaved' }, 'the expected schema was not kept: the next start replays the applied files');
      }
    },
  };
}
