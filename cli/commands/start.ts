// `duckmig start` (what `npm start` runs): everything on one machine in one command. A
// managed redis-server when REDIS_URL is unset, the worker (the only code that opens the
// DuckDB file) and the API with the admin UI, sharing this process. Prints the URL and
// where the admin token is; logs are readable lines on a terminal, JSON lines otherwise.
// Shutdown (SIGINT or SIGTERM): the worker first (the migration in progress finishes),
// then the API, then the managed Redis (its append-only file flushed).
import type { Logger } from 'pino';
import { startApi, type RunningApi } from '../../api/main.js';
import { loadApiConfig, type ApiConfig } from '../../config/api.js';
import { ConfigError } from '../../config/config-error.js';
import { loadWorkerConfig, type WorkerConfig } from '../../config/worker.js';
import { teardown } from '../../lifecycle/teardown.js';
import { startWorker, type WorkerHandle } from '../../worker/main.js';
import { parse } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { serviceLogger } from '../logger.js';
import { startManagedRedis, type ManagedRedis } from '../managed-redis.js';
import { stderr, stdout, type Out } from '../output.js';
import { abortStartOnSignal, exitSoon, untilShutdown } from '../shutdown.js';
import type { CommandContext } from './types.js';

export { startUsage as usage } from './server-usage.js';

/** The API's close() waits at most 2 s per step; the managed Redis is killed after 10 s. */
const SERVICE_CLOSE_MS = 15_000;

interface Services {
  redis?: ManagedRedis;
  worker?: WorkerHandle;
  api?: RunningApi;
}

export async function startCommand(argv: string[], ctx: CommandContext, _out: Out): Promise<number> {
  parse(argv, { help: { type: 'boolean', short: 'h', default: false } });
  const configs = loadConfigs(ctx.env);
  if ('problems' in configs) {
    stderr.write(`duckmig start: invalid configuration:\n  - ${configs.problems.join('\n  - ')}\n`);
    return EXIT.usage;
  }

  const logger = serviceLogger({ level: configs.worker.logLevel, base: { app: 'duckmig', pid: process.pid } });
  const services: Services = {};
  const close = teardown(
    [
      // no limit: the migration in progress finishes (the worker bounds the rest of its close)
      { name: 'worker', limitMs: Infinity, run: () => services.worker?.close() },
      { name: 'api', limitMs: SERVICE_CLOSE_MS, run: () => services.api?.close() },
      { name: 'managed redis', limitMs: SERVICE_CLOSE_MS, run: () => services.redis?.stop() },
    ],
    { logger, what: 'duckmig' },
  );

  const starting = abortStartOnSignal();
  try {
    await startServices(configs, services, logger, starting.signal);
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
  announce(services);

  const code = await untilShutdown({
    logger,
    close: async () => void (await close()),
    escalate: () => services.worker?.cancelActive('cancelled: duckmig was asked twice to shut down'),
  });
  exitSoon(code);
  return code;
}

/** Both services' configuration, or every problem found in either. */
function loadConfigs(env: NodeJS.ProcessEnv): { api: ApiConfig; worker: WorkerConfig } | { problems: string[] } {
  const problems: string[] = [];
  let api: ApiConfig | undefined;
  let worker: WorkerConfig | undefined;
  try {
    api = loadApiConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  try {
    worker = loadWorkerConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems.filter((p) => !problems.includes(p)));
  }
  return api && worker && problems.length === 0 ? { api, worker } : { problems };
}

/** Managed Redis (unless REDIS_URL is set), then the worker, then the API; `services` holds whatever started. */
async function startServices(configs: { api: ApiConfig; worker: WorkerConfig }, services: Services, logger: Logger, signal: AbortSignal): Promise<void> {
  const { worker: workerConfig, api: apiConfig } = configs;
  if (!workerConfig.redisUrl) {
    services.redis = await startManagedRedis({ dataDir: workerConfig.dataDir, logger: logger.child({ component: 'redis' }) });
  }
  const redisUrl = services.redis?.url ?? workerConfig.redisUrl!;
  signal.throwIfAborted();
  services.worker = await startWorker({ ...workerConfig, redisUrl }, logger, { signal });
  signal.throwIfAborted();
  services.api = await startApi({ ...apiConfig, redisUrl, dataDir: workerConfig.dataDir }, logger.child({ component: 'api' }), {
    print: (line) => stdout.write(`${line}\n`),
  });
}

function announce({ api, redis }: Services): void {
  if (!api) return;
  stdout.write(`duckmig: running at ${api.url}  (admin UI: ${api.url}/, API: ${api.url}/api/v1, docs: ${api.url}/api/docs)\n`);
  if (api.tokenFile) stdout.write(`duckmig: sign in with the admin token stored in ${api.tokenFile}\n`);
  stdout.write(`duckmig: Redis ${redis ? `managed at ${redis.location}, password-protected (data in ${redis.dir})` : 'from REDIS_URL'}; stop with Ctrl-C\n`);
}
