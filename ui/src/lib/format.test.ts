import { describe, expect, it } from 'vitest';
import { formatAge, formatBytes, formatDuration, formatElapsed } from './format.js';

describe('formatting', () => {
  it('formats durations from sub-millisecond to hours', () => {
    expect(formatDuration(0.2)).toBe('< 1 ms');
    expect(formatDuration(12.4)).toBe('12 ms');
    expect(formatDuration(1234)).toBe('1.23 s');
    expect(formatDuration(75_000)).toBe('1 min 15 s');
    expect(formatDuration(null)).toBe('—');
  });

  it('formats elapsed time as a clock', () => {
    expect(formatElapsed(0)).toBe('0:00');
    expect(formatElapsed(65_400)).toBe('1:05');
    expect(formatElapsed(3_723_000)).toBe('1:02:03');
  });

  it('formats sizes and ages', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(12 * 1024 * 1024)).toBe('12 MiB');
    expect(formatAge(500)).toBe('just now');
    expect(formatAge(42_000)).toBe('42 s ago');
    expect(formatAge(3 * 60_000 + 5_000)).toBe('3 min ago');
    expect(formatAge(5 * 3_600_000)).toBe('5 h ago');
  });
});
