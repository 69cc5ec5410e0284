// Specification: a restore can never lose the database. A process killed (SIGKILL) between
// any two steps of the file swap leaves a database that the next open finishes or rolls back
// and then opens with its data; nobody else opens the file while the swap runs; a database
// that existed is never silently re-created empty; restore points belong to their database.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../test/support/cli.js';
import { openRunner, rowsOf, sandbox, type Sandbox } from '../test/support/db.js';
import { nodeArgs } from '../test/support/node-entry.js';
import { Database, DatabaseLockedError, DatabaseOpenError } from './database.js';
import { RestorePointError, RestorePoints } from './restore-points.js';
import { restoreDatabase } from './restore.js';

const REPO = resolve(import.meta.dirname, '..');
const CLI = nodeArgs('cli/main.ts');

let box: Sandbox;
afterEach(() => box?.cleanup());

interface Prepared {
  pointId: string;
  restoreDir: string;
}

/** v4 with two projects (the restore point), then 005 applied and a third project: the current state. */
async function prepare(b: Sandbox): Promise<Prepared> {
  const restoreDir = join(b.dir, 'restore-points');
  const points = new RestorePoints({ dir: restoreDir });
  const { db, runner } = await openRunner(b);
  await runner.run();
  await db.connection.run("INSERT INTO projects (id, name) VALUES ('p1', 'Alpha'), ('p2', 'Beta')");
  const point = (await points.create(db.connection, db.path, { version: 4, reason: 'test' }))!;
  b.write('005_add_owner.sql', "ALTER TABLE projects ADD COLUMN owner VARCHAR;\nUPDATE projects SET owner = 'ops';\n");
  await runner.run();
  await db.connection.run("INSERT INTO projects (id, name, owner) VALUES ('p3', 'Gamma', 'ops')");
  await db.close();
  return { pointId: point.id, restoreDir };
}

async function state(path: string, restoreDir: string) {
  const db = await Database.open(path, { attempts: 1, restoreDir });
  try {
    return {
      version: Number((await rowsOf(db, "SELECT max(version) AS v FROM schema_migrations WHERE status = 'applied'"))[0]!.v),
      projects: (await rowsOf(db, 'SELECT id FROM projects ORDER BY id')).map((r) => r.id),
      restores: Number((await rowsOf(db, "SELECT count(*) AS n FROM schema_migration_runs WHERE mode = 'restore'"))[0]!.n),
    };
  } finally {
    await db.close();
  }
}

/** `duckmig restore` in a child process that sends itself `signal` at the named step of the swap. */
function restoreChild(b: Sandbox, p: Prepared, step: string, signal: 'SIGKILL' | 'SIGSTOP') {
  return spawn(process.execPath, [...CLI, 'restore', p.pointId, '--yes', '--db', b.dbPath], {
    cwd: REPO,
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', DUCKMIG_DB: '', DUCKMIG_RESTORE_DIR: p.restoreDir, DUCKMIG_TEST_RESTORE_SIGNAL: `${step}:${signal}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves once the process is stopped (state T in /proc/<pid>/stat). */
function stopped(pid: number): Promise<void> {
  return new Promise((done) => {
    const poll = setInterval(() => {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('T')) {
        clearInterval(poll);
        done();
      }
    }, 20);
  });
}

const SWAP_FILES = ['.restoring', '.before-restore', '.restore-journal'];
const leftovers = (b: Sandbox) => readdirSync(b.dir).filter((f) => SWAP_FILES.some((s) => f.endsWith(s)));

describe('restore: a crash at any step of the swap loses nothing', () => {
  // before the restore is recorded in the restored database, the next open rolls the swap
  // back (the job failed with its worker); once recorded, it finishes it
  it.each([
    ['staged', 'rolled back'],
    ['closed', 'rolled back'],
    ['linked', 'rolled back'],
    ['swapped', 'rolled back'],
    ['reopened', 'rolled back'],
    ['recorded', 'finished'],
  ])('killed (SIGKILL) after the step "%s": the next open has the database, %s', async (step, outcome) => {
    box = sandbox();
    const p = await prepare(box);
    const child = restoreChild(box, p, step, 'SIGKILL');
    const [, signal] = (await once(child, 'exit')) as [number | null, string | null];
    expect(signal).toBe('SIGKILL');

    const after = await state(box.dbPath, p.restoreDir);
    if (outcome === 'finished') expect(after).toEqual({ version: 4, projects: ['p1', 'p2'], restores: 1 });
    else expect(after).toEqual({ version: 5, projects: ['p1', 'p2', 'p3'], restores: 0 });
    expect(leftovers(box)).toEqual([]);
  }, 60_000);
});

describe('restore: nobody else enters while the file is swapped', () => {
  it('a second process cannot open the database while a restore has it closed, and the restore completes', async () => {
    box = sandbox();
    const p = await prepare(box);
    const child = restoreChild(box, p, 'swapped', 'SIGSTOP');
    try {
      // the child stops itself between the swap and the reopen, when DuckDB's lock is released
      await stopped(child.pid!);
      expect(existsSync(`${box.dbPath}.before-restore`)).toBe(true);
      const error = await Database.open(box.dbPath, { attempts: 2, retryDelayMs: 100, restoreDir: p.restoreDir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabaseLockedError);
      expect((error as DatabaseLockedError).holderPid).toBe(child.pid);
    } finally {
      child.kill('SIGCONT');
    }
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(await state(box.dbPath, p.restoreDir)).toEqual({ version: 4, projects: ['p1', 'p2'], restores: 1 });
  }, 60_000);
});

describe('a database that existed is never re-created empty', () => {
  it('refuses to open when the database is missing but the previous copy of an interrupted restore is there', async () => {
    box = sandbox();
    const p = await prepare(box);
    renameSync(box.dbPath, `${box.dbPath}.before-restore`); // what a crash between the two renames used to leave
    const error = await Database.open(box.dbPath, { attempts: 1, restoreDir: p.restoreDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseOpenError);
    expect((error as Error).message).toMatch(/before-restore/);
    expect(existsSync(box.dbPath)).toBe(false);
  });

  it('refuses to open when the database is missing but restore points of it exist', async () => {
    box = sandbox();
    const p = await prepare(box);
    renameSync(box.dbPath, join(box.dir, 'moved.duckdb'));
    const error = await Database.open(box.dbPath, { attempts: 1, restoreDir: p.restoreDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseOpenError);
    expect((error as Error).message).toMatch(/restore point/);
    expect((error as Error).message).toContain(p.pointId);
    expect(existsSync(box.dbPath)).toBe(false);
  });

  it('the worker exits non-zero and says why instead of starting on an empty database', async () => {
    box = sandbox();
    const p = await prepare(box);
    renameSync(box.dbPath, `${box.dbPath}.before-restore`);
    const child = spawn(process.execPath, [...CLI, 'worker'], {
      cwd: REPO,
      env: { ...process.env, LOG_LEVEL: 'warn', DUCKMIG_DB: box.dbPath, DUCKMIG_MIGRATIONS: box.migrationsDir, DUCKMIG_RESTORE_DIR: p.restoreDir, REDIS_URL: 'redis://127.0.0.1:1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // a worker that opened an empty database would wait for Redis forever
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(guard);
    expect(code).not.toBeNull();
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/missing/);
    expect(stderr).toMatch(/before-restore/);
    expect(existsSync(box.dbPath)).toBe(false);
  }, 60_000);

  it('local-mode commands refuse too (exit 3), and create nothing', async () => {
    box = sandbox();
    const p = await prepare(box);
    renameSync(box.dbPath, join(box.dir, 'moved.duckdb'));
    const status = await runCli(['status', '--db', box.dbPath, '--dir', box.migrationsDir], { env: { DUCKMIG_RESTORE_DIR: p.restoreDir } });
    expect(status.code).toBe(3);
    expect(status.stderr).toContain(p.pointId);
    expect(existsSync(box.dbPath)).toBe(false);
  }, 60_000);

  it('a database path with no trace of an earlier database is created as before', async () => {
    box = sandbox();
    const db = await Database.open(box.dbPath, { attempts: 1, restoreDir: join(box.dir, 'restore-points') });
    await db.close();
    expect(existsSync(box.dbPath)).toBe(true);
  });
});

describe('restore points belong to their database', () => {
  it('with a shared restore dir, each database lists and prunes only its own, and a point of another database is refused', async () => {
    box = sandbox();
    const dir = join(box.dir, 'shared');
    const points = new RestorePoints({ dir, keep: 2 });
    const a = await Database.open(join(box.dir, 'a.duckdb'), { attempts: 1 });
    const b = await Database.open(join(box.dir, 'b.duckdb'), { attempts: 1 });
    await a.connection.run('CREATE TABLE t AS SELECT 1 AS a');
    await b.connection.run('CREATE TABLE t AS SELECT 2 AS b');
    const aPoints = [];
    for (let i = 0; i < 2; i++) aPoints.push((await points.create(a.connection, a.path, { version: 1 }))!.id);
    const bPoints = [];
    for (let i = 0; i < 3; i++) bPoints.push((await points.create(b.connection, b.path, { version: 1 }))!.id);

    expect((await points.list(a.path)).map((x) => x.id)).toEqual([...aPoints].reverse()); // B's backups did not prune A's
    expect((await points.list(b.path)).map((x) => x.id)).toEqual([bPoints[2], bPoints[1]]);
    const manifest = (await points.list(a.path))[0]!;
    expect(manifest.database).toMatchObject({ path: a.path });
    expect(manifest.database.inode).toBeGreaterThan(0);

    const refused = await restoreDatabase({ db: a, points, id: bPoints[2]! }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RestorePointError);
    expect((refused as Error).message).toMatch(/another database/);
    expect(await rowsOf(a, 'SELECT * FROM t')).toEqual([{ a: 1 }]);
    await a.close();
    await b.close();
  });
});

describe('a restore can be undone', () => {
  it('takes a restore point of the state it replaces, shown in the result and the history; restoring it brings that state back', async () => {
    box = sandbox();
    const p = await prepare(box);
    const points = new RestorePoints({ dir: p.restoreDir, keep: 1 });
    const db = await Database.open(box.dbPath, { attempts: 1 });
    const restored = await restoreDatabase({ db, points, id: p.pointId, requestedBy: 'admin' });
    expect(restored.result).toMatchObject({ status: 'success', fromVersion: 5, toVersion: 4 });
    const undo = restored.result.undoPoint!;
    expect(undo).toMatchObject({ version: 5 });
    // keep 1: the undo point is kept, and so is the point being restored until the restore is over
    expect((await points.list(db.path)).map((x) => x.id)).toContain(undo.id);
    const history = await rowsOf(restored.db, "SELECT restore_point FROM schema_migration_runs WHERE mode = 'restore'");
    expect(JSON.parse(String(history[0]!.restore_point))).toMatchObject({ id: p.pointId, undoPoint: { id: undo.id } });

    const back = await restoreDatabase({ db: restored.db, points, id: undo.id });
    expect(back.result).toMatchObject({ status: 'success', fromVersion: 4, toVersion: 5 });
    expect((await rowsOf(back.db, 'SELECT id FROM projects ORDER BY id')).map((r) => r.id)).toEqual(['p1', 'p2', 'p3']);
    await back.db.close();
  });
});
