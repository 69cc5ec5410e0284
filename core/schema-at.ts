// The schema at an applied version: the files the ledger says were applied, up to that
// version, replayed in order on an empty in-memory DuckDB (sandboxed like every database
// duckmig opens, as a rehearsal without a file is), then read; the database is discarded.
// A file that is gone or changed since it was applied refuses the replay: the result would
// not be the schema that version had.
import type { AppliedFile, DatabaseSchema } from '../contract/index.js';
import { Database, type OpenOptions } from './database.js';
import { LEDGER_TABLES } from './ledger.js';
import { MigrationRunner } from './runner.js';
import { readDatabaseSchema } from './schema.js';
import type { MigrationSource, SourceScan } from './source.js';

export class SchemaReplayError extends Error {
  override name = 'SchemaReplayError';
}

export interface ReplayOptions extends Pick<OpenOptions, 'allowedPaths'> {
  source: MigrationSource;
  /** the applied files to replay, in version order */
  applied: readonly AppliedFile[];
  secrets?: readonly string[] | (() => readonly string[]);
}

/** A source that lists exactly the applied files, refusing when one is missing or changed. */
function appliedOnly(source: MigrationSource, applied: readonly AppliedFile[]): MigrationSource {
  return {
    location: source.location,
    async scan(): Promise<SourceScan> {
      const scan = await source.scan();
      const byVersion = new Map(scan.migrations.map((m) => [m.version, m]));
      const migrations = applied.map(({ version, checksum }) => {
        const file = byVersion.get(version);
        if (!file) throw new SchemaReplayError(`version ${version} was applied but its file is no longer in ${source.location}`);
        if (file.checksum !== checksum) throw new SchemaReplayError(`${file.file} changed since it was applied (checksum ${file.checksum.slice(0, 12)}…, applied ${checksum.slice(0, 12)}…)`);
        return file;
      });
      const kept = new Set(migrations.map((m) => m.file));
      return { migrations, problems: scan.problems.filter((p) => p.file !== undefined && kept.has(p.file)) };
    },
  };
}

export async function replaySchema(options: ReplayOptions): Promise<DatabaseSchema> {
  const db = await Database.open(':memory:', { allowedPaths: options.allowedPaths });
  try {
    const runner = new MigrationRunner({ connection: db.connection, source: appliedOnly(options.source, options.applied), database: db, checkpoint: 'end', secrets: options.secrets });
    const last = options.applied.at(-1);
    if (last) {
      const result = await runner.run({ target: last.version, appliedBy: 'duckmig schema replay' });
      if (result.status !== 'success') throw new SchemaReplayError(`replaying the applied files up to version ${last.version} failed: ${result.error ?? result.status}`);
    }
    return await readDatabaseSchema(db.connection, { exclude: LEDGER_TABLES });
  } finally {
    await db.close();
  }
}
