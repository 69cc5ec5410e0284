// How the long-running commands (start, api, worker) end: the first SIGTERM/SIGINT asks
// for a graceful close (the migration in progress finishes), a second one escalates
// (the worker cancels that migration, which rolls back), a third exits at once. A crash
// (uncaught exception, unhandled rejection) still closes everything before exiting 1,
// so DuckDB is closed on every exit path. Resolves with the exit code.
import type { Logger } from 'pino';

export interface ShutdownOptions {
  logger: Logger;
  /** closes everything; must be idempotent */
  close: () => Promise<void>;
  /** a second signal while closing: make it faster (cancel the running migration) */
  escalate?: () => void;
}

export function untilShutdown({ logger, close, escalate }: ShutdownOptions): Promise<number> {
  return new Promise<number>((resolve) => {
    let signals = 0;
    let exitCode = 0;
    let finishing: Promise<void> | null = null;

    const finish = (code: number) => {
      exitCode = Math.max(exitCode, code);
      finishing ??= close()
        .catch((err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          exitCode = Math.max(exitCode, 1);
        })
        .finally(() => {
          for (const name of ['SIGTERM', 'SIGINT'] as const) process.off(name, onSignal);
          process.off('uncaughtException', onCrash);
          process.off('unhandledRejection', onCrash);
          resolve(exitCode);
        });
    };

    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals === 1) {
        logger.info({ event: 'shutdown', signal }, `${signal}: shutting down (a migration in progress finishes first; send ${signal} again to cancel it)`);
        finish(0);
      } else if (signals === 2 && escalate) {
        logger.warn({ event: 'shutdown:escalate', signal }, `${signal} again: cancelling the migration in progress (it rolls back)`);
        escalate();
      } else {
        logger.error({ event: 'shutdown:forced', signal }, `${signal}: exiting now`);
        process.exit(130);
      }
    };

    const onCrash = (err: unknown) => {
      logger.fatal({ err, event: 'crash' }, 'unexpected error: closing down');
      finish(1);
    };

    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
  });
}

/** After a clean close the loop should drain; if a stray handle keeps it alive, exit anyway. */
export function exitSoon(code: number, graceMs = 2_000): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), graceMs).unref();
}

/**
 * While a service is still starting (waiting for Redis, say), SIGTERM/SIGINT abort the
 * start instead of killing the process, so what was opened (DuckDB) is closed first.
 */
export function abortStartOnSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => controller.abort(new Error(`${name} received while starting; nothing was left open`));
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}
