/**
 * The weekly order queue (pure): which scheduled orders are due on a date, and the days of its week.
 *
 * Glossary: a *scheduled order* is an entry of a dealership's registry `schedule`; a *queue entry*
 * is one scheduled order on one date, with a status (pending, running, done, failed, skipped).
 */
import { scheduleKey, WEEKDAYS, type ScheduleEntry, type Weekday } from './dealership.js';

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

/** Parses `YYYY-MM-DD` (or `today`) into a calendar date string; anything else is undefined. */
export function parseDay(text: string, today: Date): string | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'today') return formatDay(today);
  if (t === 'yesterday') return addDays(formatDay(today), -1);
  if (t === 'tomorrow') return addDays(formatDay(today), 1);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(t)) return undefined;
  const d = new Date(`${t}T12:00:00Z`);
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== t ? undefined : t;
}

/** The local calendar date of an instant, as `YYYY-MM-DD`. */
export function formatDay(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** `2026-11-23` + 1 -> `2026-11-24`. */
export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** The weekday of a calendar date. */
export function weekdayOf(day: string): Weekday {
  const js = new Date(`${day}T12:00:00Z`).getUTCDay(); // 0 = Sunday
  return WEEKDAYS[(js + 6) % 7]!;
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
