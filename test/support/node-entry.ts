// How tests start the product's TypeScript in a child process: the sources transpiled once
// to plain JavaScript with esbuild (the transform tsx applies, without tsx's loader, whose
// start-up costs a second or more of CPU per child on a 2-core machine). The tree is
// keyed by the checkout and the sources' content, so an edit gives a fresh tree and every
// test file of a run shares one; without esbuild, children run through tsx as before.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { join, relative, resolve } from 'node:path';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
/** the folders children import from: the product and the test fixtures */
const SOURCE_DIRS = ['api', 'worker', 'core', 'cli', 'contract', 'config', 'lifecycle', 'fleet', 'notify', 'test/fixtures'];
/** trees of this checkout older than this are removed when a new one is written */
const KEEP_OLD_TREES_MS = 30 * 60_000;

type Esbuild = typeof import('esbuild');

function sources(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) files.push(path);
    }
  };
  for (const dir of SOURCE_DIRS) walk(join(REPO_ROOT, dir));
  return files.sort();
}

function loadEsbuild(): Esbuild | null {
  try {
    return createRequire(import.meta.url)('esbuild') as Esbuild;
  } catch {
    return null;
  }
}

/** Writes the tree into a temp folder, then renames it into place (another test file may race us to it). */
function build(esbuild: Esbuild, files: string[], target: string): void {
  const partial = `${target}.partial-${process.pid}-${Date.now()}`;
  try {
    esbuild.buildSync({
      entryPoints: files,
      outdir: partial,
      outbase: REPO_ROOT,
      bundle: false,
      format: 'esm',
      platform: 'node',
      target: `node${process.versions.node}`,
      sourcemap: true,
      logLevel: 'silent',
    });
    // "type": "module" for the .js files, and the name and version the worker reports
    writeFileSync(join(partial, 'package.json'), readFileSync(join(REPO_ROOT, 'package.json')));
    // packages resolve from the checkout's node_modules; the API serves the checkout's built UI (../dist/ui)
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(partial, 'node_modules'));
    symlinkSync(join(REPO_ROOT, 'dist'), join(partial, 'dist'));
    renameSync(partial, target);
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(target)) throw err;
  }
}

function removeOldTrees(parent: string, keep: string): void {
  for (const name of readdirSync(parent)) {
    const path = join(parent, name);
    if (path === keep) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > KEEP_OLD_TREES_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // removed by another test file meanwhile
    }
  }
}

let compiledRoot: string | null | undefined;

/** The folder holding this checkout's sources as JavaScript (built when missing), or null without esbuild. */
function compiled(): string | null {
  if (compiledRoot !== undefined) return compiledRoot;
  const esbuild = loadEsbuild();
  if (!esbuild) return (compiledRoot = null);
  const files = sources();
  const hash = createHash('sha256').update(`${esbuild.version}\n${process.version}\n`).update(readFileSync(join(REPO_ROOT, 'package.json')));
  for (const file of files) hash.update(`\0${relative(REPO_ROOT, file)}\0`).update(readFileSync(file));
  const checkout = createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 16);
  const parent = join(tmpdir(), `duckmig-test-js-${userInfo().uid}`, checkout);
  const target = join(parent, hash.digest('hex').slice(0, 24));
  if (!existsSync(target)) {
    mkdirSync(parent, { recursive: true });
    build(esbuild, files, target);
    removeOldTrees(parent, target);
  }
  return (compiledRoot = target);
}

/**
 * Node arguments that run `entry` (a TypeScript file of this repo, e.g. cli/main.ts) as
 * the program: its compiled JavaScript, or through tsx when esbuild is not installed.
 */
export function nodeArgs(entry: string): string[] {
  const path = resolve(REPO_ROOT, entry);
  const root = compiled();
  if (!root) return ['--import', 'tsx', path];
  return ['--enable-source-maps', join(root, relative(REPO_ROOT, path)).replace(/\.ts$/, '.js')];
}
