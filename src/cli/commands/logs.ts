import { formatDuration, parseSince } from '../../core/duration.js';
import { UsageError } from '../../errors.js';
import type { Action } from '../define.js';
import type { LogsOptions } from '../defs/ops.js';
import { formatTime } from '../presentation.js';

/** Options that only change how a run prints, not what it does: `logs` leaves them out. */
const PRESENTATION_ONLY = new Set(['json', 'yes', 'quiet', 'verbose', 'color']);

/** The options of a run as flags, e.g. `--dry-run --template flyout --no-import`. */
function flags(options: Record<string, unknown>): string[] {
  const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return Object.entries(options).flatMap(([k, v]) => {
    if (PRESENTATION_ONLY.has(k)) return [];
    if (v === true) return [`--${kebab(k)}`];
    if (v === false) return [`--no-${kebab(k)}`];
    return (Array.isArray(v) ? v : [v]).flatMap((x) => [`--${kebab(k)}`, String(x)]);
  });
}

function summary(counts: Record<string, number> | undefined): string {
  if (!counts) return '';
  return Object.entries(counts)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

export const logs: Action<LogsOptions> = async (env, _args, opts) => {
  const { pres } = env;
  const since = parseSince(opts.since, new Date());
  if (!since) {
    throw new UsageError(`--since ${opts.since} is not a duration or a date`, [
      'Use 30m, 12h, 1d, 2w, or a date such as 2026-11-01.',
    ]);
  }
  const { readRunLogs } = await import('../../app/logs.js');
  const result = readRunLogs(env.config.logDir, {
    since,
    errorsOnly: opts.errors,
    command: opts.command,
    limit: opts.limit,
  });
  if (result.unreadableLines > 0) {
    pres.warn(`${result.unreadableLines} line(s) of the run log could not be read and were left out`);
  }
  if (pres.json) {
    pres.outJson(result.entries);
    return;
  }
  if (result.entries.length === 0) {
    pres.info(
      `no ${opts.errors ? 'failed ' : ''}runs since ${formatTime(since.toISOString())} in ${env.config.logDir}`,
    );
    return;
  }
  pres.out(
    pres.table(
      ['time', 'command', 'dealerships', 'exit', 'took', 'result'],
      result.entries.map((e) => {
        const d = e.dealerships ?? [];
        const failed = e.exitCode !== 0;
        return [
          formatTime(e.time),
          [e.command, ...flags(e.options ?? {}), ...e.args].join(' ').slice(0, 70),
          d.length > 2 ? `${d.slice(0, 2).join(', ')} +${d.length - 2}` : d.join(', '),
          failed ? pres.c.red(String(e.exitCode)) : String(e.exitCode),
          formatDuration(e.durationMs),
          e.error ? `${e.error.code}: ${e.error.message}`.slice(0, 100) : summary(e.counts),
        ];
      }),
      { align: ['left', 'left', 'left', 'right', 'right', 'left'] },
    ),
  );
  const failed = result.entries.filter((e) => e.exitCode !== 0).length;
  pres.info(`${result.entries.length} run(s), ${failed} failed; logs in ${env.config.logDir}`);
};
