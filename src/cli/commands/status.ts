import type { Action } from '../define.js';
import type { StatusOptions } from '../defs/status.js';
import { formatAge, formatTime } from '../presentation.js';
import { withApp } from '../run.js';
import { ExitCode } from '../../errors.js';

export const status: Action<StatusOptions> = async (env, _args, opts) => {
  const { pres } = env;
  const { getStatus } = await import('../../app/status.js');
  const report = await withApp(env, getStatus);
  if (pres.json) {
    pres.outJson(report);
  } else {
    const db = report.database;
    pres.out(
      `database: ${db.kind === 'embedded' ? `embedded (PGlite) at ${db.location}` : `server ${db.location}`}, ` +
        `schema version ${db.schemaVersion}${db.schemaVersion < db.latestVersion ? ` (latest ${db.latestVersion})` : ''}`,
    );
    pres.out();
    pres.out(
      pres.table(
        ['dealership', 'enabled', 'active rows', 'imported at', 'age', 'vin log', 'last order'],
        report.dealerships.map((d) => [
          d.stale || d.held ? pres.c.yellow(`${d.name}${d.held ? ' (HELD)' : ''}`) : d.name,
          d.enabled ? 'yes' : 'no',
          d.activeRows,
          formatTime(d.importedAt),
          d.stale ? pres.c.yellow(`${formatAge(d.ageHours)} STALE`) : formatAge(d.ageHours),
          d.vinLogSize,
          d.lastOrderId ? `#${d.lastOrderId} ${formatTime(d.lastOrderAt)}` : '',
        ]),
        { align: ['left', 'left', 'right', 'left', 'left', 'right', 'left'] },
      ),
    );
    const t = report.totals;
    pres.out();
    pres.out(
      `${t.dealerships} dealerships (${t.enabled} enabled), ${t.activeRows} active rows, ${t.vinLog} VIN-log entries, ` +
        `${t.stale} stale (older than ${report.staleHours}h or never imported)` +
        `${t.held ? `, ${t.held} with a held snapshot` : ''}`,
    );
    for (const d of report.dealerships.filter((x) => x.held)) {
      const h = d.held!;
      pres.out();
      pres.out(
        pres.c.yellow(`${d.name}: snapshot #${h.snapshotId} HELD`) +
          ` (${h.source} import #${h.importId} at ${formatTime(h.heldAt)}, ${h.rows} rows): ${h.reason}.`,
      );
      pres.out(`  CAO and LIST use the active snapshot (${d.activeRows} rows) until it is accepted.`);
      pres.out(`  Accept it: ${h.accept}   (or re-import the file with \`silverfox import FILE --force\`)`);
    }
  }
  if (opts.check && report.totals.stale > 0) {
    pres.error(`${report.totals.stale} enabled dealership(s) are stale`, [
      'Run `silverfox scrape --all` or `silverfox import FILE` to refresh them.',
    ]);
    return ExitCode.error;
  }
  return ExitCode.ok;
};
