// Generates N small, realistic migration files (NNN_name.sql) into a directory: each
// creates a table, fills a few rows, indexes it and adds a column; every few files also
// touch an earlier table, so later migrations depend on earlier ones like real history.
// Deterministic: the same count always gives byte-identical files.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface GeneratedMigration {
  /** file name, e.g. 0042_bench_step_42.sql */
  file: string;
  /** the name without the number and extension, as Kysely's provider keys it */
  key: string;
  sql: string;
  /** statements in the file (for per-statement figures) */
  statements: number;
}

/** The SQL of migration n (1-based). No function defaults: see the WAL-replay bug in docs/troubleshooting.md. */
export function migrationSql(n: number): { sql: string; statements: number } {
  const t = `t_${n}`;
  const lines = [
    `-- bench migration ${n}: table ${t}, a few rows, an index and a new column`,
    `CREATE TABLE IF NOT EXISTS ${t} (`,
    `    id    INTEGER PRIMARY KEY,`,
    `    name  VARCHAR NOT NULL,`,
    `    score DOUBLE`,
    `);`,
    `INSERT INTO ${t} (id, name, score) VALUES (1, 'alpha-${n}', ${n}.5), (2, 'beta-${n}', 2.25), (3, 'gamma ''${n}''', NULL);`,
    `CREATE INDEX IF NOT EXISTS ${t}_name_idx ON ${t} (name);`,
    `ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS note VARCHAR;`,
  ];
  let statements = 4;
  if (n > 1 && n % 5 === 0) {
    const prev = `t_${n - 1}`;
    lines.push(`UPDATE ${prev} SET note = 'touched by ${n}' WHERE id = 1;`);
    lines.push(`INSERT INTO ${prev} (id, name, score, note) VALUES (4, 'delta-${n}', 4.0, 'from ${n}');`);
    statements += 2;
  }
  return { sql: `${lines.join('\n')}\n`, statements };
}

/** Writes `count` migrations into `dir` (created if needed) and returns what it wrote. */
export async function generateMigrations(dir: string, count: number): Promise<GeneratedMigration[]> {
  await mkdir(dir, { recursive: true });
  // zero-padded to one width so that name order is version order (Kysely sorts names)
  const width = Math.max(3, String(count).length);
  const out: GeneratedMigration[] = [];
  for (let n = 1; n <= count; n++) {
    const key = `bench_step_${n}`;
    const file = `${String(n).padStart(width, '0')}_${key}.sql`;
    const { sql, statements } = migrationSql(n);
    out.push({ file, key, sql, statements });
  }
  const BATCH = 256;
  for (let i = 0; i < out.length; i += BATCH) {
    await Promise.all(out.slice(i, i + BATCH).map((m) => writeFile(join(dir, m.file), m.sql)));
  }
  return out;
}
