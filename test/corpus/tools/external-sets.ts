// Finds migration sets in a directory of material from outside this repository (for
// DUCKMIG_CORPUS_DIR): a folder that holds `.sql` files is a set as it stands; each
// sqllogictest `.test` file is converted into a set of its own under a scratch directory.
// Set names are the paths relative to the root, joined with `-`.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { migrationsFromSqllogictest } from './sqllogictest.js';

export interface CorpusSet {
  name: string;
  dir: string;
}

const nameOf = (root: string, path: string) => relative(root, path).replace(/\.test$/, '').split(/[\\/]/).join('-').replace(/_/g, '-') || 'root';

/** Writes `migrations` as `001_step_1.sql` … into `dir`. */
export function writeSet(dir: string, migrations: string[], origin: string): void {
  mkdirSync(dir, { recursive: true });
  migrations.forEach((sql, i) => writeFileSync(join(dir, `${String(i + 1).padStart(3, '0')}_step_${i + 1}.sql`), `-- from ${origin}\n${sql}`));
}

/** Every set under `root`; converted sqllogictests are written under `scratch`. */
export function externalSets(root: string, scratch: string): CorpusSet[] {
  const out: CorpusSet[] = [];
  const walk = (dir: string) => {
    const entries = readdirSync(dir, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'));
    if (entries.some((e) => e.isFile() && e.name.toLowerCase().endsWith('.sql'))) out.push({ name: nameOf(root, dir), dir });
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.isFile() && e.name.endsWith('.test')) {
        const migrations = migrationsFromSqllogictest(readFileSync(path, 'utf8'));
        if (!migrations) continue;
        const name = nameOf(root, path);
        const setDir = join(scratch, name);
        writeSet(setDir, migrations, relative(root, path));
        out.push({ name, dir: setDir });
      }
    }
  };
  walk(root);
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
