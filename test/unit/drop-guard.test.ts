import { describe, expect, it } from 'vitest';
import { settingsSchema } from '../../src/core/dealership.js';
import { decideHold, dropGuardRatio } from '../../src/core/drop-guard.js';

describe('drop guard', () => {
  it('holds a dealership that keeps fewer rows than the ratio of its active snapshot', () => {
    expect(decideHold({ kept: 49, activeRows: 100, ratio: 0.5 })).toEqual({
      kind: 'drop',
      reason: "kept 49 rows, below 50% of the active snapshot's 100 (drop_guard_ratio 0.5)",
      kept: 49,
      activeRows: 100,
      ratio: 0.5,
    });
    expect(decideHold({ kept: 50, activeRows: 100, ratio: 0.5 })).toBeNull();
    expect(decideHold({ kept: 100, activeRows: 100, ratio: 0.5 })).toBeNull();
    expect(decideHold({ kept: 250, activeRows: 100, ratio: 0.5 })).toBeNull();
    expect(decideHold({ kept: 0, activeRows: 1, ratio: 0.5 })?.kind).toBe('drop');
    expect(decideHold({ kept: 89, activeRows: 100, ratio: 0.9 })?.reason).toContain('below 90%');
  });

  it('never holds a first import, and ratio 0 turns the count test off', () => {
    expect(decideHold({ kept: 1, activeRows: null, ratio: 0.5 })).toBeNull();
    expect(decideHold({ kept: 1, activeRows: null, ratio: 0.5, cutShort: 'timeout' })).toBeNull();
    expect(decideHold({ kept: 0, activeRows: 500, ratio: 0 })).toBeNull();
  });

  it('holds a cut-short scrape whatever its count, unless the drop is accepted', () => {
    const h = decideHold({ kept: 120, activeRows: 100, ratio: 0, cutShort: 'GET /p3 answered HTTP 503' });
    expect(h).toMatchObject({ kind: 'cut_short', kept: 120, activeRows: 100 });
    expect(h!.reason).toBe(
      'scrape cut short (GET /p3 answered HTTP 503); kept 120 rows, the active snapshot has 100',
    );
    expect(decideHold({ kept: 1, activeRows: 100, ratio: 0.5, acceptDrop: true })).toBeNull();
  });

  it('reads the ratio from settings, one half when not set; an invalid one is an error, never the default', () => {
    expect(dropGuardRatio({})).toBe(0.5);
    expect(dropGuardRatio(null)).toBe(0.5);
    expect(dropGuardRatio({ drop_guard_ratio: 0.25 })).toBe(0.25);
    expect(() => dropGuardRatio({ drop_guard_ratio: 7 })).toThrow(
      'drop_guard_ratio: 7 is not allowed (a number from 0 to 1 (0: off)): Too big: expected number to be <=1',
    );
    expect(settingsSchema.parse({}).drop_guard_ratio).toBe(0.5);
    expect(settingsSchema.safeParse({ drop_guard_ratio: -0.1 }).success).toBe(false);
    expect(settingsSchema.safeParse({ drop_guard_ratio: 1.5 }).success).toBe(false);
  });
});
