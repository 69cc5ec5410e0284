// Specification: lint's scratch database holds the same schema as the live one (tables,
// columns, constraints, indexes, views, sequences, macros), without its rows and without
// touching it, so an experiment on it sees what the real run will see.
import { afterEach, expect, it } from 'vitest';
import { dumpSchema } from '../test/support/ground-truth.js';
import { openRunner, sandbox, scalar, type Sandbox } from '../test/support/db.js';
import { openScratch, schemaDdl } from './schema-copy.js';

let box: Sandbox;
afterEach(() => box?.cleanup());

it('copies the live schema exactly and without rows, including a view that uses a macro (replayed after it)', async () => {
  box = sandbox();
  const { db, runner } = await openRunner(box);
  box.write(
    '005_more.sql',
    [
      'CREATE SEQUENCE IF NOT EXISTS note_ids START 10;',
      "CREATE TABLE IF NOT EXISTS notes (id INTEGER DEFAULT nextval('note_ids') PRIMARY KEY, body VARCHAR CHECK (length(body) < 100), project_id VARCHAR REFERENCES projects(id));",
      'CREATE OR REPLACE VIEW recent_notes AS SELECT * FROM notes WHERE id > 10;',
      "CREATE OR REPLACE MACRO shout(s) AS upper(s) || '!';",
      'CREATE OR REPLACE VIEW loud_notes AS SELECT shout(body) AS body FROM notes;',
      'CREATE SCHEMA IF NOT EXISTS archive;',
      'CREATE TABLE IF NOT EXISTS archive.old_notes (id INTEGER, body VARCHAR);',
      '',
    ].join('\n'),
  );
  expect((await runner.run()).status).toBe('success');
  await db.connection.run("INSERT INTO projects (id, name) VALUES ('p1', 'A')");
  const live = await dumpSchema(db.connection);

  const scratch = await openScratch(await schemaDdl(db.connection));
  try {
    expect(scratch.unreplayed).toEqual([]);
    expect(await dumpSchema(scratch.connection)).toEqual(live);
    expect((await scratch.connection.runAndReadAll('SELECT count(*) FROM projects')).getRows()[0]![0]).toBe(0n);
  } finally {
    scratch.close();
  }
  expect(await scalar(db, 'SELECT count(*) FROM projects')).toBe(1n);
  await db.close();
});
