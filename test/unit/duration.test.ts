import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, parseDuration, parseSince } from '../../src/core/duration.js';

describe('parseDuration', () => {
  it('reads a number and a unit', () => {
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('90m')).toBe(90 * 60_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    expect(parseDuration(' 1.5D ')).toBe(1.5 * 86_400_000);
    expect(parseDuration('45s')).toBe(45_000);
  });

  it('rejects what is not a positive duration', () => {
    for (const bad of ['', '30', 'd', '30 days', '-1d', '0d', '1y', 'abc', '1d2h']) {
      expect(parseDuration(bad), bad).toBeUndefined();
    }
  });
});

describe('parseSince', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  it('goes back a duration from now', () => {
    expect(parseSince('1d', now)!.toISOString()).toBe('2026-11-22T12:00:00.000Z');
  });
  it('reads a date as local midnight and a timestamp as given', () => {
    const d = parseSince('2026-11-01', now)!;
    expect([d.getFullYear(), d.getMonth(), d.getDate(), d.getHours()]).toEqual([2026, 10, 1, 0]);
    expect(parseSince('2026-11-01T05:00:00Z', now)!.toISOString()).toBe('2026-11-01T05:00:00.000Z');
  });
  it('rejects anything else', () => {
    for (const bad of ['yesterday', '2026-13-45', '11/01/2026', ''])
      expect(parseSince(bad, now), bad).toBeUndefined();
  });
});

describe('formatting', () => {
  it('durations', () => {
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(1234)).toBe('1.2s');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(3_723_000)).toBe('1h02m');
  });
  it('bytes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(10 * 1024 * 1024)).toBe('10.0 MB');
    expect(formatBytes(3 * 1024 ** 4)).toBe('3.0 TB');
  });
});
