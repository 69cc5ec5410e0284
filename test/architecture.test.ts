// The floor plan, checked: which layer may import which (written out by hand below),
// no import cycles inside core/, and no environment reads in core/. A new edge that the
// plan does not allow fails here; move the code to the layer it belongs to instead.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const LAYERS = ['core', 'contract', 'config', 'lifecycle', 'fleet', 'notify', 'worker', 'api', 'cli', 'ui/src', 'bench'] as const;
type Layer = (typeof LAYERS)[number];

/** What each layer may import from the repository, besides itself (npm packages aside). */
const ALLOWED: Record<Layer, readonly string[]> = {
  core: ['contract'],
  contract: [],
  config: ['contract', 'core'],
  lifecycle: [],
  // the fleet's Redis records and run creation, shared by the API and the fleet worker
  fleet: ['contract'],
  // run events to webhooks: notify() for any emitter, delivery for the worker
  notify: ['contract', 'config'],
  worker: ['core', 'contract', 'config', 'lifecycle', 'fleet', 'notify'],
  api: ['core', 'contract', 'config', 'lifecycle', 'fleet', 'notify'],
  // `duckmig start|api|worker` run the other processes through their entry points only
  cli: ['core', 'contract', 'config', 'lifecycle', 'api/main.ts', 'worker/main.ts'],
  'ui/src': ['contract (type-only)', 'core/sql-lexer.ts'],
  // fleet-target measures what a fleet worker does with one target file: its openTarget(), the job's drift checks and a scan's
  bench: [
    'core',
    'contract',
    'config',
    'cli/remote/live-events.ts',
    'worker/fleet/target-file.ts',
    'worker/fleet/target-drift.ts',
    'worker/fleet/job-drift.ts',
    'worker/fleet/target-scan.ts',
    'test/support',
  ],
};

/** npm packages (bare specifiers) a layer may import; undefined: any. */
const PACKAGES: Partial<Record<Layer, (name: string) => boolean>> = {
  contract: (name) => name === 'zod',
  'ui/src': (name) => !name.startsWith('node:'),
};

interface Edge {
  from: string;
  specifier: string;
  /** repository path of the imported file, for relative specifiers */
  target: string | null;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return (readdirSync(join(root, dir), { recursive: true }) as string[])
    .map((name) => join(dir, name).split(sep).join('/'))
    .filter((path) => /\.(ts|svelte)$/.test(path) && !/\.test\.ts$/.test(path) && !path.includes('node_modules'));
}

const STATIC = /^\s*(import|export)\s+(type\s+)?([^;'"]*?)\s*from\s*['"]([^'"]+)['"]/gm;
const BARE = /^\s*import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function edgesOf(file: string): Edge[] {
  const text = readFileSync(join(root, file), 'utf8');
  const edge = (specifier: string, typeOnly: boolean): Edge => {
    let target: string | null = null;
    if (specifier.startsWith('.')) {
      target = normalize(join(dirname(file), specifier)).split(sep).join('/').replace(/\.js$/, '.ts');
    }
    return { from: file, specifier, target, typeOnly };
  };
  const edges: Edge[] = [];
  for (const m of text.matchAll(STATIC)) {
    const clause = m[3] ?? '';
    const named = /^\{([^}]*)\}$/.exec(clause.trim());
    const allNamedAreTypes =
      named !== null && named[1]!.split(',').filter((s) => s.trim() !== '').every((s) => /^\s*type\s/.test(s));
    edges.push(edge(m[4]!, m[2] !== undefined || allNamedAreTypes));
  }
  for (const m of text.matchAll(BARE)) edges.push(edge(m[1]!, false));
  for (const m of text.matchAll(DYNAMIC)) edges.push(edge(m[1]!, false));
  return edges;
}

const layerOf = (path: string): string => (path.startsWith('ui/src/') ? 'ui/src' : path.split('/')[0]!);

function allowed(layer: Layer, edge: Edge): boolean {
  if (edge.target === null) return PACKAGES[layer]?.(edge.specifier) ?? true;
  const targetLayer = layerOf(edge.target);
  if (targetLayer === layer) return true;
  return ALLOWED[layer].some((rule) => {
    if (rule.endsWith(' (type-only)')) return edge.typeOnly && targetLayer === rule.slice(0, -' (type-only)'.length);
    if (/\.(ts|svelte)$/.test(rule)) return edge.target === rule;
    return edge.target === rule || edge.target!.startsWith(`${rule}/`);
  });
}

const files = new Map(LAYERS.map((layer) => [layer, sourceFiles(layer)]));

describe('layers import only what the floor plan allows', () => {
  it.each(LAYERS)('%s', (layer) => {
    const files_ = files.get(layer)!;
    expect(files_.length).toBeGreaterThan(0);
    const violations = files_
      .flatMap(edgesOf)
      .filter((edge) => !allowed(layer, edge))
      .map((edge) => `${edge.from} imports ${edge.specifier}${edge.typeOnly ? ' (type)' : ''}`);
    expect(violations).toEqual([]);
  });

  it('nothing outside bench/ and tests imports bench/ or test/', () => {
    const violations = LAYERS.filter((layer) => layer !== 'bench')
      .flatMap((layer) => files.get(layer)!.flatMap(edgesOf))
      .filter((edge) => edge.target !== null && /^(bench|test)\//.test(edge.target))
      .map((edge) => `${edge.from} imports ${edge.specifier}`);
    expect(violations).toEqual([]);
  });

  it('core/ reads no environment variables (its callers pass settings in)', () => {
    const readers = files
      .get('core')!
      .filter((file) => /\bprocess\.env\b|\benv\b[^;]*from\s*['"]node:process['"]/.test(readFileSync(join(root, file), 'utf8')));
    expect(readers).toEqual([]);
  });
});

describe('core/ has no import cycles', () => {
  it('the graph of value imports inside core/ is acyclic', () => {
    const graph = new Map<string, string[]>();
    for (const file of files.get('core')!) {
      graph.set(
        file,
        edgesOf(file)
          .filter((edge) => !edge.typeOnly && edge.target?.startsWith('core/'))
          .map((edge) => edge.target!),
      );
    }
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('the parser sees the imports it checks', () => {
    // guards against a regex that silently matches nothing and lets every rule pass
    const runnerEdges = edgesOf('core/runner.ts').filter((edge) => edge.target?.startsWith('core/'));
    expect(runnerEdges.length).toBeGreaterThan(3);
    expect(edgesOf('ui/src/lib/types.ts')).toContainEqual(expect.objectContaining({ typeOnly: true, target: 'contract/index.ts' }));
  });
});
