import { ExitCode } from '../../errors.js';
import type { Action } from '../define.js';
import type { VinlogImportOptions } from '../defs/vinlog.js';
import { vehicleName } from '../order-tables.js';
import { formatTime } from '../presentation.js';
import { withApp } from '../run.js';

const loadApp = () => import('../../app/vinlog.js');

/** `silverfox vinlog show VIN`: why was / wasn't this VIN ordered, at every dealership. */
export const show: Action = async (env, [vin]) => {
  const { pres } = env;
  const { showVin } = await loadApp();
  const r = await withApp(env, (ctx) => showVin(ctx, vin!));
  if (pres.json) return pres.outJson(r);
  pres.out(
    `${pres.c.bold(r.vin)}${r.valid ? (r.checkDigitOk ? '' : ' (check digit does not match)') : ' (not a valid VIN: never ordered by CAO)'}`,
  );
  if (r.entries.length === 0) pres.out('VIN log: no entries at any dealership');
  else {
    pres.out(`VIN log (${r.entries.length}):`);
    pres.out(
      pres.table(
        ['dealership', 'type', 'order', 'reason', 'condition', 'processed'],
        r.entries.map((e) => [
          e.dealershipName,
          e.orderType,
          e.orderId ? `#${e.orderId}${e.orderStatus === 'voided' ? ' (voided)' : ''}` : (e.orderRef ?? ''),
          e.reason ?? '',
          e.condition ?? '',
          formatTime(e.processedAt.toISOString()),
        ]),
      ),
    );
  }
  if (r.inventory.length === 0) pres.out('active inventory: at no dealership');
  for (const i of r.inventory) {
    const v = i.vehicle;
    const what = `${vehicleName(v)}, ${v.condition}, stock ${v.stock ?? '-'}, ${v.lotStatus}`;
    const today = i.filteredBy
      ? `not a CAO candidate: ${i.filteredBy.filter} (${i.filteredBy.detail})`
      : `next CAO: ${i.decision!.order ? 'orders it' : 'skips it'}: ${i.decision!.reason} (${i.decision!.detail})`;
    pres.out(`in the active inventory of ${pres.c.bold(i.dealership.name)}: ${what}`);
    pres.out(`  ${today}`);
  }
};

/** `silverfox vinlog import FILE --dealer NAME`: a legacy VIN log, columnar or grouped. */
export const importLog: Action<VinlogImportOptions> = async (env, [file], opts) => {
  const { pres } = env;
  const { importLegacyVinLog } = await loadApp();
  let text: string | undefined;
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  }
  const r = await withApp(env, (ctx) =>
    importLegacyVinLog(ctx, {
      file: file === '-' ? undefined : file,
      text,
      dealer: opts.dealer,
      dryRun: opts.dryRun,
    }),
  );
  env.note({
    dealerships: [r.dealership.name],
    counts: { imported: r.imported, rejected: r.rejected.length, duplicates: r.duplicates.length },
  });
  if (pres.json) {
    pres.outJson(r);
  } else {
    pres.out(
      `${r.file}: ${r.format} legacy VIN log for ${pres.c.bold(r.dealership.name)}${r.dryRun ? ' (dry run: nothing written)' : ''}`,
    );
    pres.out(
      pres.table(
        ['group / order', 'type', 'VINs'],
        r.groups.map((g) => [g.ref, g.orderType, g.vins]),
        { align: ['left', 'left', 'right'] },
      ),
    );
    pres.out(
      `${r.rows} rows: ${r.imported} ${r.dryRun ? 'to import' : 'imported'} (${r.byType.legacy} legacy orders, ${r.byType.baseline} baseline), ` +
        `${r.alreadyInLog} already in the log, ${r.duplicates.length} duplicates, ${r.rejected.length} rejected, ` +
        `${r.headers} header rows, ${r.groupLabels} group labels`,
    );
    for (const p of r.rejected) pres.out(`  rejected line ${p.line}: ${p.value}: ${p.reason}`);
    for (const p of r.duplicates) pres.out(`  duplicate line ${p.line}: ${p.value} (${p.reason})`);
    for (const w of r.warnings) pres.warn(`line ${w.line}: ${w.value}: ${w.reason}`);
  }
  return r.rejected.length > 0 ? ExitCode.partial : ExitCode.ok;
};
