// How a followed job's progress is shown: on a terminal, one progress bar redrawn in
// place with a permanent line per finished migration. The bar names what runs now: the
// running statement with its elapsed time (and DuckDB's percent and time left for a long
// one), or the phase (committing…, checkpointing…, copying…); it is redrawn every second
// so the elapsed time moves. Elsewhere (CI logs, pipes) plain lines, never redrawn.
import type { JobProgress, JobView, RunPhaseName } from '../../contract/index.js';
import { progressLines, seconds, statementProgressText, type Out } from '../output.js';

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

const PHASE_TEXT: Record<RunPhaseName, string> = {
  committing: 'committing…',
  checkpointing: 'checkpointing…',
  'restore-point': 'taking a restore point…',
  copying: 'copying the restore point…',
  swapping: 'swapping the database file…',
  recording: 'recording the restore…',
};

/** how often the bar is redrawn while something runs, so its elapsed time moves */
const TICK_MS = 1000;

export function createProgressView(out: Out, options: { tty: boolean; columns?: number; now?: () => number }): ProgressView {
  const lines = progressLines(out);
  if (!options.tty) {
    return {
      state: (state) => out.write(`job ${state}\n`),
      progress: ({ event }) => lines(event),
      done: () => undefined,
    };
  }

  const columns = options.columns ?? 80;
  const now = options.now ?? (() => performance.now());
  let current = '';
  let percent = 0;
  /** what runs now, after the migration's name; `since` makes its elapsed time */
  let step: { text: (elapsedMs: number) => string; since: number } | null = null;
  /** the running statement's summary, shown after its progress */
  let summary = '';
  let ticker: NodeJS.Timeout | undefined;
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
  const drawStep = () => draw(`${bar(percent)} ${current}${step ? ` ${step.text(now() - step.since)}` : ''}`);
  const running = (text: (elapsedMs: number) => string, since = now()) => {
    step = { text, since };
    ticker ??= setInterval(drawStep, TICK_MS);
    ticker.unref?.();
    drawStep();
  };
  /** the phase under way and when it began */
  let phaseStarted: { phase: RunPhaseName; since: number } | null = null;
  const stopTicker = () => {
    clearInterval(ticker);
    ticker = undefined;
    step = null;
  };
  return {
    state(state) {
      if (state === 'waiting' || state === 'delayed' || state === 'prioritized') draw(`${bar(0)} waiting for the worker…`);
      if (state === 'active' && !current) draw(`${bar(0)} started`);
    },
    progress(progress) {
      const { event } = progress;
      percent = progress.percent;
      if (event.type !== 'phase') phaseStarted = null;
      switch (event.type) {
        case 'migration:start':
          current = `${pad3(event.version)}_${event.name} (${event.index + 1}/${event.total})`;
          stopTicker();
          // the file's elapsed time, until a statement or a phase names what runs
          running((elapsedMs) => seconds(elapsedMs));
          break;
        case 'migration:progress':
          // the file runs as one call: DuckDB's progress of its running statement
          running((elapsedMs) => {
            const etaMs = event.etaMs === undefined ? undefined : Math.max(0, event.etaMs - (elapsedMs - event.elapsedMs));
            return `running statement · ${statementProgressText({ ...event, elapsedMs, etaMs })}`;
          }, now() - event.elapsedMs);
          break;
        case 'statement:start': {
          const which = `statement ${event.statementIndex + 1}/${event.statementCount}`;
          summary = event.summary;
          running((elapsedMs) => `${which} · ${seconds(elapsedMs)}: ${summary}`);
          break;
        }
        case 'statement:progress': {
          const which = `statement ${event.statementIndex + 1}/${event.statementCount}`;
          // elapsed time from the sample, moved on (and the time left counted down) by the ticker
          running((elapsedMs) => {
            const etaMs = event.etaMs === undefined ? undefined : Math.max(0, event.etaMs - (elapsedMs - event.elapsedMs));
            return `${which} · ${statementProgressText({ ...event, elapsedMs, etaMs })}${summary ? `: ${summary}` : ''}`;
          }, now() - event.elapsedMs);
          break;
        }
        case 'statement:done':
          stopTicker();
          draw(`${bar(percent)} ${current} statement ${event.statementIndex + 1}/${event.statementCount} done: ${event.summary}`);
          break;
        case 'phase': {
          const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
          const { bytes, bytesDone } = event;
          const size =
            bytesDone === undefined
              ? bytes === undefined
                ? ''
                : ` (${mib(bytes)})`
              : bytes === undefined || bytes <= 0
                ? ` (${mib(bytesDone)} so far)`
                : ` (${Math.floor(Math.min(100, (bytesDone / bytes) * 100))} % of ${mib(bytes)})`;
          // the same phase again with a copy's bytes so far: its time runs from its first event
          const since = bytesDone !== undefined && phaseStarted?.phase === event.phase ? phaseStarted.since : now();
          phaseStarted = { phase: event.phase, since };
          running((elapsedMs) => `${PHASE_TEXT[event.phase]}${size} ${seconds(elapsedMs)}`, since);
          break;
        }
        case 'migration:done':
        case 'migration:failed':
        case 'run:start':
          stopTicker();
          clear();
          lines(event);
          if (event.type !== 'run:start') current = '';
          drawStep();
          break;
        case 'run:done':
          stopTicker();
          clear();
          break;
      }
    },
    done() {
      stopTicker();
      clear();
    },
  };
}
