// What every CLI command receives besides its own argv.
import type { Logger } from 'pino';

export interface CommandContext {
  logger: Logger;
  /** the environment, read only through config/ */
  env: Readonly<Record<string, string | undefined>>;
}
