// Every environment variable duckmig reads, in one zod schema: its type, default, meaning,
// which processes read it, an example and the message for a bad value. The API's, the
// worker's and the CLI's configuration are views over it (config/api.ts, config/worker.ts,
// config/cli.ts), and the variable tables in docs/configuration.md and the README are
// generated from it (npm run docs:config). Nothing else reads process.env. It is long because
// it is a data table, one entry a variable; keeping them in one place is what makes it complete.
import { availableParallelism, hostname } from 'node:os';
import type { LevelWithSilent } from 'pino';
import { z } from 'zod';
import { parseTokenList, type TokenEntry } from './token-list.js';
import { CheckpointPolicyError, parseCheckpointPolicy, type CheckpointPolicy } from '../core/checkpoint-policy.js';
import { RESTORE_STEPS, type RestoreStep } from '../core/restore.js';
import { ConfigError } from './config-error.js';
import { MaintenanceWindowError, parseMaintenanceWindows, type MaintenanceWindow } from '../core/maintenance-window.js';
import { parseWebhookList, type WebhookEndpoint } from './webhook-list.js';
import { ApprovalPolicy } from '../contract/index.js';
import { invalidRedisUrlMessage, parseRedisUrl, REDIS_URL_RULE, RedisUrlError } from './redis-url.js';

/** The processes that read a variable: the API, the worker, the CLI's local and remote modes, `duckmig start`. */
export type Reader = 'start' | 'api' | 'worker' | 'cli';

/** The section of docs/configuration.md a variable is listed in. */
export type Section = 'service' | 'restore' | 'timing' | 'checkpoint' | 'fleet' | 'governance' | 'cli' | 'testing';

type Report = (got?: string, message?: string) => void;

export interface VariableSpec<T> {
  section: Section;
  readBy: readonly Reader[];
  /** what kind of value, for the docs: "integer 0–65535", "path", … */
  type: string;
  /** the default as the docs show it (Markdown) */
  default: string;
  /** the docs' explanation (Markdown) */
  description: string;
  /** one line for the README's table (service variables only) */
  summary?: string;
  /** a valid value (without NAME=) */
  example: string;
  /** a valid value described after "<NAME> must be": the message for a bad value */
  rule: string;
  /** "must be" unless the rule is about entries of a list */
  verb?: string;
  /** never echo the value (it may carry a password or a token) */
  secret?: boolean;
  /** the value when the variable is unset or empty */
  fallback: T;
  /** the value of a set variable (trimmed, not empty); `bad` reports an invalid one (or an invalid part `got`) */
  parse(raw: string, bad: Report): T;
}

function variable<T>(spec: VariableSpec<T>): VariableSpec<T> {
  return spec;
}

export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const wholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER) => (raw: string, bad: Report) => {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) bad();
  return n;
};

const path = (raw: string, bad: Report) => {
  if (raw.includes('\0')) bad();
  return raw;
};

const flag = (truthy: RegExp, valid: RegExp) => (raw: string, bad: Report) => {
  if (!valid.test(raw)) bad();
  return truthy.test(raw);
};

const text = (raw: string) => raw;

/** A shard or worker name: letters, digits, `_` and `-` (what fleet keys and queue names may carry). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const name = (raw: string, bad: Report) => {
  if (!NAME.test(raw)) bad();
  return raw;
};

/** The host name as a shard or worker name (other characters become `-`). */
export const hostName = (host = hostname()) => host.replace(/[^A-Za-z0-9_-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64) || 'host';

/** The worker's DuckDB leaves one core to the API, Redis and its own event loop (docs/operations.md). */
export const defaultDuckdbThreads = (cores = availableParallelism()) => Math.max(1, cores - 1);

const ALL: readonly Reader[] = ['start', 'api', 'worker', 'cli'];
const SERVICES_AND_LOCAL: readonly Reader[] = ['start', 'worker', 'cli'];
const API: readonly Reader[] = ['start', 'api'];
const WORKER: readonly Reader[] = ['start', 'worker'];

/** Every variable, in the order problems are reported and tables are listed. */
export const VARIABLES = {
  PORT: variable({
    section: 'service',
    readBy: API,
    type: 'integer 0–65535',
    default: '`8080`',
    description: 'port of the API, UI and live channel; `0` picks a free one (the printed URL shows it)',
    summary: 'port the API listens on',
    example: '8080',
    rule: 'an integer from 0 to 65535',
    fallback: 8080,
    parse: wholeNumber(0, 65535),
  }),
  HOST: variable({
    section: 'service',
    readBy: API,
    type: 'host name or IP address',
    default: '`127.0.0.1` (image: `0.0.0.0`)',
    description: 'address the API listens on',
    summary: 'address the API listens on',
    example: '0.0.0.0',
    rule: 'a host name or IP address',
    fallback: '127.0.0.1',
    parse: (raw, bad) => {
      if (/[\s/]/.test(raw)) bad();
      return raw;
    },
  }),
  DUCKMIG_DB: variable({
    section: 'service',
    readBy: SERVICES_AND_LOCAL,
    type: 'path',
    default: '`data/metadata.duckdb` (image: `/var/lib/duckmig/db/metadata.duckdb`)',
    description: 'the DuckDB file; its directory is created if missing. Local-mode `--db` overrides it',
    summary: 'the database file',
    example: 'data/metadata.duckdb',
    rule: 'a file system path',
    fallback: 'data/metadata.duckdb',
    parse: path,
  }),
  DUCKMIG_MIGRATIONS: variable({
    section: 'service',
    readBy: SERVICES_AND_LOCAL,
    type: 'path',
    default: '`migrations/duckdb` (image: `/app/migrations/duckdb`)',
    description: 'the `NNN_name.sql` files (symlinks to files are followed, e.g. a mounted ConfigMap; names starting with `.` are ignored). Local-mode `--dir` overrides it',
    summary: 'the migration files',
    example: 'migrations/duckdb',
    rule: 'a file system path',
    fallback: 'migrations/duckdb',
    parse: path,
  }),
  DUCKMIG_MAX_FILE_BYTES: variable<number | undefined>({
    section: 'service',
    readBy: SERVICES_AND_LOCAL,
    type: 'integer ≥ 1 (bytes)',
    default: '`67108864` (64 MiB)',
    description: 'a migration file larger than this is refused before it is read (a `file-too-large` validation error naming the file and both sizes), so one huge seed file cannot exhaust the worker\'s memory',
    summary: 'largest migration file accepted',
    example: '67108864',
    rule: 'a whole number of bytes',
    fallback: undefined,
    parse: (raw, bad) => {
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || n < 1 || !Number.isSafeInteger(n)) bad();
      return n;
    },
  }),
  DUCKMIG_ALLOWED_PATHS: variable<string[] | undefined>({
    section: 'service',
    readBy: SERVICES_AND_LOCAL,
    type: 'paths, comma-separated',
    default: 'unset: migrations reach no file',
    description: 'files and directories that migrations may read **and write** besides the database, e.g. seed CSVs; everything else on disk is refused by DuckDB\'s sandbox. Point it at a read-only seed directory, never at the data directory. Local-mode `run` and `dry-run` add `--allow-path PATH` (repeatable) to it. See [authoring.md › What a migration can touch](authoring.md#what-a-migration-can-touch)',
    summary: 'files/directories migrations may read besides the database, e.g. seed CSVs',
    example: '/srv/app/seeds,/srv/app/countries.csv',
    rule: 'file system paths, comma-separated',
    fallback: undefined,
    parse: (raw, bad) => {
      const paths = raw.split(',').map((p) => p.trim()).filter(Boolean);
      if (paths.length === 0 || paths.some((p) => p.includes('\0'))) bad();
      return paths;
    },
  }),
  DUCKMIG_DUCKDB_THREADS: variable({
    section: 'service',
    readBy: WORKER,
    type: 'integer 1–1024',
    default: 'the number of cores − 1 (at least `1`)',
    description: 'threads the worker\'s DuckDB may use (its `threads` setting, applied when the database is opened, and to rehearsal copies and restored files). The default leaves one core to the API, Redis and the worker\'s own event loop, so status and live progress stay responsive while a long migration keeps DuckDB busy; set it to the number of cores when nothing else runs beside the worker. See [operations.md › DuckDB threads](operations.md#duckdb-threads)',
    summary: 'threads the worker\'s DuckDB may use (default: cores − 1)',
    example: '3',
    rule: 'a whole number of threads from 1 to 1024',
    fallback: defaultDuckdbThreads(),
    parse: wholeNumber(1, 1024),
  }),
  DUCKMIG_DUCKDB_NICE: variable({
    section: 'service',
    readBy: WORKER,
    type: 'integer 0–19',
    default: '`10`',
    description: 'the CPU priority (`nice`) the worker\'s DuckDB work runs at: every thread of the worker process but its event loop (DuckDB runs queries on Node\'s thread pool and its own threads). A long, CPU-bound migration then yields the CPU to the worker\'s event loop (heartbeat, progress; in `start` also the API) and to the API and Redis beside it, and runs at full speed when nothing else wants the CPU. `0` leaves priorities alone; it never raises one (a worker started under `nice` keeps its own). Linux only. See [operations.md › DuckDB threads](operations.md#duckdb-threads)',
    summary: 'CPU priority (nice) of the worker\'s DuckDB work; 0: unchanged',
    example: '0',
    rule: 'a whole number from 0 (unchanged) to 19 (lowest priority)',
    fallback: 10,
    parse: wholeNumber(0, 19),
  }),
  DUCKMIG_DATA_DIR: variable({
    section: 'service',
    readBy: ALL,
    type: 'path',
    default: '`data` (image: `/var/lib/duckmig/data`)',
    description: 'the generated `admin.token` (api, start), the managed Redis\'s `redis.password` and `redis/` directory (start); the worker and the CLI read these files only to keep them out of error text. Not where the database lives: that is `DUCKMIG_DB`',
    summary: 'managed Redis data and password, generated admin token',
    example: '/var/lib/duckmig/data',
    rule: 'a file system path',
    fallback: 'data',
    parse: path,
  }),
  REDIS_URL: variable<string | null>({
    section: 'service',
    readBy: ['start', 'api', 'worker'],
    type: '`redis://`, `rediss://`, `redis+cluster://` or `redis+sentinel://` URL',
    default: 'unset (`start`: a managed `redis-server`)',
    description:
      'the Redis holding the queue. Required by `api` and `worker`; unset, `start` runs its own `redis-server`. One Redis: `redis://[:password@]host:port[/db]` (`rediss://` for TLS). ' +
      'A Redis Cluster: `redis+cluster://[:password@]host:port,host:port` (a few seed nodes; `rediss+cluster://` for TLS); every key then starts with the hash tag `{duckmig}` (BullMQ\'s prefix `{duckmig}`, duckmig\'s own `{duckmig}:duckmig`). ' +
      'A Sentinel group: `redis+sentinel://[:password@]host:26379,host:26380/<master-name>` (the password is the master\'s; `rediss+sentinel://` for TLS). ' +
      'See [deployment.md › Redis Cluster and Sentinel](deployment.md#redis-cluster-and-sentinel)',
    summary: 'an external Redis, required by `duckmig api` / `duckmig worker`',
    example: 'redis://127.0.0.1:6379',
    rule: REDIS_URL_RULE,
    secret: true,
    fallback: null,
    parse: (raw, bad) => {
      try {
        parseRedisUrl(raw);
      } catch (err) {
        if (!(err instanceof RedisUrlError)) throw err;
        // the message names the problem, never the value (it may carry a password)
        bad(undefined, invalidRedisUrlMessage(err.message));
      }
      return raw;
    },
  }),
  LOG_LEVEL: variable<LevelWithSilent | undefined>({
    section: 'service',
    readBy: ALL,
    type: 'pino level',
    default: '`info` (CLI: `warn`)',
    description: 'pino level: `fatal`, `error`, `warn`, `info`, `debug`, `trace`, `silent`. Services log JSON lines on stdout (`duckmig start` on a terminal: readable lines), the CLI on stderr; `debug` also prints stack traces of CLI errors. The CLI ignores a bad value (the services refuse it)',
    summary: 'pino level',
    example: 'info',
    rule: `one of ${LOG_LEVELS.join(', ')}`,
    fallback: undefined,
    parse: (raw, bad) => {
      const level = raw.toLowerCase() as LevelWithSilent;
      if (!LOG_LEVELS.includes(level)) bad();
      return level;
    },
  }),
  DUCKMIG_RATE_LIMIT: variable({
    section: 'service',
    readBy: API,
    type: 'integer ≥ 1',
    default: '`30`',
    description: 'mutating requests (run, dry-run, restore, cancel) per token name per minute, counted across all API instances; over it: 429 with `Retry-After`',
    summary: 'run/dry-run/restore/cancel requests per token per minute',
    example: '30',
    rule: 'a whole number of requests per minute ≥ 1',
    fallback: 30,
    parse: wholeNumber(1),
  }),
  DUCKMIG_STATUS_CACHE_MS: variable({
    section: 'service',
    readBy: API,
    type: 'integer 0–10000 (ms)',
    default: '`1000`',
    description:
      'how long one status read may answer later `GET …/status` requests while nothing announces a change (a new snapshot, a job event, a request to this API instance); any announcement ends it at once. `0`: every request reads Redis',
    summary: 'how long a status read answers pollers while no change is announced (`0`: never reused)',
    example: '1000',
    rule: 'a whole number of milliseconds from 0 to 10000',
    fallback: 1000,
    parse: wholeNumber(0, 10_000),
  }),
  DUCKMIG_AUTH_FAILURE_LIMIT: variable({
    section: 'service',
    readBy: API,
    type: 'integer ≥ 1',
    default: '`20`',
    description: 'failed authentications (bad token, unknown session, failed sign-in) per client address per minute, across all API instances; then 429 with `Retry-After` until the minute is over',
    summary: 'failed authentications per client per minute before 429',
    example: '20',
    rule: 'a whole number of failed authentications per client and minute ≥ 1',
    fallback: 20,
    parse: wholeNumber(1),
  }),
  DUCKMIG_ALLOWED_ORIGINS: variable<string[]>({
    section: 'service',
    readBy: API,
    type: 'origins, comma-separated',
    default: 'unset (own origin only)',
    description: 'origins (`scheme://host[:port]`) besides the API\'s own from which browsers may change state or open the live channel, e.g. a reverse proxy\'s public URL ([operations.md › Security model](operations.md#security-model))',
    summary: 'origins besides the API\'s own allowed to change state (a reverse proxy\'s public URL)',
    example: 'https://duckmig.example.com',
    rule: 'origins (scheme://host[:port], no path)',
    verb: 'entries must be',
    fallback: [],
    parse: (raw, bad) => {
      const origins: string[] = [];
      for (const entry of raw.split(',').map((o) => o.trim()).filter(Boolean)) {
        let origin: string | null = null;
        try {
          const url = new URL(entry);
          if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin === entry.replace(/\/$/, '')) origin = url.origin;
        } catch {
          // reported below
        }
        if (origin) origins.push(origin);
        else bad(entry);
      }
      return origins;
    },
  }),
  DUCKMIG_TRUST_PROXY: variable({
    section: 'service',
    readBy: API,
    type: '`1` or `0`',
    default: '`0`',
    description: '`1`: the client address (for the failed-authentication throttle) is the right-most `X-Forwarded-For` entry. Only behind a reverse proxy that sets it',
    summary: '`1` behind a reverse proxy: client address from `X-Forwarded-For`',
    example: '1',
    rule: '1 or 0',
    fallback: false,
    parse: flag(/^(1|true|yes)$/i, /^(0|1|true|false|yes|no)$/i),
  }),
  DUCKMIG_APPROVALS: variable<ApprovalPolicy>({
    section: 'service',
    readBy: API,
    type: '`off`, `all` or `destructive`',
    default: '`off`',
    description:
      'which runs wait for another admin\'s approval before they are queued: `all` of them, only those whose pending batch is `destructive` (a DROP, a table rebuild, TRUNCATE or DELETE without WHERE, ALTER … TYPE), or none (`off`). The requester can never approve their own run ([governance.md › Approvals](governance.md#approvals))',
    summary: 'runs that need another admin\'s approval: `off`, `all`, `destructive`',
    example: 'destructive',
    rule: 'off, all or destructive',
    fallback: 'off',
    parse: (raw, bad) => {
      const policy = ApprovalPolicy.safeParse(raw.toLowerCase());
      if (!policy.success) bad();
      return policy.success ? policy.data : 'off';
    },
  }),
  DUCKMIG_TOKENS: variable<TokenEntry[] | null>({
    section: 'service',
    readBy: ALL,
    type: '`name:role:token`, comma-separated',
    default: 'unset: an admin token is generated',
    description: 'API tokens; see [tokens](#tokens-and-roles). The worker and the CLI read them only to keep them out of error text',
    summary: '`name:role:token,…` with roles `viewer`, `operator`, `admin`',
    example: 'ci:operator:<32+ random characters>',
    rule: 'name:role:token entries, comma-separated',
    secret: true,
    fallback: null,
    parse: (raw, bad) => {
      const { entries, problems } = parseTokenList(raw);
      for (const problem of problems) bad(undefined, `DUCKMIG_TOKENS ${problem}`);
      return entries;
    },
  }),
  DUCKMIG_RESTORE_POINTS: variable({
    section: 'restore',
    readBy: SERVICES_AND_LOCAL,
    type: '`on` or `off`',
    default: '`on`',
    description: '`on`/`off` (also `true`/`false`, `1`/`0`): take a restore point before every run that applies something',
    example: 'off',
    rule: '"on" or "off"',
    fallback: true,
    parse: flag(/^(on|true|1)$/i, /^(on|off|true|false|1|0)$/i),
  }),
  DUCKMIG_RESTORE_DIR: variable<string | undefined>({
    section: 'restore',
    readBy: SERVICES_AND_LOCAL,
    type: 'path',
    default: '`restore-points/` beside the database file',
    description: 'where restore points (`<id>.duckdb` + `<id>.json`) are kept',
    example: '/backups/duckmig',
    rule: 'a file system path',
    fallback: undefined,
    parse: path,
  }),
  DUCKMIG_RESTORE_KEEP: variable({
    section: 'restore',
    readBy: SERVICES_AND_LOCAL,
    type: 'integer ≥ 1',
    default: '`5`',
    description: 'how many to keep; the oldest are deleted after each new one (manual ones count too)',
    example: '5',
    rule: 'a whole number ≥ 1',
    fallback: 5,
    parse: wholeNumber(1),
  }),
  DUCKMIG_RESTORE_MAX_MB: variable({
    section: 'restore',
    readBy: SERVICES_AND_LOCAL,
    type: 'integer ≥ 1 (MiB)',
    default: '`10240`',
    description: 'above this database size no *automatic* restore point is taken (the run goes on, with a warning); `duckmig backup` ignores it',
    example: '10240',
    rule: 'a whole number ≥ 1',
    fallback: 10_240,
    parse: wholeNumber(1),
  }),
  DUCKMIG_LOCK_DURATION_MS: variable({
    section: 'timing',
    readBy: WORKER,
    type: 'integer 1000–3600000 (ms)',
    default: '`20000`',
    description: 'BullMQ job lock. A job whose worker died is detected this long after its last lock renewal',
    example: '20000',
    rule: 'a whole number of milliseconds from 1000 to 3600000',
    fallback: 20_000,
    parse: wholeNumber(1000, 3_600_000),
  }),
  DUCKMIG_STALLED_INTERVAL_MS: variable({
    section: 'timing',
    readBy: WORKER,
    type: 'integer 500–3600000 (ms)',
    default: '`10000`',
    description: 'how often workers look for such jobs',
    example: '10000',
    rule: 'a whole number of milliseconds from 500 to 3600000',
    fallback: 10_000,
    parse: wholeNumber(500, 3_600_000),
  }),
  DUCKMIG_DRIFT_CHECK_MS: variable({
    section: 'timing',
    readBy: WORKER,
    type: 'integer 0 or 1000–86400000 (ms)',
    default: '`600000` (10 min)',
    description:
      'how often the worker compares the live schema with what the applied migrations produce (drift detection; also at start and after every run or restore that may have changed the schema); `0`: only then, never on a schedule',
    example: '600000',
    rule: '0, or a whole number of milliseconds from 1000 to 86400000',
    fallback: 600_000,
    parse: (raw: string, bad: Report) => {
      const n = wholeNumber(0, 86_400_000)(raw, bad);
      if (n > 0 && n < 1000) bad();
      return n;
    },
  }),
  DUCKMIG_CHECKPOINT: variable<CheckpointPolicy | undefined>({
    section: 'checkpoint',
    readBy: SERVICES_AND_LOCAL,
    type: '`each`, `end` or a budget',
    default: '`2s,64MB`',
    description: 'when a run CHECKPOINTs: `each` (after every migration), `end` (once, when the run ends), or a budget — after a commit once the time since the last checkpoint or the WAL\'s size reaches it, and always when the run ends. A budget is a duration, a size or both: `500ms`, `5s`, `64MB`, `1GB`, `2s,64MB`. Every choice is crash-safe ([operations.md › Crash safety](operations.md#crash-safety-a-worker-killed-mid-run)). Local-mode `run --checkpoint` overrides it',
    summary: 'when a run CHECKPOINTs: `each` migration, at the `end`, or a budget such as `2s,64MB`',
    example: '2s,64MB',
    rule: 'each, end or a budget such as 2s, 64MB or 2s,64MB',
    fallback: undefined,
    parse: (raw, bad) => {
      try {
        return parseCheckpointPolicy(raw);
      } catch (err) {
        if (!(err instanceof CheckpointPolicyError)) throw err;
        bad();
        return undefined;
      }
    },
  }),
  DUCKMIG_DATABASES: variable<string | undefined>({
    section: 'fleet',
    readBy: ['worker'],
    type: 'glob',
    default: 'unset (one database: `DUCKMIG_DB`)',
    description: 'fleet mode: the DuckDB files this worker serves, a glob relative to the working directory. Each file is a target whose id is its path below the glob\'s fixed directory without `.duckdb` (`data/tenants/**/*.duckdb` → `eu/acme`). Set this or `DUCKMIG_FLEET_MANIFEST`, not both ([fleet.md](fleet.md))',
    example: 'data/tenants/*.duckdb',
    rule: 'a glob of file paths',
    fallback: undefined,
    parse: path,
  }),
  DUCKMIG_FLEET_MANIFEST: variable<string | undefined>({
    section: 'fleet',
    readBy: ['worker'],
    type: 'path',
    default: 'unset',
    description: 'fleet mode: a JSON file listing the targets, `[{ "id": "acme", "path": "acme.duckdb", "labels": { "tier": "gold" } }]`, paths relative to the manifest; read again at every scan',
    example: '/etc/duckmig/targets.json',
    rule: 'a file system path',
    fallback: undefined,
    parse: path,
  }),
  DUCKMIG_SHARD: variable({
    section: 'fleet',
    readBy: ['worker'],
    type: 'name',
    default: 'the host name',
    description: 'the shard this worker\'s targets belong to: the files on its disk or volume. Workers that see the same files (shared storage) use the same shard name: one owns it through a lease, the others stand by',
    example: 'eu-west-1a',
    rule: 'letters, digits, _ and - (at most 64, not starting with _ or -)',
    fallback: hostName(),
    parse: name,
  }),
  DUCKMIG_WORKER_ID: variable<string | undefined>({
    section: 'fleet',
    readBy: ['worker'],
    type: 'name',
    default: '`<host>-<pid>`',
    description: 'how this worker is named in leases, target states and outcomes',
    example: 'worker-a',
    rule: 'letters, digits, _ and - (at most 64, not starting with _ or -)',
    fallback: undefined,
    parse: name,
  }),
  DUCKMIG_FLEET_CONCURRENCY: variable({
    section: 'fleet',
    readBy: ['worker'],
    type: 'integer 1–64',
    default: '`2`',
    description: 'how many targets (each its own file) the shard\'s owner migrates at once',
    example: '4',
    rule: 'a whole number from 1 to 64',
    fallback: 2,
    parse: wholeNumber(1, 64),
  }),
  DUCKMIG_LEASE_TTL_MS: variable({
    section: 'fleet',
    readBy: ['worker'],
    type: 'integer 1000–600000 (ms)',
    default: '`15000`',
    description: 'the shard lease\'s time to live; the owner renews it every third of it. A standby takes over at most this long after the owner stopped renewing',
    example: '15000',
    rule: 'a whole number of milliseconds from 1000 to 600000',
    fallback: 15_000,
    parse: wholeNumber(1000, 600_000),
  }),
  DUCKMIG_FLEET_SCAN_MS: variable({
    section: 'fleet',
    readBy: ['worker'],
    type: 'integer 1000–86400000 (ms)',
    default: '`30000`',
    description: 'how often the owner looks at its files again (new, removed, changed outside duckmig) and publishes their states; also after every target job',
    example: '30000',
    rule: 'a whole number of milliseconds from 1000 to 86400000',
    fallback: 30_000,
    parse: wholeNumber(1000, 86_400_000),
  }),
  DUCKMIG_FLEET_OFFLINE_AFTER_MS: variable({
    section: 'fleet',
    readBy: ['worker'],
    type: 'integer 1000–86400000 (ms)',
    default: '`60000`',
    description: 'a shard without a lease for this long counts as offline: its waiting target jobs fail as `owner-offline` instead of waiting forever',
    example: '60000',
    rule: 'a whole number of milliseconds from 1000 to 86400000',
    fallback: 60_000,
    parse: wholeNumber(1000, 86_400_000),
  }),
  DUCKMIG_WEBHOOKS: variable<WebhookEndpoint[]>({
    section: 'governance',
    readBy: ['start', 'api', 'worker'],
    type: '`format:url`, comma-separated',
    default: 'unset: no notifications',
    description: 'endpoints that receive run events ([governance.md › Notifications](governance.md#notifications)): `json:URL` gets a signed JSON body, `slack:URL` a Slack incoming-webhook body (`{"text": …}`). `http://` or `https://` URLs; they may carry a secret (Slack\'s do), so they are never shown: logs and the delivery log name an endpoint by its host and id',
    example: 'json:https://hooks.example.com/duckmig,slack:https://hooks.slack.com/services/T000/B000/XXXX',
    rule: 'format:url entries (format json or slack, an http:// or https:// URL), comma-separated',
    secret: true,
    fallback: [],
    parse: (raw, bad) => {
      const { endpoints, problems } = parseWebhookList(raw);
      for (const problem of problems) bad(undefined, `DUCKMIG_WEBHOOKS ${problem}`);
      return endpoints;
    },
  }),
  DUCKMIG_WEBHOOK_SECRET: variable<string | undefined>({
    section: 'governance',
    readBy: ['start', 'api', 'worker'],
    type: 'text, at least 16 characters',
    default: 'unset (required with `DUCKMIG_WEBHOOKS`)',
    description: 'the key of the HMAC-SHA256 signature each delivery carries in `X-Duckmig-Signature: sha256=<hex>` (of the exact body bytes)',
    example: '<32+ random characters>',
    rule: 'at least 16 characters',
    secret: true,
    fallback: undefined,
    parse: (raw, bad) => {
      if (raw.length < 16) bad();
      return raw;
    },
  }),
  DUCKMIG_WEBHOOK_TIMEOUT_MS: variable({
    section: 'governance',
    readBy: WORKER,
    type: 'integer 100–60000 (ms)',
    default: '`5000`',
    description: 'how long one delivery attempt may take before it counts as failed and is retried (up to 5 attempts, 1 s, 2 s, 4 s, 8 s apart)',
    example: '5000',
    rule: 'a whole number of milliseconds from 100 to 60000',
    fallback: 5_000,
    parse: wholeNumber(100, 60_000),
  }),
  DUCKMIG_MAINTENANCE_WINDOW: variable<MaintenanceWindow[] | undefined>({
    section: 'governance',
    readBy: ['start', 'api', 'worker'],
    type: '`<days> HH:MM-HH:MM [UTC]`, `;`-separated',
    default: 'unset: runs may start at any time',
    description: 'when runs may start ([governance.md › Maintenance windows](governance.md#maintenance-windows)); days are `daily`, `Sat`, `Mon-Fri` or `Sat,Sun`, times UTC (`HH:MM` or `HH:MM:SS`; an end at or before the start ends the next day). Dry-runs and restores are not restricted',
    example: 'Sat 02:00-04:00 UTC; Wed 22:00-23:30',
    rule: 'windows like "Sat 02:00-04:00 UTC", separated by ";"',
    fallback: undefined,
    parse: (raw, bad) => {
      try {
        return parseMaintenanceWindows(raw);
      } catch (err) {
        if (!(err instanceof MaintenanceWindowError)) throw err;
        bad(undefined, `DUCKMIG_MAINTENANCE_WINDOW must be windows like "Sat 02:00-04:00 UTC", separated by ";": ${err.message} (got ${JSON.stringify(raw)})`);
        return undefined;
      }
    },
  }),
  DUCKMIG_WINDOW_POLICY: variable<'wait' | 'refuse'>({
    section: 'governance',
    readBy: ['start', 'api', 'worker'],
    type: '`wait` or `refuse`',
    default: '`wait`',
    description: 'a run requested outside the maintenance window: `wait` schedules it for the next opening (a delayed job, listed under scheduled runs); `refuse` answers 409 `outside-maintenance-window` with the next opening. A scheduled run that becomes due after its window closed waits again or fails the same way',
    example: 'refuse',
    rule: '"wait" or "refuse"',
    fallback: 'wait',
    parse: (raw, bad) => {
      const policy = raw.toLowerCase();
      if (policy !== 'wait' && policy !== 'refuse') bad();
      return policy as 'wait' | 'refuse';
    },
  }),
  DUCKMIG_API: variable<string | undefined>({
    section: 'cli',
    readBy: ['cli'],
    type: 'URL',
    default: 'unset',
    description: 'API base URL for `status`, `run`, `dry-run`, `cancel`, `restore`. **When set, these commands go through the API even without `--api`**',
    example: 'http://127.0.0.1:8080',
    rule: 'an http:// or https:// URL',
    fallback: undefined,
    parse: text,
  }),
  DUCKMIG_TOKEN: variable<string | undefined>({
    section: 'cli',
    readBy: ['cli'],
    type: 'token',
    default: 'unset',
    description: 'the token for remote mode (instead of `--token`, which would show in `ps`)',
    example: '$(cat data/admin.token)',
    rule: 'a token',
    secret: true,
    fallback: undefined,
    parse: text,
  }),
  DUCKMIG_USER: variable<string | undefined>({
    section: 'cli',
    readBy: ['cli'],
    type: 'name',
    default: '`$USER`, else `cli`',
    description: 'who a local-mode `run` or `restore` is recorded as (`applied_by`, `requested_by`). Remote mode records the token\'s name instead',
    example: 'release-bot',
    rule: 'a name',
    fallback: undefined,
    parse: text,
  }),
  DUCKMIG_LOCK_RETRIES: variable({
    section: 'cli',
    readBy: ['cli'],
    type: 'integer ≥ 1',
    default: '`5`',
    description: 'attempts (1 s apart) to open a locked file in local-mode `status`, `validate --db`, `run`, `dry-run`, `backup`, `restore` and `import --db`. The worker always tries 5 times',
    example: '1',
    rule: 'a whole number of attempts ≥ 1',
    fallback: 5,
    parse: wholeNumber(1),
  }),
  NODE_ENV: variable<string | undefined>({
    section: 'testing',
    readBy: SERVICES_AND_LOCAL,
    type: 'text',
    default: 'unset',
    description: '`test` lets `DUCKMIG_TEST_RESTORE_SIGNAL` take effect; duckmig reads it for nothing else',
    example: 'test',
    rule: 'text',
    fallback: undefined,
    parse: text,
  }),
  DUCKMIG_TEST_RESTORE_SIGNAL: variable<{ step: RestoreStep; signal: 'SIGKILL' | 'SIGSTOP' } | undefined>({
    section: 'testing',
    readBy: SERVICES_AND_LOCAL,
    type: '`<step>:<SIGKILL|SIGSTOP>`',
    default: 'unset',
    description: `tests only, ignored unless \`NODE_ENV=test\`: the restoring process sends itself the signal right after that step of a restore (${RESTORE_STEPS.map((s) => `\`${s}\``).join(', ')}), to prove a crash at any step loses nothing`,
    example: 'swapped:SIGKILL',
    rule: `<step>:<SIGKILL|SIGSTOP> with a step among ${RESTORE_STEPS.join(', ')}`,
    fallback: undefined,
    parse: (raw, bad) => {
      const [step, signal] = raw.split(':');
      if (!(RESTORE_STEPS as readonly string[]).includes(step!) || (signal !== 'SIGKILL' && signal !== 'SIGSTOP')) {
        bad();
        return undefined;
      }
      return { step: step as RestoreStep, signal };
    },
  }),
} as const;

export type VariableName = keyof typeof VARIABLES;
export type ValueOf<N extends VariableName> = (typeof VARIABLES)[N] extends VariableSpec<infer T> ? T : never;

type Env = Readonly<Record<string, string | undefined>>;

/** The message for a bad value of `name`: the variable, the rule, the value (unless secret) and an example. */
export function invalidMessage(name: VariableName, got: string): string {
  const spec: VariableSpec<unknown> = VARIABLES[name];
  const shown = spec.secret ? '' : `, got ${JSON.stringify(got)}`;
  return `${name} ${spec.verb ?? 'must be'} ${spec.rule}${shown} (example: ${name}=${spec.example})`;
}

function field<N extends VariableName>(name: N) {
  const spec = VARIABLES[name] as VariableSpec<ValueOf<N>>;
  return z
    .string()
    .optional()
    .transform((raw, ctx): ValueOf<N> => {
      if (raw === undefined) return spec.fallback;
      let failed = false;
      const value = spec.parse(raw, (got, message) => {
        failed = true;
        ctx.addIssue({ code: 'custom', message: message ?? invalidMessage(name, got ?? raw) });
      });
      return failed ? z.NEVER : value;
    });
}

/** The schema of the whole environment: each variable is a trimmed string (unset when empty) turned into its value. */
export const environmentSchema = z.object(
  Object.fromEntries((Object.keys(VARIABLES) as VariableName[]).map((name) => [name, field(name)])) as {
    [N in VariableName]: ReturnType<typeof field<N>>;
  },
);

/**
 * The values of `names` from `env` (every other variable is ignored); throws one ConfigError
 * listing every bad value, in the order of VARIABLES. An empty value counts as unset.
 */
export function readVariables<N extends VariableName>(env: Env, names: readonly N[]): { [K in N]: ValueOf<K> } {
  const wanted = new Set<VariableName>(names);
  const keys = (Object.keys(VARIABLES) as VariableName[]).filter((name) => wanted.has(name));
  const schema: z.ZodType<unknown> = environmentSchema.pick(Object.fromEntries(keys.map((k) => [k, true])) as Partial<Record<VariableName, true>>);
  const input = Object.fromEntries(keys.map((k) => [k, env[k]?.trim() || undefined]));
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => ({ variable: String(issue.path[0]), message: issue.message })));
  }
  return result.data as { [K in N]: ValueOf<K> };
}

/** The environment of this process: the only place duckmig reads process.env. */
export function processEnvironment(): Env {
  return process.env;
}
