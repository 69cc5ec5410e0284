// Restore points: a consistent copy of the database file taken for the process that owns it
// (CHECKPOINT, then the file copied and checksummed in one pass by a child process while the
// owner makes no write),
// kept as <dir>/<id>.duckdb with a <id>.json manifest; the last N are kept. Restoring puts a
// copy back in place of a closed database file after checking its checksum.
import type { DuckDBConnection } from '@duckdb/node-api';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export interface RestorePoint {
  id: string;
  path: string;
  sizeBytes: number;
  checksum: string;
  createdAt: string;
  databasePath: string;
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

// Copies a file while hashing it (one read, one write), in a CHILD PROCESS. The database
// file's lock is a POSIX record lock, which belongs to the process and is dropped when the
// process closes ANY descriptor of that file: copying it in the owning process would silently
// release the lock and let a second process open the database. The child's descriptors are
// its own, so the owner keeps its lock.
const COPY_AND_HASH = `
const { createHash } = require('node:crypto');
const { createReadStream, createWriteStream } = require('node:fs');
const { pipeline } = require('node:stream/promises');
const { Transform } = require('node:stream');
const [from, to] = process.argv.slice(1);
const hash = createHash('sha256');
const tee = new Transform({ transform(chunk, _enc, done) { hash.update(chunk); done(null, chunk); } });
pipeline(createReadStream(from, { highWaterMark: 4 << 20 }), tee, createWriteStream(to, { flags: 'wx' }))
  .then(() => process.stdout.write(hash.digest('hex')))
  .catch((err) => { process.stderr.write(String(err && err.message || err)); process.exit(1); });
`;

async function copyWithChecksum(from: string, to: string): Promise<string> {
  const child = spawn(process.execPath, ['-e', COPY_AND_HASH, from, to], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0 || !/^[0-9a-f]{64}$/.test(out)) throw new RestorePointError(`copying ${from} failed: ${err.trim() || `exit ${code}`}`);
  return out;
}

async function checksumFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
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
    meta: { version: number; reason?: string | null; ignoreSizeLimit?: boolean },
  ): Promise<RestorePoint | null> {
    await connection.run('CHECKPOINT');
    const size = (await stat(databasePath)).size;
    if (size > this.maxBytes && !meta.ignoreSizeLimit) return null;
    await mkdir(this.dir, { recursive: true });
    // strictly newer than the newest one, so "the last N" is well defined even within a millisecond
    const newest = (await this.list())[0];
    const now = new Date(Math.max(Date.now(), newest ? Date.parse(newest.createdAt) + 1 : 0));
    const id = `rp-${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
    const path = join(this.dir, `${id}.duckdb`);
    const checksum = await copyWithChecksum(databasePath, path);
    const point: RestorePoint = {
      id,
      path,
      sizeBytes: size,
      checksum,
      createdAt: now.toISOString(),
      databasePath: resolve(databasePath),
      version: meta.version,
      reason: meta.reason ?? null,
    };
    await writeFile(join(this.dir, `${id}.json`), `${JSON.stringify(point, null, 2)}\n`);
    await this.prune();
    return point;
  }

  /** Newest first. */
  async list(): Promise<RestorePoint[]> {
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

  async get(id: string): Promise<RestorePoint> {
    if (!ID.test(id)) throw new RestorePointError(`"${id}" is not a restore point id (they look like rp-20261125T154500123Z-a1b2c3); list them with \`duckmig backup --list\``);
    const point = (await this.list()).find((p) => p.id === id);
    if (!point) throw new RestorePointError(`restore point ${id} does not exist in ${this.dir}`);
    return point;
  }

  /**
   * Replaces the database file with a restore point. The database must be CLOSED (the
   * caller owns it and closed it). The copy is verified first; the current file is kept
   * aside until the restored one is in place, so a failure leaves the database as it was.
   */
  async restore(id: string, databasePath: string): Promise<RestorePoint> {
    const point = await this.get(id);
    const actual = await checksumFile(point.path);
    if (actual !== point.checksum) throw new RestorePointError(`restore point ${id} is damaged: checksum ${actual.slice(0, 12)}… does not match ${point.checksum.slice(0, 12)}…`);
    const target = resolve(databasePath);
    const staging = `${target}.restoring`;
    const aside = `${target}.before-restore`;
    await rm(staging, { force: true });
    await copyWithChecksum(point.path, staging);
    await rm(aside, { force: true });
    await rename(target, aside).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    try {
      await rename(staging, target);
    } catch (err) {
      await rename(aside, target).catch(() => undefined); // put the original back
      throw err;
    }
    await rm(`${target}.wal`, { force: true });
    await rm(aside, { force: true });
    return point;
  }

  async prune(): Promise<void> {
    const points = await this.list();
    for (const old of points.slice(this.keep)) {
      await rm(old.path, { force: true });
      await rm(join(this.dir, `${old.id}.json`), { force: true });
    }
  }
}
