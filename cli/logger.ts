// The CLI's pino logger: structured lines on stderr (stdout stays for results and --json).
import { pino, type Logger } from 'pino';

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export function cliLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  // an unknown LOG_LEVEL must not crash here: start/api/worker report it by name
  const wanted = env.LOG_LEVEL?.trim().toLowerCase();
  const level = wanted && LEVELS.has(wanted) ? wanted : 'warn';
  return pino({ level, base: { app: 'duckmig-cli' } }, pino.destination(2));
}
