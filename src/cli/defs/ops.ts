/** Operations: run logs and doctor (the run lock's global `--wait-lock` is declared in main.ts). */
import { defineCommand, flag, text, wholeNumber, withDefault, type OptionsOf } from '../define.js';

export const logsOptions = {
  since: withDefault(
    text('--since <when>', 'runs since a duration ago (30m, 12h, 1d, 2w) or a date (2026-11-01)'),
    '1d',
  ),
  errors: flag('--errors', 'only runs that failed (exit code not 0)'),
  command: text(
    '--command <name>',
    'only this command (cao, "db prune"); a group name matches its subcommands',
  ),
  limit: withDefault(
    wholeNumber('--limit <n>', 'only the newest N runs', {
      min: 1,
      message: (flag, raw) => `${flag} ${raw} is not a positive whole number`,
    }),
    '200',
  ),
};

export const ops = [
  defineCommand({
    name: 'logs',
    description: 'the run log: one line per command run (time, command, dealerships, counts, exit, error)',
    options: logsOptions,
    writes: false,
    // Reading the log should not grow it.
    logged: false,
    examples: ['silverfox logs', 'silverfox logs --since 7d --errors', 'silverfox logs --command cao --json'],
    load: async () => (await import('../commands/logs.js')).logs,
  }),
  defineCommand({
    name: 'doctor',
    description:
      'check the installation: database and schema, orders folder, free space, Chromium, registry, stale data, leftovers',
    writes: false,
    examples: ['silverfox doctor', 'silverfox doctor --json', 'silverfox doctor --quiet || alert-me'],
    load: async () => (await import('../commands/doctor.js')).doctor,
  }),
];

export type LogsOptions = OptionsOf<typeof logsOptions>;
