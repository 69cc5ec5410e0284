// Who may do what, and the sentence shown next to an action the role may not take.
// Mirrors the API's rules (viewer < operator < admin); the API still enforces them.
import type { Role } from './types.js';

const rank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export type Action = 'run' | 'dry-run' | 'cancel' | 'restore' | 'undo' | 'queue' | 'fleet-run' | 'fleet-control' | 'deliveries';

const needs: Record<Action, Role> = {
  run: 'operator',
  'dry-run': 'operator',
  cancel: 'operator',
  restore: 'admin',
  undo: 'admin',
  queue: 'admin',
  'fleet-run': 'operator',
  'fleet-control': 'operator',
  deliveries: 'admin',
};

const what: Record<Action, string> = {
  run: 'run migrations',
  'dry-run': 'start a dry-run',
  cancel: 'cancel runs',
  restore: 'restore the database',
  undo: 'undo migrations',
  queue: 'open the queue dashboard',
  'fleet-run': 'start fleet runs',
  'fleet-control': 'pause, resume, cancel or retry fleet runs',
  deliveries: 'see the webhook delivery log',
};

const plural: Record<Role, string> = { viewer: 'viewers', operator: 'operators', admin: 'admins' };

export function can(role: Role, action: Action): boolean {
  return rank[role] >= rank[needs[action]];
}

/** null when allowed, else e.g. "viewers cannot run migrations" */
export function deniedReason(role: Role, action: Action): string | null {
  return can(role, action) ? null : `${plural[role]} cannot ${what[action]}`;
}
