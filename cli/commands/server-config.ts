// Configuration for `duckmig api` and `duckmig worker`: loads it from the environment and
// requires REDIS_URL; a bad or missing setting is printed and the command exits with usage.
import { ConfigError, redisUrlMissing } from '../../config/config-error.js';
import { stderr } from '../output.js';

/** The loaded configuration, or null after printing why it cannot be used. */
export function loadServerConfig<T extends { redisUrl: string | null }>(
  command: 'api' | 'worker',
  load: () => T,
): (T & { redisUrl: string }) | null {
  try {
    const config = load();
    if (!config.redisUrl) throw redisUrlMissing(command === 'api' ? 'the API' : 'the worker');
    return config as T & { redisUrl: string };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    stderr.write(`duckmig ${command}: ${err.message}\n`);
    return null;
  }
}
