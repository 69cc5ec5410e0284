// Human and JSON rendering for the CLI: one JSON document on stdout with --json, or
// progress lines, problem lists and summary tables for people. Logs go to stderr.
// What reaches the terminal is sanitised: text from files and the database is written
// with its control characters escaped; only the CLI's own cursor sequences go out raw.
import type { DatabaseSchema, DriftReport, MigrationResult, RunResult, RunnerEvent, RunnerEventOf, SchemaChange, ValidationProblem } from '../contract/index.js';
import { sanitizeForTerminal } from './terminal-text.js';

export interface Out {
  write(text: string): void;
  /** the CLI's own terminal control sequences (redrawing a progress bar), written unescaped */
  control?(sequence: string): void;
}

export const stdout: Out = {
  write: (t) => void process.stdout.write(sanitizeForTerminal(t)),
  control: (sequence) => void process.stdout.write(sequence),
};
export const stderr: Out = {
  write: (t) => void process.stderr.write(sanitizeForTerminal(t)),
  control: (sequence) => void process.stderr.write(sequence),
};

export function printJson(doc: unknown, out: Out = stdout): void {
  out.write(`${JSON.stringify(doc, null, 2)}\n`);
}

export function ms(value: number | undefined | null): string {
  if (value === undefined || value === null) return '';
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(1)} ms`;
}

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

export function renderProblems(problems: ValidationProblem[]): string {
  if (problems.length === 0) return '';
  return (
    problems
      .map((p) => {
        const where = p.file ? `${p.file}${p.line ? `:${p.line}` : ''}` : p.version !== undefined ? `version ${p.version}` : '';
        return `${p.severity === 'error' ? 'error  ' : 'warning'} ${where ? `${where}  ` : ''}${p.message}${p.hint ? `\n        fix: ${p.hint}` : ''}`;
      })
      .join('\n') + '\n'
  );
}

const STATUS_MARK: Record<MigrationResult['status'], string> = {
  applied: '✓',
  rehearsed: '✓',
  failed: '✗',
  cancelled: '■',
  'rolled-back': '↺',
  skipped: '-',
  'not-run': '·',
  undone: '↶',
};

export function renderResults(results: MigrationResult[]): string {
  if (results.length === 0) return '';
  return table(
    ['', 'version', 'name', 'status', 'statements', 'duration'],
    results.map((r) => [STATUS_MARK[r.status], String(r.version), r.name, r.status, String(r.statements), ms(r.durationMs)]),
  );
}

export function renderError(r: MigrationResult): string {
  if (!r.error) return '';
  const where = `${r.file}${r.error.line ? `:${r.error.line}` : ''}${r.error.statementIndex !== undefined ? ` (statement ${r.error.statementIndex + 1})` : ''}`;
  return `${where}: ${r.error.message}${r.error.sql ? `\n  ${r.error.sql.split('\n').join('\n  ')}` : ''}\n`;
}

export function renderSchemaDiff(diff: SchemaChange[]): string {
  if (diff.length === 0) return 'schema diff: no changes\n';
  const sign = { added: '+', dropped: '-', changed: '~' } as const;
  return `schema diff (${diff.length} changes):\n${diff.map((c) => `  ${sign[c.change]} ${c.kind} ${c.name}${c.after ? `  ${c.after}` : ''}`).join('\n')}\n`;
}

/** An undo's down scripts, the data they drop (preview) and, when refused, the restore point offered instead. */
export function renderUndo(undo: NonNullable<RunResult['undo']>): string {
  const lines: string[] = [];
  if (undo.steps.length > 0) lines.push(`down scripts, newest first: ${undo.steps.map((s) => `${s.file} (sha256 ${s.checksum.slice(0, 12)}…)`).join(', ')}`);
  if (undo.dropped) {
    const { tables, columns } = undo.dropped;
    if (tables.length === 0 && columns.length === 0) lines.push('data dropped: none (no table or column is dropped)');
    for (const t of tables) lines.push(`DROPS table ${t.name}: ${t.rows.toLocaleString('en-US')} row(s)`);
    for (const c of columns) lines.push(`DROPS column ${c.table}.${c.column}: ${c.nonNull.toLocaleString('en-US')} value(s) in ${c.rows.toLocaleString('en-US')} row(s)`);
  }
  if (undo.restoreOffer) {
    const p = undo.restoreOffer.restorePoint;
    lines.push(`instead: ${undo.restoreOffer.warning}`);
    if (p) lines.push(`  duckmig restore ${p.id}`);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** A drift report: one line per extra (+), missing (-) or changed (~) object, with the definitions. */
export function renderDrift(report: DriftReport): string {
  const head = `drift check of version ${report.version} at ${report.checkedAt} (${ms(report.durationMs)})`;
  if (report.error) return `${head}\nNOT CHECKED: ${report.error}\n`;
  if (!report.drifted) return `${head}\nno drift: the live schema is what the applied migrations produce\n`;
  const sign = { extra: '+', missing: '-', changed: '~' } as const;
  const lines = report.differences.map((d) => {
    const definitions = d.change === 'changed' ? `  expected ${d.expected}  actual ${d.actual}` : `  ${d.actual ?? d.expected}`;
    return `  ${sign[d.change]} ${d.change} ${d.kind} ${d.name}${definitions}`;
  });
  return `${head}\nDRIFTED: ${report.differences.length} difference(s) between the live schema and what the applied migrations produce\n${lines.join('\n')}\n`;
}

export function renderRunSummary(result: RunResult): string {
  const parts = [renderResults(result.migrations)];
  for (const r of result.migrations) if (r.error) parts.push(renderError(r));
  if (result.schemaDiff) parts.push(renderSchemaDiff(result.schemaDiff));
  if (result.undo) parts.push(renderUndo(result.undo));
  const headline: Record<RunResult['status'], string> = {
    success: result.mode === 'apply' || result.mode === 'undo' ? `done: version ${result.fromVersion} → ${result.toVersion}` : 'ok',
    'nothing-to-do': `nothing to do: the database is at version ${result.fromVersion}`,
    failed: `FAILED: ${result.error ?? ''}`,
    cancelled: `CANCELLED: ${result.error ?? ''}`,
    invalid: `REFUSED: ${result.error ?? ''}`,
    crashed: `CRASHED: ${result.error ?? ''}`,
  };
  parts.push(`${headline[result.status]} (${ms(result.durationMs)})\n`);
  if (result.mode === 'undo-preview' && result.planId && result.status === 'success' && result.undo) {
    parts.push(`plan ${result.planId}  (undo exactly this: duckmig undo --to ${result.undo.to} --plan ${result.planId})\n`);
  } else if (result.planId && result.mode !== 'apply' && result.mode !== 'undo' && result.status === 'success') {
    parts.push(`plan ${result.planId}  (apply exactly this: duckmig run --plan ${result.planId})\n`);
  }
  return parts.filter(Boolean).join('\n');
}

const RUN_START_VERB: Partial<Record<RunResult['mode'], string>> = { rehearse: 'rehearsing', undo: 'undoing', 'undo-preview': 'rehearsing the undo of' };

/** Writes one line per migration step as runner events arrive. */
/** a long statement gets a plain progress line once it ran this long, and then this often */
export const PLAIN_PROGRESS_EVERY_MS = 5000;

/** "37 % of 1,000,000 rows · 5.1 s · about 8.6 s left" */
export function statementProgressText(event: Pick<RunnerEventOf<'statement:progress'>, 'percent' | 'totalRows' | 'elapsedMs' | 'etaMs'>): string {
  const rows = event.totalRows > 0 ? ` of ${event.totalRows.toLocaleString('en-US')} rows` : '';
  const eta = event.etaMs === undefined ? '' : ` · about ${seconds(event.etaMs)} left`;
  return `${event.percent.toFixed(0)} %${rows} · ${seconds(event.elapsedMs)}${eta}`;
}

/** "5.1 s", "2 min 05 s" */
export function seconds(value: number): string {
  const s = Math.round(value / 100) / 10;
  if (s < 60) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
}

export function progressLines(out: Out): (event: RunnerEvent) => void {
  let nextProgressAt = PLAIN_PROGRESS_EVERY_MS;
  return (event) => {
    switch (event.type) {
      case 'statement:start':
        nextProgressAt = PLAIN_PROGRESS_EVERY_MS;
        break;
      case 'statement:progress':
        // logs (CI, pipes) are never redrawn: a long statement leaves a line every few seconds
        if (event.elapsedMs < nextProgressAt) break;
        nextProgressAt = event.elapsedMs + PLAIN_PROGRESS_EVERY_MS;
        out.write(`      … statement ${event.statementIndex + 1}/${event.statementCount}: ${statementProgressText(event)}\n`);
        break;
      case 'migration:progress':
        // a file run as one call: DuckDB's progress of whichever of its statements runs
        if (event.elapsedMs < nextProgressAt) break;
        nextProgressAt = event.elapsedMs + PLAIN_PROGRESS_EVERY_MS;
        out.write(`      … running statement: ${statementProgressText(event)}\n`);
        break;
      case 'run:start':
        out.write(`${RUN_START_VERB[event.mode] ?? 'applying'} ${event.migrations.length} migration(s), ${event.totalStatements} statement(s)\n`);
        break;
      case 'migration:start':
        nextProgressAt = PLAIN_PROGRESS_EVERY_MS;
        out.write(`[${event.index + 1}/${event.total}] ${String(event.version).padStart(3, '0')}_${event.name} (${event.statements} statements) …\n`);
        break;
      case 'migration:done':
        out.write(`      ✓ ${String(event.version).padStart(3, '0')}_${event.name} ${ms(event.durationMs)}\n`);
        break;
      case 'migration:failed':
        out.write(`      ✗ ${String(event.version).padStart(3, '0')}_${event.name} ${event.cancelled ? 'cancelled' : 'failed'}: ${event.error.message.split('\n')[0]}\n`);
        break;
      default:
        break;
    }
  };
}

/** A schema as text: each table with its columns, constraints and indexes, then views, macros and sequences. */
export function renderSchema(schema: DatabaseSchema): string {
  const parts: string[] = [];
  for (const t of schema.tables) {
    const rows = t.rows ? (t.rows.exact !== null ? `, ${t.rows.exact} rows` : `, about ${t.rows.estimated} rows`) : '';
    parts.push(`table ${t.name} (${t.columns.length} columns${rows})\n`);
    parts.push(table(['column', 'type', 'null', 'default'], t.columns.map((c) => [c.name, c.type, c.nullable ? '' : 'NOT NULL', c.default ?? ''])).replace(/^(?=.)/gm, '  '));
    for (const c of t.constraints.filter((k) => k.kind !== 'NOT NULL')) parts.push(`  ${c.text}\n`);
    for (const i of t.indexes) parts.push(`  index ${i.name}${i.unique ? ' UNIQUE' : ''} on ${i.expressions}\n`);
    parts.push('\n');
  }
  for (const v of schema.views) parts.push(`view ${v.name}: ${v.sql}\n`);
  for (const m of schema.macros) parts.push(`macro ${m.name}(${m.parameters.join(', ')})${m.table ? ' AS TABLE' : ''}: ${m.definition.replace(/\s+/g, ' ')}\n`);
  for (const s of schema.sequences) parts.push(`sequence ${s.name} START ${s.start} INCREMENT ${s.increment}\n`);
  parts.push(`${schema.tables.length} tables, ${schema.views.length} views, ${schema.macros.length} macros, ${schema.sequences.length} sequences (not listed: ${schema.excluded.join(', ')})\n`);
  return parts.join('');
}
