// Specification: text that comes from files or the database (file names, messages, SQL)
// never reaches the terminal raw: control characters and escape sequences are shown
// escaped, so a file name cannot recolour, move the cursor or rewrite earlier lines.
import { describe, expect, it } from 'vitest';
import { runCli } from '../test/support/cli.js';
import { sandbox, type Sandbox } from '../test/support/db.js';
import { afterEach } from 'vitest';
import { sanitizeForTerminal } from './terminal-text.js';

let box: Sandbox;
afterEach(() => box?.cleanup());

describe('terminal output', () => {
  it('escapes ESC, other C0/C1 controls, DEL and bidi overrides; keeps newlines, tabs and other text', () => {
    expect(sanitizeForTerminal('001_\x1b[31mred.sql')).toBe('001_\\x1b[31mred.sql');
    expect(sanitizeForTerminal('a\rb\x07c\x7fd\u009be')).toBe('a\\rb\\x07c\\x7fd\\x9be');
    expect(sanitizeForTerminal('evil\u202Egnp.sql')).toBe('evil\\u202egnp.sql');
    expect(sanitizeForTerminal('line 1\n\tline 2 — ü ✓')).toBe('line 1\n\tline 2 — ü ✓');
  });

  it('`duckmig validate` shows a file name containing an escape sequence escaped', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_ok.sql', 'CREATE TABLE a (id INTEGER);\n');
    box.write('002_\x1b[31mred\x1b[0m.sql', 'CREATE TABLE b (id INTEGER);\n');
    const res = await runCli(['validate', '--dir', box.migrationsDir]);
    expect(res.code).toBe(1);
    const printed = res.stdout + res.stderr;
    expect(printed).not.toContain('\x1b');
    expect(printed).toContain('002_\\x1b[31mred\\x1b[0m.sql');
  });

  it('`duckmig run` shows a failing statement\'s text and DuckDB\'s message escaped', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_bad.sql', "CREATE TABLE t (v VARCHAR);\nINSERT INTO t SELECT CAST('\x1b]0;owned\x07' AS INTEGER);\n");
    const res = await runCli(['run', '--db', box.dbPath, '--dir', box.migrationsDir]);
    expect(res.code).toBe(1);
    const printed = res.stdout + res.stderr;
    expect(printed).toContain('001_bad.sql');
    expect(printed).not.toContain('\x1b');
    expect(printed).not.toContain('\x07');
    expect(printed).toContain('\\x1b]0;owned\\x07');
  });
});
