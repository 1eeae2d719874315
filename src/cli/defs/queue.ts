import { defineCommand, flag, requiredText, text, type OptionsOf } from '../define.js';

export const queueOptions = {
  date: text('--date <day>', 'YYYY-MM-DD, today, yesterday or tomorrow (default today)'),
  week: flag('--week', 'the week overview: per day and dealership what was ordered or missed'),
};
export const queueSkipOptions = {
  reason: requiredText('--reason <text>', 'why it is skipped (shown in the queue)'),
};

const load = () => import('../commands/queue.js');

export const queue = [
  defineCommand({
    name: 'queue',
    description: "the day's scheduled orders (from the registry schedule) with their status",
    options: queueOptions,
    writes: false,
    examples: [
      'silverfox queue',
      'silverfox queue --date 2026-11-24',
      'silverfox queue --week',
      'silverfox cao --due --yes                  # run what is still pending today',
    ],
    load: async () => (await load()).show,
  }),
  defineCommand({
    name: 'queue skip',
    args: [['<name>', 'dealership name, slug or alias']],
    description: "skip a dealership's pending orders of the day by hand",
    options: queueSkipOptions,
    writes: false,
    examples: [
      'silverfox queue skip "Spirit Lexus" --reason "closed for inventory"',
      'silverfox queue --date 2026-11-24 skip "Spirit Lexus" --reason "lot closed"',
    ],
    load: async () => (await load()).skip,
  }),
  defineCommand({
    name: 'queue reset',
    args: [['<name>', 'dealership name, slug or alias']],
    description: "put a dealership's skipped or failed orders of the day back to pending",
    writes: false,
    examples: ['silverfox queue reset "Spirit Lexus"'],
    load: async () => (await load()).reset,
  }),
];

export type QueueOptions = OptionsOf<typeof queueOptions>;
export type QueueSkipOptions = OptionsOf<typeof queueSkipOptions>;
