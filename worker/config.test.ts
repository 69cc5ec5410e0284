// Specification of the worker's environment: defaults that run from a checkout, and
// every invalid value reported at once, naming the variable.
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_LOCK_DURATION_MS, DEFAULT_STALLED_INTERVAL_MS, loadWorkerConfig } from './config.js';

describe('loadWorkerConfig', () => {
  it('defaults to data/metadata.duckdb, migrations/duckdb, data, no Redis (managed by start), info', () => {
    expect(loadWorkerConfig({})).toEqual({
      dbPath: 'data/metadata.duckdb',
      migrationsDir: 'migrations/duckdb',
      dataDir: 'data',
      redisUrl: null,
      logLevel: 'info',
      lockDurationMs: DEFAULT_LOCK_DURATION_MS,
      stalledIntervalMs: DEFAULT_STALLED_INTERVAL_MS,
      driftCheckMs: 600_000,
      restore: { enabled: true, dir: 'data/restore-points', keep: 5, maxBytes: 10_240 * 1024 * 1024 },
      duckdbThreads: Math.max(1, availableParallelism() - 1),
      duckdbNice: 10,
      // no DUCKMIG_DATABASES / DUCKMIG_FLEET_MANIFEST: one database, not a fleet
      fleet: null,
    });
  });

  it('reads every variable', () => {
    const config = loadWorkerConfig({
      DUCKMIG_DB: '/srv/db/meta.duckdb',
      DUCKMIG_MIGRATIONS: '/srv/migrations',
      DUCKMIG_DATA_DIR: '/srv/data',
      REDIS_URL: 'redis://redis:6379',
      LOG_LEVEL: 'DEBUG',
      DUCKMIG_LOCK_DURATION_MS: '5000',
      DUCKMIG_STALLED_INTERVAL_MS: '1000',
      DUCKMIG_DUCKDB_THREADS: '3',
      DUCKMIG_DRIFT_CHECK_MS: '60000',
    });
    expect(config).toEqual({
      dbPath: '/srv/db/meta.duckdb',
      migrationsDir: '/srv/migrations',
      dataDir: '/srv/data',
      redisUrl: 'redis://redis:6379',
      logLevel: 'debug',
      lockDurationMs: 5000,
      stalledIntervalMs: 1000,
      driftCheckMs: 60_000,
      restore: { enabled: true, dir: '/srv/db/restore-points', keep: 5, maxBytes: 10_240 * 1024 * 1024 },
      duckdbThreads: 3,
      duckdbNice: 10,
      fleet: null,
    });
  });

  it('reports every invalid value at once, naming the variable and never echoing a Redis URL', () => {
    let error: unknown;
    try {
      loadWorkerConfig({
        REDIS_URL: 'http://user:secret@host',
        LOG_LEVEL: 'loud',
        DUCKMIG_LOCK_DURATION_MS: 'soon',
        DUCKMIG_STALLED_INTERVAL_MS: '10',
        DUCKMIG_RESTORE_POINTS: 'maybe',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/^REDIS_URL must be a redis:\/\//m);
    expect(problems.join('\n')).toMatch(/^LOG_LEVEL must be one of/m);
    expect(problems.join('\n')).toMatch(/^DUCKMIG_LOCK_DURATION_MS must be/m);
    expect(problems.join('\n')).toMatch(/^DUCKMIG_STALLED_INTERVAL_MS must be/m);
    expect(problems.join('\n')).toMatch(/^DUCKMIG_RESTORE_POINTS must be/m);
    expect((error as Error).message).not.toContain('secret');
  });

  it('DUCKMIG_DRIFT_CHECK_MS sets how often drift is checked on a schedule; 0 turns the schedule off; a bad value is named', () => {
    expect(loadWorkerConfig({ DUCKMIG_DRIFT_CHECK_MS: '0' }).driftCheckMs).toBe(0);
    expect(loadWorkerConfig({ DUCKMIG_DRIFT_CHECK_MS: '1000' }).driftCheckMs).toBe(1000);
    for (const bad of ['500', '10m', '-1', '86400001']) {
      expect(() => loadWorkerConfig({ DUCKMIG_DRIFT_CHECK_MS: bad })).toThrow(/DUCKMIG_DRIFT_CHECK_MS must be 0, or a whole number of milliseconds from 1000 to 86400000/);
    }
  });

  it('DUCKMIG_MAX_FILE_BYTES sets the largest migration file accepted; a bad value is named', () => {
    expect(loadWorkerConfig({ DUCKMIG_MAX_FILE_BYTES: '1048576' }).maxFileBytes).toBe(1_048_576);
    expect(loadWorkerConfig({}).maxFileBytes).toBeUndefined();
    expect(() => loadWorkerConfig({ DUCKMIG_MAX_FILE_BYTES: '64MB' })).toThrow(/DUCKMIG_MAX_FILE_BYTES must be a whole number of bytes/);
  });

  it('DUCKMIG_DUCKDB_THREADS bounds DuckDB\'s threads, by default one fewer than the cores (at least 1); a bad value is named', () => {
    expect(loadWorkerConfig({ DUCKMIG_DUCKDB_THREADS: '1' }).duckdbThreads).toBe(1);
    for (const bad of ['0', 'all', '1.5', '-2']) {
      expect(() => loadWorkerConfig({ DUCKMIG_DUCKDB_THREADS: bad })).toThrow(/DUCKMIG_DUCKDB_THREADS must be a whole number of threads from 1 to 1024/);
    }
  });

  it('DUCKMIG_DUCKDB_NICE is the priority of DuckDB\'s work: 10 unless set, 0 to 19; a bad value is named', () => {
    expect(loadWorkerConfig({}).duckdbNice).toBe(10);
    expect(loadWorkerConfig({ DUCKMIG_DUCKDB_NICE: '0' }).duckdbNice).toBe(0);
    expect(loadWorkerConfig({ DUCKMIG_DUCKDB_NICE: '19' }).duckdbNice).toBe(19);
    for (const bad of ['20', '-5', 'low', '2.5']) {
      expect(() => loadWorkerConfig({ DUCKMIG_DUCKDB_NICE: bad })).toThrow(/DUCKMIG_DUCKDB_NICE must be a whole number from 0 \(unchanged\) to 19 \(lowest priority\)/);
    }
  });

  it('DUCKMIG_CHECKPOINT chooses when runs checkpoint: each, end or a budget; anything else is reported', () => {
    expect(loadWorkerConfig({}).checkpoint).toBeUndefined();
    expect(loadWorkerConfig({ DUCKMIG_CHECKPOINT: 'each' }).checkpoint).toBe('each');
    expect(loadWorkerConfig({ DUCKMIG_CHECKPOINT: 'end' }).checkpoint).toBe('end');
    expect(loadWorkerConfig({ DUCKMIG_CHECKPOINT: '5s,16MB' }).checkpoint).toEqual({ intervalMs: 5000, walBytes: 16 * 1024 * 1024 });
    expect(() => loadWorkerConfig({ DUCKMIG_CHECKPOINT: 'often' })).toThrow(/^[\s\S]*DUCKMIG_CHECKPOINT must be each, end or a budget/);
  });

  it('DUCKMIG_ALLOWED_PATHS lists what migrations may read, comma-separated; unset, they read no file', () => {
    expect(loadWorkerConfig({ DUCKMIG_ALLOWED_PATHS: '/srv/seeds, /srv/countries.csv' }).allowedPaths).toEqual(['/srv/seeds', '/srv/countries.csv']);
    expect(loadWorkerConfig({}).allowedPaths).toBeUndefined();
    expect(() => loadWorkerConfig({ DUCKMIG_ALLOWED_PATHS: ',' })).toThrow(/DUCKMIG_ALLOWED_PATHS must be file system paths/);
  });

  it('keeps the tokens and the Redis password it is given, only to scrub them from errors', () => {
    const config = loadWorkerConfig({ DUCKMIG_TOKENS: 'ci:operator:0123456789abcdef0123', REDIS_URL: 'redis://:pa55word-xyz@redis:6379' });
    expect(config.secrets).toEqual(['0123456789abcdef0123', 'pa55word-xyz']);
  });
});
