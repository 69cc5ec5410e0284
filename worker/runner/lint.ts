// DuckDB-aware checks: warns before running about statements DuckDB will refuse or that
// hurt — ALTER/DROP COLUMN or ALTER TYPE on an indexed table, ADD/DROP CONSTRAINT,
// constraints on ADD COLUMN, dropping a referenced table, a missing IF NOT EXISTS in a file
// that is idempotent by convention, statements that cannot run inside a transaction.
// It follows the files in order (and starts from the live schema when a database is
// given), so a table indexed by an earlier migration is known to be indexed.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ValidationProblem } from '../../contract/index.js';
import type { MigrationFile } from './source.js';

const REBUILD_HINT =
  'rebuild the table instead: CREATE TABLE t_new (…); INSERT INTO t_new SELECT …; DROP TABLE t; ALTER TABLE t_new RENAME TO t; re-create its indexes (docs/authoring.md#rebuilding-a-table)';

/** What the lint knows about the schema while it walks the files. */
export interface LintState {
  /** tables that have an index, PRIMARY KEY or UNIQUE constraint → index names (or '<constraint>') */
  indexed: Map<string, Set<string>>;
  /** referenced table → tables whose FOREIGN KEYs point at it */
  referencedBy: Map<string, Set<string>>;
  /** index name → table */
  indexTable: Map<string, string>;
}

export function emptyLintState(): LintState {
  return { indexed: new Map(), referencedBy: new Map(), indexTable: new Map() };
}

/** The live schema's indexes and foreign keys, so pending files are checked against reality. */
export async function liveLintState(connection: DuckDBConnection): Promise<LintState> {
  const state = emptyLintState();
  const scope = "database_name = current_database() AND schema_name = 'main'";
  const indexes = (await connection.runAndReadAll(`SELECT index_name, table_name FROM duckdb_indexes() WHERE ${scope}`)).getRows();
  for (const [index, table] of indexes) addIndex(state, String(table).toLowerCase(), String(index).toLowerCase());
  const constraints = (
    await connection.runAndReadAll(`SELECT table_name, constraint_type, referenced_table FROM duckdb_constraints() WHERE ${scope}`)
  ).getRows();
  for (const [table, type, referenced] of constraints) {
    const t = String(table).toLowerCase();
    if (type === 'PRIMARY KEY' || type === 'UNIQUE') addIndex(state, t, '<constraint>');
    if (type === 'FOREIGN KEY' && referenced) addReference(state, String(referenced).toLowerCase(), t);
  }
  return state;
}

function addIndex(state: LintState, table: string, index: string): void {
  const set = state.indexed.get(table) ?? new Set();
  set.add(index);
  state.indexed.set(table, set);
  if (index !== '<constraint>') state.indexTable.set(index, table);
}

function addReference(state: LintState, referenced: string, from: string): void {
  const set = state.referencedBy.get(referenced) ?? new Set();
  set.add(from);
  state.referencedBy.set(referenced, set);
}

/** A table renamed (the rebuild pattern's last step): its indexes and references follow it. */
function renameTable(state: LintState, from: string, to: string): void {
  for (const map of [state.indexed, state.referencedBy]) {
    const entry = map.get(from);
    map.delete(from);
    if (entry) map.set(to, entry);
  }
  for (const set of state.referencedBy.values()) if (set.delete(from)) set.add(to);
  for (const [index, table] of state.indexTable) if (table === from) state.indexTable.set(index, to);
}

/** Upper-cased words and punctuation of a statement, with comments and string contents removed. */
export function tokenize(sql: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? sql.length : nl;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (ch === "'") {
      let j = i + 1;
      while (j < sql.length && !(sql[j] === "'" && sql[j + 1] !== "'")) j += sql[j] === "'" ? 2 : 1;
      tokens.push("'…'");
      i = j + 1;
    } else if (ch === '"') {
      const end = sql.indexOf('"', i + 1);
      tokens.push(sql.slice(i + 1, end === -1 ? sql.length : end).toUpperCase());
      i = end === -1 ? sql.length : end + 1;
    } else if (/[A-Za-z_]/.test(ch)) {
      let j = i + 1;
      while (j < sql.length && /[A-Za-z0-9_$.]/.test(sql[j]!)) j++;
      tokens.push(sql.slice(i, j).toUpperCase());
      i = j;
    } else if (/\s/.test(ch)) i++;
    else {
      tokens.push(ch);
      i++;
    }
  }
  return tokens;
}

const bare = (name: string | undefined) => (name ?? '').toLowerCase().split('.').at(-1)!;

/** Index of the first token after an optional IF [NOT] EXISTS at position i. */
function afterIfExists(t: string[], i: number): { at: number; guarded: boolean } {
  if (t[i] === 'IF' && t[i + 1] === 'NOT' && t[i + 2] === 'EXISTS') return { at: i + 3, guarded: true };
  if (t[i] === 'IF' && t[i + 1] === 'EXISTS') return { at: i + 2, guarded: true };
  return { at: i, guarded: false };
}

const NON_TRANSACTIONAL = new Set(['VACUUM', 'CHECKPOINT', 'ATTACH', 'DETACH', 'INSTALL', 'LOAD', 'USE', 'SET', 'RESET', 'PRAGMA']);

/**
 * Lints files in order. `report` decides which files get warnings (e.g. only pending ones
 * when the applied ones already ran); every file still updates the state.
 */
export function lintMigrations(migrations: MigrationFile[], state: LintState = emptyLintState(), report: (m: MigrationFile) => boolean = () => true): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  for (const m of migrations) {
    const warn = (code: ValidationProblem['code'], line: number, statementIndex: number, message: string, hint: string) => {
      if (report(m)) problems.push({ code, severity: 'warning', file: m.file, version: m.version, line, statementIndex, message: `${m.file}:${line}: ${message}`, hint });
    };
    const statements = m.statements.map((s) => ({ ...s, t: tokenize(s.sql) }));
    const idempotentByConvention = statements.some(({ t }) => t.join(' ').includes('IF NOT EXISTS') || (t[0] === 'CREATE' && t[1] === 'OR' && t[2] === 'REPLACE'));
    statements.forEach(({ t, line }, index) => {
      const head = t[0];
      if (head === 'EXPORT' || head === 'IMPORT' || (head === 'FORCE' && t[1] === 'CHECKPOINT') || (head && NON_TRANSACTIONAL.has(head))) {
        warn('non-transactional', line, index, `${head === 'FORCE' ? 'FORCE CHECKPOINT' : head} is not part of the migration's transaction: its effect is not rolled back with a failed migration, or it fails inside one`, 'move it out of the migration: run it once by hand or in deployment tooling');
      }
      if (head === 'CREATE') {
        let i = 1;
        if (t[i] === 'OR' && t[i + 1] === 'REPLACE') i += 2;
        if (t[i] === 'TEMP' || t[i] === 'TEMPORARY') i++;
        const unique = t[i] === 'UNIQUE';
        if (unique) i++;
        const kind = t[i];
        const orReplace = t[1] === 'OR';
        const { at, guarded } = afterIfExists(t, i + 1);
        if (kind === 'TABLE') {
          const table = bare(t[at]);
          if (idempotentByConvention && !guarded && !orReplace) {
            warn('missing-if-not-exists', line, index, `CREATE TABLE ${table} without IF NOT EXISTS in a file whose other statements are idempotent`, 'write CREATE TABLE IF NOT EXISTS so a partly applied legacy database can be upgraded safely');
          }
          const body = t.slice(at + 1);
          if (body.includes('PRIMARY') || body.includes('UNIQUE')) addIndex(state, table, '<constraint>');
          body.forEach((tok, k) => {
            if (tok === 'REFERENCES') addReference(state, bare(body[k + 1]), table);
          });
        } else if (kind === 'INDEX') {
          const name = bare(t[at]);
          const on = t.indexOf('ON', at);
          const table = bare(t[on + 1]);
          if (idempotentByConvention && !guarded) {
            warn('missing-if-not-exists', line, index, `CREATE ${unique ? 'UNIQUE ' : ''}INDEX ${name} without IF NOT EXISTS in a file whose other statements are idempotent`, 'write CREATE INDEX IF NOT EXISTS');
          }
          if (on > 0) addIndex(state, table, name);
        } else if ((kind === 'VIEW' || kind === 'SEQUENCE') && idempotentByConvention && !guarded && !orReplace) {
          warn('missing-if-not-exists', line, index, `CREATE ${kind} without IF NOT EXISTS or OR REPLACE in a file whose other statements are idempotent`, `write CREATE ${kind} IF NOT EXISTS (or CREATE OR REPLACE ${kind})`);
        }
      } else if (head === 'DROP' && t[1] === 'INDEX') {
        const name = bare(afterIfExists(t, 2).at < t.length ? t[afterIfExists(t, 2).at] : undefined);
        const table = state.indexTable.get(name);
        if (table) state.indexed.get(table)?.delete(name);
      } else if (head === 'DROP' && t[1] === 'TABLE') {
        const table = bare(t[afterIfExists(t, 2).at]);
        const referencing = [...(state.referencedBy.get(table) ?? [])].filter((r) => r !== table);
        if (referencing.length > 0) {
          warn('drop-referenced-table', line, index, `DROP TABLE ${table}: ${referencing.join(', ')} still reference it with FOREIGN KEYs; DuckDB refuses the drop`, `rebuild or drop ${referencing.join(', ')} first (their foreign keys must go before ${table} can)`);
        }
        state.indexed.delete(table);
        state.referencedBy.delete(table);
        for (const set of state.referencedBy.values()) set.delete(table);
      } else if (head === 'ALTER' && t[1] === 'TABLE') {
        const { at } = afterIfExists(t, 2);
        const table = bare(t[at]);
        const action = t.slice(at + 1);
        const verb = action[0];
        const indexed = (state.indexed.get(table)?.size ?? 0) > 0;
        // CREATE INDEX indexes (not PRIMARY KEY/UNIQUE) also block renaming the table or a column
        const createdIndexes = [...(state.indexed.get(table) ?? [])].filter((i) => i !== '<constraint>');
        if (verb === 'RENAME' && createdIndexes.length > 0) {
          warn('alter-on-indexed-table', line, index, `ALTER TABLE ${table} RENAME: ${table} has indexes (${createdIndexes.join(', ')}), so DuckDB refuses with "Dependency Error: Cannot alter entry"`, 'drop those indexes first and re-create them after the rename; in a table rebuild, create the indexes after ALTER TABLE … RENAME TO');
        }
        if (verb === 'RENAME' && action[1] === 'TO') {
          renameTable(state, table, bare(action[2]));
        } else if (verb === 'ADD' && action[1] === 'PRIMARY') {
          addIndex(state, table, '<constraint>'); // DuckDB 1.5 supports ADD PRIMARY KEY
        } else if (verb === 'ADD' && (action[1] === 'CONSTRAINT' || action[1] === 'UNIQUE' || action[1] === 'FOREIGN' || action[1] === 'CHECK')) {
          warn('constraint-change', line, index, `ALTER TABLE ${table} ADD ${action[1]}: DuckDB does not support adding constraints to an existing table`, REBUILD_HINT.replace('CREATE TABLE t_new (…)', 'CREATE TABLE t_new (… with the constraint …)'));
        } else if (verb === 'DROP' && action[1] === 'CONSTRAINT') {
          warn('constraint-change', line, index, `ALTER TABLE ${table} DROP CONSTRAINT: DuckDB does not support dropping constraints`, REBUILD_HINT.replace('CREATE TABLE t_new (…)', 'CREATE TABLE t_new (… without the constraint …)'));
        } else if (verb === 'ADD') {
          const col = action[1] === 'COLUMN' ? 2 : 1;
          const { at: nameAt, guarded } = afterIfExists(action, col);
          const def = action.slice(nameAt + 2);
          const constraint = def.find((tok, k) => tok === 'PRIMARY' || tok === 'UNIQUE' || tok === 'REFERENCES' || tok === 'CHECK' || (tok === 'NOT' && def[k + 1] === 'NULL'));
          if (constraint) {
            warn('constraint-on-add-column', line, index, `ALTER TABLE ${table} ADD COLUMN ${bare(action[nameAt])} with ${constraint === 'NOT' ? 'NOT NULL' : constraint}: DuckDB cannot add a column with a constraint`, 'add the column without the constraint (with a DEFAULT if needed), or rebuild the table with it');
          }
          if (idempotentByConvention && !guarded) {
            warn('missing-if-not-exists', line, index, `ADD COLUMN ${bare(action[nameAt])} without IF NOT EXISTS in a file whose other statements are idempotent`, 'write ADD COLUMN IF NOT EXISTS');
          }
        } else if (indexed && (verb === 'DROP' || (verb === 'ALTER' && action.includes('TYPE')))) {
          const what = verb === 'DROP' ? 'DROP COLUMN' : 'ALTER COLUMN … TYPE';
          warn('alter-on-indexed-table', line, index, `ALTER TABLE ${table} ${what}: ${table} has indexes (incl. PRIMARY KEY/UNIQUE), so DuckDB refuses with "Dependency Error: Cannot alter entry"`, REBUILD_HINT);
        }
      }
    });
  }
  return problems;
}
