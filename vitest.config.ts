// Test configuration: real DuckDB files and real Redis servers, so files run in forks
// and generous timeouts cover process start-up on a 2-core machine.
import { defineConfig } from 'vitest/config';
import LongestFirst from './test/support/longest-first.js';

export default defineConfig({
  test: {
    include: ['{api,worker,core,cli,contract,config,lifecycle,fleet,notify,test}/**/*.test.ts', 'ui/src/**/*.test.ts'],
    pool: 'forks',
    // files share their fork's module cache instead of a fresh process each: no test mocks a
    // module or changes process.env, and loading the product's modules (DuckDB's binding,
    // zod schemas, BullMQ) once per fork instead of once per file halves the suite's time
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    // the suite runs many workers, redis-servers and browsers beside two forks on two cores: a
    // worker's DuckDB at its default lowered priority (DUCKMIG_DUCKDB_NICE) would wait behind
    // other files' work while its own test waits for it. The test of that priority sets it.
    env: { DUCKMIG_DUCKDB_NICE: '0' },
    reporters: ['default', './test/support/summary-reporter.ts'],
    globalSetup: ['./test/support/container-probe.ts'],
    sequence: { sequencer: LongestFirst },
  },
});
