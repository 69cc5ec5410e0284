// Which statements of a migration destroy data or schema: DROP of any object (and
// ALTER TABLE … DROP COLUMN/CONSTRAINT, CREATE OR REPLACE TABLE), a table rebuild (a table
// created in the file and renamed into place), TRUNCATE, DELETE without WHERE, and
// ALTER … TYPE. Read through the one SQL lexer; the approval policy 'destructive' asks
// for approval when a pending migration has any (docs/governance.md#approvals).
import type { DestructiveKind, DestructiveStatement } from '../contract/index.js';
import type { MigrationFile } from './source.js';
import { identifierName, sqlTokens } from './sql-lexer.js';
import { summarize } from './statement-text.js';

/** Statements that may be destructive start with one of these; others are not lexed at all (a seed INSERT stays cheap). */
const HEADS = /^\s*(DROP|ALTER|TRUNCATE|DELETE|CREATE)\b/i;

interface Word {
  text: string;
  /** parenthesis depth: 0 at the statement's own level */
  depth: number;
}

/** The statement's words upper-cased (quoted names unquoted, not upper-cased), with their depth. */
function wordsOf(sql: string): Word[] {
  const out: Word[] = [];
  let depth = 0;
  for (const t of sqlTokens(sql)) {
    if (t.text === '(') depth++;
    else if (t.text === ')') depth--;
    else if (t.kind === 'word') out.push({ text: t.text.toUpperCase(), depth });
    else if (t.kind === 'identifier') out.push({ text: identifierName(t), depth });
    else if (t.text === '.') out.push({ text: '.', depth });
  }
  return out;
}

/** The last part of the (possibly qualified) name at i, and the index after it. */
function nameAt(w: Word[], i: number): { name: string; next: number } {
  while (w[i + 1]?.text === '.' && w[i + 2]) i += 2;
  return { name: (w[i]?.text ?? '').toLowerCase(), next: i + 1 };
}
const skipIf = (w: Word[], i: number) => (w[i]?.text === 'IF' ? (w[i + 1]?.text === 'NOT' ? i + 3 : i + 2) : i);

/** What one statement destroys, if anything; `created` holds tables created earlier in the file (a rebuild renames one). */
function classify(w: Word[], created: Set<string>): DestructiveKind | null {
  const t = w.map((x) => x.text);
  const top = (word: string) => w.some((x) => x.depth === 0 && x.text === word);
  switch (t[0]) {
    case 'DROP':
      return 'drop';
    case 'TRUNCATE':
      return 'truncate';
    case 'DELETE':
      return top('WHERE') ? null : 'delete-all';
    case 'CREATE': {
      const replace = t[1] === 'OR' && t[2] === 'REPLACE';
      const table = t.indexOf('TABLE');
      if (table < 0 || table > 4) return null;
      created.add(nameAt(w, skipIf(w, table + 1)).name);
      return replace ? 'drop' : null;
    }
    case 'ALTER': {
      if (t[1] !== 'TABLE') return null;
      const { name, next } = nameAt(w, skipIf(w, 2));
      const action = t[next];
      if (action === 'RENAME' && t[next + 1] === 'TO' && created.has(name)) return 'rebuild';
      if (action === 'DROP') return 'drop';
      if (action === 'ALTER') {
        const column = t[next + 1] === 'COLUMN' ? next + 2 : next + 1;
        const rest = t.slice(column + 1, column + 4).join(' ');
        if (rest.startsWith('TYPE') || rest === 'SET DATA TYPE') return 'alter-type';
      }
      return null;
    }
    default:
      return null;
  }
}

/** The destructive statements of one migration file, in order. */
export function destructiveStatements(m: Pick<MigrationFile, 'statements'>): DestructiveStatement[] {
  const created = new Set<string>();
  const out: DestructiveStatement[] = [];
  m.statements.forEach((s, statementIndex) => {
    if (!HEADS.test(s.sql)) return;
    const kind = classify(wordsOf(s.sql), created);
    if (kind) out.push({ kind, statementIndex, line: s.line, summary: summarize(s.sql) });
  });
  return out;
}
