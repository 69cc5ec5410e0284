// Specification of the sandbox in the CLI's local mode: `duckmig run` and `duckmig dry-run
// --rehearse` cannot make a migration read the admin token in the data directory (nor
// print it), and the allow-list (--allow-path, DUCKMIG_ALLOWED_PATHS) opens seed files.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../test/support/cli.js';
import { sandbox, type Sandbox } from '../test/support/db.js';

let box: Sandbox;
afterEach(() => box?.cleanup());

function withToken(): { token: string; dataDir: string } {
  const dataDir = join(box.dir, 'data');
  mkdirSync(dataDir);
  const token = randomBytes(24).toString('base64url');
  writeFileSync(join(dataDir, 'admin.token'), `${token}\n`, { mode: 0o600 });
  return { token, dataDir };
}

// each test spawns the CLI several times: generous timeouts for a loaded machine
describe('duckmig CLI (local mode) runs migrations in the sandbox', { timeout: 120_000 }, () => {
  it.each(['run', 'dry-run --rehearse'])('%s: a migration cannot read the admin token, and the output never shows it', async (name) => {
    const command = name.split(' ');
    box = sandbox();
    const { token, dataDir } = withToken();
    box.write('005_steal.sql', `SELECT CAST(content AS INTEGER) FROM read_text('${join(dataDir, 'admin.token')}');\n`);
    const env = { DUCKMIG_DATA_DIR: dataDir };
    for (const json of [[], ['--json']]) {
      const res = await runCli([...command, '--db', box.dbPath, '--dir', box.migrationsDir, ...json], { env });
      expect(res.code).toBe(1);
      expect(res.stdout + res.stderr).toMatch(/Permission Error/);
      expect(res.stdout + res.stderr).not.toContain(token);
    }
  });

  it('run: COPY … TO is refused and writes no file', async () => {
    box = sandbox();
    const target = join(box.dir, 'out.csv');
    box.write('005_copy.sql', `COPY (SELECT 1 AS a) TO '${target}';\n`);
    const res = await runCli(['run', '--db', box.dbPath, '--dir', box.migrationsDir]);
    expect(res.code).toBe(1);
    expect(existsSync(target)).toBe(false);
  });

  it('run --allow-path (and DUCKMIG_ALLOWED_PATHS) lets a migration read a seed file; without it the run fails', async () => {
    box = sandbox();
    const seeds = join(box.dir, 'seeds');
    mkdirSync(seeds);
    writeFileSync(join(seeds, 'regions.csv'), 'code\neu\nus\n');
    box.write('005_regions.sql', `CREATE TABLE regions AS SELECT * FROM read_csv('${join(seeds, 'regions.csv')}');\n`);
    const without = await runCli(['run', '--db', box.dbPath, '--dir', box.migrationsDir]);
    expect(without.code).toBe(1);
    expect(without.stdout).toMatch(/Permission Error/);
    const viaFlag = await runCli(['dry-run', '--rehearse', '--allow-path', seeds, '--db', box.dbPath, '--dir', box.migrationsDir]);
    expect(viaFlag.code).toBe(0);
    const viaEnv = await runCli(['run', '--db', box.dbPath, '--dir', box.migrationsDir], { env: { DUCKMIG_ALLOWED_PATHS: seeds } });
    expect(viaEnv.code).toBe(0);
    expect(viaEnv.stdout).toContain('done: version 4 → 5');
  });

  it('validate refuses a file that would move the connection, naming file and line', async () => {
    box = sandbox();
    box.write('005_moves.sql', "CREATE TABLE t (id INTEGER);\nATTACH ':memory:' AS s;\nUSE s;\n");
    const res = await runCli(['validate', '--db', box.dbPath, '--dir', box.migrationsDir]);
    expect(res.code).toBe(1);
    expect(res.stdout + res.stderr).toContain('005_moves.sql:2');
    expect(res.stdout + res.stderr).toContain('005_moves.sql:3');
  });
});
