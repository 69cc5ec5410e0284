// Vitest sequencer: the files known to take longest start first. With two workers the run
// ends when its last file does; vitest orders files it has no timings for (all of them in
// a fresh checkout, as in CI) by size, which could start a minute-and-a-half file last.
// The rest keep vitest's own order (failed first, then longest, from its results cache).
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** slowest first, as measured on a 2-core machine */
const LONGEST = [
  'test/e2e/ui.e2e.test.ts',
  'test/integration/fleet-scale.test.ts',
  'test/integration/redis-topologies.test.ts',
  'test/integration/fleet-runs.test.ts',
  'test/integration/crash-trials.test.ts',
  'test/corpus/corpus.test.ts',
  'cli/cli.test.ts',
  'core/restore-safety.test.ts',
  'test/integration/cli-remote.test.ts',
  'test/e2e/fleet.e2e.test.ts',
  'test/integration/worker-resilience.test.ts',
];

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const at = LONGEST.indexOf(relative(spec.project.config.root, spec.moduleId));
      return at < 0 ? LONGEST.length : at;
    };
    // a stable sort: files outside the list keep vitest's order
    return sorted.map((spec, i) => ({ spec, i, r: rank(spec) })).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.spec);
  }
}
