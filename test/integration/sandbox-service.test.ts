// The sandbox through the running service, as the finding was reproduced: the API with its
// generated admin token in the data directory, the worker as its own process, the CLI's
// `run --wait` and `dry-run --rehearse` against the API. A migration cannot read the token,
// write a file or move the worker's connection; no job error, history entry, CLI output or
// worker log shows the token; later jobs keep working and SIGTERM still exits cleanly.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, JobView } from '../../contract/index.js';
import { runCli } from '../support/cli.js';
import { call } from '../support/live.js';
import { startSystem, type RunningSystem } from '../support/system.js';

let sys: RunningSystem;
let token: string;
beforeAll(async () => {
  // no DUCKMIG_TOKENS: the API generates the admin token into <data dir>/admin.token
  sys = await startSystem({ env: { DUCKMIG_TOKENS: '' } });
  token = readFileSync(join(sys.dataDir, 'admin.token'), 'utf8').trim();
}, 120_000);
afterAll(() => sys?.stop());

const remote = (args: string[]) => runCli([...args, '--api', sys.url], { env: { DUCKMIG_TOKEN: token } });
const migration = (file: string, sql: string) => writeFileSync(join(sys.migrationsDir, file), sql);
const remove = (file: string) => rmSync(join(sys.migrationsDir, file), { force: true });

describe('migrations run through the worker are sandboxed', { timeout: 180_000 }, () => {
  it('a rehearsal and a run cannot read the admin token; no job error, history, CLI output or worker log shows it', async () => {
    expect(token.length).toBeGreaterThan(16);
    migration('005_steal.sql', `SELECT CAST(content AS INTEGER) FROM read_text('${join(sys.dataDir, 'admin.token')}');\n`);
    try {
      const rehearsal = await remote(['dry-run', '--rehearse']);
      expect(rehearsal.code).toBe(1);
      expect(rehearsal.stdout + rehearsal.stderr).toMatch(/Permission Error/);
      const run = await remote(['run', '--wait']);
      expect(run.code).toBe(1);
      const json = await remote(['run', '--wait', '--json']);
      expect(json.code).toBe(1);
      const job = JobView.parse(JSON.parse(json.stdout));
      expect(job.failedReason).toMatch(/Permission Error/);
      const history = await call(sys.url, `${ADMIN_PREFIX}/history`, { token });
      expect(history.status).toBe(200);
      for (const text of [rehearsal.stdout, rehearsal.stderr, run.stdout, run.stderr, json.stdout, json.stderr, JSON.stringify(history.body), sys.worker.output()]) {
        expect(text).not.toContain(token);
      }
    } finally {
      remove('005_steal.sql');
    }
  });

  it('COPY … TO through the worker is refused and writes no file', async () => {
    const target = join(sys.dataDir, 'copied.csv');
    migration('005_copy.sql', `COPY (SELECT 1 AS a) TO '${target}';\n`);
    try {
      const run = await remote(['run', '--wait']);
      expect(run.code).toBe(1);
      expect(existsSync(target)).toBe(false);
    } finally {
      remove('005_copy.sql');
    }
  });

  it('a file with ATTACH and USE is refused; later jobs keep working; SIGTERM exits cleanly', async () => {
    migration('005_moves.sql', "ATTACH ':memory:' AS s;\nUSE s;\n");
    const refused = await remote(['run', '--wait']);
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toContain('005_moves.sql:1');
    remove('005_moves.sql');

    migration('005_fine.sql', 'CREATE TABLE fine (id INTEGER);\n');
    const later = await remote(['run', '--wait']);
    expect(later.code).toBe(0);
    expect(later.stdout).toMatch(/done: version \d → 5/);
    const status = await remote(['status']);
    expect(status.stdout).toMatch(/version\s+5 of 5, up to date/);

    await sys.worker.kill('SIGTERM');
    expect(sys.worker.lastExit).toEqual({ code: 0, signal: null });
  });
});
