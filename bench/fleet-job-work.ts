// What a fleet worker's target job does with one file, without the queue, Redis or a log:
// open it sandboxed (openTarget), run its pending migrations under a fencing token with the
// job's drift checks (JobDrift: before applying, after, and kept once the file is closed),
// close it. Shared by the one-process target benchmark (fleet-target-bench.ts) and the fleet
// benchmark's loop of it in child processes (fleet-job-loop.ts), so both measure the job's
// own calls (worker/fleet/target-job.ts).
import pino from 'pino';
import { FileMigrationSource } from '../core/index.js';
import { JobDrift } from '../worker/fleet/job-drift.js';
import { DriftFindings, ExpectedSchemas, type MigrationFiles } from '../worker/fleet/target-drift.js';
import { openTarget, type TargetSettings } from '../worker/fleet/target-file.js';

export interface TargetWork {
  settings: TargetSettings;
  files: MigrationFiles;
  /** one worker's expected schemas and drift findings, kept across files */
  drift: { expectedSchemas: ExpectedSchemas; findings: DriftFindings };
  /** the job's work on one file: its open, run and close times (ms) */
  migrate(file: string): Promise<[number, number, number]>;
}

/** A target as a shard's discovery would list the file (its path as its id). */
export const targetOf = (file: string) => ({ id: file, file, path: file, labels: {} });

export function targetWork(migrationsDir: string, threads = 1): TargetWork {
  const settings: TargetSettings = { migrationsDir, threads, secrets: () => [], logger: pino({ level: 'silent' }), parsed: new Map() };
  const source = new FileMigrationSource(migrationsDir);
  const files = { migrationsId: 'bench', source };
  const drift = { expectedSchemas: new ExpectedSchemas(), findings: new DriftFindings() };
  const fence = { shard: 'bench', token: 1, held: () => true };
  return {
    settings,
    files,
    drift,
    async migrate(file) {
      const t0 = performance.now();
      const target = await openTarget(file, settings, source);
      const checks = new JobDrift(drift, targetOf(file), files);
      const t1 = performance.now();
      let t2 = t1;
      try {
        const result = await target.runner.run({ runId: 'bench', appliedBy: 'bench', fence, driftCheck: checks.before });
        if (result.status !== 'success') throw new Error(`duckmig's run on ${file}: ${result.status} ${result.error ?? ''}`);
        if ((await checks.after(target.runner, target.db.connection, result)) !== null) throw new Error(`duckmig's run on ${file}: drift not known after the run`);
      } finally {
        t2 = performance.now();
        const closing = await checks.closing(target.db);
        await target.db.close();
        checks.closed(closing);
      }
      return [t1 - t0, t2 - t1, performance.now() - t2];
    },
  };
}
