// Turns DuckDB's sqllogictest files (test/sql/alter, test/sql/constraints in duckdb/duckdb)
// into migration sets for the corpus: consecutive `statement` blocks become one migration
// file, a `query` block (where the test looks at the result) ends a file, an expected error
// gets a file of its own (and the set ends one file after it, as a run stops there),
// BEGIN … COMMIT blocks stay together and rolled-back blocks are dropped. Only schema and
// data statements are kept (no SELECT, PRAGMA, SET, ATTACH …).
// Tests that use several connections, loops, extensions or files are skipped.
// Usage: tsx test/corpus/tools/from-sqllogictest.ts GIT_DIR COMMIT OUT_DIR PATH…
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const KEEP = /^(CREATE|ALTER|DROP|INSERT|UPDATE|DELETE|COMMENT)\b/i;
const SKIP_TEST = /^(loop|foreach|concurrentloop|concurrentforeach|load|restart|reconnect|mode skip|endloop|require (?!skip_reload|no_alternative_verify|vector_size))/m;
const MAX_FILES = 12;

interface Block {
  kind: 'ok' | 'error' | 'query';
  sql: string;
}

function blocks(text: string): Block[] | undefined {
  if (SKIP_TEST.test(text) || /__TEST_DIR__|\$\{|\bcon\d\b|statement (ok|error|maybe) \w+$/m.test(text)) return undefined;
  const out: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const head = /^(statement (ok|error|maybe)|query \S+)/.exec(lines[i]!);
    if (!head) continue;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i]!.trim() !== '' && lines[i] !== '----'; i++) body.push(lines[i]!);
    while (i < lines.length && lines[i]!.trim() !== '') i++; // expected output / message
    const kind = head[1]!.startsWith('query') ? 'query' : head[2] === 'error' ? 'error' : 'ok';
    if (head[2] === 'maybe') return undefined;
    out.push({ kind, sql: body.join('\n').trim() });
  }
  return out;
}

function files(list: Block[]): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let inTransaction = false;
  let transaction: string[] = [];
  let expectedError: number | undefined;
  const flush = () => {
    if (current.length) out.push(current.map((s) => `${s.replace(/;\s*$/, '')};`).join('\n\n') + '\n');
    current = [];
  };
  for (const b of list) {
    const sql = b.sql;
    if (/^(BEGIN|START TRANSACTION)/i.test(sql)) {
      flush();
      inTransaction = true;
      transaction = [];
      continue;
    }
    if (/^(COMMIT|END)\b/i.test(sql) && inTransaction) {
      current.push(...transaction);
      flush();
      inTransaction = false;
      continue;
    }
    if (/^(ROLLBACK|ABORT)\b/i.test(sql)) {
      inTransaction = false;
      transaction = [];
      continue;
    }
    if (b.kind === 'query') {
      if (!inTransaction) flush();
      continue;
    }
    if (!KEEP.test(sql)) continue;
    if (inTransaction) {
      transaction.push(sql);
      continue;
    }
    if (b.kind === 'error') {
      flush();
      current.push(sql);
      flush();
      // DuckDB stops a migration run at the first refusal: keep one file after it (not run)
      expectedError ??= out.length;
    } else current.push(sql);
  }
  if (!inTransaction) flush();
  return out.slice(0, Math.min(MAX_FILES, expectedError === undefined ? Infinity : expectedError + 1));
}

const [gitDir, commit, outDir, ...paths] = process.argv.slice(2);
for (const path of paths) {
  const text = execFileSync('git', ['--git-dir', gitDir!, 'show', `${commit}:${path}`], { encoding: 'utf8' });
  const list = blocks(text);
  const migrations = list && files(list);
  if (!migrations || migrations.length < 2) {
    console.log(`skip ${path}`);
    continue;
  }
  const name = `duckdb-${path.split('/').slice(2, -1).join('-')}-${basename(path, '.test')}`.replace(/_/g, '-');
  const dir = join(outDir!, name);
  mkdirSync(dir, { recursive: true });
  migrations.forEach((sql, i) => writeFileSync(join(dir, `${String(i + 1).padStart(3, '0')}_step_${i + 1}.sql`), `-- from ${path}\n${sql}`));
  writeFileSync(
    join(dir, 'SOURCE.md'),
    `# ${name}\n\n- Repository: https://github.com/duckdb/duckdb\n- Path: \`${path}\`\n- Commit: ${commit}\n- Licence: MIT (Copyright 2018-2026 Stichting DuckDB Foundation)\n\nThe test's \`statement\` blocks turned into migration files by \`test/corpus/tools/from-sqllogictest.ts\`\n(consecutive statements form one file, a \`query\` check ends a file, an expected error is a file of\nits own and the set ends one file after it, BEGIN … COMMIT stays together, rolled-back blocks and
non-schema statements are dropped).\n`,
  );
  console.log(`${name}: ${migrations.length} files`);
}
