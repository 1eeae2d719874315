import type { Command } from 'commander';
import { examples, lazy } from '../define.js';

/** Operations: run logs, doctor, and the run lock's global `--wait-lock`. */
export function register(program: Command): void {
  // A global option: every writing command honours it (see RUN_LOCKED_COMMANDS in define.ts).
  program.option(
    '--wait-lock <seconds>',
    'when another writing run holds the run lock, wait up to this long (default SILVERFOX_WAIT_LOCK, 0)',
  );
  program
    .command('logs')
    .description('the run log: one line per command run (time, command, dealerships, counts, exit, error)')
    .option('--since <when>', 'runs since a duration ago (30m, 12h, 1d, 2w) or a date (2026-11-01)', '1d')
    .option('--errors', 'only runs that failed (exit code not 0)')
    .option('--command <name>', 'only this command (cao, "db prune"); a group name matches its subcommands')
    .option('--limit <n>', 'only the newest N runs', '200')
    .addHelpText(
      'after',
      examples([
        'silverfox logs',
        'silverfox logs --since 7d --errors',
        'silverfox logs --command cao --json',
      ]),
    )
    .action(lazy(async () => (await import('../commands/logs.js')).logs));
  program
    .command('doctor')
    .description(
      'check the installation: database and schema, orders folder, free space, Chromium, registry, stale data, leftovers',
    )
    .addHelpText(
      'after',
      examples(['silverfox doctor', 'silverfox doctor --json', 'silverfox doctor --quiet || alert-me']),
    )
    .action(lazy(async () => (await import('../commands/doctor.js')).doctor));
}
