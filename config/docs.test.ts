// Specification of the configuration reference: the variable tables in docs/configuration.md
// and the README are exactly what the schema produces (npm run docs:config), and they
// document exactly the variables duckmig reads, so none can silently disappear.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOCUMENTS, withGeneratedTables } from './docs.js';

const ROOT = resolve(import.meta.dirname, '..');
const read = (file: string) => readFileSync(resolve(ROOT, file), 'utf8');

/** The variables named in the first column of the generated tables of `text`. */
function documentedVariables(text: string, blocks: RegExp = /<!-- variables:([a-z]+)[^>]*-->([\s\S]*?)<!-- \/variables:\1 -->/g): string[] {
  return [...text.matchAll(blocks)].flatMap((m) => [...m[2]!.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((row) => row[1]!));
}

// written from the product's behaviour, not read from the schema
const EXPECTED = [
  'DUCKMIG_WEBHOOKS',
  'DUCKMIG_WEBHOOK_SECRET',
  'DUCKMIG_WEBHOOK_TIMEOUT_MS',
  'DUCKMIG_MAINTENANCE_WINDOW',
  'DUCKMIG_WINDOW_POLICY',
  'PORT',
  'HOST',
  'DUCKMIG_DB',
  'DUCKMIG_MIGRATIONS',
  'DUCKMIG_MAX_FILE_BYTES',
  'DUCKMIG_ALLOWED_PATHS',
  'DUCKMIG_DUCKDB_THREADS',
  'DUCKMIG_DUCKDB_NICE',
  'DUCKMIG_DRIFT_CHECK_MS',
  'DUCKMIG_DATA_DIR',
  'DUCKMIG_TOKENS',
  'REDIS_URL',
  'LOG_LEVEL',
  'DUCKMIG_RATE_LIMIT',
  'DUCKMIG_AUTH_FAILURE_LIMIT',
  'DUCKMIG_ALLOWED_ORIGINS',
  'DUCKMIG_TRUST_PROXY',
  'DUCKMIG_APPROVALS',
  'DUCKMIG_STATUS_CACHE_MS',
  'DUCKMIG_RESTORE_POINTS',
  'DUCKMIG_RESTORE_DIR',
  'DUCKMIG_RESTORE_KEEP',
  'DUCKMIG_RESTORE_MAX_MB',
  'DUCKMIG_LOCK_DURATION_MS',
  'DUCKMIG_STALLED_INTERVAL_MS',
  'DUCKMIG_CHECKPOINT',
  'DUCKMIG_DATABASES',
  'DUCKMIG_FLEET_MANIFEST',
  'DUCKMIG_SHARD',
  'DUCKMIG_WORKER_ID',
  'DUCKMIG_FLEET_CONCURRENCY',
  'DUCKMIG_LEASE_TTL_MS',
  'DUCKMIG_FLEET_SCAN_MS',
  'DUCKMIG_FLEET_OFFLINE_AFTER_MS',
  'DUCKMIG_API',
  'DUCKMIG_TOKEN',
  'DUCKMIG_USER',
  'DUCKMIG_LOCK_RETRIES',
  'NODE_ENV',
  'DUCKMIG_TEST_RESTORE_SIGNAL',
];

describe('the configuration reference', () => {
  it.each(DOCUMENTS)('%s holds the tables the schema produces (run npm run docs:config after changing it)', (file) => {
    const committed = read(file);
    expect(committed).toContain('<!-- variables:');
    expect(withGeneratedTables(committed)).toBe(committed);
  });

  it('docs/configuration.md documents exactly the variables duckmig reads, each once', () => {
    const documented = documentedVariables(read('docs/configuration.md'));
    expect([...documented].sort()).toEqual([...EXPECTED].sort());
  });

  it("the README's table lists the service variables", () => {
    const documented = documentedVariables(read('README.md'));
    expect(documented).toEqual(expect.arrayContaining(['PORT', 'HOST', 'DUCKMIG_DB', 'DUCKMIG_MIGRATIONS', 'REDIS_URL', 'DUCKMIG_TOKENS', 'LOG_LEVEL']));
    expect(documented.every((name) => EXPECTED.includes(name))).toBe(true);
  });

  it('a marker without a table in the schema is refused rather than left stale', () => {
    expect(() => withGeneratedTables('<!-- variables:nosuch -->\n<!-- /variables:nosuch -->')).toThrow(/nosuch/);
  });
});
