// Converts a folder written for goose, golang-migrate, dbmate or Flyway into duckmig's
// layout: each migration's Up part becomes `NNN_name.sql` (the tool's annotations dropped,
// a first line naming where it came from), its Down part `NNN_name.down.sql` beside it
// (kept for undoing, never run). Versions stay as the tool numbered them; Flyway's dotted
// versions (1.1, 2.0.3) are renumbered 1, 2, 3 … in Flyway's order. Nothing is written when
// the folder has a problem, and existing files are never overwritten.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ANNOTATION, compareToolVersions, splitSections, type Tool } from '../../core/index.js';

export interface ImportedMigration {
  /** the tool's file name (the Up file) */
  source: string;
  /** the version as the tool knows it: '20240101120000', '1.1' */
  toolVersion: string;
  version: number;
  /** duckmig's file name */
  file: string;
  up: string;
  /** the Down file's name and text, when there is a Down part */
  down?: { file: string; text: string };
}

export interface ImportPlan {
  tool: Tool;
  dir: string;
  migrations: ImportedMigration[];
  /** files of that folder that are not converted, and why */
  skipped: { file: string; reason: string }[];
  /** problems that stop the import */
  errors: string[];
}

interface Found {
  source: string;
  toolVersion: string;
  digits: string;
  title: string;
  role: 'up' | 'down';
}

const PATTERNS: Record<Tool, RegExp> = {
  'golang-migrate': /^(\d+)_(.*)\.(up|down)\.sql$/,
  goose: /^(\d+)_(.*)\.sql$/,
  dbmate: /^(\d+)_(.*)\.sql$/,
  flyway: /^([VU])(\d+(?:[._]\d+)*)__(.*)\.sql$/,
};

function find(tool: Tool, file: string): Found | string {
  const m = PATTERNS[tool].exec(file);
  if (tool === 'flyway') {
    if (/^R__/.test(file)) return 'Flyway repeatable migrations are not supported: move their SQL into a numbered migration';
    if (!m) return 'not a Flyway migration file name (V<version>__<description>.sql)';
    const toolVersion = m[2]!.replaceAll('_', '.');
    return { source: file, toolVersion, digits: m[2]!, title: m[3]!, role: m[1] === 'U' ? 'down' : 'up' };
  }
  if (tool === 'goose' && file.endsWith('.go')) return 'goose Go migrations cannot be converted: port it to SQL';
  if (!m) return `not a ${tool} migration file name`;
  return { source: file, toolVersion: String(BigInt(m[1]!)), digits: m[1]!, title: m[2]!, role: m[3] === 'down' ? 'down' : 'up' };
}

/** lower-case words joined by underscores, as duckmig names its files */
export function slug(title: string): string {
  return (
    title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'migration'
  );
}

/** The text without the tool's annotation lines, trimmed, ending in one newline (or empty). */
function clean(text: string): string {
  const kept = text
    .split('\n')
    .filter((line) => !ANNOTATION.test(line))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return kept.length > 0 ? `${kept}\n` : '';
}

export function planImport(tool: Tool, dir: string): ImportPlan {
  const plan: ImportPlan = { tool, dir: resolve(dir), migrations: [], skipped: [], errors: [] };
  const ups = new Map<string, Found>();
  const downs = new Map<string, Found>();
  for (const file of readdirSync(plan.dir).sort()) {
    if (file.startsWith('.') || !statSync(join(plan.dir, file)).isFile()) continue;
    if (!file.endsWith('.sql') && !file.endsWith('.go')) continue;
    const found = find(tool, file);
    if (typeof found === 'string') {
      plan.skipped.push({ file, reason: found });
      continue;
    }
    const key = found.toolVersion.split('.').map((p) => String(BigInt(p))).join('.');
    const into = found.role === 'up' ? ups : downs;
    const other = into.get(key);
    if (other) plan.errors.push(`${file}: version ${found.toolVersion} is also used by ${other.source}`);
    else into.set(key, found);
  }

  const ordered = [...ups.values()].sort((a, b) => compareToolVersions(a.toolVersion, b.toolVersion));
  const dotted = tool === 'flyway' && ordered.some((f) => f.toolVersion.includes('.'));
  const width = Math.max(3, String(ordered.length).length, ...ordered.map((f) => String(BigInt(f.toolVersion.split('.')[0]!)).length));
  ordered.forEach((f, i) => {
    const version = dotted ? i + 1 : Number(f.toolVersion);
    if (!Number.isSafeInteger(version)) {
      plan.errors.push(`${f.source}: version ${f.toolVersion} is larger than duckmig can carry exactly (at most ${Number.MAX_SAFE_INTEGER})`);
      return;
    }
    const digits = tool === 'flyway' ? String(version).padStart(width, '0') : f.digits;
    const base = `${digits}_${slug(f.title)}`;
    const text = readFileSync(join(plan.dir, f.source), 'utf8');
    const sections = splitSections(text);
    const downFile = [...downs.entries()].find(([, d]) => compareToolVersions(d.toolVersion, f.toolVersion) === 0);
    if (downFile) downs.delete(downFile[0]);
    const downText = clean(downFile ? readFileSync(join(plan.dir, downFile[1].source), 'utf8') : (sections.down ?? ''));
    const origin = `${tool}: ${f.source}${downFile ? ` and ${downFile[1].source}` : ''}`;
    plan.migrations.push({
      source: f.source,
      toolVersion: f.toolVersion,
      version,
      file: `${base}.sql`,
      up: `-- imported from ${tool}: ${f.source}\n${clean(sections.up)}`,
      ...(downText && {
        down: { file: `${base}.down.sql`, text: `-- the Down part of ${origin}; duckmig keeps it for undoing and never runs it\n${downText}` },
      }),
    });
  });
  for (const d of downs.values()) plan.skipped.push({ file: d.source, reason: `a Down file without its migration (version ${d.toolVersion})` });
  return plan;
}

/** Writes the plan's files into `out` (created if needed); refuses before writing anything if one exists. */
export function writeImport(plan: ImportPlan, out: string): string[] {
  const files = plan.migrations.flatMap((m) => [{ file: m.file, text: m.up }, ...(m.down ? [{ file: m.down.file, text: m.down.text }] : [])]);
  const existing = new Set(statSync(out, { throwIfNoEntry: false })?.isDirectory() ? readdirSync(out) : []);
  const clashes = files.filter((f) => existing.has(f.file)).map((f) => f.file);
  if (clashes.length > 0) throw new Error(`${out} already has ${clashes.join(', ')}; import into an empty folder (--out DIR)`);
  mkdirSync(out, { recursive: true });
  for (const f of files) writeFileSync(join(out, f.file), f.text, { flag: 'wx' });
  return files.map((f) => f.file);
}
