// The CLI's pino logger: structured lines on stderr (stdout stays for results and --json).
import { pino, type Logger } from 'pino';
import { cliLogLevel } from '../config/cli.js';

export function cliLogger(env: Readonly<Record<string, string | undefined>>): Logger {
  // an unknown LOG_LEVEL must not crash here: start/api/worker report it by name
  return pino({ level: cliLogLevel(env), base: { app: 'duckmig-cli' } }, pino.destination(2));
}
