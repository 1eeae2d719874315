import { defineCommand, text, type OptionsOf } from '../define.js';

export const demoOptions = {
  dealer: text(
    '--dealer <name>',
    'assign the sample to this registry dealership (default Indigo Auto Group)',
  ),
};

export const demo = defineCommand({
  name: 'demo',
  description:
    'the main job, offline: import the sample inventory (samples/), run a CAO order for its dealership, show the folder',
  options: demoOptions,
  writes: true,
  examples: [
    'npx silverfox demo           # first run: imports, orders, prints the order folder',
    'npx silverfox demo           # second run: the VIN log at work, nothing new is ordered',
  ],
  load: async () => (await import('../commands/demo.js')).demo,
});

export type DemoOptions = OptionsOf<typeof demoOptions>;
