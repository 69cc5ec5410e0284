// Converts sqllogictest `.test` files (or folders of them) into migration set folders, to
// look at what the corpus suite makes of them; the suite itself converts at run time.
// Usage: tsx test/corpus/tools/from-sqllogictest.ts OUT_DIR PATH…
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { externalSets, writeSet } from './external-sets.js';
import { migrationsFromSqllogictest } from './sqllogictest.js';

const [outDir, ...paths] = process.argv.slice(2);
if (!outDir || paths.length === 0) {
  console.error('usage: tsx test/corpus/tools/from-sqllogictest.ts OUT_DIR PATH…');
  process.exit(2);
}
for (const path of paths) {
  if (statSync(path).isDirectory()) {
    const scratch = mkdtempSync(join(tmpdir(), 'duckmig-slt-'));
    for (const set of externalSets(path, scratch).filter((s) => s.dir.startsWith(scratch))) {
      cpSync(set.dir, join(outDir, set.name), { recursive: true });
      console.log(`${set.name}: converted`);
    }
    rmSync(scratch, { recursive: true, force: true });
    continue;
  }
  const migrations = migrationsFromSqllogictest(readFileSync(path, 'utf8'));
  const name = basename(path, '.test').replace(/_/g, '-');
  if (!migrations) console.log(`skip ${path}`);
  else {
    writeSet(join(outDir, name), migrations, basename(path));
    console.log(`${name}: ${migrations.length} files`);
  }
}
