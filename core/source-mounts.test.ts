// Specification: migration files mounted the way Kubernetes mounts a ConfigMap (each file a
// symlink into a hidden, timestamped directory) are followed; dot-entries themselves are
// not migrations; a file above the configured maximum size is refused with a clear error
// naming it, before it is read.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openRunner, sandbox, scalar, type Sandbox } from '../test/support/db.js';
import { FileMigrationSource } from './source.js';

let box: Sandbox;
afterEach(() => box?.cleanup());

/** dir/..2024_01_01/<files>, dir/..data -> ..2024_01_01, dir/<file> -> ..data/<file> */
function configMapLayout(box: Sandbox, files: Record<string, string>): void {
  const versioned = join(box.migrationsDir, '..2024_01_01_00_00_00.123456789');
  mkdirSync(versioned);
  symlinkSync('..2024_01_01_00_00_00.123456789', join(box.migrationsDir, '..data'));
  for (const [file, sql] of Object.entries(files)) {
    writeFileSync(join(versioned, file), sql);
    symlinkSync(join('..data', file), join(box.migrationsDir, file));
  }
}

describe('migration files mounted as symlinks (ConfigMap layout)', () => {
  it('validate, status and run see files that are symlinks into ..data/', async () => {
    box = sandbox({ copyMigrations: false });
    configMapLayout(box, {
      '001_create_a.sql': 'CREATE TABLE a (id INTEGER);\n',
      '002_create_b.sql': 'CREATE TABLE b (id INTEGER);\n',
    });
    const { db, runner } = await openRunner(box);
    expect(await runner.validate()).toEqual([]);
    const status = await runner.status();
    expect(status.pending.map((m) => m.file)).toEqual(['001_create_a.sql', '002_create_b.sql']);
    const result = await runner.run();
    expect(result.status).toBe('success');
    expect(result.toVersion).toBe(2);
    expect(await scalar(db, "SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('a', 'b')")).toBe(2n);
    await db.close();
  });

  it('does not treat the hidden ..data entries as migrations or problems', async () => {
    box = sandbox({ copyMigrations: false });
    configMapLayout(box, { '001_create_a.sql': 'CREATE TABLE a (id INTEGER);\n' });
    const scan = await new FileMigrationSource(box.migrationsDir).scan();
    expect(scan.problems).toEqual([]);
    expect(scan.migrations.map((m) => m.file)).toEqual(['001_create_a.sql']);
  });

  it('a dangling symlink is reported, not silently dropped', async () => {
    box = sandbox({ copyMigrations: false });
    symlinkSync('nowhere/001_gone.sql', join(box.migrationsDir, '001_gone.sql'));
    const scan = await new FileMigrationSource(box.migrationsDir).scan();
    expect(scan.migrations).toEqual([]);
    expect(scan.problems).toContainEqual(expect.objectContaining({ code: 'unreadable-file', file: '001_gone.sql', severity: 'error' }));
  });
});

describe('maximum migration file size', () => {
  it('refuses a file above the maximum with an error naming the file and both sizes; nothing is applied', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_small.sql', 'CREATE TABLE small (id INTEGER);\n');
    box.write('002_seed.sql', `CREATE TABLE seed (v VARCHAR);\nINSERT INTO seed VALUES ('${'x'.repeat(4096)}');\n`);
    const source = new FileMigrationSource(box.migrationsDir, { maxFileBytes: 1024 });
    const scan = await source.scan();
    const problem = scan.problems.find((p) => p.code === 'file-too-large');
    expect(problem).toMatchObject({ file: '002_seed.sql', version: 2, severity: 'error' });
    expect(problem!.message).toContain('002_seed.sql');
    expect(problem!.message).toMatch(/4\.\d KiB|41\d\d bytes/);
    expect(problem!.hint).toContain('DUCKMIG_MAX_FILE_BYTES');
    expect(scan.migrations.map((m) => m.file)).toEqual(['001_small.sql']);

    const { db, runner } = await openRunner(box, { source });
    const result = await runner.run();
    expect(result.status).toBe('invalid');
    expect(await scalar(db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'small'")).toBe(0n);
    await db.close();
  });

  it('accepts files up to the maximum, and the default allows 64 MiB', async () => {
    box = sandbox({ copyMigrations: false });
    box.write('001_small.sql', 'CREATE TABLE small (id INTEGER);\n');
    expect((await new FileMigrationSource(box.migrationsDir, { maxFileBytes: 33 }).scan()).problems).toEqual([]);
    expect(new FileMigrationSource(box.migrationsDir).maxFileBytes).toBe(64 * 1024 * 1024);
  });
});
