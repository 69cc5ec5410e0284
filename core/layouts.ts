// The file layouts duckmig reads: its own `NNN_name.sql`, golang-migrate's
// `NNN_name.up.sql` / `NNN_name.down.sql`, Flyway's `V<n>__Description.sql` (with `U<n>__`
// undo files), and in-file sections: goose's `-- +goose Up` / `-- +goose Down` and dbmate's
// `-- migrate:up` / `-- migrate:down`. Names decide a file's version and role; sections
// decide which part of a file runs. The Up text keeps every line where it was (other
// sections are blanked, not removed), so DuckDB's line numbers point into the original file.
import type { ValidationProblem } from '../contract/index.js';

export type Layout = 'duckmig' | 'golang-migrate' | 'goose' | 'dbmate' | 'flyway';

/** What a file name says: an Up file (the migration), a Down file, or a refusal. */
export type NamedFile =
  | { role: 'up' | 'down'; version: number; name: string; file: string; layout: Layout }
  | { role: 'refused'; problem: ValidationProblem };

const TITLE = '([A-Za-z0-9]+(?:[_-][A-Za-z0-9]+)*)';
const GOLANG_MIGRATE = new RegExp(`^(\\d+)_${TITLE}\\.(up|down)\\.sql$`);
const PLAIN = new RegExp(`^(\\d+)_${TITLE}\\.sql$`);
const FLYWAY = /^([VU])(\d+(?:[._]\d+)*)__(.+)\.sql$/;
const FLYWAY_REPEATABLE = /^R__.+\.sql$/;

function versionOf(digits: string, file: string): number | ValidationProblem {
  const version = Number(digits);
  if (Number.isSafeInteger(version)) return version;
  return {
    code: 'unsupported-version',
    severity: 'error',
    file,
    message: `${file}: version ${digits} is larger than duckmig can carry exactly (at most ${Number.MAX_SAFE_INTEGER})`,
    hint: 'use a shorter number, e.g. a 14-digit timestamp such as 20240101120000',
  };
}

/** Reads a migration file's name; null when it follows no known layout. */
export function parseFileName(file: string): NamedFile | null {
  const flyway = FLYWAY.exec(file);
  if (flyway) {
    const [, prefix, digits, description] = flyway as unknown as [string, 'V' | 'U', string, string];
    if (!/^\d+$/.test(digits)) {
      return {
        role: 'refused',
        problem: {
          code: 'unsupported-version',
          severity: 'error',
          file,
          message: `${file}: Flyway version ${digits.replaceAll('_', '.')} has parts; duckmig versions are whole numbers`,
          hint: 'convert the folder with `duckmig import --from flyway DIR`, which numbers the versions in Flyway order',
        },
      };
    }
    const version = versionOf(digits, file);
    if (typeof version !== 'number') return { role: 'refused', problem: version };
    return { role: prefix === 'V' ? 'up' : 'down', version, name: description, file, layout: 'flyway' };
  }
  if (FLYWAY_REPEATABLE.test(file)) {
    return {
      role: 'refused',
      problem: {
        code: 'unsupported-file',
        severity: 'error',
        file,
        message: `${file}: Flyway repeatable migrations (R__) are not supported; duckmig runs each file once`,
        hint: 'move its SQL into a numbered migration (re-create objects with CREATE OR REPLACE in a new file when they change)',
      },
    };
  }
  const m = GOLANG_MIGRATE.exec(file) ?? PLAIN.exec(file);
  if (!m) return null;
  const version = versionOf(m[1]!, file);
  if (typeof version !== 'number') return { role: 'refused', problem: version };
  const role = m[3] === 'down' ? 'down' : 'up';
  return { role, version, name: m[2]!, file, layout: m[3] ? 'golang-migrate' : 'duckmig' };
}

/** A file's text split into the part that runs and the part kept for undoing it. */
export interface Sections {
  /** the Up part, every other line blanked so line numbers match the original file */
  up: string;
  /** the Down part as written (without its marker line), when the file has one */
  down?: string;
  /** the tool whose section markers the file uses, if any */
  layout?: 'goose' | 'dbmate';
}

// goose: `-- +goose Up`, `-- +goose Down` (StatementBegin/End and the others are comments
// to DuckDB, whose parser finds statement boundaries itself); dbmate: `-- migrate:up`,
// `-- migrate:down`, optionally followed by options such as `transaction:false`
const MARKER = /^[ \t]*--[ \t]*(?:\+goose[ \t]+(up|down)|migrate:(up|down))\b/i;
/** every annotation line of either tool, for converted files that no longer need them */
export const ANNOTATION = /^[ \t]*--[ \t]*(?:\+goose\b|migrate:(?:up|down)\b)/i;

export function splitSections(text: string): Sections {
  const lines = text.split(/(?<=\n)/);
  let section: 'head' | 'up' | 'down' = 'head';
  let layout: Sections['layout'];
  const up: string[] = [];
  const down: string[] = [];
  for (const line of lines) {
    const marker = MARKER.exec(line);
    if (marker) {
      layout = marker[1] ? 'goose' : 'dbmate';
      section = (marker[1] ?? marker[2])!.toLowerCase() as 'up' | 'down';
      up.push(section === 'up' ? line : line.endsWith('\n') ? '\n' : '');
      continue;
    }
    if (section === 'down') {
      down.push(line);
      up.push(line.endsWith('\n') ? '\n' : '');
    } else up.push(line);
  }
  if (!layout) return { up: text };
  const upText = up.join('').trimEnd();
  return { up: upText.length > 0 ? `${upText}\n` : '', ...(down.length > 0 && { down: down.join('') }), layout };
}
