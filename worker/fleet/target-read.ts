// A target-read job (TargetJobData kind 'target-read', queued by the API's GET
// …/targets/{id}/file on the shard queue): the owner opens the target's file as a target
// job does (sandboxed, and only while no job of its own holds it), reads what the single
// database's views show (its status: ledger, pending migrations, validation problems; its
// own run history; its schema with row counts), closes it, and leaves it for the API under
// fleetKeys().targetRead(jobId) for a minute, with the SQL of the pending files under
// fleetKeys().sql(checksum) (as the single worker publishes its pending SQL) for the API to
// page through. Nothing is written to the file, and nothing is published as a fleet event:
// it belongs to no fleet run.
import type { RedisConnection } from '../../config/redis-connection.js';
import { FLEET_TARGET_FILE_RUNS, type FleetErrorCode, type PendingMigration, type TargetFileRead, type TargetJobData, type TargetOutcome } from '../../contract/index.js';
import { errorExcerpt, type MigrationFile } from '../../core/index.js';
import type { FleetKeys } from '../../fleet/options.js';
import { readLiveSchema } from '../schema.js';
import { publishPendingSql } from '../snapshot.js';
import type { Catalog } from './catalog.js';
import { openTarget, TargetOpenError, type TargetSettings } from './target-file.js';

/** How long the API may come for a read (it waits far less). */
export const TARGET_READ_TTL_S = 60;

export interface TargetReadDeps {
  catalog: Catalog;
  settings: TargetSettings;
  workerId: string;
  redis: RedisConnection;
  keys: FleetKeys;
  /** where the target's restore journal is, as its jobs open it */
  restoreDir(id: string): string;
}

async function read(deps: TargetReadDeps, id: string): Promise<TargetFileRead> {
  const { catalog, settings, workerId } = deps;
  const target = await catalog.find(id);
  if (!target) return { ok: false, code: 'target-missing', error: `target ${id} is not in this worker's shard any more (deleted or renamed?)` };
  const files = await catalog.currentFiles();
  return catalog.exclusive(target.id, async (): Promise<TargetFileRead> => {
    let opened;
    try {
      opened = await openTarget(target.file, settings, files.source, deps.restoreDir(target.id));
    } catch (err) {
      if (err instanceof TargetOpenError) return { ok: false, code: err.code, error: errorExcerpt(err.message) };
      throw err;
    }
    try {
      const status = await opened.runner.status();
      const runs = await opened.runner.listRuns(FLEET_TARGET_FILE_RUNS);
      const schema = await readLiveSchema(opened.db.connection, status.currentVersion);
      const { currentVersion, latestVersion, applied, ledger, pending, problems } = status;
      await publishSql(deps, (await files.source.scan()).migrations, pending);
      return { ok: true, file: { id: target.id, worker: workerId, readAt: new Date().toISOString(), currentVersion, latestVersion, applied, ledger, pending, problems, runs, schema } };
    } finally {
      await opened.db.close();
    }
  });
}

/** The pending files' SQL for the API; a Redis that fails here costs the SQL (404 until a read publishes it), not the read. */
async function publishSql(deps: TargetReadDeps, migrations: readonly MigrationFile[], pending: readonly PendingMigration[]): Promise<void> {
  const wanted = new Set(pending.map((m) => m.checksum));
  try {
    await publishPendingSql(deps.redis, deps.keys.sql, migrations.filter((m) => wanted.has(m.checksum)));
  } catch (err) {
    deps.settings.logger.warn({ event: 'fleet:target-read-sql', err: { message: errorExcerpt((err as Error)?.message ?? String(err)) } }, 'the SQL of a read target\'s pending files could not be published');
  }
}

/** Reads the target for the API and leaves the read (or why it failed) under the job's key; the outcome is the job's return value only. */
export async function processTargetRead(deps: TargetReadDeps, data: TargetJobData, jobId: string): Promise<TargetOutcome> {
  const started = performance.now();
  let result: TargetFileRead;
  try {
    result = await read(deps, data.target);
  } catch (err) {
    result = { ok: false, code: 'internal' satisfies FleetErrorCode, error: errorExcerpt(`the file could not be read: ${(err as Error)?.message ?? String(err)}`) };
  }
  await deps.redis.set(deps.keys.targetRead(jobId), JSON.stringify(result), 'EX', TARGET_READ_TTL_S);
  const version = result.ok ? result.file.currentVersion : null;
  return {
    id: data.target,
    wave: data.wave,
    result: result.ok ? 'nothing-to-do' : 'failed',
    fromVersion: version,
    toVersion: version,
    applied: 0,
    durationMs: Math.round(performance.now() - started),
    worker: deps.workerId,
    finishedAt: new Date().toISOString(),
    ...(!result.ok && { errorCode: result.code, error: result.error }),
  };
}
