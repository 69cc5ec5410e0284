// The CLI's pino logger: structured lines on stderr (stdout stays for results and --json).
import { pino, type Logger } from 'pino';

export function cliLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  return pino({ level: env.LOG_LEVEL ?? 'warn', base: { app: 'duckmig-cli' } }, pino.destination(2));
}
