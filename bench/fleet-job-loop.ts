// A child process of the fleet benchmark (started by fleet-floor.ts startJobLoop): a fleet
// worker's target job on each file it is given (fleet-job-work.ts), `concurrency` files at a
// time in plain async lanes, with no queue, lease or Redis. Beside the fleet run at the same
// parallelism, it tells what the fleet's coordination costs over the job's own work.
import { targetWork } from './fleet-job-work.js';

const work = targetWork(process.env.JOB_LOOP_MIGRATIONS!, Number(process.env.FLOOR_THREADS ?? 1));

process.on('message', (message: { files: string[]; concurrency: number }) => {
  void (async () => {
    const { files, concurrency } = message;
    let next = 0;
    let applied = 0;
    const errors: string[] = [];
    const lane = async () => {
      while (next < files.length) {
        const file = files[next++]!;
        try {
          await work.migrate(file);
          applied++;
        } catch (err) {
          errors.push(`${file}: ${(err as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    process.send!({ applied, errors: errors.slice(0, 3) });
  })();
});
process.send!('ready');
