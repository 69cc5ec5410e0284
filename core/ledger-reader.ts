// Reading the ledgers of many database files cheaply (a fleet worker's scan of its targets):
// one in-memory DuckDB instance ATTACHes each file READ_ONLY, reads its ledger and the old
// application's schema_version, and DETACHes it. No DuckDB instance per file (creating one
// and closing it synchronously is most of a full open's cost and stalls the event loop), no
// parse or lint of the migration files, no checkpoint, nothing written: a file with a WAL is
// read with it, and a file another process holds is refused as DatabaseLockedError. A file
// beside a restore's journal is not read at all (Database.open settles or waits for it).
import { existsSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { DatabaseLockedError, isLockError, lockHolder, sqlString } from './database.js';
import { effectiveApplied, ForeignLedgerError, Ledger } from './ledger.js';
import { swapFiles } from './restore-journal.js';

export interface LedgerGlance {
  /** the versions applied (or adopted, also from schema_version) and not undone, ascending */
  applied: number[];
  /** schema_migrations is another tool's table: nothing counts as applied */
  foreign: boolean;
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

  /** The applied versions of one file; reads run one at a time. */
  read(path: string): Promise<LedgerGlance> {
    const next = this.#queue.then(() => this.#read(path));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #read(path: string): Promise<LedgerGlance> {
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
      const versions = new Set(effectiveApplied(entries).map((e) => e.version));
      for (const row of (await ledger.readLegacyVersions()) ?? []) versions.add(row.version);
      return { applied: [...versions].sort((a, b) => a - b), foreign };
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
