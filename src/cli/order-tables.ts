/** Tables and JSON shapes shared by `cao`, `list`, `orders` and `demo`. */
import { formatPrice } from '../core/templates.js';
import type { CaoDealershipResult } from '../app/cao.js';
import { ExitCode, UsageError } from '../errors.js';
import type { Presentation } from './presentation.js';

/**
 * The one rule for every command that writes an order: without a terminal to ask at, it writes
 * only with `--yes` (or looks only, with `--dry-run`). Call it after the usage checks, so a wrong
 * command line is reported as such first.
 */
export function requireConfirmation(
  pres: Presentation,
  run: { command: string; dryRun: boolean; cron: string },
): void {
  if (run.dryRun || pres.yes || pres.interactive) return;
  throw new UsageError(
    `${run.command} writes orders and needs a confirmation: not at a terminal, so add --yes`,
    [`Cron: ${run.cron}. To only look: add --dry-run.`],
  );
}

/** The fields every vehicle table shows. */
export interface VehicleRow {
  vin: string;
  stock: string | null;
  year: number | null;
  make: string | null;
  model: string | null;
  condition: string | null;
  price: number | null;
}

/** `2024 Honda Accord` from the parts there are. */
export function vehicleName(v: Pick<VehicleRow, 'year' | 'make' | 'model'>): string {
  return [v.year, v.make, v.model].filter((x) => x !== null && x !== '').join(' ');
}

/** Widest vehicle name in any vehicle table or list; the extra columns (why, detail) get more. */
export const VEHICLE_NAME_WIDTH = 36;
const EXTRA_WIDTH = 60;

/** `text` cut to `max` characters, the cut marked with `...`. */
export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

/**
 * VIN, stock, year make model, condition, price, then the extra columns (reason, filter, detail...).
 * Every vehicle table cuts long names and details the same way, so no table runs hundreds of
 * columns wide (--json has them whole).
 */
export function vehicleTable<V extends VehicleRow>(
  pres: Presentation,
  vehicles: readonly V[],
  extra: [string, (v: V) => string][] = [],
): string {
  return pres.table(
    ['VIN', 'stock', 'vehicle', 'condition', 'price', ...extra.map(([h]) => h)],
    vehicles.map((v) => [
      v.vin,
      v.stock ?? '',
      cut(vehicleName(v), VEHICLE_NAME_WIDTH),
      v.condition ?? '',
      v.price === null ? '' : formatPrice(v.price),
      ...extra.map(([, f]) => cut(f(v), EXTRA_WIDTH)),
    ]),
    { align: ['left', 'left', 'left', 'left', 'right', ...extra.map(() => 'left' as const)] },
  );
}

/** One line saying what a CAO did for a dealership (the table, if any, is printed apart). */
export function caoLine(pres: Presentation, r: CaoDealershipResult): string {
  const c = r.counts;
  const why = [
    c.byReason.already_ordered ? `${c.byReason.already_ordered} already ordered` : '',
    c.byReason.recent ? `${c.byReason.recent} ordered recently` : '',
    c.filteredOut ? `${c.filteredOut} filtered out` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const name = pres.c.bold(r.dealership.name);
  switch (r.status) {
    case 'ordered':
      return `${name}: order #${r.orderId}, ${c.ordered} vehicle${c.ordered === 1 ? '' : 's'} (${r.template}) -> ${r.folder}`;
    case 'dry_run':
      return `${name}: dry run: would order ${c.ordered} of ${c.active} active vehicles${why ? ` (${why})` : ''}; nothing written`;
    case 'nothing_new':
      return `${name}: nothing new to order (${c.active} active${why ? `: ${why}` : ''}); nothing written`;
    case 'no_inventory':
      return `${name}: no active inventory; run \`silverfox import\` or \`silverfox scrape\` first`;
    case 'declined':
      return `${name}: not ordered (declined); nothing written`;
    case 'already_done':
      return `${name}: already ordered by this run's key: order #${r.orderId} -> ${r.folder}`;
    case 'failed':
      return `${name}: ${pres.c.red('FAILED')}: ${r.error?.message ?? ''}`;
  }
}

/** The --json shape of a CAO result for one dealership (DESIGN.md: order id, folder, count, VINs and reasons). */
export function caoJson(r: CaoDealershipResult, explain: boolean) {
  return {
    dealership: r.dealership.name,
    slug: r.dealership.slug,
    status: r.status,
    orderId: r.orderId,
    folder: r.folder,
    template: r.template,
    vehicleCount: r.vehicles.length,
    vehicles: r.vehicles.map((v) => ({
      vin: v.vin,
      reason: v.reason,
      stock: v.stock,
      year: v.year,
      make: v.make,
      model: v.model,
      condition: v.condition,
      price: v.price,
    })),
    skipped: r.skipped.map((v) => ({ vin: v.vin, reason: v.reason, detail: v.detail })),
    ...(explain
      ? { filteredOut: r.filteredOut.map((v) => ({ vin: v.vin, filter: v.filter, detail: v.detail })) }
      : {}),
    counts: r.counts,
    ...(r.error ? { error: r.error } : {}),
    durationMs: r.durationMs,
  };
}

/** The exit code of a run over several dealerships: 0, 1 when all failed, 3 when some did. */
export function partialExit(failed: number, total: number): number {
  if (failed === 0) return ExitCode.ok;
  return failed === total ? ExitCode.error : ExitCode.partial;
}
