// The migrations id: one SHA-256 over a migrations directory's (version, checksum) pairs,
// sorted by version. Every fleet worker computes it the same way, so the coordinator and the
// API can tell whether the shards' owners run the same files, and a fleet run can pin them.
import { createHash } from 'node:crypto';
import type { MigrationSource } from './source.js';

/** The id of a set of migration files (order-independent: sorted by version first). */
export function migrationsIdOf(files: readonly { version: number; checksum: string }[]): string {
  const hash = createHash('sha256').update('duckmig-migrations-v1');
  for (const f of [...files].sort((a, b) => a.version - b.version || a.checksum.localeCompare(b.checksum))) hash.update(`\n${f.version}:${f.checksum}`);
  return hash.digest('hex');
}

/** The id of the files a source holds now. */
export async function readMigrationsId(source: MigrationSource): Promise<string> {
  return migrationsIdOf((await source.scan()).migrations);
}
