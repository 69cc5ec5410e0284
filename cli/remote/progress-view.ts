// How a followed job's progress is shown: on a terminal, one progress bar redrawn in
// place (percent, current migration and statement) with a permanent line per finished
// migration; elsewhere (CI logs, pipes) plain lines, one per step, never redrawn.
import type { JobProgress, JobView } from '../../contract/index.js';
import { progressLines, type Out } from '../output.js';

export interface ProgressView {
  state(state: JobView['state']): void;
  progress(progress: JobProgress): void;
  /** clears the bar before the summary is printed */
  done(): void;
}

const pad3 = (n: number) => String(n).padStart(3, '0');

export function bar(percent: number, width = 24): string {
  const filled = Math.round((Math.max(0, Math.min(100, percent)) / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent.toFixed(0).padStart(3)}%`;
}

export function createProgressView(out: Out, options: { tty: boolean; columns?: number }): ProgressView {
  const lines = progressLines(out);
  if (!options.tty) {
    return {
      state: (state) => out.write(`job ${state}\n`),
      progress: ({ event }) => lines(event),
      done: () => undefined,
    };
  }

  const columns = options.columns ?? 80;
  let current = '';
  let drawn = false;
  // the cursor sequences are the view's own; the text (names, SQL summaries) goes through write
  const eraseLine = () => (out.control ? out.control('\r\x1b[2K') : out.write('\r\x1b[2K'));
  const draw = (text: string) => {
    eraseLine();
    out.write(text.slice(0, columns - 1));
    drawn = true;
  };
  const clear = () => {
    if (drawn) eraseLine();
    drawn = false;
  };
  return {
    state(state) {
      if (state === 'waiting' || state === 'delayed' || state === 'prioritized') draw(`${bar(0)} waiting for the worker…`);
      if (state === 'active' && !current) draw(`${bar(0)} started`);
    },
    progress({ event, percent }) {
      switch (event.type) {
        case 'migration:start':
          current = `${pad3(event.version)}_${event.name} (${event.index + 1}/${event.total})`;
          draw(`${bar(percent)} ${current}`);
          break;
        case 'statement:done':
          draw(`${bar(percent)} ${current} statement ${event.statementIndex + 1}/${event.statementCount}: ${event.summary}`);
          break;
        case 'migration:done':
        case 'migration:failed':
        case 'run:start':
          clear();
          lines(event);
          if (event.type !== 'run:start') current = '';
          draw(`${bar(percent)} ${current}`);
          break;
        case 'run:done':
          clear();
          break;
      }
    },
    done: clear,
  };
}
