// Vitest global setup: asks once per run whether a container engine answers, so that
// test/support/redis.ts need not load testcontainers in every test file only to learn
// that none does (over a CPU-second per file). With no engine it sets
// DUCKMIG_TEST_NO_CONTAINERS, which the test files' processes inherit.
export default async function probeContainerEngine(): Promise<void> {
  if (process.env.DUCKMIG_TEST_NO_CONTAINERS) return;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
  } catch {
    process.env.DUCKMIG_TEST_NO_CONTAINERS = '1';
  }
}
