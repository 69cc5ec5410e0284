// Specification: the schema at an applied version is what the applied files 1..version
// produce on an empty database (the shipped migrations: version 2 has the legacy v2 tables,
// version 4 adds runs, files, upload settings, their indexes and macros), the diff between
// two versions names exactly what the files in between added, and a file changed since it
// was applied refuses the replay.
import { afterEach, expect, it } from 'vitest';
import { diffSchema, schemaObjects, type AppliedFile } from '../contract/index.js';
import { REPO_MIGRATIONS, openRunner, sandbox, type Sandbox } from '../test/support/db.js';
import { LEDGER_TABLES } from './ledger.js';
import { SchemaReplayError, replaySchema } from './schema-at.js';
import { readDatabaseSchema } from './schema.js';
import { FileMigrationSource } from './source.js';

let box: Sandbox | undefined;
afterEach(() => box?.cleanup());

const source = new FileMigrationSource(REPO_MIGRATIONS);
async function appliedUpTo(version: number): Promise<AppliedFile[]> {
  const { migrations } = await source.scan();
  return migrations.filter((m) => m.version <= version).map(({ version: v, checksum }) => ({ version: v, checksum }));
}

it('replays the shipped migrations to version 2 and to version 4', async () => {
  const v2 = await replaySchema({ source, applied: await appliedUpTo(2) });
  const v4 = await replaySchema({ source, applied: await appliedUpTo(4) });

  expect(v2.tables.map((t) => t.name)).toEqual(['links', 'projects', 'repositories', 'system_logs']);
  // duckmig's own tables that the replayed database has are named as left out, not listed
  expect(v2.excluded).toEqual(['schema_migration_runs', 'schema_migrations', 'schema_version']);
  const projects = v2.tables.find((t) => t.name === 'projects')!;
  expect(projects.columns.map((c) => [c.name, c.type, c.nullable])).toEqual([
    ['id', 'VARCHAR', false],
    ['name', 'VARCHAR', false],
    ['description', 'VARCHAR', true],
    ['created_at', 'TIMESTAMP', true],
    ['updated_at', 'TIMESTAMP', true],
    ['context', 'JSON', true],
    ['context_file_path', 'VARCHAR', true],
  ]);
  expect(projects.constraints.filter((c) => c.kind === 'PRIMARY KEY').map((c) => c.columns)).toEqual([['id']]);
  const links = v2.tables.find((t) => t.name === 'links')!;
  expect(links.constraints.filter((c) => c.kind === 'FOREIGN KEY').map((c) => [c.columns, c.references])).toEqual(
    expect.arrayContaining([
      [['project_id'], { table: 'projects', columns: ['id'] }],
      [['source_repo_id'], { table: 'repositories', columns: ['id'] }],
      [['target_repo_id'], { table: 'repositories', columns: ['id'] }],
    ]),
  );
  expect(v2.tables.flatMap((t) => t.indexes.map((i) => i.name)).sort()).toEqual([
    'idx_links_project',
    'idx_links_source',
    'idx_links_target',
    'idx_logs_level',
    'idx_logs_timestamp',
    'idx_repos_project',
  ]);
  expect(v2.macros).toEqual([]);
  expect(v2.tables.every((t) => t.rows === null)).toBe(true);

  expect(v4.tables.map((t) => t.name)).toEqual(['files', 'links', 'projects', 'repositories', 'runs', 'system_logs', 'upload_settings']);
  const settings = v4.tables.find((t) => t.name === 'upload_settings')!;
  expect(settings.columns.map((c) => [c.name, c.type, c.nullable, c.default])).toEqual([
    ['id', 'VARCHAR', false, "'default'"],
    ['allowed_extensions', 'VARCHAR', false, null],
    ['max_file_size_mb', 'INTEGER', false, null],
    ['updated_at', 'TIMESTAMP', true, 'CURRENT_TIMESTAMP'],
    ['updated_by', 'VARCHAR', true, null],
  ]);
  expect(v4.macros.map((m) => [m.name, m.table, m.parameters])).toEqual([
    ['find_duplicate_file', true, ['proj_id', 'fname', 'fhash']],
    ['find_previous_file_version', true, ['proj_id', 'fname']],
    ['get_next_sequence', false, ['proj_id', 'ts']],
  ]);

  const changes = diffSchema(schemaObjects(v2), schemaObjects(v4));
  expect(changes.every((c) => c.change === 'added')).toBe(true);
  expect(changes.filter((c) => c.kind === 'table').map((c) => c.name)).toEqual(['files', 'runs', 'upload_settings']);
  expect(changes.filter((c) => c.kind === 'index').map((c) => c.name)).toEqual([
    'idx_files_hash',
    'idx_files_project_filename',
    'idx_files_project_hash',
    'idx_files_run',
    'idx_runs_project_timestamp',
  ]);
  expect(changes.filter((c) => c.kind === 'macro').map((c) => c.name)).toEqual(['find_duplicate_file', 'find_previous_file_version', 'get_next_sequence']);
  // 11 columns of files, 9 of runs, 5 of upload_settings
  expect(changes.filter((c) => c.kind === 'column')).toHaveLength(25);
});

it('equals the schema of a database the same migrations were applied to', async () => {
  box = sandbox();
  const { db, runner } = await openRunner(box);
  try {
    expect((await runner.run({ target: 4 })).status).toBe('success');
    const live = await readDatabaseSchema(db.connection, { exclude: LEDGER_TABLES });
    expect(await replaySchema({ source, applied: await appliedUpTo(4) })).toEqual(live);
  } finally {
    await db.close();
  }
});

it('is empty at version 0, and refuses a file that changed since it was applied', async () => {
  const empty = await replaySchema({ source, applied: [] });
  expect(empty.tables).toEqual([]);
  const applied = await appliedUpTo(2);
  applied[1] = { version: 2, checksum: '0'.repeat(64) };
  await expect(replaySchema({ source, applied })).rejects.toThrow(SchemaReplayError);
  await expect(replaySchema({ source, applied })).rejects.toThrow(/002_add_project_context\.sql changed since it was applied/);
});
