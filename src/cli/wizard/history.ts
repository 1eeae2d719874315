/**
 * Order history: orders newest first (type to search by number, dealership or type), one shown as
 * `orders show` prints it (vehicles, files, checksums), or voided after a confirmation.
 */
import type { OrderRecord } from '../../app/orders.js';
import { ExitCode } from '../../errors.js';
import { formatTime } from '../presentation.js';
import { BackToMenu, type Wizard } from './ui.js';

function orderLine(w: Wizard, o: OrderRecord, width: number): string {
  return [
    `#${o.id}`.padStart(6),
    formatTime(o.createdAt.toISOString()),
    o.orderType.toUpperCase().padEnd(4),
    o.dealershipName.padEnd(width),
    `${o.vehicleCount} vehicle(s)`.padEnd(14),
    o.status === 'voided' ? w.pres.ce.yellow('voided') : o.status,
  ].join('  ');
}

export async function historyFlow(w: Wizard): Promise<void> {
  const app = await import('../../app/orders.js');
  for (;;) {
    const orders = await w.read((ctx) => app.listOrders(ctx));
    if (orders.length === 0) {
      w.pres.out('no orders yet');
      return;
    }
    const width = Math.min(36, Math.max(...orders.map((o) => o.dealershipName.length)));
    const id = await w.search<number>(
      `Order (${orders.length}, newest first; type a number or a name)`,
      (term) => [
        ...orders
          .filter(
            (o) =>
              term === '' ||
              `#${o.id} ${o.dealershipName} ${o.orderType} ${o.status}`
                .toLowerCase()
                .includes(term.replace(/^#?/, '')),
          )
          .map((o) => ({ name: orderLine(w, o, width), value: o.id, short: `#${o.id}` })),
        { name: '<- Back to the menu', value: 0 },
      ],
    );
    if (id === 0) throw new BackToMenu();
    const o = orders.find((x) => x.id === id)!;
    for (;;) {
      const what = await w.select<'show' | 'void' | 'back'>(
        `Order #${o.id} (${o.orderType.toUpperCase()} for ${o.dealershipName}):`,
        [
          { name: 'Show it (vehicles, files, checksums)', value: 'show' },
          o.status === 'voided'
            ? { name: 'Void it', value: 'void' as const, disabled: 'already voided' }
            : { name: 'Void it (its vehicles come back in the next CAO)', value: 'void' as const },
          { name: 'Back to the orders', value: 'back' },
        ],
      );
      if (what === 'back') break;
      if (what === 'show') {
        const { show } = await import('../commands/orders.js');
        await w.step('orders show', [String(o.id)], (env) => show(env, [String(o.id)], {}, w.cmd));
        continue;
      }
      if (
        !(await w.confirm(
          `Void order #${o.id} (${o.orderType.toUpperCase()} for ${o.dealershipName}, ${o.vehicleCount} vehicles)? ` +
            'Its vehicles lose their VIN-log entries and come back in the next CAO; the folder stays.',
          false,
        ))
      ) {
        w.pres.out('nothing changed');
        continue;
      }
      const reason = (await w.input('Why (kept with the order; may be empty):')).trim();
      const code = await w.step('orders void', [String(o.id)], async (env) => {
        const { withApp } = await import('../run.js');
        const r = await withApp(env, (ctx) => app.voidOrder(ctx, o.id, { reason: reason || undefined }));
        env.note({
          dealerships: [r.order.dealershipName],
          counts: { voided: 1, vinLogRemoved: r.vinLogRemoved },
        });
        w.pres.out(
          `voided order #${r.order.id} (${r.order.dealershipName}): ${r.vinLogRemoved} VIN-log entries removed; ` +
            `its vehicles will be ordered again by the next CAO. The folder stays: ${r.order.folder}`,
        );
        return ExitCode.ok;
      });
      if (code === ExitCode.ok) break;
    }
  }
}
