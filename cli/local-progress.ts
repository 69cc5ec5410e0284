// What a local run or rehearsal shows while it works: on a terminal the same redrawn bar as
// a followed job (on stderr, so stdout keeps the summary), fed straight from the runner's
// events; elsewhere the plain progress lines on `out`.
import type { RunnerEvent } from '../contract/index.js';
import { RunPercent } from '../core/index.js';
import { progressLines, stderr, type Out } from './output.js';
import { createProgressView } from './remote/progress-view.js';

export interface LocalProgress {
  onEvent(event: RunnerEvent): void;
  /** clears the bar before the summary is printed */
  done(): void;
}

export function localProgress(out: Out, terminal: { tty: boolean; columns?: number } = { tty: Boolean(process.stderr.isTTY), columns: process.stderr.columns }): LocalProgress {
  if (!terminal.tty) return { onEvent: progressLines(out), done: () => undefined };
  const view = createProgressView(stderr, terminal);
  const percent = new RunPercent();
  let seq = 0;
  return {
    onEvent: (event) => view.progress({ seq: seq++, percent: percent.next(event), at: new Date().toISOString(), event }),
    done: () => view.done(),
  };
}
