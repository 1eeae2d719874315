/**
 * One clock for days (pure). "Today" is the calendar day in the shop's time zone
 * (SILVERFOX_TIMEZONE, default the machine's), whatever the zone of the process or of UTC: every
 * day-based rule (seasoning_days, the order queue's dates and weekdays, the model-year bound) asks
 * these functions, so at 20:06 in Chicago a car in stock since today is 0 days old everywhere.
 *
 * Glossary: a *day* is a calendar date as `YYYY-MM-DD`, with no zone; an *instant* is a `Date`.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether `timeZone` is an IANA zone name this runtime knows (`America/Chicago`, `UTC`). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The calendar day of the instant `at` in `timeZone`, as `YYYY-MM-DD`. */
export function dayIn(at: Date, timeZone: string): string {
  const parts = formatter(timeZone).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year').padStart(4, '0')}-${get('month')}-${get('day')}`;
}

/** The calendar year of the instant `at` in `timeZone`. */
export function yearIn(at: Date, timeZone: string): number {
  return Number(dayIn(at, timeZone).slice(0, 4));
}

const DAY_MS = 86_400_000;

/** Days as counted on a calendar: `2026-11-19` to `2026-11-20` is 1, whatever the hour or zone. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** `2026-11-23` + 1 -> `2026-11-24`. */
export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** 0 = Monday .. 6 = Sunday, of a calendar day. */
export function weekdayIndex(day: string): number {
  return (new Date(`${day}T12:00:00Z`).getUTCDay() + 6) % 7;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

// The one home of local-time formatting (the machine's zone: what the operator's clock shows),
// for file names, run ids, billing sheets and tables. Days of the shop's calendar are `dayIn`.

/** `YYYY-MM-DD` of `d` in local time. */
export function localDay(d: Date): string {
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

/** `YYYY-MM-DD HH:MM:SS` of `d` in local time; `HH:MM` only with `{ seconds: false }`. */
export function localDateTime(d: Date, opts: { seconds?: boolean } = {}): string {
  const time = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  return `${localDay(d)} ${opts.seconds === false ? time : `${time}:${pad2(d.getSeconds())}`}`;
}

/** `YYYYMMDD-HHMMSS` of `d` in local time: a file-name stamp that sorts by time. */
export function localStamp(d: Date): string {
  return localDateTime(d).replace(/[-:]/g, '').replace(' ', '-');
}
