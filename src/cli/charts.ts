/**
 * ASCII charts for terminal reports: bars and sparklines made of printable ASCII only, so a cron
 * mail or a log file shows them as they are (no block characters, no colour needed to read them).
 */

/** A bar of `width` columns at most for `value` out of `max` (at least one mark when value > 0). */
export function bar(value: number, max: number, width = 30, mark = '#'): string {
  if (value <= 0 || max <= 0) return '';
  return mark.repeat(Math.max(1, Math.round((value / max) * width)));
}

/**
 * A stacked bar: one letter per part (`N` new, `U` used...), the parts in proportion and the whole
 * scaled to `max`. Each part that is not 0 gets at least one letter.
 */
export function stackedBar(
  parts: readonly { value: number; mark: string }[],
  max: number,
  width = 30,
): string {
  const total = parts.reduce((s, p) => s + Math.max(0, p.value), 0);
  if (total <= 0 || max <= 0) return '';
  const cols = Math.max(1, Math.round((total / max) * width));
  return parts
    .filter((p) => p.value > 0)
    .map((p) => p.mark.repeat(Math.max(1, Math.round((p.value / total) * cols))))
    .join('');
}

const LEVELS = ' _.-~=+*#@';

/** A sparkline: one character per value, from ` ` (the lowest) to `@` (the highest). */
export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return '';
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (max === min) return (max === 0 ? '_' : '=').repeat(values.length);
  return values
    .map(
      (v) =>
        LEVELS[Math.min(LEVELS.length - 1, 1 + Math.floor(((v - min) / (max - min)) * (LEVELS.length - 2)))],
    )
    .join('');
}

/** The last `n` values (a sparkline that fits a table cell). */
export function lastValues<T>(values: readonly T[], n: number): T[] {
  return values.length > n ? values.slice(values.length - n) : [...values];
}
