// DUCKMIG_TOKENS as configuration: the `name:role:token` list format, parsed into
// entries with problems that never quote a value (a misplaced field may be a secret).
import { Role } from '../contract/index.js';

export interface TokenEntry {
  name: string;
  role: Role;
  token: string;
}

export const MIN_TOKEN_LENGTH = 16;
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const EXAMPLE = '(example: DUCKMIG_TOKENS=ci:operator:<32+ random characters>,alice:admin:<…>)';

/**
 * Parses `name:role:token,…`. Problems name the entry by position (1-based) and never
 * contain any part of the value, since a misplaced field may well be a secret.
 */
export function parseTokenList(value: string): { entries: TokenEntry[]; problems: string[] } {
  const entries: TokenEntry[] = [];
  const problems: string[] = [];
  const names = new Map<string, number>();
  const tokens = new Map<string, number>();
  value.split(',').forEach((raw, index) => {
    const at = `entry ${index + 1}`;
    const entry = raw.trim();
    if (entry === '') {
      problems.push(`${at} is empty ${EXAMPLE}`);
      return;
    }
    const first = entry.indexOf(':');
    const second = entry.indexOf(':', first + 1);
    if (first < 0 || second < 0) {
      problems.push(`${at} must have the form name:role:token ${EXAMPLE}`);
      return;
    }
    const name = entry.slice(0, first);
    const role = Role.safeParse(entry.slice(first + 1, second));
    const token = entry.slice(second + 1);
    if (!NAME.test(name)) problems.push(`${at}: the name must be 1-64 letters, digits, "_" or "-" ${EXAMPLE}`);
    if (!role.success) problems.push(`${at}: the role must be one of ${Role.options.join(', ')} ${EXAMPLE}`);
    if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
      problems.push(`${at}: the token must be at least ${MIN_TOKEN_LENGTH} characters without spaces ${EXAMPLE}`);
    }
    if (names.has(name)) problems.push(`${at} repeats the name of entry ${names.get(name)}`);
    if (tokens.has(token)) problems.push(`${at} repeats the token of entry ${tokens.get(token)}`);
    names.set(name, index + 1);
    tokens.set(token, index + 1);
    if (role.success) entries.push({ name, role: role.data, token });
  });
  return { entries, problems };
}
