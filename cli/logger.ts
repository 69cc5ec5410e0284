// The CLI's pino loggers: the commands' structured lines on stderr (stdout stays for
// results and --json), and the log of the services `duckmig start` runs in its process:
// readable lines (pino-pretty) on a terminal, pino JSON when stdout is not a terminal
// (CI, containers, log collectors).
import { pino, type Logger, type LoggerOptions } from 'pino';
import { PinoPretty } from 'pino-pretty';
import { cliLogLevel } from '../config/cli.js';

export function cliLogger(env: Readonly<Record<string, string | undefined>>): Logger {
  // an unknown LOG_LEVEL must not crash here: start/api/worker report it by name
  return pino({ level: cliLogLevel(env), base: { app: 'duckmig-cli' } }, pino.destination(2));
}

/** On stdout: pretty when `tty` (default: whether stdout is a terminal), JSON lines otherwise. */
export function serviceLogger(options: LoggerOptions, tty = process.stdout.isTTY === true): Logger {
  if (!tty) return pino(options);
  // synchronous, so lines keep their order with the command's own output
  return pino(options, PinoPretty({ destination: 1, sync: true, colorize: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,app' }));
}
