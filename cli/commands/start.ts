// `duckmig start` (what `npm start` runs): everything on one machine in one command. A
// managed redis-server when REDIS_URL is unset, the worker (the only code that opens the
// DuckDB file) and the API with the admin UI, sharing this process. Prints the URL and
// where the admin token is. Shutdown: the worker first (the migration in progress
// finishes), then the API, then the managed Redis (its append-only file flushed).
import { pino } from 'pino';
import { loadApiConfig } from '../../config/api.js';
import { ConfigError } from '../../config/config-error.js';
import { loadWorkerConfig } from '../../config/worker.js';
import { startApi } from '../../api/main.js';
import { startWorker, type WorkerHandle } from '../../worker/main.js';
import { parse } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { startManagedRedis, type ManagedRedis } from '../managed-redis.js';
import { stderr, stdout, type Out } from '../output.js';
import { abortStartOnSignal, exitSoon, untilShutdown } from '../shutdown.js';
import type { CommandContext } from './types.js';

export { startUsage as usage } from './server-usage.js';

export async function startCommand(argv: string[], ctx: CommandContext, _out: Out): Promise<number> {
  parse(argv, { help: { type: 'boolean', short: 'h', default: false } });
  const problems: string[] = [];
  let apiConfig;
  let workerConfig;
  try {
    apiConfig = loadApiConfig(ctx.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  try {
    workerConfig = loadWorkerConfig(ctx.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems.filter((p) => !problems.includes(p)));
  }
  if (!apiConfig || !workerConfig || problems.length > 0) {
    stderr.write(`duckmig start: invalid configuration:\n  - ${problems.join('\n  - ')}\n`);
    return EXIT.usage;
  }

  const logger = pino({ level: workerConfig.logLevel, base: { app: 'duckmig', pid: process.pid } });
  let redis: ManagedRedis | null = null;
  let worker: WorkerHandle | null = null;
  let api: { url: string; tokenFile: string | null; close(): Promise<void> } | null = null;
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      // each step guarded: whatever fails, the later ones (and DuckDB's close) still run
      for (const step of [() => worker?.close(), () => api?.close(), () => redis?.stop()]) {
        try {
          await step();
        } catch (err) {
          logger.error({ err }, 'shutdown step failed');
        }
      }
    })());

  const starting = abortStartOnSignal();
  try {
    if (!workerConfig.redisUrl) {
      redis = await startManagedRedis({ dataDir: workerConfig.dataDir, logger: logger.child({ component: 'redis' }) });
    }
    const redisUrl = redis?.url ?? workerConfig.redisUrl!;
    starting.signal.throwIfAborted();
    worker = await startWorker({ ...workerConfig, redisUrl }, logger, { signal: starting.signal });
    starting.signal.throwIfAborted();
    api = await startApi({ ...apiConfig, redisUrl, dataDir: workerConfig.dataDir }, logger.child({ component: 'api' }), {
      print: (line) => stdout.write(`${line}\n`),
    });
  } catch (err) {
    await close();
    if (starting.signal.aborted) {
      logger.info({ event: 'start-aborted' }, (err as Error).message);
      return EXIT.ok;
    }
    throw err;
  } finally {
    starting.dispose();
  }

  stdout.write(`duckmig: running at ${api.url}  (admin UI: ${api.url}/, API: ${api.url}/api/v1, docs: ${api.url}/api/docs)\n`);
  if (api.tokenFile) stdout.write(`duckmig: sign in with the admin token stored in ${api.tokenFile}\n`);
  stdout.write(`duckmig: Redis ${redis ? `managed at ${redis.location}, password-protected (data in ${redis.dir})` : 'from REDIS_URL'}; stop with Ctrl-C\n`);

  const code = await untilShutdown({
    logger,
    close,
    escalate: () => worker?.cancelActive('cancelled: duckmig was asked twice to shut down'),
  });
  exitSoon(code);
  return code;
}
