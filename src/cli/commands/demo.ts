import { ExitCode } from '../../errors.js';
import type { Action } from '../define.js';
import type { DemoOptions } from '../defs/demo.js';
import { caoJson, caoLine } from '../order-tables.js';
import { withApp } from '../run.js';

/** `silverfox demo`: sample inventory in, one CAO order out, and where it is. */
export const demo: Action<DemoOptions> = async (env, _args, opts) => {
  const { pres } = env;
  const { runDemo } = await import('../../app/demo.js');
  const spinner = await pres.spinner('importing the sample inventory and running a CAO order');
  let r;
  try {
    r = await withApp(env, (ctx) => runDemo(ctx, { dealer: opts.dealer }));
  } finally {
    spinner.stop();
  }
  env.note({
    dealerships: [r.dealership.name],
    counts: {
      orders: r.cao.status === 'ordered' ? 1 : 0,
      vehicles: r.cao.status === 'ordered' ? r.cao.vehicles.length : 0,
    },
  });
  if (pres.json) {
    pres.outJson({ ...r, cao: caoJson(r.cao, false) });
    return r.cao.status === 'failed' ? ExitCode.error : ExitCode.ok;
  }
  const i = r.import;
  pres.out(`1. import: ${r.sample}`);
  pres.out(
    i.alreadyImported
      ? `   already imported earlier (same content): ${r.dealership.name}'s active inventory is that import`
      : `   ${i.rowsRead} rows read for ${r.dealership.name}: ${i.rowsImported} imported, ${i.rowsRejected} rejected` +
          (i.rejectsFile ? ` (each with its reason in ${i.rejectsFile})` : ''),
  );
  pres.out(`2. cao: ${caoLine(pres, r.cao)}`);
  if (r.cao.status === 'failed') {
    pres.error(r.cao.error?.message ?? 'the CAO failed', r.cao.error?.hints ?? []);
    return ExitCode.error;
  }
  const reasons = Object.entries(r.cao.counts.byReason)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  if (reasons) pres.out(`   decisions: ${reasons}; ${r.cao.counts.filteredOut} filtered out`);
  if (r.folder) {
    const f = r.folder;
    pres.out(`3. the order folder for the design team: ${f.path}`);
    for (const c of f.csvFiles)
      pres.out(`   ${c.file}  (${c.bytes} bytes: the Data Merge CSV, @QR column = PNG path)`);
    pres.out(`   qr_codes/  (${f.qrCodes} PNG, 388x388, one per VIN)`);
    for (const o of f.otherFiles) pres.out(`   ${o.file}  (${o.bytes} bytes)`);
    pres.out('Run `silverfox demo` again: the VIN log remembers these vehicles and nothing new is ordered.');
  } else if (r.cao.status === 'nothing_new') {
    pres.out('   the VIN log remembers every vehicle of the sample: nothing is ordered twice.');
    pres.out(
      '   See `silverfox orders list`, `silverfox vinlog show VIN`; `silverfox orders void ID` brings them back.',
    );
  }
  return ExitCode.ok;
};
