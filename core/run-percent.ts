// How far a run is, in percent, from its events: the share of its statements done, plus the
// running statement's own share once DuckDB reports progress for it; 100 when it succeeded.
// Followed statement by statement, each statement:done counts; run a file at a time, the
// file's statements count at its migration:done and migration:progress stands for the
// running statement. The worker puts it on each job progress; the CLI's local run draws
// its bar with it.
import type { RunnerEvent } from '../contract/index.js';

export class RunPercent {
  #total = 0;
  #done = 0;
  /** statements done before the running migration, and its own count */
  #migrationBase = 0;
  #migrationStatements = 0;

  /** feed every event of the run in order; returns the percent after it */
  next(event: RunnerEvent): number {
    if (event.type === 'run:start') {
      this.#total = event.totalStatements;
      this.#done = 0;
    } else if (event.type === 'migration:start') {
      this.#migrationBase = this.#done;
      this.#migrationStatements = event.statements;
    } else if (event.type === 'statement:done') {
      this.#done++;
    } else if (event.type === 'migration:done') {
      this.#done = this.#migrationBase + this.#migrationStatements;
    } else if (event.type === 'run:done' && (event.status === 'success' || event.status === 'nothing-to-do')) {
      return 100;
    }
    const within = event.type === 'statement:progress' || event.type === 'migration:progress' ? event.percent / 100 : 0;
    return this.#total === 0 ? 0 : Math.min(100, Math.round(((this.#done + within) / this.#total) * 1000) / 10);
  }
}
