// Plain-text tables for benchmark output (fixed-width, right-aligned numbers) and the
// number formats every benchmark uses, so all tables read the same.

export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
  /** lines printed under the table */
  footnotes?: string[];
}

const NUMERIC = /^[-+]?[\d.,]+\s*(ms|µs|s|×|MiB|%|req\/s)?$/;

export function renderTable(table: Table): string {
  const widths = table.columns.map((c, i) => Math.max(c.length, ...table.rows.map((r) => (r[i] ?? '').length)));
  const numeric = table.columns.map((_, i) => table.rows.length > 0 && table.rows.every((r) => NUMERIC.test(r[i] ?? '') || r[i] === '–'));
  const cell = (text: string, i: number) => (numeric[i] ? text.padStart(widths[i]!) : text.padEnd(widths[i]!));
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  const out = [`### ${table.title}`, '', line(table.columns), rule, ...table.rows.map((r) => line(table.columns.map((_, i) => r[i] ?? '')))];
  if (table.footnotes?.length) out.push('', ...table.footnotes);
  return out.join('\n');
}

export function ms(value: number, digits = value < 10 ? 2 : value < 100 ? 1 : 0): string {
  return Number.isFinite(value) ? `${value.toFixed(digits)} ms` : '–';
}

export function ratio(value: number, floor: number): string {
  return Number.isFinite(value) && floor > 0 ? `${(value / floor).toFixed(2)}×` : '–';
}

export function mib(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(0)} MiB` : '–';
}

export function percent(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(0)}%` : '–';
}
