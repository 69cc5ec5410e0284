// DuckDB-aware checks before a run. What DuckDB will refuse is decided by experiment: the
// files run on a data-free copy of the live schema (or on an empty database when there is
// no history) with the real run's transaction boundaries, and a refusal is reported with
// DuckDB's own message; the rules add what an experiment cannot — the fix or rebuild
// recipe, and warnings about failures that depend on the rows (an empty copy has none).
// Advice that is not a refusal (missing IF NOT EXISTS, session settings) reads the SQL
// through the one SQL lexer (sql-lexer.ts).
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ProblemCode, ValidationProblem } from '../contract/index.js';
import { runExperiment, type ExperimentFailure } from './lint-experiment.js';
import { openScratch, schemaDdl } from './schema-copy.js';
import { checksumOf, type MigrationFile } from './source.js';
import { identifierName, sqlTokens } from './sql-lexer.js';

const REBUILD_HINT =
  'rebuild the table instead: CREATE TABLE t_new (…); INSERT INTO t_new SELECT …; DROP TABLE t; ALTER TABLE t_new RENAME TO t; re-create its indexes (docs/authoring.md#rebuilding-a-table)';

/** Warnings that claim DuckDB will refuse a statement: each comes from a refusal DuckDB really gave. */
export const REFUSAL_CODES: ReadonlySet<ProblemCode> = new Set<ProblemCode>([
  'alter-on-indexed-table',
  'alter-on-referenced-table',
  'constraint-change',
  'constraint-on-add-column',
  'drop-referenced-table',
  'statement-refused',
]);

export interface LintOptions {
  /**
   * The live database: `migrations` (the pending files) are tried on a copy of its schema.
   * Without it, `migrations` (all files) are tried from an empty database.
   */
  live?: DuckDBConnection;
  /** problems by input (schema + files), kept by a long-lived runner so status stays cheap */
  cache?: Map<string, ValidationProblem[]>;
  /** time the experiment may take (default 2 s); past it, lint claims nothing more */
  budgetMs?: number;
}

/** A statement's words upper-cased, quoted names unquoted, strings and numbers as placeholders. */
function words(sql: string): string[] {
  const out: string[] = [];
  for (const t of sqlTokens(sql)) {
    out.push(t.kind === 'word' ? t.text.toUpperCase() : t.kind === 'identifier' ? identifierName(t) : t.kind === 'string' || t.kind === 'number' ? `<${t.kind}>` : t.text);
  }
  return out;
}

/** The (possibly qualified) name starting at i: its last part, and the index after it. */
const nameSpan = (t: string[], i: number) => {
  while (t[i + 1] === '.' && t[i + 2]) i += 2;
  return { name: (t[i] ?? '').toLowerCase(), next: i + 1 };
};
const nameAt = (t: string[], i: number) => nameSpan(t, i).name;
const skipIfExists = (t: string[], i: number) => (t[i] === 'IF' ? (t[i + 1] === 'NOT' ? i + 3 : i + 2) : i);
const hasIfNotExists = (t: string[]) => t.some((w, i) => w === 'IF' && t[i + 1] === 'NOT' && t[i + 2] === 'EXISTS');

/** Session state a ROLLBACK does not undo: it leaks out of a failed migration into later ones. */
const SESSION_STATE = new Set(['SET', 'RESET', 'PRAGMA', 'USE']);

function problem(m: MigrationFile, code: ProblemCode, index: number | undefined, message: string, hint: string): ValidationProblem {
  const line = index === undefined ? undefined : m.statements[index]?.line;
  return {
    code,
    severity: 'warning',
    file: m.file,
    version: m.version,
    ...(line !== undefined && { line }),
    ...(index !== undefined && { statementIndex: index }),
    message: `${m.file}${line !== undefined ? `:${line}` : ''}: ${message}`,
    hint,
  };
}

/** Advice read from the text: nothing here claims that DuckDB refuses a statement. */
function adviseFile(m: MigrationFile, createdBefore: Set<string>): ValidationProblem[] {
  const out: ValidationProblem[] = [];
  const statements = m.statements.map((s) => words(s.sql));
  const createdHere = new Set<string>();
  let rebuild = false;
  for (const t of statements) {
    if (t[0] === 'CREATE' && t.includes('TABLE')) createdHere.add(nameAt(t, skipIfExists(t, t.indexOf('TABLE') + 1)));
    const { name: altered, next } = nameSpan(t, skipIfExists(t, 2));
    const renamed = t[0] === 'ALTER' && t[1] === 'TABLE' && t[next] === 'RENAME' && t[next + 1] === 'TO';
    if (renamed && createdHere.has(altered)) {
      // a rebuild (a table created here and renamed into place) is deliberately not
      // idempotent: a leftover new table must make it fail; its one transaction makes it safe
      rebuild = true;
      createdHere.add(nameAt(t, next + 2));
    }
  }
  const idempotent = !rebuild && statements.some((t) => hasIfNotExists(t) || (t[0] === 'CREATE' && t[1] === 'OR' && t[2] === 'REPLACE'));

  statements.forEach((t, index) => {
    const head = t[0];
    if (head && SESSION_STATE.has(head)) {
      out.push(problem(m, 'non-transactional', index, `${head} changes the connection's session, which a ROLLBACK does not undo: after a failed migration the change stays, and it applies to every later migration`, 'move it out of the migration: set it in the deployment or connection configuration'));
    }
    if (idempotent && head === 'CREATE' && !hasIfNotExists(t) && !(t[1] === 'OR' && t[2] === 'REPLACE')) {
      const kind = t.find((w) => ['TABLE', 'INDEX', 'VIEW', 'SEQUENCE'].includes(w));
      if (kind) {
        out.push(problem(m, 'missing-if-not-exists', index, `CREATE ${kind} without IF NOT EXISTS in a file whose other statements are idempotent`, `write CREATE ${kind} IF NOT EXISTS so a partly applied legacy database can be upgraded safely`));
      }
    }
    if (idempotent && head === 'ALTER' && t[1] === 'TABLE') {
      const add = t.indexOf('ADD');
      const col = add > 0 && t[add + 1] === 'COLUMN' ? add + 2 : add + 1;
      if (add > 0 && !['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'FOREIGN', 'CHECK'].includes(t[add + 1] ?? '') && t[col] !== 'IF') {
        out.push(problem(m, 'missing-if-not-exists', index, `ADD COLUMN ${nameAt(t, col)} without IF NOT EXISTS in a file whose other statements are idempotent`, 'write ADD COLUMN IF NOT EXISTS'));
      }
    }
    // a key added to a table that already holds rows is checked against those rows
    const addsKey = head === 'ALTER' && t[1] === 'TABLE' && t.includes('ADD') && t.includes('PRIMARY');
    const uniqueIndex = head === 'CREATE' && t[1] === 'UNIQUE' && t.includes('INDEX') && t.includes('ON');
    if (addsKey || uniqueIndex) {
      const table = addsKey ? nameAt(t, skipIfExists(t, 2)) : nameAt(t, t.indexOf('ON') + 1);
      if (createdBefore.has(table) && !createdHere.has(table)) {
        out.push(problem(m, 'data-dependent', index, `${addsKey ? 'ADD PRIMARY KEY' : 'CREATE UNIQUE INDEX'} on ${table}, which may already hold rows: DuckDB refuses it when they contain duplicates ("Constraint Error: Data contains duplicates on indexed column(s)")${addsKey ? ' or NULLs' : ''}, which no check without the data can see`, `find offending rows first (SELECT key, count(*) FROM ${table} GROUP BY key HAVING count(*) > 1), or rehearse on a copy of the data (duckmig dry-run --rehearse)`));
      }
    }
  });
  for (const name of createdHere) createdBefore.add(name);
  return out;
}

const ALTER_REFUSAL = /^(Catalog Error|Dependency Error|Not implemented Error|Binder Error: Cannot change the type)/;

/** A refusal seen in the experiment, as a warning with DuckDB's message and the fix; undefined when it says nothing certain. */
function explain(f: ExperimentFailure, live: boolean): ValidationProblem | undefined {
  const m = f.migration;
  const quoted = `DuckDB refuses it: "${f.message}"`;
  if (f.stage === 'parse') {
    // other parser errors are reported by the parse check; these have a fix to offer
    const at = (test: (t: string[]) => boolean) => {
      const index = m.statements.findIndex((s) => test(words(s.sql)));
      return index < 0 ? undefined : index;
    };
    const alters = (t: string[]) => t[0] === 'ALTER' && t[1] === 'TABLE';
    if (/Adding columns with constraints/.test(f.message)) {
      const index = at((t) => alters(t) && ['PRIMARY', 'UNIQUE', 'REFERENCES', 'CHECK', 'NOT'].some((w) => t.slice(t.indexOf('ADD')).includes(w)));
      return problem(m, 'constraint-on-add-column', index, `ALTER TABLE … ADD COLUMN with a constraint: ${quoted}`, 'add the column without the constraint (with a DEFAULT if needed), or rebuild the table with it');
    }
    if (/No support for that ALTER TABLE option/.test(f.message)) {
      const index = at((t) => alters(t) && (t.includes('CONSTRAINT') || ['UNIQUE', 'FOREIGN', 'CHECK'].includes(t[t.indexOf('ADD') + 1] ?? '')));
      const drops = index !== undefined && words(m.statements[index]!.sql).includes('DROP');
      return problem(m, 'constraint-change', index, `ALTER TABLE … ${drops ? 'DROP' : 'ADD'} CONSTRAINT: ${quoted}`, REBUILD_HINT.replace('CREATE TABLE t_new (…)', `CREATE TABLE t_new (… ${drops ? 'without' : 'with'} the constraint …)`));
    }
    return undefined;
  }
  if (f.stage === 'commit') {
    // data written by the files themselves (an empty start): the commit really fails
    return live ? undefined : problem(m, 'statement-refused', undefined, `the migration fails at COMMIT: ${quoted}`, 'fix the data or the constraint; a rehearsal (duckmig dry-run --rehearse) shows the same');
  }
  const t = words(f.sql ?? '');
  const index = f.statementIndex;
  const d = f.dependents;
  const isAlter = t[0] === 'ALTER' && t[1] === 'TABLE';
  const isDrop = t[0] === 'DROP' && t[1] === 'TABLE';
  if (isAlter && /No support for that ALTER TABLE option/.test(f.message)) {
    const what = t.includes('DROP') ? 'without' : 'with';
    return problem(m, 'constraint-change', index, `ALTER TABLE ${d?.table ?? ''} changes a constraint: ${quoted}`, REBUILD_HINT.replace('CREATE TABLE t_new (…)', `CREATE TABLE t_new (… ${what} the constraint …)`));
  }
  if (isDrop && /main key table/.test(f.message)) {
    const others = d?.referencedBy.join(', ') ?? 'other tables';
    return problem(m, 'drop-referenced-table', index, `DROP TABLE ${d?.table ?? ''}: ${others} reference it with FOREIGN KEYs; ${quoted}`, `drop or rebuild ${others} first (their foreign keys must go before ${d?.table ?? 'it'} can)`);
  }
  if (isAlter && ALTER_REFUSAL.test(f.message)) {
    const indexed = d && (d.indexes.length > 0 || d.keys.length > 0) && !/CHECK constraint/.test(f.message);
    const context = d
      ? [
          d.indexes.length > 0 && `indexes ${d.indexes.join(', ')}`,
          d.keys.length > 0 && d.keys.join(', '),
          d.referencedBy.length > 0 && `referenced by ${d.referencedBy.join(', ')}`,
          d.checks.length > 0 && d.checks.join(', '),
        ].filter(Boolean).join('; ')
      : '';
    const about = `ALTER TABLE ${d?.table ?? ''}${context ? ` (${context})` : ''}: ${quoted}`;
    const renames = t.includes('RENAME');
    if (indexed && (d!.indexes.length > 0 || /UNIQUE|PRIMARY/.test(f.message))) {
      return problem(m, 'alter-on-indexed-table', index, about, renames ? 'drop those indexes first and re-create them after the rename; in a table rebuild, create the indexes after ALTER TABLE … RENAME TO' : REBUILD_HINT);
    }
    if (d && d.referencedBy.length > 0 && /Dependency Error/.test(f.message)) {
      return problem(m, 'alter-on-referenced-table', index, about, `rebuild ${d.referencedBy.join(', ')} together with ${d.table} (drop the referencing tables first, re-create them after), or keep the name`);
    }
    return problem(m, 'statement-refused', index, about, REBUILD_HINT);
  }
  if (live) return undefined; // on a data-free copy other failures may come from the missing rows
  const checkpoint = t[0] === 'CHECKPOINT' || (t[0] === 'FORCE' && t[1] === 'CHECKPOINT');
  return problem(
    m,
    'statement-refused',
    index,
    `${(f.sql ?? '').split('\n')[0]!.slice(0, 60)}: ${quoted}`,
    checkpoint ? 'remove it: duckmig checkpoints after migrations itself' : 'fix the statement; it fails on the schema the earlier migrations leave',
  );
}

async function liveTables(connection: DuckDBConnection): Promise<Set<string>> {
  const rows = (await connection.runAndReadAll("SELECT lower(table_name) FROM duckdb_tables() WHERE database_name = current_database()")).getRows();
  return new Set(rows.map((r) => String(r[0])));
}

/**
 * Lints files in order: advice from their text, and the first statement DuckDB refuses when
 * they run (each in its own committed transaction) on the live schema's copy or from empty.
 */
export async function lintMigrations(migrations: MigrationFile[], options: LintOptions = {}): Promise<ValidationProblem[]> {
  if (migrations.length === 0) return [];
  const ddl = options.live ? await schemaDdl(options.live) : [];
  const key = checksumOf(JSON.stringify([ddl, migrations.map((m) => m.checksum)]));
  const cached = options.cache?.get(key);
  if (cached) return cached;

  const createdBefore = options.live ? await liveTables(options.live) : new Set<string>();
  const problems = migrations.flatMap((m) => adviseFile(m, createdBefore));
  const scratch = await openScratch(ddl);
  try {
    const failure = await runExperiment(scratch, migrations, { budgetMs: options.budgetMs });
    const refusal = failure && explain(failure, options.live !== undefined);
    if (refusal) problems.push(refusal);
  } finally {
    scratch.close();
  }
  const order = new Map(migrations.map((m, i) => [m.file, i]));
  problems.sort((a, b) => order.get(a.file!)! - order.get(b.file!)! || (a.line ?? 0) - (b.line ?? 0));
  if (options.cache) {
    if (options.cache.size > 32) options.cache.clear();
    options.cache.set(key, problems);
  }
  return problems;
}
