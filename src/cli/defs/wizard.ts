import { defineCommand } from '../define.js';

export const wizard = defineCommand({
  name: 'wizard',
  description:
    "the order desk as menus at a terminal: CAO (today's queue first), LIST, import, scrape, status, settings, history (also `silverfox` alone)",
  // Each step runs as the command it stands for (wizard/ui.ts `step`): that one takes the lock.
  writes: false,
  // It handles Ctrl-C itself: back to the menu.
  trapSignals: false,
  examples: [
    'silverfox                      # at a terminal: the wizard',
    'silverfox wizard --db postgres://localhost/silverfox',
  ],
  help:
    '\nKeys: up/down and Enter choose, typing narrows a list, space ticks a box, Ctrl-C goes back to the\n' +
    'menu (quits from the menu). It needs a terminal: without one (cron, pipes, CI) it exits 2.\n',
  load: async () => (await import('../wizard/index.js')).wizard,
});
