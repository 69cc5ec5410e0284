// Specification: the authoring guide's worked rebuild example really works on a database
// migrated to 004 with data in it — key dropped, UNIQUE index in place, rows and macros intact,
// and no DuckDB-aware warning for it.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openRunner, rowsOf, sandbox, scalar, type Sandbox } from '../support/db.js';

let box: Sandbox;
afterEach(() => box?.cleanup());

const guide = readFileSync(resolve(import.meta.dirname, '../../docs/authoring.md'), 'utf8');
const example = /```sql\n(-- 005_files_without_primary_key\.sql[\s\S]*?)```/.exec(guide)?.[1];

it('the guide rebuilds files without its PRIMARY KEY, keeping data, a UNIQUE id index and the macros', async () => {
  expect(example).toBeDefined();
  box = sandbox();
  const { db, runner } = await openRunner(box);
  await runner.run();
  await db.connection.run("INSERT INTO projects (id, name) VALUES ('p1', 'A')");
  await db.connection.run("INSERT INTO runs (id, project_id, timestamp, sequence, action, status) VALUES ('r1', 'p1', 't', 1, 'sync', 'ok')");
  await db.connection.run(
    `INSERT INTO files (id, project_id, run_id, filename, file_path, file_hash, file_size_bytes) VALUES ('f1', 'p1', 'r1', 'a.txt', '/a', '${'b'.repeat(64)}', 3)`,
  );
  box.write('005_files_without_primary_key.sql', example!);
  expect((await runner.validate()).filter((p) => p.file === '005_files_without_primary_key.sql')).toEqual([]);
  const result = await runner.run();
  expect(result.status).toBe('success');
  expect(await scalar(db, "SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'files' AND constraint_type = 'PRIMARY KEY'")).toBe(0n);
  expect(await scalar(db, "SELECT is_unique FROM duckdb_indexes() WHERE index_name = 'idx_files_id'")).toBe(true);
  expect(await rowsOf(db, "SELECT id FROM find_duplicate_file('p1', 'a.txt', '" + 'b'.repeat(64) + "')")).toEqual([{ id: 'f1' }]);
  await expect(db.connection.run("INSERT INTO files (id, project_id, run_id, filename, file_path, file_hash, file_size_bytes) VALUES ('f1', 'p1', 'r1', 'b', '/b', 'x', 1)")).rejects.toThrow(/Duplicate key/);
  await db.close();
});
