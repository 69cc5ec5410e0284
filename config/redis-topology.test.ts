// Specification of REDIS_URL's forms (docs/deployment.md, Redis Cluster and Sentinel): what
// each form connects to, the key prefixes each implies, and bad URLs refused with a message
// that never repeats the password.
import { describe, expect, it } from 'vitest';
import { loadWorkerConfig } from './worker.js';
import { ConfigError } from './config-error.js';
import { redisTopology } from './redis-connection.js';
import { parseRedisUrl } from './redis-url.js';
import { envSecrets } from './secrets.js';

const SECRET = 'hunter2-p@ss';
const ENCODED = encodeURIComponent(SECRET);

describe('REDIS_URL forms', () => {
  it('redis:// and rediss:// are one Redis, passed on as written', () => {
    expect(parseRedisUrl(`redis://:${ENCODED}@cache:6380/2`)).toEqual({
      kind: 'single',
      url: `redis://:${ENCODED}@cache:6380/2`,
      node: { host: 'cache', port: 6380 },
      username: null,
      password: SECRET,
      tls: false,
    });
    expect(parseRedisUrl('rediss://app@cache')).toMatchObject({ kind: 'single', node: { host: 'cache', port: 6379 }, username: 'app', tls: true });
  });

  it('redis+cluster:// lists seed nodes; rediss+cluster:// is the same over TLS', () => {
    expect(parseRedisUrl(`redis+cluster://:${ENCODED}@10.0.0.1:7000,10.0.0.2:7001,[::1]:7002/`)).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      username: null,
      password: SECRET,
      tls: false,
    });
    expect(parseRedisUrl('rediss+cluster://node-a,node-b:7001')).toMatchObject({
      kind: 'cluster',
      nodes: [
        { host: 'node-a', port: 6379 },
        { host: 'node-b', port: 7001 },
      ],
      tls: true,
    });
  });

  it('redis+sentinel:// lists sentinels (default port 26379) and names the master', () => {
    expect(parseRedisUrl(`redis+sentinel://:${ENCODED}@s1:26379,s2/mymaster?role=master`)).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      masterName: 'mymaster',
      username: null,
      password: SECRET,
      tls: false,
    });
  });

  it.each([
    ['http://cache:6379', /its scheme is none of redis:\/\/, rediss:\/\//],
    ['redis://a:1,b:2', /several hosts need redis\+cluster:\/\/ or redis\+sentinel:\/\//],
    [`redis+cluster://:${ENCODED}@a:7000,,b:7001`, /nodes as host:port separated by commas, none empty/],
    [`redis+cluster://:${ENCODED}@a:70000`, /a port from 1 to 65535/],
    [`redis+cluster://:${ENCODED}@a:7000/3`, /a Redis Cluster has only database 0/],
    [`redis+sentinel://:${ENCODED}@s1:26379`, /names the master the sentinels watch/],
    [`redis+sentinel://:${ENCODED}@s1:26379/mymaster?role=slave`, /accepts only \?role=master/],
  ])('%s is a ConfigError naming REDIS_URL and the problem, never the password', (url, problem) => {
    let error: unknown;
    try {
      loadWorkerConfig({ REDIS_URL: url });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, variables, message } = error as ConfigError;
    expect(variables).toEqual(['REDIS_URL']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL, or a redis\+cluster:\/\/ or redis\+sentinel:\/\/ URL listing its nodes; /);
    expect(problems[0]).toMatch(problem);
    expect(problems[0]).toMatch(/\(example: REDIS_URL=redis:\/\/127\.0\.0\.1:6379\)$/);
    expect(message).not.toContain('hunter2');
    expect(() => redisTopology(url)).toThrow(ConfigError);
  });

  it('the password of every form is among the secrets scrubbed from error text', () => {
    for (const url of [`redis://:${ENCODED}@h:1`, `redis+cluster://:${ENCODED}@a:1,b:2`, `rediss+sentinel://:${ENCODED}@a:1,b:2/m`]) {
      expect(envSecrets({ REDIS_URL: url })).toEqual([SECRET]);
    }
  });
});

describe('key prefixes by topology', () => {
  it('Redis Cluster: BullMQ and duckmig keys both start with the hash tag {duckmig}, each in its own namespace', () => {
    const topology = redisTopology('redis+cluster://127.0.0.1:7000,127.0.0.1:7001');
    expect(topology).toMatchObject({ kind: 'cluster', bullPrefix: '{duckmig}', keyPrefix: '{duckmig}:duckmig', location: 'cluster 127.0.0.1:7000,127.0.0.1:7001' });
  });

  it('one Redis and Sentinel keep the keys existing deployments have: bull and duckmig', () => {
    expect(redisTopology(`redis://:${ENCODED}@cache:6380`)).toMatchObject({ kind: 'single', bullPrefix: 'bull', keyPrefix: 'duckmig', location: 'cache:6380' });
    expect(redisTopology(`redis+sentinel://:${ENCODED}@s1,s2:26380/main`)).toMatchObject({
      kind: 'sentinel',
      bullPrefix: 'bull',
      keyPrefix: 'duckmig',
      location: 'sentinel master "main" via s1:26379,s2:26380',
    });
  });
});
