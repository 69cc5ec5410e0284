// Keeps the published status current while the worker is idle: when a file in the
// migrations directory is added, edited or removed, the snapshot is republished (after
// the job in progress, if any), so the API's pending list shows new files without
// waiting for the next job. Fail-soft: a directory that cannot be watched is logged once.
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';

export interface MigrationsWatch {
  close(): void;
}

export function watchMigrations(dir: string, onChange: () => void, logger: Logger, debounceMs = 250): MigrationsWatch {
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, { persistent: false }, () => {
      clearTimeout(timer);
      timer = setTimeout(onChange, debounceMs);
      timer.unref();
    });
    watcher.on('error', (err) => {
      logger.warn({ err, dir }, 'stopped watching the migrations directory; the status refreshes after each job');
      watcher?.close();
    });
  } catch (err) {
    logger.warn({ err, dir }, 'cannot watch the migrations directory; the status refreshes after each job');
  }
  return {
    close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
