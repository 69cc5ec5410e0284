// Specification of the one configuration schema: a bad value anywhere is one ConfigError
// naming its variables, the CLI's settings stop a command rather than fall back silently,
// and only config/ reads the environment.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliLockAttempts, cliLogLevel, cliMigrationLimits, cliPaths, cliUser } from './cli.js';
import { ConfigError, redisUrlMissing } from './config-error.js';
import { restoreSettings } from './restore-settings.js';
import { defaultDuckdbThreads } from './variables.js';

const ROOT = resolve(import.meta.dirname, '..');

function configError(read: () => unknown): ConfigError {
  try {
    read();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('the CLI settings', () => {
  it('DUCKMIG_LOCK_RETRIES defaults to 5 attempts and takes any whole number ≥ 1', () => {
    expect(cliLockAttempts({})).toBe(5);
    expect(cliLockAttempts({ DUCKMIG_LOCK_RETRIES: '1' })).toBe(1);
    expect(cliLockAttempts({ DUCKMIG_LOCK_RETRIES: ' 12 ' })).toBe(12);
  });

  it.each(['0', 'five', '2.5', '-1'])('DUCKMIG_LOCK_RETRIES=%s stops with the variable named, not a silent 5', (value) => {
    const error = configError(() => cliLockAttempts({ DUCKMIG_LOCK_RETRIES: value }));
    expect(error.variables).toEqual(['DUCKMIG_LOCK_RETRIES']);
    expect(error.problems).toEqual([`DUCKMIG_LOCK_RETRIES must be a whole number of attempts ≥ 1, got "${value}" (example: DUCKMIG_LOCK_RETRIES=1)`]);
  });

  it('--db and --dir default to DUCKMIG_DB and DUCKMIG_MIGRATIONS, else data/metadata.duckdb and migrations/duckdb; empty counts as unset', () => {
    expect(cliPaths({})).toEqual({ db: 'data/metadata.duckdb', migrations: 'migrations/duckdb' });
    expect(cliPaths({ DUCKMIG_DB: '', DUCKMIG_MIGRATIONS: ' ' })).toEqual({ db: 'data/metadata.duckdb', migrations: 'migrations/duckdb' });
    expect(cliPaths({ DUCKMIG_DB: '/srv/a.duckdb', DUCKMIG_MIGRATIONS: '/srv/m' })).toEqual({ db: '/srv/a.duckdb', migrations: '/srv/m' });
  });

  it('reports a bad file size limit and allow-list together, each by name', () => {
    const error = configError(() => cliMigrationLimits({ DUCKMIG_MAX_FILE_BYTES: '64MB', DUCKMIG_ALLOWED_PATHS: ',' }));
    expect(error.variables).toEqual(['DUCKMIG_MAX_FILE_BYTES', 'DUCKMIG_ALLOWED_PATHS']);
    expect(cliMigrationLimits({ DUCKMIG_ALLOWED_PATHS: '/srv/seeds' })).toEqual({ maxFileBytes: undefined, allowedPaths: ['/srv/seeds'] });
  });

  it('records runs as DUCKMIG_USER, else the login name, else cli', () => {
    expect(cliUser({ DUCKMIG_USER: 'release-bot', USER: 'alice' })).toBe('release-bot');
    expect(cliUser({ USER: 'alice' })).toBe('alice');
    expect(cliUser({})).toBe('cli');
  });

  it('logs at warn unless LOG_LEVEL says otherwise, and a bad LOG_LEVEL does not stop the CLI', () => {
    expect(cliLogLevel({})).toBe('warn');
    expect(cliLogLevel({ LOG_LEVEL: 'DEBUG' })).toBe('debug');
    expect(cliLogLevel({ LOG_LEVEL: 'loud' })).toBe('warn');
  });
});

describe('restore-point settings', () => {
  it('default to on, restore-points/ beside the database, 5 kept, 10 GiB', () => {
    expect(restoreSettings('/srv/db/meta.duckdb', {})).toEqual({ enabled: true, dir: '/srv/db/restore-points', keep: 5, maxBytes: 10_240 * 1024 * 1024 });
  });

  it('report every bad value in one ConfigError', () => {
    const error = configError(() => restoreSettings('x.duckdb', { DUCKMIG_RESTORE_POINTS: 'maybe', DUCKMIG_RESTORE_KEEP: '0', DUCKMIG_RESTORE_MAX_MB: 'lots' }));
    expect(error.variables).toEqual(['DUCKMIG_RESTORE_POINTS', 'DUCKMIG_RESTORE_KEEP', 'DUCKMIG_RESTORE_MAX_MB']);
  });

  it('honour the crash injection only under NODE_ENV=test, and ignore even a bad one outside tests', () => {
    expect(restoreSettings('x.duckdb', { DUCKMIG_TEST_RESTORE_SIGNAL: 'swapped:SIGKILL' }).testSignal).toBeUndefined();
    expect(restoreSettings('x.duckdb', { DUCKMIG_TEST_RESTORE_SIGNAL: 'nonsense' }).testSignal).toBeUndefined();
    expect(restoreSettings('x.duckdb', { NODE_ENV: 'test', DUCKMIG_TEST_RESTORE_SIGNAL: 'swapped:SIGKILL' }).testSignal).toEqual({ step: 'swapped', signal: 'SIGKILL' });
    expect(configError(() => restoreSettings('x.duckdb', { NODE_ENV: 'test', DUCKMIG_TEST_RESTORE_SIGNAL: 'nonsense' })).variables).toEqual(['DUCKMIG_TEST_RESTORE_SIGNAL']);
  });
});

describe('DuckDB threads', () => {
  it('default to one fewer than the cores, never fewer than one', () => {
    expect([1, 2, 4, 16].map((cores) => defaultDuckdbThreads(cores))).toEqual([1, 1, 3, 15]);
  });
});

describe('a missing Redis', () => {
  it('is a ConfigError on REDIS_URL that says who needs it and how to get one', () => {
    const error = redisUrlMissing('the worker');
    expect(error.variables).toEqual(['REDIS_URL']);
    expect(error.message).toMatch(/REDIS_URL is not set: the worker needs a Redis \(example: REDIS_URL=redis:\/\/127\.0\.0\.1:6379\), or run `duckmig start`/);
  });
});

describe('reading the environment', () => {
  function sources(dir: string): string[] {
    return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => join(dir, f));
  }

  it('happens only in config/: core, the worker, the API and the CLI take explicit values', () => {
    const readers = ['core', 'worker', 'api', 'cli', 'contract'].flatMap(sources).filter((file) => readFileSync(join(ROOT, file), 'utf8').includes('process.env'));
    expect(readers).toEqual([]);
  });
});
