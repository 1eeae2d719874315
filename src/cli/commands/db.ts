import { formatBytes } from '../../core/duration.js';
import type { Action } from '../define.js';
import type { DbBackupOptions, DbPruneOptions, DbRestoreOptions } from '../defs/db.js';
import { withApp } from '../run.js';

export const migrate: Action = async (env) => {
  const { openDatabase } = await import('../../db/open.js');
  const { migrate: run, schemaStatus } = await import('../../db/migrate.js');
  const db = await openDatabase(env.config, { migrate: false });
  try {
    const applied = await run(db);
    const s = await schemaStatus(db);
    if (env.pres.json) env.pres.outJson({ applied, version: s.version });
    else if (applied.length === 0) env.pres.out(`schema is up to date (version ${s.version})`);
    else env.pres.out(`applied ${applied.join(', ')}; schema version ${s.version}`);
  } finally {
    await db.close();
  }
};

export const status: Action = async (env) => {
  const { schemaStatus } = await import('../../db/migrate.js');
  const s = await withApp(env, (ctx) => schemaStatus(ctx.db));
  if (env.pres.json) env.pres.outJson(s);
  else
    env.pres.out(
      `schema version ${s.version} of ${s.latest}${s.pending.length ? `; pending: ${s.pending.join(', ')}` : ''}`,
    );
};

const countsLine = (c: Record<string, number>) =>
  ['dealerships', 'imports', 'snapshots', 'vehicles', 'orders', 'vin_log']
    .filter((t) => t in c)
    .map((t) => `${c[t]} ${t}`)
    .join(', ');

export const backup: Action<DbBackupOptions> = async (env, [file], opts) => {
  const { backupDatabase } = await import('../../app/backup.js');
  const spinner = await env.pres.spinner(`backing up to ${file}`);
  let r;
  try {
    r = await backupDatabase(env.config, { file: file!, overwrite: opts.force || env.pres.yes });
  } catch (err) {
    spinner.stop();
    throw err;
  }
  spinner.stop();
  env.note({ counts: { bytes: r.bytes, ...r.counts } });
  if (env.pres.json) env.pres.outJson(r);
  else
    env.pres.out(
      `backed up the ${r.database} to ${r.file} (${formatBytes(r.bytes)}): ${countsLine(r.counts)}`,
    );
};

export const restore: Action<DbRestoreOptions> = async (env, [file], opts) => {
  const { restoreDatabase } = await import('../../app/backup.js');
  const { pres } = env;
  const r = await restoreDatabase(env.config, {
    file: file!,
    force: opts.force || pres.yes,
    confirm: pres.interactive
      ? (c) => pres.confirm(`The database holds ${countsLine(c)}. Replace all of it with ${file}?`)
      : undefined,
  });
  env.note({ counts: r.after });
  if (pres.json) pres.outJson(r);
  else {
    pres.out(`restored ${r.file} into the ${r.database}: ${countsLine(r.after)}`);
    if (r.migrated.length > 0) pres.out(`migrated the restored database: ${r.migrated.join(', ')}`);
    if (r.previous) pres.out(`the replaced database was kept in ${r.previous} (delete it when satisfied)`);
  }
};

export const prune: Action<DbPruneOptions> = async (env, _args, opts) => {
  const { pruneSnapshots } = await import('../../app/maintenance.js');
  const r = await withApp(env, (ctx) =>
    pruneSnapshots(ctx, { keepSnapshots: opts.keepSnapshots, dryRun: opts.dryRun }),
  );
  env.note({ dealerships: r.dealerships.map((d) => d.dealership), counts: r.counts });
  const { pres } = env;
  if (pres.json) {
    pres.outJson(r);
    return;
  }
  if (r.dealerships.length === 0) {
    pres.out(
      `nothing to prune: no dealership has more than ${opts.keepSnapshots} archived snapshot(s) with rows`,
    );
    return;
  }
  pres.out(
    pres.table(
      ['dealership', 'snapshots', 'vehicle rows', 'raw rows', 'row data'],
      r.dealerships.map((d) => [d.dealership, d.snapshots, d.vehicleRows, d.rawRows, formatBytes(d.bytes)]),
      { align: ['left', 'right', 'right', 'right', 'right'] },
    ),
  );
  const c = r.counts;
  pres.out();
  pres.out(
    `${r.dryRun ? 'would free' : 'freed'} ${c.vehicleRows} vehicle rows and ${c.rawRows} raw rows of ${c.snapshots} archived snapshot(s), ` +
      `${formatBytes(c.bytes)} of row data` +
      (r.dryRun
        ? ''
        : `; snapshot tables ${formatBytes(r.tableBytesBefore)} -> ${formatBytes(r.tableBytesAfter)} on disk`),
  );
};
