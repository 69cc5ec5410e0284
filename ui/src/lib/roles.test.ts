import { describe, expect, it } from 'vitest';
import { can, deniedReason } from './roles.js';

describe('roles', () => {
  it('lets operators and admins run, dry-run and cancel, and only admins restore or open the queue', () => {
    expect(can('viewer', 'run')).toBe(false);
    expect(can('operator', 'run')).toBe(true);
    expect(can('operator', 'cancel')).toBe(true);
    expect(can('operator', 'queue')).toBe(false);
    expect(can('admin', 'queue')).toBe(true);
    expect(can('operator', 'restore')).toBe(false);
    expect(can('admin', 'restore')).toBe(true);
    expect(can('operator', 'deliveries')).toBe(false);
    expect(can('admin', 'deliveries')).toBe(true);
  });

  it('says why an action is not allowed, in words shown next to the button', () => {
    expect(deniedReason('viewer', 'run')).toBe('viewers cannot run migrations');
    expect(deniedReason('viewer', 'dry-run')).toBe('viewers cannot start a dry-run');
    expect(deniedReason('operator', 'queue')).toBe('operators cannot open the queue dashboard');
    expect(deniedReason('operator', 'restore')).toBe('operators cannot restore the database');
    expect(deniedReason('viewer', 'cancel')).toBe('viewers cannot cancel runs');
    expect(deniedReason('operator', 'deliveries')).toBe('operators cannot see the webhook delivery log');
    expect(deniedReason('admin', 'run')).toBeNull();
  });

  it('lets operators and admins start and control fleet runs, as the API does, and tells viewers why not', () => {
    expect(deniedReason('viewer', 'fleet-run')).toBe('viewers cannot start fleet runs');
    expect(deniedReason('viewer', 'fleet-control')).toBe('viewers cannot pause, resume, cancel or retry fleet runs');
    expect(can('operator', 'fleet-run')).toBe(true);
    expect(can('operator', 'fleet-control')).toBe(true);
    expect(can('admin', 'fleet-run')).toBe(true);
  });
});
