// How the fleet command shows things: the fleet's status (targets by version and health,
// shards and their owners, the run in flight), a followed fleet run (on a terminal one
// progress bar redrawn in place: targets done of total, failed, the current wave, the rate
// and the time left, with a permanent line per failed target; elsewhere plain lines), and
// a run's end.
import type { FleetEvent, FleetRun, FleetStatusResponse, TargetOutcome } from '../../contract/index.js';
import { ms, seconds, table, type Out } from '../output.js';
import { bar } from './progress-view.js';

export function renderFleetStatus(s: FleetStatusResponse, baseUrl: string): string {
  const t = s.targets;
  const lines = [`api        ${baseUrl}`];
  if (t.total === 0 && s.shards.length === 0) return `${lines[0]}\nfleet      empty: no fleet worker has published a target yet\n`;
  lines.push(`targets    ${t.total}: ${t.ok} up to date, ${t.pending} pending, ${t.failed} failed, ${t.locked} locked, ${t.unreadable} unreadable, ${t.drifted} drifted, ${t.offline} offline`);
  lines.push(`versions   ${t.byVersion.map((v) => `${v.version ?? 'unreadable'}: ${v.targets}`).join(', ')}`);
  const { agreed, ids } = s.migrations;
  lines.push(`migrations ${agreed ? (ids[0]?.migrationsId ?? 'no live owner') : `DIFFER: ${ids.map((i) => `${i.migrationsId} (${i.shards.join(', ')})`).join('; ')}`}`);
  const run = s.activeRun;
  lines.push(`in flight  ${run ? `fleet run ${run.id} (${run.mode}, ${run.status}) ${progressText(run)}` : 'none'}`);
  const shards = table(
    ['shard', 'owner', 'lease', 'renewed', 'targets'],
    s.shards.map((sh) => [sh.shard, sh.online ? (sh.owner ?? '') : 'OFFLINE', sh.leaseTtlMs === null ? '' : `${ms(sh.leaseTtlMs)} left`, sh.renewedAgoMs === null ? '' : `${ms(sh.renewedAgoMs)} ago`, String(sh.targets)]),
  );
  return `${lines.join('\n')}\n\n${shards}`;
}

const doneOf = (run: FleetRun) => run.counts.succeeded + run.counts.failed + run.counts.skipped;

function progressText(run: FleetRun): string {
  return `${doneOf(run)}/${run.counts.targets} targets, ${run.counts.failed} failed`;
}

function currentWave(run: FleetRun): string {
  const wave = run.waves.find((w) => w.status === 'running') ?? run.waves.findLast((w) => w.status !== 'pending');
  return wave ? `wave ${wave.index + 1}/${run.waves.length} ${wave.name}` : '';
}

function outcomeLine(o: TargetOutcome): string {
  const versions = o.fromVersion === o.toVersion ? `at ${o.toVersion ?? '?'}` : `${o.fromVersion ?? '?'} → ${o.toVersion ?? '?'}`;
  if (o.result === 'failed') return `  ✗ ${o.id} (wave ${o.wave + 1}) ${o.errorCode ?? 'failed'}: ${(o.error ?? '').split('\n')[0]}\n`;
  const mark = o.result === 'skipped' ? '-' : '✓';
  return `  ${mark} ${o.id} (wave ${o.wave + 1}) ${o.result}, ${versions}, ${ms(o.durationMs)}\n`;
}

export interface FleetProgressView {
  event(event: FleetEvent): void;
  /** clears the bar before the summary is printed */
  done(): void;
}

export function createFleetProgressView(out: Out, options: { tty: boolean; columns?: number; now?: () => number }): FleetProgressView {
  const now = options.now ?? (() => performance.now());
  let latest: FleetRun | null = null;
  /** the first sample of progress seen: the rate counts from here */
  let first: { at: number; done: number } | null = null;
  let lastStatus = '';
  let lastWave = '';

  const rateText = (run: FleetRun): string => {
    const done = doneOf(run);
    first ??= { at: now(), done };
    const elapsedMs = now() - first.at;
    const rate = elapsedMs > 0 ? ((done - first.done) * 1000) / elapsedMs : 0;
    if (rate <= 0) return '';
    const left = run.counts.targets - done;
    return ` · ${rate.toFixed(1)}/s${left > 0 ? ` · ETA ${seconds((left / rate) * 1000)}` : ''}`;
  };

  if (!options.tty) {
    return {
      event(event) {
        if (event.type === 'fleet:target' && event.outcome.result !== 'skipped') out.write(outcomeLine(event.outcome));
        if (event.type !== 'fleet:run') return;
        const run = event.run;
        const wave = currentWave(run);
        if (run.status !== lastStatus || wave !== lastWave) out.write(`fleet run ${run.status}${wave ? `, ${wave}` : ''}: ${progressText(run)}${rateText(run)}\n`);
        lastStatus = run.status;
        lastWave = wave;
      },
      done: () => undefined,
    };
  }

  const columns = options.columns ?? 80;
  let drawn = false;
  const eraseLine = () => (out.control ? out.control('\r\x1b[2K') : out.write('\r\x1b[2K'));
  const draw = () => {
    if (!latest) return;
    const run = latest;
    const percent = run.counts.targets > 0 ? (doneOf(run) * 100) / run.counts.targets : 0;
    const wave = currentWave(run);
    eraseLine();
    out.write(`${bar(percent)} ${doneOf(run)}/${run.counts.targets} · ${run.counts.failed} failed${wave ? ` · ${wave}` : ''}${rateText(run)}${run.status === 'paused' ? ' · PAUSED' : ''}`.slice(0, columns - 1));
    drawn = true;
  };
  const clear = () => {
    if (drawn) eraseLine();
    drawn = false;
  };
  return {
    event(event) {
      if (event.type === 'fleet:target' && event.outcome.result === 'failed') {
        clear();
        out.write(outcomeLine(event.outcome));
      }
      if (event.type === 'fleet:run') latest = event.run;
      draw();
    },
    done: clear,
  };
}

/** The run's end: its waves, its counts, why it stopped, and (some of) the targets that failed. */
export function renderFleetRunEnd(run: FleetRun, failed: readonly TargetOutcome[] = []): string {
  const c = run.counts;
  const headline: Record<FleetRun['status'], string> = {
    succeeded: 'SUCCEEDED',
    failed: 'FAILED',
    halted: 'HALTED',
    cancelled: 'CANCELLED',
    queued: 'still queued',
    running: 'still running',
    paused: 'paused',
  };
  const waves = run.waves.map((w) => `  wave ${w.index + 1} ${w.name}: ${w.targets} targets, ${w.succeeded} succeeded, ${w.failed} failed, ${w.skipped} skipped (${w.status})`);
  return [
    ...waves,
    ...failed.map((o) => outcomeLine(o).trimEnd()),
    `fleet run ${run.id}: ${headline[run.status]}: ${c.targets} targets, ${c.succeeded} succeeded, ${c.failed} failed, ${c.skipped} skipped${run.haltReason ? `\n  ${run.haltReason}` : ''}`,
    ...(c.failed > 0 ? [`retry the failed targets: duckmig fleet retry-failed ${run.id}`] : []),
  ].join('\n') + '\n';
}
