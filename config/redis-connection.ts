// The one place duckmig's processes make Redis connections: redisTopology(REDIS_URL) gives
// a connection maker for the URL's form (one Redis, a Redis Cluster, a Sentinel group) and
// the key prefixes to use with it. Under Cluster both prefixes start with the hash tag
// `{duckmig}`: BullMQ's Lua scripts touch several keys of a queue at once, and duckmig's own
// MULTIs, renames and MGETs do too, so every key must hash to one slot. BullMQ's is the tag
// alone, duckmig's the tag then `duckmig`, so the two namespaces stay apart as `bull` and
// `duckmig` do elsewhere (a queue named `fleet` has an `active` list; so does the fleet).
// Outside a cluster they stay `bull` and `duckmig`, the keys existing deployments have.
// docs/deployment.md (Redis Cluster and Sentinel) says why and what to check.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { ConfigError } from './config-error.js';
import { invalidRedisUrlMessage, parseRedisUrl, RedisUrlError, redisTargetLocation, type RedisTarget } from './redis-url.js';

/** A connection to one Redis (Sentinel included) or to a Redis Cluster: the same commands. */
export type RedisConnection = Redis | Cluster;

/** BullMQ's `prefix` and duckmig's key prefix (redisKeys, fleetKeys) outside a cluster. */
export const DEFAULT_BULL_PREFIX = 'bull';
export const DEFAULT_KEY_PREFIX = 'duckmig';
/** The prefixes under Redis Cluster: the braces make every key's slot depend on `duckmig` only. */
export const CLUSTER_BULL_PREFIX = '{duckmig}';
export const CLUSTER_KEY_PREFIX = '{duckmig}:duckmig';

/** What a connection is for; mapped onto each node's options under Cluster. */
export interface ConnectionSettings {
  /** CLIENT SETNAME, e.g. duckmig-api */
  name: string;
  /** null for BullMQ workers and QueueEvents (blocking reads retry forever) */
  maxRetriesPerRequest: number | null;
  commandTimeout?: number;
  enableOfflineQueue?: boolean;
  enableAutoPipelining?: boolean;
  lazyConnect?: boolean;
  /** delay before reconnecting (one Redis, Sentinel) or before trying the seed nodes again (Cluster) */
  retryStrategy?: (times: number) => number | null;
}

export interface RedisTopology {
  readonly kind: RedisTarget['kind'];
  /** BullMQ's `prefix` option for every Queue, Worker, QueueEvents and FlowProducer */
  readonly bullPrefix: string;
  /** duckmig's own prefix: redisKeys(queue, keyPrefix), fleetKeys(keyPrefix) */
  readonly keyPrefix: string;
  /** hosts and ports for messages, never the password */
  readonly location: string;
  connect(settings: ConnectionSettings): RedisConnection;
}

/** The topology of a REDIS_URL; a bad URL is a ConfigError naming REDIS_URL (without its value). */
export function redisTopology(url: string): RedisTopology {
  let target: RedisTarget;
  try {
    target = parseRedisUrl(url);
  } catch (err) {
    if (err instanceof RedisUrlError) throw new ConfigError([{ variable: 'REDIS_URL', message: invalidRedisUrlMessage(err.message) }]);
    throw err;
  }
  const clustered = target.kind === 'cluster';
  return {
    kind: target.kind,
    bullPrefix: clustered ? CLUSTER_BULL_PREFIX : DEFAULT_BULL_PREFIX,
    keyPrefix: clustered ? CLUSTER_KEY_PREFIX : DEFAULT_KEY_PREFIX,
    location: redisTargetLocation(target),
    connect: (settings) => connectTo(target, settings),
  };
}

/**
 * A connection of its own for SUBSCRIBE (a subscribed connection can do nothing else), like
 * `connection` but connecting at once, queueing while offline and never timing a command out.
 */
export function subscriberOf(connection: RedisConnection, name: string): RedisConnection {
  const subscriber = { connectionName: name, enableOfflineQueue: true, commandTimeout: undefined, lazyConnect: false };
  if (connection instanceof Cluster) {
    return connection.duplicate([], { enableOfflineQueue: true, lazyConnect: false, redisOptions: subscriber });
  }
  return connection.duplicate(subscriber);
}

function connectTo(target: RedisTarget, settings: ConnectionSettings): RedisConnection {
  const { name, maxRetriesPerRequest, commandTimeout, enableOfflineQueue, enableAutoPipelining, lazyConnect, retryStrategy } = settings;
  const perNode: RedisOptions = {
    connectionName: name,
    maxRetriesPerRequest,
    ...(commandTimeout !== undefined && { commandTimeout }),
    ...(target.username !== null && { username: target.username }),
    ...(target.password !== null && { password: target.password }),
    ...(target.tls && { tls: {} }),
  };
  const common = {
    ...(enableOfflineQueue !== undefined && { enableOfflineQueue }),
    ...(enableAutoPipelining !== undefined && { enableAutoPipelining }),
    ...(lazyConnect !== undefined && { lazyConnect }),
  };
  switch (target.kind) {
    case 'single': {
      const options: RedisOptions = { connectionName: name, maxRetriesPerRequest, ...(commandTimeout !== undefined && { commandTimeout }), ...common };
      if (retryStrategy) options.retryStrategy = retryStrategy;
      // the URL as written: its db number, user, password and TLS, exactly as before
      return new Redis(target.url, options);
    }
    case 'cluster': {
      const options: ClusterOptions = { ...common, redisOptions: perNode };
      if (retryStrategy) options.clusterRetryStrategy = retryStrategy;
      return new Cluster(target.nodes, options);
    }
    case 'sentinel': {
      const options: RedisOptions = {
        ...perNode,
        ...common,
        sentinels: target.sentinels,
        name: target.masterName,
        role: 'master',
        ...(target.tls && { enableTLSForSentinelMode: true, sentinelTLS: {} }),
      };
      if (retryStrategy) options.retryStrategy = retryStrategy;
      return new Redis(options);
    }
  }
}
