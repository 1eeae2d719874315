import type { Command } from 'commander';
import { examples, lazy } from '../define.js';

export function register(program: Command): void {
  program
    .command('wizard')
    .description(
      "the order desk as menus at a terminal: CAO (today's queue first), LIST, import, scrape, status, settings, history (also `silverfox` alone)",
    )
    .addHelpText(
      'after',
      examples([
        'silverfox                      # at a terminal: the wizard',
        'silverfox wizard --db postgres://localhost/silverfox',
      ]) +
        '\nKeys: up/down and Enter choose, typing narrows a list, space ticks a box, Ctrl-C goes back to the\n' +
        'menu (quits from the menu). It needs a terminal: without one (cron, pipes, CI) it exits 2.\n',
    )
    .action(lazy(async () => (await import('../wizard/index.js')).wizard));
}
