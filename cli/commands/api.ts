// `duckmig api`: the HTTP API process (real deployments run it next to `duckmig worker`,
// any number of instances behind a load balancer). Configured by the environment (PORT,
// HOST, REDIS_URL, DUCKMIG_TOKENS, DUCKMIG_DATA_DIR, LOG_LEVEL); never opens DuckDB.
import { pino } from 'pino';
import { loadApiConfig } from '../../config/api.js';
import { startApi } from '../../api/main.js';
import { parse } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { stdout, type Out } from '../output.js';
import { exitSoon, untilShutdown } from '../shutdown.js';
import { loadServerConfig } from './server-config.js';
import type { CommandContext } from './types.js';

export { apiUsage as usage } from './server-usage.js';

export async function apiCommand(argv: string[], ctx: CommandContext, _out: Out): Promise<number> {
  parse(argv, { help: { type: 'boolean', short: 'h', default: false } });
  const config = loadServerConfig('api', () => loadApiConfig(ctx.env));
  if (!config) return EXIT.usage;
  const logger = pino({ level: config.logLevel, base: { app: 'duckmig-api', pid: process.pid } });
  const api = await startApi(config, logger, { print: (line) => stdout.write(`${line}\n`) });
  logger.info({ event: 'api:ready', url: api.url }, `duckmig API listening on ${api.url}`);
  const code = await untilShutdown({ logger, close: () => api.close() });
  exitSoon(code);
  return code;
}
