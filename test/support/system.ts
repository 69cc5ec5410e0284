// The whole service for integration and browser tests: a real Redis (startTestRedis), and
// the API and the worker as real child processes (`duckmig api|worker` from the sources, see node-entry.ts)
// on a DuckDB file and a migrations directory in a temp folder, with three generated
// tokens (admin, operator, viewer). Ready means: the worker logged `worker:ready` (its
// snapshot is published by then), the API logged `api:ready` and answers /readyz.
// stop() ends both children (SIGTERM, then SIGKILL if they hang), Redis, and the temp folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { nodeArgs } from './node-entry.js';
import { startTestRedis, type TestRedis } from './redis.js';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
const REPO_MIGRATIONS = resolve(REPO_ROOT, 'migrations/duckdb');

/** The repo's first migration alone, as `migrations` for a system whose later migrations a test writes. */
export const initialSchemaOnly = (): Record<string, string> => ({
  '001_initial_schema.sql': readFileSync(join(REPO_MIGRATIONS, '001_initial_schema.sql'), 'utf8'),
});

export interface StartSystemOptions {
  /** default: a copy of migrations/duckdb in the temp folder */
  migrationsDir?: string;
  /** instead of that copy: exactly these files (name → SQL) in the temp folder's migrations dir */
  migrations?: Record<string, string>;
  /** default: <temp>/metadata.duckdb */
  dbPath?: string;
  /** extra environment for both children (wins over the defaults; undefined unsets a variable the tests' environment sets) */
  env?: Record<string, string | undefined>;
  /** this many more operator tokens (ops1, ops2, …), e.g. to stay under the per-token rate limit */
  extraOperatorTokens?: number;
  /** this many more admin tokens (admin1, admin2, …), e.g. for a second admin who approves */
  extraAdminTokens?: number;
  /** start the API alone (a test stands in for the workers) */
  apiOnly?: boolean;
  /** a Redis the test started (a cluster, a sentinel group: test/support/redis-topologies.ts) instead of a fresh one; stop() stops it too */
  redis?: TestRedis;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedChild {
  /** sends the signal and waits until the process has exited */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** starts it again (stopping it first with SIGTERM if it still runs) and waits until ready */
  restart(): Promise<void>;
  readonly pid: number | undefined;
  /** how the last process ended, null while none has ended */
  readonly lastExit: ChildExit | null;
  /** resolves when the current process exits (after signals sent some other way) */
  exited(): Promise<ChildExit>;
  /** everything it printed (stdout and stderr, last 256 KiB) */
  output(): string;
  /** resolves once the current process has printed `text` (e.g. a log event) */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
}

export interface RunningSystem {
  url: string;
  tokens: { admin: string; operator: string; viewer: string };
  /** the extra operator tokens asked for with extraOperatorTokens */
  moreOperatorTokens: string[];
  /** the extra admin tokens asked for with extraAdminTokens */
  moreAdminTokens: string[];
  dbPath: string;
  migrationsDir: string;
  dataDir: string;
  redis: TestRedis;
  worker: ManagedChild;
  api: ManagedChild;
  stop(): Promise<void>;
}

const KEEP_OUTPUT = 256 * 1024;
const READY_TIMEOUT_MS = 45_000;

export interface ChildSpec {
  name: 'api' | 'worker';
  env: NodeJS.ProcessEnv;
  /** the `event` of the log line that says it is ready */
  readyEvent: string;
}

/** A copy of `env` with `changes` applied: a value sets, undefined unsets. */
function withEnv(env: NodeJS.ProcessEnv, changes: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const next = { ...env };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete next[name];
    else next[name] = value;
  }
  return next;
}

export function manage(spec: ChildSpec, onReady: (line: Record<string, unknown>) => Promise<void> | void): ManagedChild & { start(): Promise<void> } {
  let child: ChildProcess | null = null;
  let exited: Promise<ChildExit> | null = null;
  let lastExit: ChildExit | null = null;
  let output = '';
  /** output of the current process only, for waitForOutput */
  let current = '';
  const waiters = new Set<{ text: string; done: () => void }>();
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-KEEP_OUTPUT);
    current = (current + chunk.toString()).slice(-KEEP_OUTPUT);
    for (const w of waiters) if (current.includes(w.text)) w.done();
    if (process.env.DUCKMIG_TEST_VERBOSE) process.stderr.write(`[${spec.name}] ${chunk.toString()}`);
  };

  const start = async () => {
    current = '';
    const proc = spawn(process.execPath, [...nodeArgs('cli/main.ts'), spec.name], {
      cwd: REPO_ROOT,
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    exited = new Promise<ChildExit>((done) => {
      proc.once('exit', (code, signal) => {
        lastExit = { code, signal };
        done(lastExit);
      });
    });
    proc.stderr!.on('data', keep);
    await new Promise<void>((ready, fail) => {
      let buffer = '';
      let settled = false;
      const timer = setTimeout(() => finish(new Error(`${spec.name} not ready within ${READY_TIMEOUT_MS} ms:\n${output.slice(-4000)}`)), READY_TIMEOUT_MS);
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) fail(err);
        else ready();
      };
      proc.stdout!.on('data', (chunk: Buffer) => {
        keep(chunk);
        if (settled) return;
        buffer += chunk.toString();
        let end: number;
        while ((end = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + 1);
          if (!line.includes(spec.readyEvent)) continue;
          let parsed: Record<string, unknown>;
          try {
            parsed = JSON.parse(line) as Record<string, unknown>;
          } catch {
            continue;
          }
          if (parsed.event === spec.readyEvent) {
            Promise.resolve(onReady(parsed)).then(() => finish(), finish);
          }
        }
      });
      void exited!.then((e) => finish(new Error(`${spec.name} exited (code ${e.code}, signal ${e.signal}) before it was ready:\n${output.slice(-4000)}`)));
    });
  };

  const kill = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (!child || !exited || lastExit) return;
    child.kill(signal);
    const hung = delay(30_000, 'hung' as const);
    if ((await Promise.race([exited, hung])) === 'hung') {
      child.kill('SIGKILL');
      await exited;
    }
  };

  return {
    start: async () => {
      lastExit = null;
      await start();
    },
    kill,
    async restart() {
      if (child && !lastExit) await kill('SIGTERM');
      lastExit = null;
      await start();
    },
    get pid() {
      return child?.pid;
    },
    get lastExit() {
      return lastExit;
    },
    exited: () => exited ?? Promise.resolve(lastExit ?? { code: null, signal: null }),
    output: () => output,
    waitForOutput(text, timeoutMs = 30_000) {
      if (current.includes(text)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const waiter = {
          text,
          done: () => {
            waiters.delete(waiter);
            clearTimeout(timer);
            resolve();
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`${spec.name} did not print ${JSON.stringify(text)} within ${timeoutMs} ms:\n${current.slice(-4000)}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
  };
}

async function waitForReadyz(url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url}/readyz did not answer 200 within ${READY_TIMEOUT_MS} ms`);
    await delay(Math.min(50 * 2 ** attempt, 500));
  }
}

const token = () => randomBytes(24).toString('base64url');

export async function startSystem(opts: StartSystemOptions = {}): Promise<RunningSystem> {
  const dir = mkdtempSync(join(tmpdir(), 'duckmig-system-'));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const migrationsDir = opts.migrationsDir ?? join(dir, 'migrations');
  if (opts.migrations) {
    mkdirSync(migrationsDir, { recursive: true });
    for (const [name, sql] of Object.entries(opts.migrations)) writeFileSync(join(migrationsDir, name), sql);
  } else if (!opts.migrationsDir) cpSync(REPO_MIGRATIONS, migrationsDir, { recursive: true });
  const dbPath = opts.dbPath ?? join(dir, 'metadata.duckdb');
  const tokens = { admin: token(), operator: token(), viewer: token() };
  const moreOperatorTokens = Array.from({ length: opts.extraOperatorTokens ?? 0 }, token);
  const moreAdminTokens = Array.from({ length: opts.extraAdminTokens ?? 0 }, token);
  const tokenList = [
    `admin:admin:${tokens.admin}`,
    `operator:operator:${tokens.operator}`,
    `viewer:viewer:${tokens.viewer}`,
    ...moreOperatorTokens.map((t, i) => `ops${i + 1}:operator:${t}`),
    ...moreAdminTokens.map((t, i) => `admin${i + 1}:admin:${t}`),
  ];

  const redis = opts.redis ?? (await startTestRedis());
  const defaults: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: redis.url,
    HOST: '127.0.0.1',
    PORT: '0',
    DUCKMIG_DB: dbPath,
    DUCKMIG_MIGRATIONS: migrationsDir,
    DUCKMIG_DATA_DIR: dataDir,
    DUCKMIG_TOKENS: tokenList.join(','),
    DUCKMIG_API: '',
    LOG_LEVEL: 'info',
    // a killed worker's job is found within a few seconds instead of ~30 s
    DUCKMIG_LOCK_DURATION_MS: '5000',
    DUCKMIG_STALLED_INTERVAL_MS: '1000',
  };
  const env = withEnv(defaults, opts.env ?? {});
  // readiness is read from the children's info log lines (captured, never printed unless
  // DUCKMIG_TEST_VERBOSE): a quieter level would hide them, a more verbose one is fine
  if (!['info', 'debug', 'trace'].includes(String(env.LOG_LEVEL))) env.LOG_LEVEL = 'info';

  let url = '';
  const api = manage({ name: 'api', env, readyEvent: 'api:ready' }, async (line) => {
    url = String(line.url);
    // a restarted API keeps its port, so clients' URLs stay valid
    env.PORT = new URL(url).port;
    await waitForReadyz(url);
  });
  const worker = manage({ name: 'worker', env, readyEvent: 'worker:ready' }, () => undefined);

  const stopAll = async () => {
    await Promise.allSettled([worker.kill('SIGTERM'), api.kill('SIGTERM')]);
    await redis.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await Promise.all([opts.apiOnly ? undefined : worker.start(), api.start()]);
  } catch (err) {
    await stopAll();
    throw err;
  }

  let stopped: Promise<void> | null = null;
  return {
    get url() {
      return url;
    },
    tokens,
    moreOperatorTokens,
    moreAdminTokens,
    dbPath,
    migrationsDir,
    dataDir,
    redis,
    worker,
    api,
    stop: () => (stopped ??= stopAll()),
  };
}
