// How many of the queue's failed jobs are dry-runs: a preview that found a problem
// changed nothing, so the status counts it apart from real failures. BullMQ counts jobs
// per state only, so this reads the names of the failed jobs (at most the 1000 kept),
// and only again when the failed set changed (its size or its newest member).
import type { RedisConnection } from '../config/redis-connection.js';
import type { MigrationQueue } from './jobs.js';

/** `client`: a connection to the queue's Redis */
export function failedPreviewCounter(queue: MigrationQueue, client: RedisConnection): (failed: number) => Promise<number> {
  let cached: { key: string; previews: number } | null = null;
  return async function countFailedPreviews(failed: number): Promise<number> {
    if (failed === 0) return 0;
    const failedKey = queue.toKey('failed');
    const [newest] = await client.zrange(failedKey, '-1', '-1');
    const key = `${failed}:${newest ?? ''}`;
    if (cached?.key === key) return cached.previews;
    const ids = await client.zrange(failedKey, '0', '-1');
    const pipeline = client.pipeline();
    for (const id of ids) pipeline.hget(queue.toKey(id), 'name');
    const names = (await pipeline.exec()) ?? [];
    const previews = names.filter(([, name]: [unknown, unknown]) => name === 'dry-run').length;
    cached = { key, previews };
    return previews;
  };
}
