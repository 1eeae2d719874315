import { formatBytes, parseDuration } from '../../core/duration.js';
import { UsageError } from '../../errors.js';
import type { Action } from '../define.js';
import type { OrdersArchiveOptions } from '../defs/orders.js';
import { formatTime } from '../presentation.js';
import { withApp } from '../run.js';

/** `orders archive --older-than 30d`: zip old order folders, keep their rows. */
export const archive: Action<OrdersArchiveOptions> = async (env, _args, opts) => {
  const olderThanMs = parseDuration(opts.olderThan);
  if (olderThanMs === undefined) {
    throw new UsageError(`--older-than ${opts.olderThan} is not a duration`, [
      'Use a number and a unit: 30d, 12h, 2w.',
    ]);
  }
  const { pres } = env;
  const { archiveOrders } = await import('../../app/maintenance.js');
  const r = await withApp(env, (ctx) =>
    archiveOrders(ctx, { olderThanMs, dryRun: opts.dryRun, onProgress: (m) => pres.debug(m) }),
  );
  env.note({
    dealerships: [...new Set(r.orders.map((o) => o.dealership))],
    counts: {
      archived: r.counts.archived,
      missing: r.counts.missing,
      files: r.counts.files,
      bytes: r.counts.bytes,
    },
  });
  if (pres.json) {
    pres.outJson(r);
    return;
  }
  if (r.orders.length === 0) {
    pres.out(`nothing to archive: no order folder older than ${formatTime(r.cutoff)}`);
    return;
  }
  pres.out(
    pres.table(
      ['order', 'dealership', 'outcome', 'files', 'size', 'zip', 'archive'],
      r.orders.map((o) => [
        `#${o.orderId}`,
        o.dealership,
        o.outcome === 'missing' ? pres.c.yellow('folder missing') : o.outcome.replace('_', ' '),
        o.files || '',
        o.bytes ? formatBytes(o.bytes) : '',
        o.zipBytes ? formatBytes(o.zipBytes) : '',
        o.archivePath ?? '',
      ]),
      { align: ['right', 'left', 'left', 'right', 'right', 'right', 'left'] },
    ),
  );
  const c = r.counts;
  pres.out();
  pres.out(
    `${r.dryRun ? 'would archive' : 'archived'} ${c.archived} order folder(s) older than ${formatTime(r.cutoff)} ` +
      `(${c.files} files, ${formatBytes(c.bytes)}${r.dryRun ? '' : ` -> ${formatBytes(c.zipBytes)} zipped`}) into ${r.archiveDir}` +
      (c.missing ? `; ${c.missing} folder(s) already gone` : ''),
  );
};
