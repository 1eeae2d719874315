import { describe, expect, it } from 'vitest';
import {
  DealershipResolver,
  isStale,
  nameKey,
  parseSettingValue,
  registryEntrySchema,
  settingsSchema,
  slugify,
} from '../../src/core/dealership.js';

describe('slugify', () => {
  it.each([
    ['BMW of West St. Louis', 'bmw_of_west_st_louis'],
    ['H&W Kia', 'h_and_w_kia'],
    ["Serra Honda O'Fallon", 'serra_honda_o_fallon'],
    ['  --Spirit   Lexus!! ', 'spirit_lexus'],
    ['MINI of St. Louis', 'mini_of_st_louis'],
  ])('%s -> %s', (name, slug) => expect(slugify(name)).toBe(slug));

  it('keeps path separators and device names out of file names', () => {
    expect(slugify('../../etc/passwd')).toBe('etc_passwd');
    expect(slugify('/abs/path')).toBe('abs_path');
  });
});

describe('DealershipResolver', () => {
  const dealers = [
    { id: 1, name: 'BMW of West St. Louis', slug: 'bmw_of_west_st_louis', aliases: ['BMW of West St Louis'] },
    { id: 2, name: 'HW Kia', slug: 'hw_kia', aliases: ['HW Kia of West County', 'H&W Kia'] },
    { id: 3, name: 'Columbia Honda', slug: 'columbia_honda', aliases: [] },
  ];
  const r = new DealershipResolver(dealers);

  it('resolves by name, slug and alias, case- and punctuation-insensitively', () => {
    expect(r.resolve('bmw of west st. louis')?.id).toBe(1);
    expect(r.resolve('BMW OF WEST ST LOUIS')?.id).toBe(1);
    expect(r.resolve('bmw_of_west_st_louis')?.id).toBe(1);
    expect(r.resolve('h&w kia')?.id).toBe(2);
    expect(r.resolve('HW Kia of West County')?.id).toBe(2);
    expect(r.resolve(' Columbia  Honda ')?.id).toBe(3);
  });

  it('does not guess', () => {
    expect(r.resolve('Columbia')).toBeUndefined();
    expect(r.resolve('')).toBeUndefined();
  });

  it('suggests the closest names for a typo', () => {
    expect(r.suggest('Columbia Hondda')[0]).toBe('Columbia Honda');
    expect(r.suggest('zzzzzzzzzz')).toEqual([]);
  });

  it('nameKey folds accents', () => {
    expect(nameKey('Café Motors')).toBe('cafe_motors');
  });
});

describe('settings', () => {
  it('has the documented defaults', () => {
    const s = settingsSchema.parse({});
    expect(s.vehicle_types).toEqual(['new', 'used']);
    expect(s.recent_days).toBe(1);
    expect(s.template).toBe('standard');
    expect(s.allow_off_lot).toBe(false);
  });

  it('parses operator text by the type of the setting', () => {
    expect(parseSettingValue('min_price', '$5,000')).toBe(5000);
    expect(parseSettingValue('min_year', 'none')).toBeNull();
    expect(parseSettingValue('vehicle_types', 'new, cpo')).toEqual(['new', 'cpo']);
    expect(parseSettingValue('require_stock', 'yes')).toBe(true);
    expect(parseSettingValue('template', 'flyout')).toBe('flyout');
  });

  it('rejects unknown keys and bad values with the path', () => {
    const bad = registryEntrySchema.safeParse({
      name: 'X',
      settings: { vehicle_types: ['trucks'], colour: 'red' },
    });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    expect(paths.some((p) => p.startsWith('settings'))).toBe(true);
  });
});

describe('isStale', () => {
  const now = new Date('2026-03-10T12:00:00Z');
  const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);

  it('an enabled dealership is stale past the limit or never imported, not at it', () => {
    expect(isStale(true, hoursAgo(36), now, 36)).toBe(false);
    expect(isStale(true, hoursAgo(36.01), now, 36)).toBe(true);
    expect(isStale(true, null, now, 36)).toBe(true);
  });

  it('a disabled dealership is never stale', () => {
    expect(isStale(false, hoursAgo(1000), now, 36)).toBe(false);
    expect(isStale(false, null, now, 36)).toBe(false);
  });
});
