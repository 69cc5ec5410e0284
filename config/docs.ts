// The variable tables of docs/configuration.md and README.md, rendered from the schema in
// config/variables.ts. Each table sits between two markers in its file; `npm run docs:config`
// rewrites them, and config/docs.test.ts fails when a committed table differs.
import { VARIABLES, type Reader, type Section, type VariableName, type VariableSpec } from './variables.js';

const READERS: Record<Reader, string> = { start: 'start', api: 'api', worker: 'worker', cli: 'CLI' };

function specs(filter: (spec: VariableSpec<unknown>) => boolean): [VariableName, VariableSpec<unknown>][] {
  return (Object.entries(VARIABLES) as [VariableName, VariableSpec<unknown>][]).filter(([, spec]) => filter(spec));
}

/** A table cell: pipes escaped, on one line. */
function cell(markdown: string): string {
  return markdown.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function sectionTable(section: Section): string {
  const rows = specs((spec) => spec.section === section).map(([name, spec]) =>
    [`\`${name}\``, spec.readBy.map((r) => READERS[r]).join(', '), spec.type, spec.default, spec.description, `\`${name}=${spec.example}\``].map(cell),
  );
  return table(['variable', 'read by', 'type', 'default', 'meaning', 'example'], rows);
}

function readmeTable(): string {
  const rows = specs((spec) => spec.section === 'service').map(([name, spec]) => [`\`${name}\``, spec.default, spec.summary ?? spec.description].map(cell));
  return table(['variable', 'default', 'meaning'], rows);
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const SECTIONS: readonly Section[] = ['service', 'restore', 'timing', 'checkpoint', 'fleet', 'governance', 'cli', 'testing'];

/** The generated blocks, by marker name. */
export function generatedTables(): Record<string, string> {
  return { ...Object.fromEntries(SECTIONS.map((s) => [s, sectionTable(s)])), readme: readmeTable() };
}

const NOTICE = 'generated from config/variables.ts by `npm run docs:config`: edit the schema, not this table';

/**
 * `text` with every block between `<!-- variables:NAME -->` and `<!-- /variables:NAME -->`
 * replaced by its generated table. A marker without a table is an error.
 */
export function withGeneratedTables(text: string, tables: Record<string, string> = generatedTables()): string {
  return text.replace(/<!-- variables:([a-z]+)[^>]*-->[\s\S]*?<!-- \/variables:\1 -->/g, (_block, name: string) => {
    const generated = tables[name];
    if (generated === undefined) throw new Error(`no generated table named "${name}"`);
    return `<!-- variables:${name} (${NOTICE}) -->\n${generated}\n<!-- /variables:${name} -->`;
  });
}

/** The files that hold generated tables, relative to the repository root. */
export const DOCUMENTS = ['docs/configuration.md', 'README.md'] as const;
