import type { Command } from 'commander';
import { examples, lazy } from '../define.js';

export function register(program: Command): void {
  const queue = program
    .command('queue')
    .description("the day's scheduled orders (from the registry schedule) with their status")
    .option('--date <day>', 'YYYY-MM-DD, today, yesterday or tomorrow (default today)')
    .option('--week', 'the week overview: per day and dealership what was ordered or missed')
    .addHelpText(
      'after',
      examples([
        'silverfox queue',
        'silverfox queue --date 2026-11-24',
        'silverfox queue --week',
        'silverfox cao --due --yes                  # run what is still pending today',
      ]),
    )
    .action(lazy(async () => (await import('../commands/queue.js')).show));
  queue
    .command('skip')
    .argument('<name>', 'dealership name, slug or alias')
    .requiredOption('--reason <text>', 'why it is skipped (shown in the queue)')
    .description("skip a dealership's pending orders of the day by hand")
    .addHelpText(
      'after',
      examples([
        'silverfox queue skip "Spirit Lexus" --reason "closed for inventory"',
        'silverfox queue --date 2026-11-24 skip "Spirit Lexus" --reason "lot closed"',
      ]),
    )
    .action(lazy(async () => (await import('../commands/queue.js')).skip));
  queue
    .command('reset')
    .argument('<name>', 'dealership name, slug or alias')
    .description("put a dealership's skipped or failed orders of the day back to pending")
    .addHelpText('after', examples(['silverfox queue reset "Spirit Lexus"']))
    .action(lazy(async () => (await import('../commands/queue.js')).reset));
}
