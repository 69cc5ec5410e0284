// What the API knows about the worker, read from Redis only (the API never opens
// DuckDB): the status snapshot the worker publishes at start-up and after each job,
// and its heartbeat key, whose TTL lapsing means the worker is offline.
import { createHash } from 'node:crypto';
import type { RedisConnection } from '../config/redis-connection.js';
import { Heartbeat, WorkerSnapshot, type WorkerLiveness, type redisKeys } from '../contract/index.js';
import { ApiError } from './errors.js';

export type WorkerKeys = ReturnType<typeof redisKeys>;

export interface WorkerState {
  snapshot: WorkerSnapshot | null;
  /** the validated snapshot serialized again (contract defaults filled in), for responses */
  snapshotJson: string;
  /** names the published snapshot's content (a hash of it, computed once per version); 'none' without one */
  snapshotTag: string;
  liveness: WorkerLiveness;
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** What the API knows about the worker; createApp makes one per app. */
export class WorkerStateReader {
  // The snapshot changes once per job, but status is read many times a second: parse and
  // validate each published version once, keyed by the raw text in Redis.
  #validated: { raw: string; snapshot: WorkerSnapshot; json: string; tag: string } | undefined;
  readonly #redis: RedisConnection;
  readonly #keys: WorkerKeys;

  constructor(redis: RedisConnection, keys: WorkerKeys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  /** Snapshot and liveness in one round trip. A snapshot that does not match the contract is a 502. */
  async read(now = Date.now()): Promise<WorkerState> {
    const redis = this.#redis;
    const keys = this.#keys;
    const [rawSnapshot, rawHeartbeat] = await redis.mget(keys.snapshot, keys.heartbeat);

    let snapshot: WorkerSnapshot | null = null;
    let snapshotJson = 'null';
    let snapshotTag = 'none';
    const known = this.#validated;
    if (rawSnapshot != null && known?.raw === rawSnapshot) {
      snapshot = known.snapshot;
      snapshotJson = known.json;
      snapshotTag = known.tag;
    } else if (rawSnapshot != null) {
      const parsed = WorkerSnapshot.safeParse(parseJson(rawSnapshot));
      if (!parsed.success) {
        // A worker of another version wrote it: say so loudly rather than show nothing.
        throw new ApiError(502, 'invalid-snapshot', 'the worker published a status snapshot this API cannot read', {
          details: { key: keys.snapshot, issues: parsed.error.issues.slice(0, 20) },
        });
      }
      snapshot = parsed.data;
      snapshotJson = JSON.stringify(snapshot);
      snapshotTag = createHash('sha256').update(rawSnapshot).digest('base64url').slice(0, 22);
      this.#validated = { raw: rawSnapshot, snapshot, json: snapshotJson, tag: snapshotTag };
    }

    // The key's existence is the liveness signal; its content is a bonus.
    const heartbeat = rawHeartbeat == null ? null : Heartbeat.safeParse(parseJson(rawHeartbeat));
    const publishedAt = snapshot ? Date.parse(snapshot.publishedAt) : Number.NaN;
    return {
      snapshot,
      snapshotJson,
      snapshotTag,
      liveness: {
        online: heartbeat !== null,
        lastHeartbeatAt: heartbeat?.success ? heartbeat.data.at : null,
        snapshotAgeMs: Number.isNaN(publishedAt) ? null : Math.max(0, now - publishedAt),
        busyWith: heartbeat?.success ? heartbeat.data.busyWith : null,
      },
    };
  }
}
