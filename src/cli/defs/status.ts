import { defineCommand, flag, type OptionsOf } from '../define.js';

export const statusOptions = {
  check: flag(
    '--check',
    'exit 1 when the database is unreachable or an enabled dealership is stale (monitoring)',
  ),
};

export const status = defineCommand({
  name: 'status',
  description: 'database, and per dealership: active snapshot, age, VIN log, last order, held snapshot',
  options: statusOptions,
  writes: false,
  examples: ['silverfox status', 'silverfox status --json', 'silverfox status --check || alert-me'],
  load: async () => (await import('../commands/status.js')).status,
});

export type StatusOptions = OptionsOf<typeof statusOptions>;
