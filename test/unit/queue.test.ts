import { describe, expect, it } from 'vitest';
import { scheduleEntrySchema, scheduleKey } from '../../src/core/dealership.js';
import { addDays, dueOn, parseDay, weekdayOf, weekOf } from '../../src/core/queue.js';

const sched = (weekdays: string[], template: string, vehicle_types: string[], priority = 100) =>
  scheduleEntrySchema.parse({ weekdays, template, vehicle_types, priority });

describe('calendar', () => {
  it('knows the weekday of a date', () => {
    expect(weekdayOf('2026-11-23')).toBe('monday');
    expect(weekdayOf('2026-11-26')).toBe('thursday');
    expect(weekdayOf('2026-11-29')).toBe('sunday');
  });
  it('weeks run Monday to Sunday, across month and year ends', () => {
    expect(weekOf('2026-11-26')).toEqual([
      '2026-11-23',
      '2026-11-24',
      '2026-11-25',
      '2026-11-26',
      '2026-11-27',
      '2026-11-28',
      '2026-11-29',
    ]);
    expect(weekOf('2027-01-01')[0]).toBe('2026-12-28');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
  });
  it('parses days strictly', () => {
    const now = new Date('2026-11-23T15:00:00Z');
    expect(parseDay('today', now, 'UTC')).toBe('2026-11-23');
    expect(parseDay('yesterday', now, 'UTC')).toBe('2026-11-22');
    expect(parseDay('2026-11-24', now, 'UTC')).toBe('2026-11-24');
    expect(parseDay('2026-02-30', now, 'UTC')).toBeUndefined();
    expect(parseDay('24/11/2026', now, 'UTC')).toBeUndefined();
  });
});

describe('dueOn', () => {
  const dealers = [
    {
      id: 1,
      name: 'Spirit Lexus',
      enabled: true,
      schedule: [sched(['Tuesday', 'thursday'], 'flyout', ['new', 'used'], 40)],
    },
    {
      id: 2,
      name: 'Honda of Frontenac',
      enabled: true,
      schedule: [
        sched(['tuesday'], 'shortcut_pack', ['used'], 120),
        sched(['thursday'], 'shortcut_pack', ['new', 'used'], 270),
      ],
    },
    { id: 3, name: 'Disabled Motors', enabled: false, schedule: [sched(['tuesday'], 'flyout', ['new'], 1)] },
  ];
  it('lists enabled dealerships due that weekday, by priority', () => {
    const tue = dueOn('2026-11-24', dealers);
    expect(tue.map((d) => [d.dealershipName, d.template, d.vehicleTypes.join('+')])).toEqual([
      ['Spirit Lexus', 'flyout', 'new+used'],
      ['Honda of Frontenac', 'shortcut_pack', 'used'],
    ]);
    expect(dueOn('2026-11-26', dealers).find((d) => d.dealershipId === 2)!.vehicleTypes).toEqual([
      'new',
      'used',
    ]);
    expect(dueOn('2026-11-23', dealers)).toEqual([]);
  });
  it('keys a scheduled order by type, template and sorted vehicle types', () => {
    expect(scheduleKey({ order_type: 'cao', template: 'flyout', vehicle_types: ['used', 'new'] })).toBe(
      'cao:flyout:new+used',
    );
  });
  it('rejects a schedule with an unknown weekday', () => {
    expect(
      scheduleEntrySchema.safeParse({ weekdays: ['funday'], template: 'x', vehicle_types: ['new'] }).success,
    ).toBe(false);
  });
});
