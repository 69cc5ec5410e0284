// Plan ids (see contract/plan.ts for what they are for): sha256 chained over the ordered
// (version, checksum) pairs, starting from EMPTY_PLAN_ID, so the id of every prefix of the
// pending list comes out of one pass.
import { createHash } from 'node:crypto';
import { EMPTY_PLAN_ID } from '../contract/index.js';

/** id of `previous` extended by one migration */
export function nextPlanId(previous: string, entry: { version: number; checksum: string }): string {
  return createHash('sha256').update(`${previous}\n${entry.version}\n${entry.checksum}`).digest('hex');
}

/** ids of every prefix, in order: ids[i] names entries[0..i] */
export function planIds(entries: readonly { version: number; checksum: string }[]): string[] {
  const ids: string[] = [];
  let id = EMPTY_PLAN_ID;
  for (const entry of entries) {
    id = nextPlanId(id, entry);
    ids.push(id);
  }
  return ids;
}

/** the id of the whole list */
export function planIdOf(entries: readonly { version: number; checksum: string }[]): string {
  return planIds(entries).at(-1) ?? EMPTY_PLAN_ID;
}
