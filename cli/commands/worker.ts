// `duckmig worker`: the process that owns the DuckDB file and runs migration jobs from
// the queue (real deployments run it next to `duckmig api`). Configured by the
// environment (DUCKMIG_DB, DUCKMIG_MIGRATIONS, REDIS_URL, LOG_LEVEL, …); logs pino JSON
// on stdout. Ends on SIGTERM/SIGINT after the migration in progress, with DuckDB closed.
// With DUCKMIG_DATABASES or DUCKMIG_FLEET_MANIFEST set it is a fleet worker instead
// (docs/fleet.md): it serves a shard of target files, and ends after its target jobs in flight.
import { pino } from 'pino';
import { loadWorkerConfig } from '../../config/worker.js';
import { startFleetWorker, startWorker } from '../../worker/main.js';
import { parse } from '../args.js';
import { EXIT } from '../exit-codes.js';
import type { Out } from '../output.js';
import { abortStartOnSignal, exitSoon, untilShutdown } from '../shutdown.js';
import { loadServerConfig } from './server-config.js';
import type { CommandContext } from './types.js';

export { workerUsage as usage } from './server-usage.js';

export async function workerCommand(argv: string[], ctx: CommandContext, _out: Out): Promise<number> {
  parse(argv, { help: { type: 'boolean', short: 'h', default: false } });
  const config = loadServerConfig('worker', () => loadWorkerConfig(ctx.env));
  if (!config) return EXIT.usage;
  const logger = pino({ level: config.logLevel, base: { app: 'duckmig-worker', pid: process.pid } });
  const starting = abortStartOnSignal();
  let worker;
  try {
    worker = config.fleet ? await startFleetWorker(config, logger) : await startWorker(config, logger, { signal: starting.signal });
  } catch (err) {
    if (!starting.signal.aborted) throw err;
    logger.info({ event: 'worker:start-aborted' }, (err as Error).message);
    return EXIT.ok;
  } finally {
    starting.dispose();
  }
  const code = await untilShutdown({
    logger,
    close: () => worker.close(),
    escalate: () => worker.cancelActive('cancelled: the worker was asked twice to shut down'),
  });
  exitSoon(code);
  return code;
}
