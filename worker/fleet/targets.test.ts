// Specification of target discovery: a glob's targets are named by their path below the
// glob's fixed directory without `.duckdb` (dot directories, such as the restore points',
// and WAL files are not targets); a manifest names its targets and labels, paths relative
// to the manifest; ids the contract refuses and repeated ids are reported, not served.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { discoverTargets } from './targets.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function touch(...paths: string[]) {
  for (const path of paths) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), '');
  }
}

describe('target discovery', () => {
  it('by glob: ids are paths below the fixed directory without .duckdb, sorted', async () => {
    dir = mkdtempSync(join(tmpdir(), 'duckmig-targets-'));
    touch('data/tenants/eu/acme.duckdb', 'data/tenants/us/initech.duckdb', 'data/tenants/globex.duckdb', 'data/tenants/globex.duckdb.wal', 'data/tenants/.duckmig/restore-points/globex/rp-1.duckdb', 'data/tenants/bad name.duckdb');
    const found = await discoverTargets({ glob: 'data/tenants/**/*.duckdb' }, dir);
    expect(found.root).toBe(join(dir, 'data/tenants'));
    expect(found.targets.map((t) => [t.id, t.path])).toEqual([
      ['eu/acme', 'eu/acme.duckdb'],
      ['globex', 'globex.duckdb'],
      ['us/initech', 'us/initech.duckdb'],
    ]);
    expect(found.targets[0]!.file).toBe(join(dir, 'data/tenants/eu/acme.duckdb'));
    expect(found.problems).toEqual([expect.stringContaining('"bad name"')]);
  });

  it('by manifest: ids, labels and paths relative to the manifest; a repeated id counts once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'duckmig-targets-'));
    writeFileSync(
      join(dir, 'targets.json'),
      JSON.stringify([
        { id: 'zeta', path: 'files/z.duckdb', labels: { tier: 'gold', region: 'eu' } },
        { id: 'alpha', path: 'files/a.duckdb' },
        { id: 'alpha', path: 'files/other.duckdb' },
      ]),
    );
    const found = await discoverTargets({ manifest: 'targets.json' }, dir);
    expect(found.targets).toEqual([
      { id: 'alpha', file: join(dir, 'files/a.duckdb'), path: 'files/a.duckdb', labels: {} },
      { id: 'zeta', file: join(dir, 'files/z.duckdb'), path: 'files/z.duckdb', labels: { tier: 'gold', region: 'eu' } },
    ]);
    expect(found.problems).toEqual([expect.stringContaining('"alpha" is listed twice')]);
  });

  it('refuses a manifest whose entries the contract refuses', async () => {
    dir = mkdtempSync(join(tmpdir(), 'duckmig-targets-'));
    writeFileSync(join(dir, 'targets.json'), JSON.stringify([{ id: '../escape', path: 'x.duckdb' }]));
    await expect(discoverTargets({ manifest: 'targets.json' }, dir)).rejects.toThrow(/not a valid manifest/);
  });
});
