/**
 * Issue 15.5, one clock for days: "today" is the calendar day in the shop's time zone, for every
 * day-based rule, whatever the zone of the process. seasoning_days used to count by the UTC date
 * and the queue by the process's local date: at 20:06 in Chicago a car in stock since today passed
 * seasoning_days=1, and in Auckland after midnight a car in stock since yesterday was held back.
 * Each case runs with the process itself in two other zones (TZ), so only the shop's zone decides.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  addDays,
  dayIn,
  daysBetween,
  isTimeZone,
  localDateTime,
  localDay,
  localStamp,
  weekdayIndex,
  yearIn,
} from '../../src/core/calendar.js';
import { filterVehicle, type InventoryVehicle } from '../../src/core/cao.js';
import { settingsSchema } from '../../src/core/dealership.js';
import { formatDay, parseDay, weekdayOf } from '../../src/core/queue.js';

/** Instants around midnight, and the shop's calendar day there. */
const CASES = [
  // 20:06 on Thursday evening in Chicago (UTC-6): already Friday in UTC.
  { zone: 'America/Chicago', at: '2026-11-20T02:06:00Z', today: '2026-11-19', weekday: 'thursday' },
  // 00:30 on Saturday in Auckland (UTC+13 in summer): still Friday in UTC.
  { zone: 'Pacific/Auckland', at: '2026-11-20T11:30:00Z', today: '2026-11-21', weekday: 'saturday' },
  { zone: 'UTC', at: '2026-11-20T23:59:00Z', today: '2026-11-20', weekday: 'friday' },
  // 23:30 on Sunday in Kolkata (UTC+5:30), 18:00 UTC.
  { zone: 'Asia/Kolkata', at: '2026-11-22T18:00:00Z', today: '2026-11-22', weekday: 'sunday' },
  // Just after midnight on the day New York leaves summer time (UTC-4 then UTC-5).
  { zone: 'America/New_York', at: '2026-11-01T04:10:00Z', today: '2026-11-01', weekday: 'sunday' },
] as const;

const PROCESS_ZONES = ['UTC', 'Pacific/Honolulu', 'Asia/Tokyo'];
const savedTz = process.env.TZ;
afterAll(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

const car = (dateInStock: string): InventoryVehicle => ({
  vin: '1HGCM82633A004352',
  vinValid: true,
  stock: 'H1234',
  year: 2024,
  make: 'Honda',
  model: 'Accord',
  trim: 'EX-L',
  fullName: '2024 Honda Accord',
  condition: 'new',
  lotStatus: 'on_lot',
  status: 'In Stock',
  price: 31_995,
  dateInStock,
  url: null,
});

describe.each(PROCESS_ZONES)('process TZ=%s', (processZone) => {
  describe.each(CASES)('shop in $zone at $at', ({ zone, at, today, weekday }) => {
    const now = new Date(at);
    const settings = settingsSchema.parse({ seasoning_days: 1 });
    const run = <T>(fn: () => T): T => {
      process.env.TZ = processZone;
      return fn();
    };

    it(`today is ${today}`, () => {
      run(() => {
        expect(dayIn(now, zone)).toBe(today);
        expect(formatDay(now, zone)).toBe(today);
        expect(parseDay('today', now, zone)).toBe(today);
        expect(parseDay('yesterday', now, zone)).toBe(addDays(today, -1));
        expect(yearIn(now, zone)).toBe(Number(today.slice(0, 4)));
      });
    });

    it(`the queue's weekday is ${weekday}`, () => {
      run(() => expect(weekdayOf(parseDay('today', now, zone)!)).toBe(weekday));
    });

    it('seasoning_days=1 holds back a car in stock since today, and lets one from yesterday through', () => {
      run(() => {
        expect(filterVehicle(car(today), settings, now, zone)?.filter).toBe('seasoning_days');
        expect(filterVehicle(car(today), settings, now, zone)?.detail).toContain('(0 days)');
        expect(filterVehicle(car(addDays(today, -1)), settings, now, zone)).toBeNull();
      });
    });
  });
});

describe('calendar arithmetic', () => {
  it('counts calendar days across month, year and leap days', () => {
    expect(daysBetween('2026-11-19', '2026-11-20')).toBe(1);
    expect(daysBetween('2026-12-31', '2027-01-01')).toBe(1);
    expect(daysBetween('2028-02-28', '2028-03-01')).toBe(2);
    expect(daysBetween('2026-11-20', '2026-11-20')).toBe(0);
    expect(daysBetween('2026-11-21', '2026-11-20')).toBe(-1);
  });
  it('weekdays run Monday (0) to Sunday (6)', () => {
    expect(weekdayIndex('2026-11-23')).toBe(0);
    expect(weekdayIndex('2026-11-29')).toBe(6);
  });
  it('knows time zone names', () => {
    expect(isTimeZone('America/Chicago')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });
});

describe('local-time formatting (file names, run ids, billing, tables)', () => {
  it('pads every part and reads the local clock', () => {
    const d = new Date(2026, 0, 5, 7, 8, 9);
    expect(localDay(d)).toBe('2026-01-05');
    expect(localDateTime(d)).toBe('2026-01-05 07:08:09');
    expect(localDateTime(d, { seconds: false })).toBe('2026-01-05 07:08');
    expect(localStamp(d)).toBe('20260105-070809');
    expect(localStamp(new Date(2026, 11, 31, 23, 59, 58))).toBe('20261231-235958');
  });
});
