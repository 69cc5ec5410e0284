// Reading the ledgers of many database files cheaply (a fleet worker's scan of its targets):
// one in-memory DuckDB instance ATTACHes each file READ_ONLY, reads its ledger and the old
// application's schema_version, and DETACHes it. No DuckDB instance per file (creating one
// and closing it synchronously is most of a full open's cost and stalls the event loop), no
// parse or lint of the migration files, no checkpoint, nothing written: a file with a WAL is
// read with it, and a file another process holds is refused as DatabaseLockedError. A file
// beside a restore's journal is not read at all (Database.open settles or waits for it).
// On request it also reads the file's schema as drift checks compare it, on the same attach.
import { existsSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { DatabaseLockedError, isLockError, lockHolder, sqlString } from './database.js';
import { readLiveSchema, type LiveSchemaRead } from './drift.js';
import { effectiveApplied, ForeignLedgerError, Ledger } from './ledger.js';
import { swapFiles } from './restore-journal.js';

export interface LedgerGlance {
  /** the versions applied (or adopted, also from schema_version) and not undone, ascending */
  applied: number[];
  /**
   * the same versions with the checksums the ledger recorded (AppliedFile, as drift checks take
   * them); null for a version only the old application's schema_version holds, which the
   * runner counts with its file's checksum
   */
  files: { version: number; checksum: string | null }[];
  /** schema_migrations is another tool's table: nothing counts as applied */
  foreign: boolean;
  /** the file's schema as drift compares it (readLiveSchema), when asked for */
  live?: LiveSchemaRead;
}

export interface GlanceOptions {
  /** also read the schema drift compares (a few catalog queries, ~10–25 ms a file) */
  liveSchema?: boolean;
}

const ALIAS = 'duckmig_glance';

export class LedgerReader {
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(threads?: number): Promise<LedgerReader> {
    const instance = await DuckDBInstance.create(':memory:', threads === undefined ? {} : { threads: String(threads) });
    return new LedgerReader(instance, await instance.connect());
  }

  /** The applied versions of one file (and its schema, when asked); reads run one at a time. */
  read(path: string, options: GlanceOptions = {}): Promise<LedgerGlance> {
    const next = this.#queue.then(() => this.#read(path, options));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #read(path: string, options: GlanceOptions): Promise<LedgerGlance> {
    if (existsSync(swapFiles(path).journal)) throw new Error(`${path}: a restore's journal is beside it`);
    try {
      await this.connection.run(`ATTACH ${sqlString(path)} AS ${ALIAS} (READ_ONLY)`);
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      if (isLockError(message)) throw new DatabaseLockedError(path, lockHolder(message), err);
      throw err;
    }
    try {
      await this.connection.run(`USE ${ALIAS}`);
      // a Ledger per file: it remembers which tables it has seen
      const ledger = new Ledger(this.connection);
      let foreign = false;
      const entries = await ledger.read().catch((err: unknown) => {
        if (!(err instanceof ForeignLedgerError)) throw err;
        foreign = true;
        return [];
      });
      const files = new Map<number, string | null>(effectiveApplied(entries).map((e) => [e.version, e.checksum]));
      for (const row of (await ledger.readLegacyVersions()) ?? []) if (!files.has(row.version)) files.set(row.version, null);
      const applied = [...files.keys()].sort((a, b) => a - b);
      // the file is the current database here (USE): the catalog queries read it alone
      const live = options.liveSchema ? await readLiveSchema(this.connection) : undefined;
      return { applied, files: applied.map((version) => ({ version, checksum: files.get(version) ?? null })), foreign, ...(live && { live }) };
    } finally {
      await this.connection.run('USE memory');
      await this.connection.run(`DETACH ${ALIAS}`);
    }
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
