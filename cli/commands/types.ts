// What every CLI command receives besides its own argv.
import type { Logger } from 'pino';

export interface CommandContext {
  logger: Logger;
  env: NodeJS.ProcessEnv;
}
