// Restore points: a consistent copy of the database file taken for the process that owns it
// (CHECKPOINT, then the file copied, fsynced and checksummed by a child process while the
// owner makes no write), kept as <dir>/<id>.duckdb with a <id>.json manifest that names the
// database it belongs to (path and file identity). A restore dir may be shared: each database
// lists, prunes (the last N) and restores only its own points. Staging copies a point beside
// the database, verified and durable, for the swap in restore.ts.
import type { DuckDBConnection } from '@duckdb/node-api';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { syncPath } from './restore-journal.js';

export interface RestorePoint {
  id: string;
  path: string;
  sizeBytes: number;
  checksum: string;
  createdAt: string;
  /** the database it was taken of (the same as database.path; kept for older readers) */
  databasePath: string;
  /** which database it belongs to: its path, and the file's identity when it was taken */
  database: { path: string; device: number; inode: number };
  /** schema version when it was taken */
  version: number;
  reason: string | null;
}

export interface RestorePointOptions {
  dir: string;
  /** how many to keep (older ones are deleted); default 5 */
  keep?: number;
  /** skip taking one when the database is larger than this (bytes); default no limit */
  maxBytes?: number;
}

export class RestorePointError extends Error {
  override name = 'RestorePointError';
}

const ID = /^rp-\d{8}T\d{9}Z-[0-9a-f]{6}$/;

// Copies a file and computes its SHA-256 in a CHILD PROCESS, so the owner keeps DuckDB's
// file lock; why, and how the copy is made: docs/operations.md (Restore points: how the copy is made).
const COPY_AND_HASH = `
const { createHash } = require('node:crypto');
const { constants } = require('node:fs');
const { copyFile, open } = require('node:fs/promises');
const [from, to] = process.argv.slice(1);
const CHUNK = 8 << 20;
async function sha256(path) {
  const file = await open(path, 'r');
  try {
    const hash = createHash('sha256');
    const buffers = [Buffer.allocUnsafeSlow(CHUNK), Buffer.allocUnsafeSlow(CHUNK)];
    let position = 0, n = 0, reading = file.read(buffers[0], 0, CHUNK, 0);
    for (;;) {
      const { bytesRead } = await reading;
      if (bytesRead === 0) return hash.digest('hex');
      const chunk = buffers[n % 2].subarray(0, bytesRead);
      position += bytesRead;
      n++;
      reading = file.read(buffers[n % 2], 0, CHUNK, position);
      hash.update(chunk);
    }
  } finally {
    await file.close();
  }
}
async function copyDurably() {
  await copyFile(from, to, constants.COPYFILE_EXCL);
  const copy = await open(to, 'r+');
  try { await copy.sync(); } finally { await copy.close(); }
}
Promise.all([copyDurably(), sha256(from)])
  .then(([, checksum]) => process.stdout.write(checksum))
  .catch((err) => { process.stderr.write(String(err && err.message || err)); process.exit(1); });
`;

/** Told the bytes copied so far (and the file's size), every `everyMs` (default 250) while a copy runs; never after it ended. */
export interface CopyProgress {
  onCopied: (bytesDone: number, bytes: number) => void;
  everyMs?: number;
}

const COPY_SAMPLE_MS = 250;

async function copyWithChecksum(from: string, to: string, progress?: CopyProgress): Promise<string> {
  const child = spawn(process.execPath, ['-e', COPY_AND_HASH, from, to], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  // the copy's own size is how far it got (the child copies with the kernel, in order)
  let copying = true;
  const size = progress ? (await stat(from)).size : 0;
  const sampler = progress && setInterval(() => void stat(to).then((s) => copying && progress.onCopied(s.size, size), () => undefined), progress.everyMs ?? COPY_SAMPLE_MS);
  try {
    const [code] = (await once(child, 'close')) as [number | null];
    if (code !== 0 || !/^[0-9a-f]{64}$/.test(out)) throw new RestorePointError(`copying ${from} failed: ${err.trim() || `exit ${code}`}`);
    return out;
  } finally {
    copying = false;
    clearInterval(sampler);
  }
}

export class RestorePoints {
  readonly dir: string;
  readonly keep: number;
  readonly maxBytes: number;

  constructor(options: RestorePointOptions) {
    this.dir = resolve(options.dir);
    this.keep = options.keep ?? 5;
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  }

  /**
   * Takes a restore point of the open database. The caller must be the owning process and
   * must not write while this runs (the runner calls it before applying anything).
   * Returns null when the database is over the size threshold.
   */
  async create(
    connection: DuckDBConnection,
    databasePath: string,
    meta: { version: number; reason?: string | null; ignoreSizeLimit?: boolean; protect?: string[] },
    progress?: CopyProgress,
  ): Promise<RestorePoint | null> {
    await connection.run('CHECKPOINT');
    // stat only: opening the file here would drop the owner's lock (see COPY_AND_HASH)
    const file = await stat(databasePath);
    if (file.size > this.maxBytes && !meta.ignoreSizeLimit) return null;
    await mkdir(this.dir, { recursive: true });
    // strictly newer than the newest one, so "the last N" is well defined even within a millisecond
    const newest = (await this.list(databasePath))[0];
    const now = new Date(Math.max(Date.now(), newest ? Date.parse(newest.createdAt) + 1 : 0));
    const id = `rp-${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
    const path = join(this.dir, `${id}.duckdb`);
    const checksum = await copyWithChecksum(databasePath, path, progress);
    const point: RestorePoint = {
      id,
      path,
      sizeBytes: file.size,
      checksum,
      createdAt: now.toISOString(),
      databasePath: resolve(databasePath),
      database: { path: resolve(databasePath), device: file.dev, inode: file.ino },
      version: meta.version,
      reason: meta.reason ?? null,
    };
    const manifest = join(this.dir, `${id}.json`);
    await writeFile(`${manifest}.tmp`, `${JSON.stringify(point, null, 2)}\n`);
    await syncPath(`${manifest}.tmp`);
    await rename(`${manifest}.tmp`, manifest);
    await syncPath(this.dir);
    await this.prune(databasePath, meta.protect);
    return point;
  }

  /** The restore points of one database, newest first. */
  async list(databasePath: string): Promise<RestorePoint[]> {
    const database = resolve(databasePath);
    return (await this.#all()).filter((p) => (p.database?.path ?? p.databasePath) === database);
  }

  async #all(): Promise<RestorePoint[]> {
    let files: string[];
    try {
      files = await readdir(this.dir);
    } catch {
      return [];
    }
    const points: RestorePoint[] = [];
    for (const f of files.filter((f) => f.endsWith('.json') && ID.test(f.slice(0, -5)))) {
      try {
        points.push(JSON.parse(await readFile(join(this.dir, f), 'utf8')) as RestorePoint);
      } catch {
        // a half-written manifest is not a restore point
      }
    }
    return points.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  }

  /** A restore point of this database; another database's point is refused. */
  async get(id: string, databasePath: string): Promise<RestorePoint> {
    if (!ID.test(id)) throw new RestorePointError(`"${id}" is not a restore point id (they look like rp-20261125T154500123Z-a1b2c3); list them with \`duckmig backup --list\``);
    const point = (await this.#all()).find((p) => p.id === id);
    if (!point) throw new RestorePointError(`restore point ${id} does not exist in ${this.dir}`);
    const owner = point.database?.path ?? point.databasePath;
    if (owner !== resolve(databasePath)) {
      throw new RestorePointError(`restore point ${id} belongs to another database (${owner}), not to ${resolve(databasePath)}: a restore never replaces one database with another`);
    }
    return point;
  }

  /**
   * Copies a restore point to `staging` (beside the database), verifies its checksum while
   * copying and makes the copy durable (file fsynced, then its directory). A damaged point
   * leaves nothing behind.
   */
  async stage(point: RestorePoint, staging: string, progress?: CopyProgress): Promise<void> {
    await rm(staging, { force: true });
    const actual = await copyWithChecksum(point.path, staging, progress).catch(async (err: unknown) => {
      await rm(staging, { force: true });
      throw err;
    });
    if (actual !== point.checksum) {
      await rm(staging, { force: true });
      throw new RestorePointError(`restore point ${point.id} is damaged: checksum ${actual.slice(0, 12)}… does not match ${point.checksum.slice(0, 12)}…`);
    }
    await syncPath(dirname(staging));
  }

  /** Keeps this database's newest N (and any in `protect`, e.g. the one being restored). */
  async prune(databasePath: string, protect: string[] = []): Promise<void> {
    const points = await this.list(databasePath);
    for (const old of points.slice(this.keep).filter((p) => !protect.includes(p.id))) {
      await rm(old.path, { force: true });
      await rm(join(this.dir, `${old.id}.json`), { force: true });
    }
  }
}
