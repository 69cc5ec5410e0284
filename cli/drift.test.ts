// Specification of `duckmig drift` in local mode: exit 0 and "no drift" on a database the
// migrations made; after changes made by hand, exit 1 with each extra, missing and changed
// object; and `duckmig run` refuses to apply on the drifted database unless --allow-drift.
// (Which databases show no drift, legacy and imported ones included: core/drift.test.ts.)
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { RunResult } from '../contract/index.js';
import { runCli } from '../test/support/cli.js';
import { sandbox, type Sandbox } from '../test/support/db.js';

const boxes: Sandbox[] = [];
afterEach(() => boxes.splice(0).forEach((b) => b.cleanup()));
const TIMEOUT = 120_000;

function newBox(): Sandbox {
  const box = sandbox();
  boxes.push(box);
  return box;
}

/** Runs statements on a database file the way another program would (the CLI is not running). */
async function sql(path: string, ...statements: string[]): Promise<void> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    for (const s of statements) await connection.run(s);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const local = (box: Sandbox, args: string[], dir = box.migrationsDir) =>
  runCli([...args, '--db', box.dbPath, '--dir', dir], { env: { DUCKMIG_RESTORE_POINTS: 'off' } });

describe('duckmig drift (local)', () => {
  it(
    'exit 0 on a freshly migrated database; exit 1 with the diff after hand-made changes; run refuses unless --allow-drift',
    async () => {
      const box = newBox();
      expect((await local(box, ['run'])).code).toBe(0);
      const clean = await local(box, ['drift']);
      expect(clean.stderr).toBe('');
      expect(clean.code).toBe(0);
      expect(clean.stdout).toContain('no drift');

      await sql(box.dbPath, 'ALTER TABLE projects ADD COLUMN note VARCHAR', 'CREATE TABLE extra (id INTEGER)', 'DROP INDEX idx_links_project');
      const drifted = await local(box, ['drift']);
      expect(drifted.code).toBe(1);
      expect(drifted.stdout).toContain('DRIFTED: 4 difference(s)');
      expect(drifted.stdout).toMatch(/^ {2}\+ extra table extra\b/m);
      expect(drifted.stdout).toMatch(/^ {2}\+ extra column projects\.note {2}VARCHAR/m);
      expect(drifted.stdout).toMatch(/^ {2}- missing index idx_links_project {2}ON links \[project_id\]/m);

      box.write('005_tickets.sql', 'CREATE TABLE tickets (id INTEGER);\n');
      const refused = await local(box, ['run', '--json']);
      expect(refused.code).toBe(1);
      const result = RunResult.parse(JSON.parse(refused.stdout));
      expect(result).toMatchObject({ status: 'invalid', errorCode: 'drifted', toVersion: 4 });
      expect(result.error).toContain('extra table extra, extra column extra.id, extra column projects.note and 1 more');

      const allowed = await local(box, ['run', '--allow-drift']);
      expect(allowed.code).toBe(0);
      expect(allowed.stdout).toContain('done: version 4 → 5');
    },
    TIMEOUT,
  );
});
