/**
 * `silverfox list`: orders of vehicles the operator names (rule 4), one dealership at a time or a
 * batch CSV over many dealerships. Vehicle data comes from the active snapshot when found, else a
 * placeholder marked `not_on_website`. Filters apply only when asked; the VIN log is written per
 * the dealership setting `list_updates_vin_log`, overridable per run.
 */
import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import { filterVehicle, type FilterName, type InventoryVehicle } from '../core/cao.js';
import { DealershipResolver, type DealershipSettings } from '../core/dealership.js';
import { parseListEntries, type InvalidEntry, type ListEntry, type ParsedEntries } from '../core/list.js';
import type { ListReason, OrderVehicle } from '../core/order.js';
import { resolveTemplate } from '../core/templates.js';
import type { Queryable } from '../db/database.js';
import { selectActiveVehiclesByStocks, selectActiveVehiclesByVins } from '../db/active-vehicles.js';
import { selectOrderByIdempotencyKey } from '../db/orders.js';
import { InputError, toFailure, UsageError, type Failure } from '../errors.js';
import { orderVehicle, reported, type ReportedVehicle } from '../core/order.js';
import type { AppContext } from './context.js';
import { readSmallCsv } from '../output/csv-input.js';
import { listDealers, orderSettings, resolveDealership, type Dealership } from './dealers.js';
import {
  readActiveSnapshot,
  recoverOrders,
  orderWriteInput,
  writeOrder,
  type OrderFaults,
} from './order-writer.js';

export interface ListRunOptions {
  /** Write VIN-log rows for the ordered vehicles; default: the dealership's `list_updates_vin_log`. */
  updateVinLog?: boolean;
  /** Apply the dealership's filters (rule 3a/3b) to vehicles found in the active snapshot. */
  filters?: boolean;
  /** Template for this run instead of the dealership setting. */
  template?: string;
  /** Compute and report, write nothing. */
  dryRun?: boolean;
  createdBy?: string;
  faults?: OrderFaults;
}

export interface ListOptions extends ListRunOptions {
  dealer: string;
  /** VINs or stock numbers, as typed (see core/list.ts splitEntries for file/stdin text). */
  entries: readonly string[];
  /** Makes a re-run a no-op: an order with this key exists already. */
  idempotencyKey?: string;
}

export type ListedVehicle = ReportedVehicle & { entry: string; reason: ListReason; notOnWebsite: boolean };

/**
 * `ordered`; `dry_run`; `nothing_to_order` (no valid entry left, nothing written);
 * `already_done` (the idempotency key has an order).
 */
export type ListStatus = 'ordered' | 'dry_run' | 'nothing_to_order' | 'already_done';

export interface ListResult {
  dealership: { id: number; name: string; slug: string };
  status: ListStatus;
  template: string;
  orderId: number | null;
  folder: string | null;
  updateVinLog: boolean;
  vehicles: ListedVehicle[];
  /** Entries that are not a VIN or stock number, or a stock number not in the active snapshot. */
  invalid: InvalidEntry[];
  /** Entries given twice, or naming a vehicle already listed. */
  duplicates: string[];
  /** Entries removed by a filter (only with `filters`). */
  filteredOut: (ReportedVehicle & { entry: string; filter: FilterName; detail: string })[];
  /** VIN entries whose check digit does not match (ordered anyway: a warning). */
  checkDigitWarnings: string[];
  counts: {
    entries: number;
    ordered: number;
    notOnWebsite: number;
    invalid: number;
    duplicates: number;
    filteredOut: number;
  };
  files: { path: string; sha256: string; bytes: number }[];
}

function placeholder(vin: string): OrderVehicle {
  return {
    vin,
    stock: null,
    year: null,
    make: null,
    model: null,
    trim: null,
    condition: 'unknown',
    price: null,
    url: null,
    reason: 'not_on_website',
    notOnWebsite: true,
  };
}

interface Resolution {
  vehicles: { entry: string; vehicle: OrderVehicle }[];
  notFound: InvalidEntry[];
  duplicates: string[];
  filteredOut: ListResult['filteredOut'];
}

/** Looks the entries up in the dealership's active snapshot (through `db`) and applies the filters if asked. */
async function resolveEntries(
  db: Queryable,
  d: Dealership,
  entries: readonly ListEntry[],
  settings: DealershipSettings,
  applyFilters: boolean,
  now: Date,
  timeZone: string,
): Promise<Resolution> {
  const vins = entries.flatMap((e) => (e.kind === 'vin' ? [e.vin] : []));
  const stocks = entries.flatMap((e) => (e.kind === 'stock' ? [e.stock] : []));
  const byVin = new Map((await selectActiveVehiclesByVins(db, d.id, vins)).map((v) => [v.vin, v]));
  const byStock = new Map<string, InventoryVehicle[]>();
  for (const v of await selectActiveVehiclesByStocks(db, d.id, stocks)) {
    const k = v.stock!.toUpperCase();
    byStock.set(k, [...(byStock.get(k) ?? []), v]);
  }
  const out: Resolution = { vehicles: [], notFound: [], duplicates: [], filteredOut: [] };
  const listed = new Set<string>();
  for (const e of entries) {
    let found: InventoryVehicle | undefined;
    if (e.kind === 'vin') {
      found = byVin.get(e.vin);
      if (!found) {
        if (listed.has(e.vin)) out.duplicates.push(e.entry);
        else {
          listed.add(e.vin);
          out.vehicles.push({ entry: e.entry, vehicle: placeholder(e.vin) });
        }
        continue;
      }
    } else {
      const matches = byStock.get(e.stock.toUpperCase()) ?? [];
      if (matches.length === 0) {
        out.notFound.push({
          entry: e.entry,
          reason: `stock number not in the active inventory of ${d.name}`,
        });
        continue;
      }
      if (matches.length > 1) {
        out.notFound.push({
          entry: e.entry,
          reason: `stock number matches ${matches.length} vehicles (${matches.map((m) => m.vin).join(', ')}); give the VIN`,
        });
        continue;
      }
      found = matches[0]!;
      if (!found.vinValid) {
        out.notFound.push({
          entry: e.entry,
          reason: `the vehicle with this stock number has an invalid VIN "${found.vin}"`,
        });
        continue;
      }
    }
    if (listed.has(found.vin)) {
      out.duplicates.push(e.entry);
      continue;
    }
    listed.add(found.vin);
    if (applyFilters) {
      const removed = filterVehicle(found, settings, now, timeZone);
      if (removed) {
        out.filteredOut.push({ ...reported(found), entry: e.entry, ...removed });
        continue;
      }
    }
    out.vehicles.push({ entry: e.entry, vehicle: orderVehicle(found, 'listed') });
  }
  return out;
}

/** The settings of this run: the dealership's, with the run's overrides. */
function runSettings(d: Dealership, opts: ListRunOptions): DealershipSettings {
  return { ...d.effectiveSettings, ...(opts.template ? { template: opts.template } : {}) };
}

/** LIST for one resolved dealership and parsed entries: the shared body of runList and runListBatch. */
async function listFor(
  ctx: AppContext,
  d: Dealership,
  parsed: ParsedEntries,
  opts: ListRunOptions & { idempotencyKey?: string },
): Promise<ListResult> {
  const settings = runSettings(d, opts);
  const template = resolveTemplate(settings.template, settings.custom_templates);
  const updateVinLog = opts.updateVinLog ?? settings.list_updates_vin_log;
  const result = (status: ListStatus, r: Resolution, extra: Partial<ListResult> = {}): ListResult => ({
    dealership: { id: d.id, name: d.name, slug: d.slug },
    status,
    template: settings.template,
    orderId: null,
    folder: null,
    updateVinLog,
    vehicles: r.vehicles.map(({ entry, vehicle }) => ({
      ...reported(vehicle),
      entry,
      reason: vehicle.reason as ListReason,
      notOnWebsite: vehicle.notOnWebsite,
    })),
    invalid: [...parsed.invalid, ...r.notFound],
    duplicates: [...parsed.duplicates, ...r.duplicates],
    filteredOut: r.filteredOut,
    checkDigitWarnings: parsed.entries.flatMap((e) => (e.kind === 'vin' && !e.checkDigitOk ? [e.vin] : [])),
    counts: {
      entries: parsed.entries.length + parsed.invalid.length + parsed.duplicates.length,
      ordered: r.vehicles.length,
      notOnWebsite: r.vehicles.filter((v) => v.vehicle.notOnWebsite).length,
      invalid: parsed.invalid.length + r.notFound.length,
      duplicates: parsed.duplicates.length + r.duplicates.length,
      filteredOut: r.filteredOut.length,
    },
    files: [],
    ...extra,
  });
  const none: Resolution = { vehicles: [], notFound: [], duplicates: [], filteredOut: [] };

  if (opts.dryRun) {
    if (opts.idempotencyKey) {
      const done = await selectOrderByIdempotencyKey(ctx.db, opts.idempotencyKey);
      if (done) return result('already_done', none, { orderId: done.id, folder: done.folder });
    }
    const r = await resolveEntries(
      ctx.db,
      d,
      parsed.entries,
      settings,
      opts.filters ?? false,
      ctx.now(),
      ctx.config.timeZone,
    );
    return result('dry_run', r);
  }

  const outcome = await writeOrder(ctx, {
    ...orderWriteInput(d, 'list', template, settings, opts),
    plan: async (tx) => {
      const read = await readActiveSnapshot(tx, d.id, () =>
        resolveEntries(
          tx,
          d,
          parsed.entries,
          settings,
          opts.filters ?? false,
          ctx.now(),
          ctx.config.timeZone,
        ),
      );
      const r = read.value;
      return {
        vehicles: r.vehicles.map((v) => v.vehicle),
        updateVinLog,
        skipped: [
          ...parsed.invalid.map((i) => ({ vin: i.entry, reason: `invalid: ${i.reason}` })),
          ...r.notFound.map((i) => ({ vin: i.entry, reason: `invalid: ${i.reason}` })),
          ...r.filteredOut.map((f) => ({ vin: f.vin, reason: `filtered out by ${f.filter}: ${f.detail}` })),
        ],
        duplicates: [...parsed.duplicates, ...r.duplicates],
        extra: {
          settings: orderSettings(d, { ...settings, list_updates_vin_log: updateVinLog }, [
            ...(opts.template ? (['template'] as const) : []),
            ...(opts.updateVinLog !== undefined ? (['list_updates_vin_log'] as const) : []),
          ]),
          update_vin_log: updateVinLog,
          filters_applied: opts.filters ?? false,
        },
        snapshotId: read.snapshotId,
        resolution: r,
      };
    },
  });
  if (outcome.status === 'exists')
    return result('already_done', none, { orderId: outcome.order.id, folder: outcome.order.folder });
  if (outcome.status === 'empty') return result('nothing_to_order', outcome.plan.resolution);
  return result('ordered', outcome.plan.resolution, {
    orderId: outcome.orderId,
    folder: outcome.folder,
    files: outcome.files,
  });
}

/** LIST for one dealership. */
export async function runList(ctx: AppContext, opts: ListOptions): Promise<ListResult> {
  const d = await resolveDealership(ctx, opts.dealer);
  const parsed = parseListEntries(opts.entries);
  if (parsed.entries.length + parsed.invalid.length === 0)
    throw new UsageError(
      'no entries to order: give VINs or stock numbers as arguments, with --file, or on stdin',
    );
  if (opts.template) resolveTemplate(opts.template, d.effectiveSettings.custom_templates);
  if (!opts.dryRun) await recoverOrders(ctx);
  return listFor(ctx, d, parsed, opts);
}

// ---------------------------------------------------------------------------------------------
// Batch

export interface ListBatchOptions extends ListRunOptions {
  /** The batch CSV file; or `text` (stdin). */
  file?: string;
  text?: string;
  /** Idempotency key of the batch; default: a hash of each dealership's entries. */
  key?: string;
  /** Dealerships worked on at once (default: config concurrency). */
  concurrency?: number;
  onProgress?: (event: { dealership: string; done: number; total: number; status: string }) => void;
}

export interface BatchRowProblem {
  line: number;
  dealership: string;
  entry: string;
  reason: string;
}

export type BatchDealershipResult =
  | (ListResult & { idempotencyKey: string; error?: undefined })
  | {
      dealership: { id: number; name: string; slug: string };
      status: 'failed';
      idempotencyKey: string;
      error: Failure;
    };

export interface ListBatchResult {
  file: string;
  rows: number;
  /** Rows that belong to no dealership order (blank or unknown dealership, blank entry). */
  rowProblems: BatchRowProblem[];
  dealerships: BatchDealershipResult[];
  counts: {
    orders: number;
    vehicles: number;
    alreadyDone: number;
    failed: number;
    invalidEntries: number;
    rowProblems: number;
  };
}

const key = (h: string) => h.toLowerCase().replace(/[^a-z0-9]/g, '');
const DEALER_HEADERS = ['dealership', 'dealer', 'dealername', 'dealershipname', 'location', 'store'];
const VIN_HEADERS = ['vin', 'vins', 'vinnumber'];
const STOCK_HEADERS = ['stock', 'stocknumber', 'stockno', 'stocknum'];
const ENTRY_HEADERS = ['entry', 'vinorstock', 'vinstock'];

/** The idempotency key of one dealership's part of a batch. */
export function batchKey(slug: string, entries: readonly ListEntry[], batch?: string): string {
  if (batch) return `list-batch:${batch}:${slug}`;
  const content = [
    ...new Set(entries.map((e) => (e.kind === 'vin' ? `vin:${e.vin}` : `stock:${e.stock.toUpperCase()}`))),
  ]
    .sort()
    .join('\n');
  return `list-batch:sha256:${createHash('sha256').update(`${slug}\n${content}`).digest('hex').slice(0, 40)}`;
}

/**
 * LIST for a CSV of (dealership, VIN or stock) rows: one order per dealership, several at once.
 * Idempotent: each dealership's order carries a key (--key, or a hash of its entries), so running
 * the same batch again orders nothing twice and a batch interrupted by a crash resumes with the
 * dealerships it had not finished.
 */
export async function runListBatch(ctx: AppContext, opts: ListBatchOptions): Promise<ListBatchResult> {
  const name = opts.file ?? '-';
  const rows = readSmallCsv(opts, 'list --batch');
  const header = (rows[0] ?? []).map(key);
  const col = (names: string[]) => header.findIndex((h) => names.includes(h));
  const dealerCol = col(DEALER_HEADERS);
  const vinCol = col(VIN_HEADERS);
  const stockCol = col(STOCK_HEADERS);
  const entryCol = col(ENTRY_HEADERS);
  if (dealerCol < 0 || (vinCol < 0 && stockCol < 0 && entryCol < 0)) {
    throw new InputError(`${name}: a LIST batch needs a dealership column and a VIN or stock column`, {
      file: name,
      line: 1,
      hints: [
        `Found columns: ${(rows[0] ?? []).map((h) => `"${h}"`).join(', ') || '(none)'}.`,
        'Expected e.g. `dealership,vin` or `dealer,stock` (also: location, vin_or_stock, entry).',
      ],
    });
  }
  const resolver = new DealershipResolver(await listDealers(ctx));
  const groups = new Map<number, { dealership: Dealership; entries: string[] }>();
  const rowProblems: BatchRowProblem[] = [];
  let dataRows = 0;
  for (let i = 1; i < rows.length; i++) {
    const r = rows[i]!;
    if (r.every((c) => c.trim() === '')) continue;
    dataRows++;
    const line = i + 1;
    const dealerName = (r[dealerCol] ?? '').trim();
    const entry =
      [entryCol, vinCol, stockCol].map((c) => (c >= 0 ? (r[c] ?? '').trim() : '')).find((v) => v !== '') ??
      '';
    if (!dealerName) {
      rowProblems.push({ line, dealership: '', entry, reason: 'no dealership' });
      continue;
    }
    const d = resolver.resolve(dealerName);
    if (!d) {
      rowProblems.push({ line, dealership: dealerName, entry, reason: 'unknown dealership' });
      continue;
    }
    if (!entry) {
      rowProblems.push({ line, dealership: dealerName, entry, reason: 'no VIN or stock number' });
      continue;
    }
    let g = groups.get(d.id);
    if (!g) {
      g = { dealership: d, entries: [] };
      groups.set(d.id, g);
    }
    g.entries.push(entry);
  }
  if (!opts.dryRun) await recoverOrders(ctx);
  const limit = pLimit(Math.max(1, opts.concurrency ?? ctx.config.concurrency));
  let done = 0;
  const total = groups.size;
  const dealerships = await Promise.all(
    [...groups.values()].map((g) =>
      limit(async (): Promise<BatchDealershipResult> => {
        const d = g.dealership;
        const parsed = parseListEntries(g.entries);
        const idempotencyKey = batchKey(d.slug, parsed.entries, opts.key);
        let r: BatchDealershipResult;
        try {
          r = { ...(await listFor(ctx, d, parsed, { ...opts, idempotencyKey })), idempotencyKey };
        } catch (err) {
          r = {
            dealership: { id: d.id, name: d.name, slug: d.slug },
            status: 'failed',
            idempotencyKey,
            error: toFailure(err),
          };
        }
        opts.onProgress?.({ dealership: d.name, done: ++done, total, status: r.status });
        return r;
      }),
    ),
  );
  const ok = dealerships.filter(
    (r): r is Extract<BatchDealershipResult, { error?: undefined }> => r.status !== 'failed',
  );
  return {
    file: name,
    rows: dataRows,
    rowProblems,
    dealerships,
    counts: {
      orders: ok.filter((r) => r.status === 'ordered').length,
      vehicles: ok.filter((r) => r.status === 'ordered').reduce((s, r) => s + r.counts.ordered, 0),
      alreadyDone: ok.filter((r) => r.status === 'already_done').length,
      failed: dealerships.length - ok.length,
      invalidEntries: ok.reduce((s, r) => s + r.counts.invalid, 0),
      rowProblems: rowProblems.length,
    },
  };
}
