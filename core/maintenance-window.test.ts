// Specification of maintenance windows: the documented syntax, whether a window is open at
// an instant (start inclusive, end exclusive, UTC), and when the next one opens, including
// windows that cross midnight and the end of the week.
import { describe, expect, it } from 'vitest';
import { MaintenanceWindowError, nextWindowOpening, parseMaintenanceWindows, windowOpenAt } from './maintenance-window.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

// 2026-12-05 is a Saturday
describe('maintenance windows', () => {
  const saturday = parseMaintenanceWindows('Sat 02:00-04:00 UTC');

  it('is open from its start (inclusive) to its end (exclusive), on its day only', () => {
    expect(windowOpenAt(saturday, at('2026-12-05T01:59:59Z'))).toBe(false);
    expect(windowOpenAt(saturday, at('2026-12-05T02:00:00Z'))).toBe(true);
    expect(windowOpenAt(saturday, at('2026-12-05T03:59:59Z'))).toBe(true);
    expect(windowOpenAt(saturday, at('2026-12-05T04:00:00Z'))).toBe(false);
    expect(windowOpenAt(saturday, at('2026-12-06T03:00:00Z'))).toBe(false);
  });

  it('the next opening: now when open, else the next start, a week ahead at most', () => {
    expect(iso(nextWindowOpening(saturday, at('2026-12-05T03:00:00Z')))).toBe('2026-12-05T03:00:00.000Z');
    expect(iso(nextWindowOpening(saturday, at('2026-12-01T10:00:00Z')))).toBe('2026-12-05T02:00:00.000Z');
    expect(iso(nextWindowOpening(saturday, at('2026-12-05T04:00:00Z')))).toBe('2026-12-12T02:00:00.000Z');
  });

  it('an end at or before the start ends the next day; day ranges wrap round the week', () => {
    const nights = parseMaintenanceWindows('Fri-Mon 22:00-02:00');
    expect(windowOpenAt(nights, at('2026-12-05T01:00:00Z'))).toBe(true); // Friday's night, on Saturday
    expect(windowOpenAt(nights, at('2026-12-08T01:00:00Z'))).toBe(true); // Monday's night, on Tuesday
    expect(windowOpenAt(nights, at('2026-12-09T01:00:00Z'))).toBe(false); // Wednesday
    expect(iso(nextWindowOpening(nights, at('2026-12-08T03:00:00Z')))).toBe('2026-12-11T22:00:00.000Z');
  });

  it('several windows, seconds, day lists and daily', () => {
    const windows = parseMaintenanceWindows('Tue,Thu 12:00:30-12:01; daily 23:00-24:00');
    expect(windowOpenAt(windows, at('2026-12-01T12:00:29Z'))).toBe(false);
    expect(windowOpenAt(windows, at('2026-12-01T12:00:30Z'))).toBe(true);
    expect(iso(nextWindowOpening(windows, at('2026-12-02T12:00:00Z')))).toBe('2026-12-02T23:00:00.000Z');
    expect(windowOpenAt(windows, at('2026-12-02T23:59:59Z'))).toBe(true);
  });

  it.each(['', 'Sat', 'Sat 2-4', 'Caturday 02:00-04:00', 'Sat 25:00-26:00', 'Sat 02:00-04:00 CET', 'Sat 02:60-04:00'])('refuses %j', (text) => {
    expect(() => parseMaintenanceWindows(text)).toThrow(MaintenanceWindowError);
  });
});
