/**
 * The weekly order queue (pure): which scheduled orders are due on a date, and the days of its week.
 *
 * Glossary: a *scheduled order* is an entry of a dealership's registry `schedule`; a *queue entry*
 * is one scheduled order on one date, with a status (pending, running, done, failed, skipped).
 */
import { addDays, dayIn, weekdayIndex } from './calendar.js';
import { scheduleKey, WEEKDAYS, type ScheduleEntry, type Weekday } from './dealership.js';

export { addDays };

export const QUEUE_STATUSES = ['pending', 'running', 'done', 'failed', 'skipped'] as const;
export type QueueStatus = (typeof QUEUE_STATUSES)[number];

/** A scheduled order due on a date. */
export interface DueOrder {
  dealershipId: number;
  dealershipName: string;
  key: string;
  template: string;
  vehicleTypes: string[];
  priority: number;
}

/**
 * Parses `YYYY-MM-DD` (or `today`, `yesterday`, `tomorrow`: days in the shop's `timeZone` at the
 * instant `now`) into a calendar date string; anything else is undefined.
 */
export function parseDay(text: string, now: Date, timeZone: string): string | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'today') return formatDay(now, timeZone);
  if (t === 'yesterday') return addDays(formatDay(now, timeZone), -1);
  if (t === 'tomorrow') return addDays(formatDay(now, timeZone), 1);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(t)) return undefined;
  const d = new Date(`${t}T12:00:00Z`);
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== t ? undefined : t;
}

/** The calendar date of an instant in the shop's time zone, as `YYYY-MM-DD`. */
export function formatDay(d: Date, timeZone: string): string {
  return dayIn(d, timeZone);
}

/** The weekday of a calendar date. */
export function weekdayOf(day: string): Weekday {
  return WEEKDAYS[weekdayIndex(day)]!;
}

/** Monday..Sunday of the week that holds `day`. */
export function weekOf(day: string): string[] {
  const monday = addDays(day, -WEEKDAYS.indexOf(weekdayOf(day)));
  return WEEKDAYS.map((_, i) => addDays(monday, i));
}

/** The scheduled orders due on `day` for enabled dealerships, by priority then name. */
export function dueOn(
  day: string,
  dealerships: readonly { id: number; name: string; enabled: boolean; schedule: readonly ScheduleEntry[] }[],
): DueOrder[] {
  const weekday = weekdayOf(day);
  const due: DueOrder[] = [];
  for (const d of dealerships) {
    if (!d.enabled) continue;
    for (const e of d.schedule) {
      if (!e.weekdays.includes(weekday)) continue;
      due.push({
        dealershipId: d.id,
        dealershipName: d.name,
        key: scheduleKey(e),
        template: e.template,
        vehicleTypes: [...e.vehicle_types],
        priority: e.priority,
      });
    }
  }
  return due.sort((a, b) => a.priority - b.priority || a.dealershipName.localeCompare(b.dealershipName));
}
