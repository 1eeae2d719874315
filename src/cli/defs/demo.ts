import type { Command } from 'commander';
import { examples, lazy } from '../define.js';

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'the main job, offline: import the sample inventory (samples/), run a CAO order for its dealership, show the folder',
    )
    .option('--dealer <name>', 'assign the sample to this registry dealership (default Indigo Auto Group)')
    .addHelpText(
      'after',
      examples([
        'npx silverfox demo           # first run: imports, orders, prints the order folder',
        'npx silverfox demo           # second run: the VIN log at work, nothing new is ordered',
      ]),
    )
    .action(lazy(async () => (await import('../commands/demo.js')).demo));
}
