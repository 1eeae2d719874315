import path from 'node:path';
import type { OrderHistoryEntry } from '../../app/orders.js';
import { SETTING_KEYS } from '../../core/dealership.js';
import { describeQrPaths, RELATIVE_QR_PATHS, type QrPathsRecord } from '../../core/qr-path.js';
import { ExitCode } from '../../errors.js';
import type { Action } from '../define.js';
import type { OrdersListOptions, OrdersPathsOptions, OrdersVoidOptions } from '../defs/orders.js';
import { vehicleTable } from '../order-tables.js';
import { formatTime } from '../presentation.js';
import { withApp } from '../run.js';

const loadApp = () => import('../../app/orders.js');

/** `silverfox orders list [DEALER] [--since DATE]`. */
export const list: Action<OrdersListOptions> = async (env, [dealer], opts) => {
  const { pres } = env;
  const { listOrders } = await loadApp();
  const orders = await withApp(env, (ctx) => listOrders(ctx, { dealer, since: opts.since }));
  if (pres.json) return pres.outJson(orders);
  if (orders.length === 0) {
    pres.out('no orders');
    return;
  }
  pres.out(
    pres.table(
      ['order', 'dealership', 'type', 'status', 'vehicles', 'template', 'created', 'folder'],
      orders.map((o) => [
        `#${o.id}`,
        o.dealershipName,
        o.orderType,
        o.status === 'voided' ? pres.c.yellow('voided') : o.status,
        o.vehicleCount,
        o.template,
        formatTime(o.createdAt.toISOString()),
        o.folder,
      ]),
      { align: ['right', 'left', 'left', 'left', 'right', 'left', 'left', 'left'] },
    ),
  );
  // A voided order was undone: it is listed, but its vehicles count for nothing.
  const standing = orders.filter((o) => o.status !== 'voided');
  const voided = orders.length - standing.length;
  pres.out(
    `${standing.length} order(s), ${standing.reduce((s, o) => s + o.vehicleCount, 0)} vehicles` +
      (voided > 0 ? ` (and ${voided} voided order(s), not counted)` : ''),
  );
};

const SOURCES: Record<QrPathsRecord['source'], string> = {
  setting: 'from SILVERFOX_QR_PATH_BASE',
  local: 'SILVERFOX_QR_PATH_BASE unset: the orders folder of the machine that wrote it',
  rewrite: 'set by silverfox orders paths',
};

/** The base of an order's `@` cells and what a cell looks like. */
function qrPathsLines(q: QrPathsRecord | null, folder: string): string[] {
  if (!q)
    return [
      'qr base:   relative (written before SILVERFOX_QR_PATH_BASE existed)',
      `qr cells:  ${describeQrPaths(RELATIVE_QR_PATHS)}`,
    ];
  const base = q.style === 'relative' ? 'relative' : q.base;
  return [`qr base:   ${base} (${SOURCES[q.source]})`, `qr cells:  ${describeQrPaths(q, folder)}`];
}

function historyLine(h: OrderHistoryEntry): string {
  const d = (h.detail ?? {}) as { from?: string; to?: string };
  const what =
    h.action === 'qr_paths'
      ? `QR paths ${d.from ?? '?'} -> ${d.to ?? '?'}`
      : h.action === 'folder_repaired'
        ? `folder rebuilt from the database (${String((h.detail as { files?: number } | null)?.files ?? '?')} files)`
        : h.action;
  return `${formatTime(h.at.toISOString())}  ${what}${h.createdBy ? ` (by ${h.createdBy})` : ''}`;
}

/** `silverfox orders show ID`: vehicles, files and their checksums verified on disk. */
export const show: Action = async (env, [id]) => {
  const { pres } = env;
  const { showOrder } = await loadApp();
  const d = await withApp(env, (ctx) => showOrder(ctx, id!));
  if (pres.json) {
    pres.outJson(d);
    return d.verification.ok ? ExitCode.ok : ExitCode.error;
  }
  const o = d.order;
  pres.out(`${pres.c.bold(`order #${o.id}`)} ${o.orderType.toUpperCase()} for ${o.dealershipName}`);
  pres.out(
    `  status:    ${o.status}${o.voidedAt ? ` at ${formatTime(o.voidedAt.toISOString())}${o.voidReason ? ` (${o.voidReason})` : ''}` : ''}`,
  );
  pres.out(`  created:   ${formatTime(o.createdAt.toISOString())}${o.createdBy ? ` by ${o.createdBy}` : ''}`);
  pres.out(`  template:  ${o.template}`);
  const ran = (o.summary as { settings?: Record<string, { value: unknown; source: string }> } | null)
    ?.settings;
  if (ran) {
    // The settings this order ran with, as recorded when it was written (they may have changed since).
    const text = (v: unknown) =>
      Array.isArray(v)
        ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(',') || '-'
        : v === null
          ? '-'
          : typeof v === 'object'
            ? JSON.stringify(v)
            : String(v);
    // In the order `dealers show` lists them (jsonb keeps its own key order).
    const order = (k: string) => (SETTING_KEYS as string[]).indexOf(k);
    const shown = Object.entries(ran)
      .sort(([a], [b]) => order(a) - order(b))
      .filter(([k, s]) => s.source !== 'default' || k === 'template' || k === 'vehicle_types');
    pres.out(
      `  settings:  ${shown.map(([k, s]) => `${k}=${text(s.value)} (${s.source})`).join('; ')}; every other setting its default`,
    );
  } else pres.out('  settings:  - (not recorded: written before silverfox recorded them)');
  pres.out(`  folder:    ${o.folder}`);
  pres.out(`  vehicles:  ${o.vehicleCount}`);
  for (const line of qrPathsLines(d.qrPaths, path.basename(o.folder))) pres.out(`  ${line}`);
  for (const h of d.history) pres.out(`  changed:   ${historyLine(h)}`);
  pres.out();
  pres.out(
    vehicleTable(pres, d.vehicles, [
      ['reason', (v) => v.reason],
      ['qr', (v) => v.qrFile ?? ''],
    ]),
  );
  pres.out();
  const v = d.verification;
  if (d.folderMissing) {
    pres.error(`order #${o.id} is complete but its folder is missing: ${o.folder}`, [
      `Rebuild it from the database: silverfox orders repair ${o.id}`,
    ]);
    return ExitCode.error;
  }
  if (v.error !== undefined) {
    pres.error(`the order folder cannot be checked: ${v.error}`);
    return ExitCode.error;
  }
  const bad = v.files.filter((f) => f.status !== 'ok');
  const qr = v.files.filter((f) => f.path.startsWith('qr_codes/')).length;
  pres.out(
    pres.table(
      ['file', 'bytes', 'sha256', 'on disk'],
      v.files
        .filter((f) => !f.path.startsWith('qr_codes/') || f.status !== 'ok')
        .map((f) => [
          f.path,
          f.bytes,
          f.sha256.slice(0, 16),
          f.status === 'ok' ? 'ok' : pres.c.red(f.status),
        ]),
      { align: ['left', 'right', 'left', 'left'] },
    ),
  );
  pres.out(
    `${qr} QR code(s) in qr_codes/${bad.some((f) => f.path.startsWith('qr_codes/')) ? '' : ', all ok'}`,
  );
  if (v.unexpected.length > 0) pres.warn(`files not in order_summary.json: ${v.unexpected.join(', ')}`);
  if (!v.ok) {
    pres.error(`${bad.length} file(s) of order #${o.id} changed or missing on disk`, [
      'Re-run the order (void it, then cao/list again) if the design team needs the original files.',
    ]);
    return ExitCode.error;
  }
  pres.out(`checksums: all ${v.files.length} files match order_summary.json`);
  return ExitCode.ok;
};

/** `silverfox orders void ID`: keeps the order (voided), removes its VIN-log rows. */
export const voidCommand: Action<OrdersVoidOptions> = async (env, [id], opts) => {
  const { pres } = env;
  const app = await loadApp();
  const orderId = app.parseOrderId(id!);
  return withApp(env, async (ctx) => {
    if (!pres.yes) {
      if (!pres.interactive) {
        pres.error(`not voiding order #${orderId} without confirmation`, ['Add --yes to confirm.']);
        return ExitCode.usage;
      }
      const o = await app.getOrder(ctx, orderId);
      const what = ` (${o.orderType.toUpperCase()} for ${o.dealershipName}, ${o.vehicleCount} vehicles, ${o.status})`;
      const ok = await pres.confirm(
        `Void order #${orderId}${what}? Its vehicles lose their VIN-log entries and come back in the next CAO.`,
      );
      if (!ok) {
        pres.info('nothing changed');
        return ExitCode.ok;
      }
    }
    const r = await app.voidOrder(ctx, orderId, { reason: opts.reason });
    env.note({
      dealerships: [r.order.dealershipName],
      counts: { voided: 1, vinLogRemoved: r.vinLogRemoved },
    });
    if (pres.json) pres.outJson(r);
    else
      pres.out(
        `voided order #${r.order.id} (${r.order.dealershipName}): ${r.vinLogRemoved} VIN-log entries removed; ` +
          `its vehicles will be ordered again by the next CAO. The folder stays: ${r.order.folder}`,
      );
    return ExitCode.ok;
  });
};

/** `silverfox orders paths ID --base BASE`: the order's @ cells rewritten for another base. */
export const paths: Action<OrdersPathsOptions> = async (env, [id], opts) => {
  const { pres } = env;
  const [app, orders] = await Promise.all([import('../../app/order-paths.js'), loadApp()]);
  // Refused before the database is opened: a bad id or base changes nothing.
  orders.parseOrderId(id!);
  app.parseBaseOption(opts.base);
  const r = await withApp(env, (ctx) => app.setOrderQrPaths(ctx, id!, opts.base));
  env.note({
    dealerships: [r.order.dealershipName],
    counts: { csvFiles: r.changed ? r.csvFiles.length : 0 },
  });
  if (pres.json)
    return pres.outJson({
      orderId: r.order.id,
      dealership: r.order.dealershipName,
      folder: r.order.folder,
      changed: r.changed,
      from: r.from,
      to: r.to,
      example: r.example,
      csvFiles: r.csvFiles,
    });
  const cells = r.csvFiles.reduce((s, f) => s + f.cells, 0);
  if (!r.changed) {
    pres.out(`order #${r.order.id} already has these QR paths: ${r.example}; nothing changed`);
    return ExitCode.ok;
  }
  pres.out(
    `order #${r.order.id} (${r.order.dealershipName}): ${cells} QR path(s) in ${r.csvFiles.length} CSV(s) rewritten`,
  );
  pres.out(`  was: ${describeQrPaths(r.from, path.basename(r.order.folder))}`);
  pres.out(`  now: ${r.example}`);
  for (const f of r.csvFiles) pres.out(`  ${f.file}  ${f.cells} cell(s)`);
  pres.out('order_summary.json has the new checksums; the QR codes were not touched.');
  return ExitCode.ok;
};

/** `silverfox orders repair ID`: rebuilds a complete order's missing folder from the database. */
export const repair: Action = async (env, [id]) => {
  const { pres } = env;
  const { repairOrder } = await loadApp();
  const r = await withApp(env, (ctx) => repairOrder(ctx, id!));
  env.note({ dealerships: [r.order.dealershipName], counts: { repaired: 1, files: r.files } });
  if (pres.json) return pres.outJson(r);
  pres.out(
    `rebuilt the folder of order #${r.order.id} (${r.order.dealershipName}) from the database: ${r.vehicles} vehicles, ${r.files} files, checksums recorded anew: ${r.folder}`,
  );
  return ExitCode.ok;
};
