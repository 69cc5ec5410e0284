// Turns a sqllogictest file (the `.test` format DuckDB's own test suite is written in) into a
// migration set: consecutive `statement` blocks become one migration file, a `query` block
// (where the test looks at the result) ends a file, an expected error gets a file of its own
// (and the set ends one file after it, as a run stops there), BEGIN … COMMIT blocks stay
// together and rolled-back blocks are dropped. Only schema and data statements are kept (no
// SELECT, PRAGMA, SET, ATTACH …). Tests that use several connections, loops, extensions or
// files cannot be replayed as one sequence of files and give no set.

const KEEP = /^(CREATE|ALTER|DROP|INSERT|UPDATE|DELETE|COMMENT)\b/i;
const SKIP_TEST = /^(loop|foreach|concurrentloop|concurrentforeach|load|restart|reconnect|mode skip|endloop|require (?!skip_reload|no_alternative_verify|vector_size))/m;
/** A set never grows past this many files: long tests are cut, as a run would be reviewed in slices. */
export const MAX_FILES = 12;

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

/**
 * The migration files (their SQL, in order) a sqllogictest file becomes, or undefined when
 * the test cannot be replayed as a set (see the header) or gives fewer than two files.
 */
export function migrationsFromSqllogictest(text: string): string[] | undefined {
  const list = blocks(text);
  const migrations = list && files(list);
  return migrations && migrations.length >= 2 ? migrations : undefined;
}
