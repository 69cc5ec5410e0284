// The worker's side of the schema browser: reads the live schema (with row counts) and
// publishes it under its own Redis key, so a schema of a thousand tables never rides on
// the status snapshot; and caches the schema replayed at an applied version (a
// 'schema-at' job) where the API reads it.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { RedisConnection } from '../config/redis-connection.js';
import { SCHEMA_AT_TTL_MS, type AppliedFile, type LiveSchema, type RunResult, type VersionSchema } from '../contract/index.js';
import { LEDGER_TABLES, readDatabaseSchema } from '../core/index.js';
import type { DatabaseOwner } from './database-owner.js';

/**
 * Whether a job's outcome may have changed the schema or the rows: only the worker opens
 * the file, so only its runs and restores do (a plan, a rehearsal or a run with nothing to
 * do never does). A job that ended without a result might have.
 */
export function mayChangeSchema(after: RunResult | null): boolean {
  if (after === null) return true;
  return (after.mode === 'apply' || after.mode === 'restore' || after.mode === 'undo') && after.status !== 'nothing-to-do';
}

/** Reads the live schema; only call it while no job uses the connection. */
export async function readLiveSchema(connection: DuckDBConnection, version: number): Promise<LiveSchema> {
  const started = performance.now();
  const schema = await readDatabaseSchema(connection, { exclude: LEDGER_TABLES, rowCounts: true });
  return { ...schema, version, readAt: new Date().toISOString(), readMs: Math.round(performance.now() - started) };
}

export async function publishLiveSchema(redis: RedisConnection, key: string, schema: LiveSchema): Promise<void> {
  await redis.set(key, JSON.stringify(schema));
}

/** Replays the applied files up to `version` (outside the live database) and caches the schema. */
export async function replayAndCache(redis: RedisConnection, key: string, owner: DatabaseOwner, version: number, applied: readonly AppliedFile[]): Promise<VersionSchema> {
  const schema = await owner.replaySchema(applied);
  const body: VersionSchema = { ...schema, version, applied: [...applied], readAt: new Date().toISOString() };
  await redis.set(key, JSON.stringify(body), 'PX', SCHEMA_AT_TTL_MS);
  return body;
}
