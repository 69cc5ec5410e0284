// The CLI's pino logger: structured lines on stderr (stdout stays for results and --json).
import { pino, type Logger } from 'pino';
import { checkLogLevel } from '../config/env.js';

export function cliLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  // an unknown LOG_LEVEL must not crash here: start/api/worker report it by name
  const level = checkLogLevel(env.LOG_LEVEL, [], 'warn');
  return pino({ level, base: { app: 'duckmig-cli' } }, pino.destination(2));
}
