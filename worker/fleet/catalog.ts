// The shard's targets as the owner knows them: the last discovery, the last state of each
// (published in fleetKeys().targets), the migrations id of the worker's files, the drift
// checks' expected schemas and last findings (target-drift.ts), and which targets a job
// holds right now (a file is never opened twice at once in this process: scans skip a busy
// target, and a second job on it waits for the first).
import type { ChainableCommander } from 'ioredis';
import type { RedisConnection } from '../../config/redis-connection.js';
import type { Logger } from 'pino';
import type { FleetConfig } from '../../config/worker.js';
import { TargetState } from '../../contract/index.js';
import { readMigrationsId } from '../../core/index.js';
import { migrationsIdOf } from '../../core/migrations-id.js';
import type { FleetKeys } from '../../fleet/options.js';
import { ExpectedSchemas, DriftFindings, type MigrationFiles } from './target-drift.js';
import { targetSource, type TargetSettings } from './target-file.js';
import { openScanner } from './target-scan.js';
import { discoverTargets, type Discovery, type Target } from './targets.js';

export interface CatalogOptions {
  source: FleetConfig['targets'];
  cwd: string;
  shard: string;
  workerId: string;
  settings: TargetSettings;
  redis: RedisConnection;
  keys: FleetKeys;
  logger: Logger;
}

export interface ScanSummary {
  targets: number;
  migrationsId: string;
  durationMs: number;
}

export class Catalog {
  #discovery: Discovery | null = null;
  readonly #states = new Map<string, TargetState>();
  /** per target: the use in progress (a job or a scan) */
  readonly #busy = new Map<string, Promise<unknown>>();
  #migrationsId = '';
  #scanning: Promise<ScanSummary> | null = null;
  /** the schema each applied list produces, made once for every target of this worker (jobs and scans) */
  readonly expectedSchemas: ExpectedSchemas;
  /** what the last check (a scan's or a job's) found about each target's drift, with its file as it was then */
  readonly findings = new DriftFindings();
  /** the states the shard's earlier owners published were taken as this worker's previous ones */
  #seeded = false;

  constructor(private readonly options: CatalogOptions) {
    this.expectedSchemas = new ExpectedSchemas({ allowedPaths: options.settings.allowedPaths, secrets: options.settings.secrets });
  }

  get root(): string | null {
    return this.#discovery?.root ?? null;
  }

  get size(): number {
    return this.#discovery?.targets.length ?? 0;
  }

  /** the migrations id of the worker's files at the last scan or job */
  get migrationsId(): string {
    return this.#migrationsId;
  }

  /** The migrations id of the files now (they may change between scans). */
  async currentMigrationsId(): Promise<string> {
    this.#migrationsId = await readMigrationsId(targetSource(this.options.settings));
    return this.#migrationsId;
  }

  /** The migration files now, scanned once for a job or a scan: their id, and a source that hands a runner that same scan. */
  async currentFiles(): Promise<MigrationFiles> {
    const files = targetSource(this.options.settings);
    const scanned = await files.scan();
    this.#migrationsId = migrationsIdOf(scanned.migrations);
    return { migrationsId: this.#migrationsId, source: { location: files.location, scan: () => Promise.resolve(scanned) } };
  }

  state(id: string): TargetState | undefined {
    return this.#states.get(id);
  }

  /** The target with this id, discovering again when it is not known yet; null when it is not in the shard. */
  async find(id: string): Promise<Target | null> {
    const known = this.#discovery?.targets.find((t) => t.id === id);
    if (known) return known;
    await this.#discover();
    return this.#discovery?.targets.find((t) => t.id === id) ?? null;
  }

  /** Runs `use` once nothing else uses the target in this process. */
  exclusive<T>(id: string, use: () => Promise<T>): Promise<T> {
    const previous = this.#busy.get(id) ?? Promise.resolve();
    const next = previous.then(use, use);
    const settled = next.catch(() => undefined);
    this.#busy.set(id, settled);
    void settled.then(() => {
      if (this.#busy.get(id) === settled) this.#busy.delete(id);
    });
    return next;
  }

  /** Remembers a target's state after a job; its publication goes out with `batch`, which the caller sends. */
  stage(state: TargetState, batch: ChainableCommander): void {
    this.#states.set(state.id, state);
    batch.hset(this.options.keys.targets, state.id, JSON.stringify(state));
  }

  /**
   * Discovers the targets, reads every one not busy, publishes their states and drops the
   * states of targets gone. One scan at a time. With `drift: false` no catalog is read (the
   * owner's first scan, which its consumer waits for): each target keeps the drift last known.
   */
  scan(options: { drift?: boolean } = {}): Promise<ScanSummary> {
    this.#scanning ??= this.#scan(options.drift ?? true).finally(() => {
      this.#scanning = null;
    });
    return this.#scanning;
  }

  async #discover(): Promise<Discovery> {
    const discovery = await discoverTargets(this.options.source, this.options.cwd);
    for (const problem of discovery.problems) this.options.logger.warn({ event: 'fleet:target-skipped' }, problem);
    this.#discovery = discovery;
    return discovery;
  }

  async #scan(drift: boolean): Promise<ScanSummary> {
    const started = performance.now();
    const { shard, workerId, settings, redis, keys } = this.options;
    const discovery = await this.#discover();
    if (!this.#seeded) await this.#seed();
    // one scan of the migration files and one ledger reader for every target of this scan
    const files = await this.currentFiles();
    const { migrationsId } = files;
    const scanner = await openScanner(settings, files, drift ? { expected: this.expectedSchemas, findings: this.findings } : null);
    let catalogsRead = 0;
    const states: TargetState[] = [];
    let slowestMs = 0;
    try {
      for (const target of discovery.targets) {
        if (this.#busy.has(target.id)) continue; // a job holds it and publishes its state itself
        const fileStarted = performance.now();
        const state = await this.exclusive(target.id, () => scanner.state(target, { shard, owner: workerId, previous: this.#states.get(target.id) }));
        slowestMs = Math.max(slowestMs, performance.now() - fileStarted);
        this.#states.set(target.id, state);
        states.push(state);
      }
    } finally {
      catalogsRead = scanner.catalogsRead;
      scanner.close();
    }
    if (states.length > 0) await redis.hset(keys.targets, Object.fromEntries(states.map((s) => [s.id, JSON.stringify(s)])));
    await this.#forgetGone(new Set(discovery.targets.map((t) => t.id)));
    const durationMs = Math.round(performance.now() - started);
    const perFileMs = states.length > 0 ? Math.round((durationMs / states.length) * 10) / 10 : 0;
    this.options.logger.info(
      { event: 'fleet:scanned', shard, targets: discovery.targets.length, read: states.length, drift, catalogsRead, durationMs, perFileMs, slowestFileMs: Math.round(slowestMs) },
      `shard ${shard}: ${discovery.targets.length} targets scanned in ${durationMs} ms (${perFileMs} ms a file)`,
    );
    return { targets: discovery.targets.length, migrationsId, durationMs };
  }

  /**
   * The states this shard's earlier owners published become this worker's previous ones, so
   * what they knew (drift, the last run and its error) carries over while nothing new is
   * known; one read of the targets hash, at the first scan.
   */
  async #seed(): Promise<void> {
    const published = await this.options.redis.hgetall(this.options.keys.targets);
    for (const json of Object.values(published)) {
      let parsed;
      try {
        parsed = TargetState.safeParse(JSON.parse(json));
      } catch {
        continue;
      }
      if (parsed.success && parsed.data.shard === this.options.shard && !this.#states.has(parsed.data.id)) this.#states.set(parsed.data.id, parsed.data);
    }
    this.#seeded = true;
  }

  /** This shard's published targets that are no longer discovered leave the fleet's list. */
  async #forgetGone(present: ReadonlySet<string>): Promise<void> {
    const { redis, keys, shard } = this.options;
    const published = await redis.hgetall(keys.targets);
    const gone = Object.entries(published)
      .filter(([id, json]) => !present.has(id) && (JSON.parse(json) as TargetState).shard === shard)
      .map(([id]) => id);
    for (const id of gone) {
      this.#states.delete(id);
      this.findings.forget(id);
    }
    if (gone.length > 0) await redis.hdel(keys.targets, ...gone);
  }
}
