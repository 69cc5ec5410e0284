// `duckmig start` (what `npm start` runs) as a newcomer meets it: no REDIS_URL, no
// tokens. It starts a managed redis-server, the worker and the API in one command,
// prints the URL and a generated admin token, applies nothing on its own, and on
// SIGTERM stops everything, the DuckDB file closed. Queue history survives a restart.
// Its output is not a terminal here: the logs are JSON lines, one object per line.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_PREFIX, HistoryResponse, StatusResponse, type EnqueuedResponse } from '../../contract/index.js';
import { LEDGER_SQL, queryFile } from '../support/duckdb-file.js';
import { call, finishedJob } from '../support/live.js';
import { nodeArgs } from '../support/node-entry.js';
import { REPO_ROOT } from '../support/system.js';

const dir = mkdtempSync(join(tmpdir(), 'duckmig-start-'));
const dataDir = join(dir, 'data');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Started {
  child: ChildProcess;
  url: string;
  stdout: () => string;
}

async function start(logLevel = 'warn'): Promise<Started> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    DUCKMIG_DATA_DIR: dataDir,
    DUCKMIG_DB: join(dataDir, 'metadata.duckdb'),
    DUCKMIG_MIGRATIONS: resolve(REPO_ROOT, 'migrations/duckdb'),
    LOG_LEVEL: logLevel,
  };
  delete env.REDIS_URL;
  delete env.DUCKMIG_TOKENS;
  const child = spawn(process.execPath, [...nodeArgs('cli/main.ts'), 'start'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`duckmig start did not print its URL:\n${out}\n${err}`)), 45_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /duckmig: running at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        done(m[1]!);
      }
    });
    child.once('exit', (code) => fail(new Error(`duckmig start exited with ${code}:\n${out}\n${err}`)));
  });
  return { child, url, stdout: () => out };
}

async function stop(s: Started): Promise<number | null> {
  const exited = once(s.child, 'close'); // after 'exit', once its output is read to the end
  s.child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

describe('duckmig start', () => {
  it('runs managed Redis, worker and API from one command, prints URL and token, and stops cleanly; history survives a restart', async () => {
    const first = await start();
    const printed = /generated an admin token[^\n]*\n\s+(\S+)/.exec(first.stdout());
    expect(printed, first.stdout()).not.toBeNull();
    const token = printed![1]!;
    expect(readFileSync(join(dataDir, 'admin.token'), 'utf8').trim()).toBe(token);
    expect(statSync(join(dataDir, 'admin.token')).mode & 0o777).toBe(0o600);
    const redisPid = Number(readFileSync(join(dataDir, 'redis', 'redis.pid'), 'utf8'));

    const status = StatusResponse.parse((await call(first.url, `${ADMIN_PREFIX}/status?view=full`, { token })).body);
    expect(status.worker.online).toBe(true);
    expect(status.snapshot?.status.pending).toHaveLength(4); // start-up applies nothing

    const run = await call<EnqueuedResponse>(first.url, `${ADMIN_PREFIX}/run`, { token, body: {} });
    expect(run.status).toBe(202);
    expect((await finishedJob(first.url, token, run.body.jobId)).state).toBe('completed');

    expect(await stop(first)).toBe(0);
    expect(() => process.kill(redisPid, 0)).toThrow(); // the managed redis-server is gone
    const [ledger] = await queryFile(join(dataDir, 'metadata.duckdb'), LEDGER_SQL); // opens directly
    expect(ledger).toHaveLength(4);

    const second = await start('info');
    try {
      expect(second.stdout()).toContain('using the admin token stored in');
      const history = HistoryResponse.parse((await call(second.url, `${ADMIN_PREFIX}/history`, { token })).body);
      expect(history.jobs.map((j) => j.id)).toContain(run.body.jobId);
    } finally {
      expect(await stop(second)).toBe(0);
    }
    // not a terminal: every log line is one pino JSON object; the rest are the command's own lines
    const lines = second.stdout().split('\n').filter((line) => line !== '');
    const logs = lines.filter((line) => !line.startsWith('duckmig: '));
    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(entry, line).toMatchObject({ level: expect.any(Number), time: expect.any(Number), msg: expect.any(String), app: 'duckmig' });
    }
    expect(logs.map((line) => (JSON.parse(line) as { event?: string }).event)).toEqual(expect.arrayContaining(['worker:ready', 'worker:closed']));
  });
});
