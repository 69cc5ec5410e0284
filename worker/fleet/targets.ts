// A fleet worker's targets: the DuckDB files of its shard, found by a glob (DUCKMIG_DATABASES)
// or listed in a manifest (DUCKMIG_FLEET_MANIFEST). A glob target's id is its path below the
// glob's fixed directory (the shard root) without `.duckdb`; a manifest names its ids, paths
// relative to the manifest. Entries whose id the contract refuses are reported, not served.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { glob } from 'tinyglobby';
import { z } from 'zod';
import { Labels, TargetId, type Labels as LabelsType } from '../../contract/index.js';
import type { FleetConfig } from '../../config/worker.js';

export interface Target {
  id: string;
  /** absolute path of the file */
  file: string;
  /** path relative to the shard root */
  path: string;
  labels: LabelsType;
}

export interface Discovery {
  /** the directory target paths are relative to */
  root: string;
  /** sorted by id */
  targets: Target[];
  /** entries left out, for the log */
  problems: string[];
}

const MAGIC = /[*?[\]{}()!+@]/;

/** The glob's fixed directory: its segments before the first one with a glob character. */
export function globRoot(pattern: string, cwd: string): string {
  const segments = pattern.split('/');
  const fixed: string[] = [];
  for (const segment of segments.slice(0, -1)) {
    if (MAGIC.test(segment)) break;
    fixed.push(segment);
  }
  const dir = fixed.join('/') || (pattern.startsWith('/') ? '/' : '.');
  return resolve(cwd, dir);
}

/** The id of a file below the root: its relative path with `/` separators, without `.duckdb`. */
export function targetIdOf(root: string, file: string): string {
  return relative(root, file).split(sep).join('/').replace(/\.duckdb$/, '');
}

const ManifestEntry = z.object({ id: TargetId, path: z.string().min(1), labels: Labels.default({}) });
const Manifest = z.array(ManifestEntry);

async function fromGlob(pattern: string, cwd: string): Promise<Discovery> {
  const root = globRoot(pattern, cwd);
  // dot directories (the restore points' `.duckmig/`) and WAL files are never targets
  const files = await glob(pattern, { cwd, absolute: true, onlyFiles: true, dot: false, ignore: ['**/*.wal', '**/*.tmp'] });
  const problems: string[] = [];
  const targets: Target[] = [];
  for (const file of files) {
    const id = targetIdOf(root, file);
    if (!TargetId.safeParse(id).success) {
      problems.push(`${file}: its id "${id}" is not a valid target id (letters, digits, . _ / -)`);
      continue;
    }
    targets.push({ id, file, path: relative(root, file).split(sep).join('/'), labels: {} });
  }
  return { root, targets: sortById(targets), problems };
}

async function fromManifest(manifestPath: string, cwd: string): Promise<Discovery> {
  const file = resolve(cwd, manifestPath);
  const root = dirname(file);
  const parsed = Manifest.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(`${file} is not a valid manifest: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  const problems: string[] = [];
  const seen = new Set<string>();
  const targets: Target[] = [];
  for (const entry of parsed.data) {
    if (seen.has(entry.id)) {
      problems.push(`${file}: target id "${entry.id}" is listed twice; the first entry counts`);
      continue;
    }
    seen.add(entry.id);
    const target = isAbsolute(entry.path) ? entry.path : resolve(root, entry.path);
    targets.push({ id: entry.id, file: target, path: relative(root, target).split(sep).join('/'), labels: entry.labels });
  }
  return { root, targets: sortById(targets), problems };
}

function sortById(targets: Target[]): Target[] {
  return targets.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The targets now (a manifest is read again each time); throws for an unreadable or invalid manifest. */
export function discoverTargets(source: FleetConfig['targets'], cwd: string): Promise<Discovery> {
  return 'glob' in source ? fromGlob(source.glob, cwd) : fromManifest(source.manifest, cwd);
}
