/**
 * `silverfox cao`: comparative-analysis orders (rule 3). For each dealership: its active snapshot,
 * its filters, the VIN decision against its VIN log, then one order written by order-writer.ts.
 * Several dealerships run at once (p-limit); one failing does not stop the others.
 */
import pLimit from 'p-limit';
import {
  caoDecisionParameters,
  historiesFrom,
  selectCao,
  type CaoDecision,
  vinsToDecide,
  type CaoSelection,
  type FilterName,
} from '../core/cao.js';
import type { DealershipSettings } from '../core/dealership.js';
import {
  orderVehicle,
  reported,
  type OrderedReason,
  type OrderVehicle,
  type ReportedVehicle,
  type SkippedReason,
} from '../core/order.js';
import { resolveTemplate } from '../core/templates.js';
import type { Queryable } from '../db/database.js';
import { selectActiveSnapshotId, selectActiveVehicles } from '../db/active-vehicles.js';
import { decideCaoInDatabase } from '../db/cao-decision.js';
import { selectVinLogFacts } from '../db/vinlog.js';
import { toFailure, UsageError, type Failure } from '../errors.js';
import type { AppContext } from './context.js';
import { listDealers, orderSettings, resolveDealerships, type Dealership } from './dealers.js';
import {
  readActiveSnapshot,
  recoverOrders,
  orderWriteInput,
  writeOrder,
  type OrderFaults,
} from './order-writer.js';

export interface CaoOptions {
  /** Dealership names (name, slug or alias); or `all`. */
  dealers?: string[];
  /** Every enabled dealership. */
  all?: boolean;
  /** Compute and report everything, write nothing (no folder, no order row, no VIN-log rows). */
  dryRun?: boolean;
  /** Also return every filtered-out vehicle with the filter that removed it. */
  explain?: boolean;
  /** Template for this run instead of the dealership setting. */
  template?: string;
  /** Vehicle types for this run instead of the dealership setting (scheduled orders). */
  vehicleTypes?: DealershipSettings['vehicle_types'];
  /** Dealerships worked on at once (default: config concurrency). */
  concurrency?: number;
  /**
   * Order only these VINs of the selection (the operator deselected the others, which stay out of
   * the VIN log and come back in the next CAO). A VIN the selection no longer holds is not ordered.
   */
  only?: readonly string[];
  /**
   * Field values for this order's files only, by VIN (the wizard's manual data editor): the
   * snapshot is not changed, and the VIN log still records the vehicle's VIN and condition.
   */
  overrides?: Readonly<Record<string, VehicleOverrides>>;
  /** Makes a run a no-op when an order with this key exists; only with a single dealership. */
  idempotencyKey?: string;
  /** Who ran it (recorded on the order). */
  createdBy?: string;
  /**
   * Asked with the preview before writing; false leaves the dealership untouched. Without it the
   * run orders right away (cron, --yes). Only vehicles shown in the preview are ordered.
   */
  confirm?: (preview: CaoPreview) => Promise<boolean>;
  onProgress?: (event: CaoProgress) => void;
  /** Test hooks for the crash guarantees. */
  faults?: OrderFaults;
}

/** The fields an operator may change for one order (never the VIN, which names its QR file and log row). */
export type VehicleOverrides = Partial<
  Pick<OrderVehicle, 'stock' | 'year' | 'make' | 'model' | 'trim' | 'price' | 'url'>
>;

export interface CaoProgress {
  dealership: string;
  phase: 'selecting' | 'writing' | 'done' | 'failed';
  message?: string;
}

export interface CaoPreview {
  dealership: { id: number; name: string; slug: string };
  template: string;
  toOrder: (ReportedVehicle & { reason: OrderedReason; detail: string })[];
  skipped: (ReportedVehicle & { reason: SkippedReason; detail: string })[];
  filteredOut: (ReportedVehicle & { filter: FilterName; detail: string })[];
}

/**
 * `ordered`; `nothing_new` (no vehicle to order, nothing written; also on a dry run);
 * `no_inventory` (never imported); `dry_run` (would order some); `declined` (the operator said
 * no); `already_done` (the idempotency key has an order); `failed` (see `error`).
 */
export type CaoStatus =
  'ordered' | 'nothing_new' | 'no_inventory' | 'dry_run' | 'declined' | 'already_done' | 'failed';

export interface CaoDealershipResult {
  dealership: { id: number; name: string; slug: string };
  status: CaoStatus;
  template: string;
  orderId: number | null;
  folder: string | null;
  /** Ordered vehicles (or, on a dry run, the vehicles that would be ordered). */
  vehicles: CaoPreview['toOrder'];
  /** Candidates the VIN log skipped, with the reason. */
  skipped: CaoPreview['skipped'];
  /** Vehicles removed by a candidate rule or filter (only with `explain`). */
  filteredOut: CaoPreview['filteredOut'];
  counts: {
    active: number;
    filteredOut: number;
    skipped: number;
    ordered: number;
    byFilter: Partial<Record<FilterName, number>>;
    byReason: Partial<Record<OrderedReason | SkippedReason, number>>;
  };
  files: { path: string; sha256: string; bytes: number }[];
  /** Set when the dealership failed (status `failed`). */
  error?: Failure;
  durationMs: number;
}

export interface CaoResult {
  results: CaoDealershipResult[];
  ordered: number;
  failed: number;
  dryRun: boolean;
  /** Staged folders found at the start: published (order had committed) or discarded. */
  recovered: unknown;
}

/** The counts of a decision taken in the database (nothing read per vehicle). */
function decisionCounts(d: CaoDecision): CaoDealershipResult['counts'] {
  return {
    active: d.active,
    filteredOut: d.filteredOut,
    skipped: d.skipped,
    ordered: d.toOrder,
    byFilter: d.byFilter,
    byReason: d.byReason,
  };
}

function counts(vehicles: number, sel: CaoSelection): CaoDealershipResult['counts'] {
  const byFilter: Partial<Record<FilterName, number>> = {};
  for (const f of sel.filteredOut) byFilter[f.filter] = (byFilter[f.filter] ?? 0) + 1;
  const byReason: CaoDealershipResult['counts']['byReason'] = {};
  for (const s of [...sel.toOrder, ...sel.skipped]) byReason[s.reason] = (byReason[s.reason] ?? 0) + 1;
  return {
    active: vehicles,
    filteredOut: sel.filteredOut.length,
    skipped: sel.skipped.length,
    ordered: sel.toOrder.length,
    byFilter,
    byReason,
  };
}

/** Reads the active snapshot and VIN log through `db` and applies rule 3. */
async function select(
  db: Queryable,
  d: Dealership,
  settings: DealershipSettings,
  now: Date,
  timeZone: string,
) {
  const vehicles = await selectActiveVehicles(db, d.id);
  const facts = await selectVinLogFacts(db, d.id, vinsToDecide(vehicles, settings, now, timeZone));
  return { vehicles, selection: selectCao(vehicles, historiesFrom(facts), settings, now, timeZone) };
}

function preview(d: Dealership, template: string, sel: CaoSelection, explain: boolean): CaoPreview {
  return {
    dealership: { id: d.id, name: d.name, slug: d.slug },
    template,
    toOrder: sel.toOrder.map((s) => ({ ...reported(s.vehicle), reason: s.reason, detail: s.detail })),
    skipped: sel.skipped.map((s) => ({ ...reported(s.vehicle), reason: s.reason, detail: s.detail })),
    filteredOut: explain
      ? sel.filteredOut.map((f) => ({ ...reported(f.vehicle), filter: f.filter, detail: f.detail }))
      : [],
  };
}

/** The settings of this run: the dealership's, with the run's overrides. */
function runSettings(d: Dealership, opts: CaoOptions): DealershipSettings {
  return {
    ...d.effectiveSettings,
    ...(opts.template ? { template: opts.template } : {}),
    ...(opts.vehicleTypes ? { vehicle_types: opts.vehicleTypes } : {}),
  };
}

/** Drops the selected vehicles outside `opts.only`; returns how many were dropped. */
function restrictToOnly(selection: CaoSelection, opts: CaoOptions): number {
  if (!opts.only) return 0;
  const only = new Set(opts.only.map((v) => v.trim().toUpperCase()));
  const before = selection.toOrder.length;
  selection.toOrder = selection.toOrder.filter((s) => only.has(s.vehicle.vin));
  return before - selection.toOrder.length;
}

async function runOne(ctx: AppContext, d: Dealership, opts: CaoOptions): Promise<CaoDealershipResult> {
  const started = Date.now();
  const settings = runSettings(d, opts);
  const base = {
    dealership: { id: d.id, name: d.name, slug: d.slug },
    template: settings.template,
    orderId: null,
    folder: null,
    files: [],
  };
  const finish = (
    status: CaoStatus,
    p: CaoPreview,
    c: CaoDealershipResult['counts'],
    extra: Partial<CaoDealershipResult> = {},
  ): CaoDealershipResult => ({
    ...base,
    status,
    vehicles: p.toOrder,
    skipped: p.skipped,
    filteredOut: p.filteredOut,
    counts: c,
    ...extra,
    durationMs: Date.now() - started,
  });
  opts.onProgress?.({ dealership: d.name, phase: 'selecting' });
  const template = resolveTemplate(settings.template, settings.custom_templates);
  const now = ctx.now();
  const snapshotId = await selectActiveSnapshotId(ctx.db, d.id);
  if (snapshotId === undefined) {
    const empty = { toOrder: [], skipped: [], filteredOut: [], duplicates: [] };
    return finish('no_inventory', preview(d, settings.template, empty, false), counts(0, empty));
  }

  // Preview outside the order transaction: the operator may take a while to answer.
  let shown: Set<string> | undefined;
  if (opts.dryRun || opts.confirm) {
    const { vehicles, selection } = await select(ctx.db, d, settings, now, ctx.config.timeZone);
    restrictToOnly(selection, opts);
    const p = preview(d, settings.template, selection, opts.explain ?? false);
    const c = counts(vehicles.length, selection);
    if (selection.toOrder.length === 0) return finish('nothing_new', p, c);
    if (opts.dryRun) return finish('dry_run', p, c);
    if (!(await opts.confirm!(p))) return finish('declined', p, c);
    shown = new Set(selection.toOrder.map((s) => s.vehicle.vin));
  }

  opts.onProgress?.({ dealership: d.name, phase: 'writing' });
  const outcome = await writeOrder(ctx, {
    ...orderWriteInput(d, 'cao', template, settings, opts),
    plan: async (tx) => {
      // Again under the lock: a concurrent run may have ordered some of these meanwhile (rule 6).
      const at = ctx.now();
      if (!shown && !opts.explain) {
        // Rule 3 decided in one statement first: with nothing to order (most dealerships, most
        // nights) the snapshot and the VIN-log facts are never read; the counts say what was found.
        const quick = await readActiveSnapshot(tx, d.id, async () => {
          const id = await selectActiveSnapshotId(tx, d.id);
          return id === undefined
            ? undefined
            : decideCaoInDatabase(tx, d.id, id, caoDecisionParameters(settings, at, ctx.config.timeZone));
        });
        const decision = quick.value;
        // (A run restricted by `only` that the restriction empties takes the full path below, so
        // its counts are those of what it kept, as before.)
        if (decision && decision.toOrder === 0) {
          const empty: CaoSelection = { toOrder: [], skipped: [], filteredOut: [], duplicates: [] };
          return {
            vehicles: [],
            updateVinLog: true,
            snapshotId: quick.snapshotId,
            selection: empty,
            active: decision.active,
            decision,
          };
        }
      }
      const read = await readActiveSnapshot(tx, d.id, () => select(tx, d, settings, at, ctx.config.timeZone));
      const { vehicles, selection } = read.value;
      // Vehicles that appeared after the preview was confirmed wait for the next run.
      const unconfirmed = shown ? selection.toOrder.filter((s) => !shown.has(s.vehicle.vin)).length : 0;
      if (shown) selection.toOrder = selection.toOrder.filter((s) => shown.has(s.vehicle.vin));
      const deselected = restrictToOnly(selection, opts);
      const edited = selection.toOrder
        .filter((s) => opts.overrides?.[s.vehicle.vin])
        .map((s) => s.vehicle.vin);
      return {
        vehicles: selection.toOrder.map((s) => ({
          ...orderVehicle(s.vehicle, s.reason),
          ...Object.fromEntries(
            Object.entries(opts.overrides?.[s.vehicle.vin] ?? {}).filter(([, v]) => v !== undefined),
          ),
        })),
        updateVinLog: true,
        skipped: selection.skipped.map((s) => ({ vin: s.vehicle.vin, reason: s.reason })),
        duplicates: selection.duplicates,
        extra: {
          settings: orderSettings(d, settings, [
            ...(opts.template ? (['template'] as const) : []),
            ...(opts.vehicleTypes ? (['vehicle_types'] as const) : []),
          ]),
          filtered_out: selection.filteredOut.length,
          filtered_out_by: counts(vehicles.length, selection).byFilter,
          ...(unconfirmed ? { not_in_confirmed_preview: unconfirmed } : {}),
          ...(deselected ? { deselected } : {}),
          ...(edited.length ? { edited_for_this_order: edited } : {}),
        },
        snapshotId: read.snapshotId,
        selection,
        active: vehicles.length,
        decision: undefined as CaoDecision | undefined,
      };
    },
  });
  if (outcome.status === 'exists') {
    const empty = { toOrder: [], skipped: [], filteredOut: [], duplicates: [] };
    return finish('already_done', preview(d, settings.template, empty, false), counts(0, empty), {
      orderId: outcome.order.id,
      folder: outcome.order.folder,
    });
  }
  const p = preview(d, settings.template, outcome.plan.selection, opts.explain ?? false);
  // Decided in the database: the counts, and no per-vehicle list (only --explain reads those).
  const c = outcome.plan.decision
    ? decisionCounts(outcome.plan.decision)
    : counts(outcome.plan.active, outcome.plan.selection);
  if (outcome.status === 'empty') return finish('nothing_new', p, c);
  return finish('ordered', p, c, { orderId: outcome.orderId, folder: outcome.folder, files: outcome.files });
}

function failure(d: Dealership, opts: CaoOptions, err: unknown, started: number): CaoDealershipResult {
  return failedResult(
    { id: d.id, name: d.name, slug: d.slug },
    // An invalid stored setting is what failed: name no template rather than throw again.
    opts.template ?? (d.settingsProblems.length > 0 ? '-' : d.effectiveSettings.template),
    err,
    Date.now() - started,
  );
}

/** The result of a dealership whose run failed with `err`: nothing ordered, nothing counted. */
export function failedResult(
  dealership: CaoDealershipResult['dealership'],
  template: string,
  err: unknown,
  durationMs: number,
): CaoDealershipResult {
  return {
    dealership,
    status: 'failed',
    template,
    orderId: null,
    folder: null,
    vehicles: [],
    skipped: [],
    filteredOut: [],
    counts: { active: 0, filteredOut: 0, skipped: 0, ordered: 0, byFilter: {}, byReason: {} },
    files: [],
    error: toFailure(err),
    durationMs,
  };
}

/** Usage errors of `dealers` / `all`, before anything is opened or asked. */
export function checkCaoTarget(opts: Pick<CaoOptions, 'dealers' | 'all'>): void {
  const names = opts.dealers ?? [];
  if (opts.all && names.length > 0) throw new UsageError('give dealership names or --all, not both');
  if (!opts.all && names.length === 0)
    throw new UsageError('name at least one dealership, or use --all', [
      'Example: silverfox cao "Columbia Honda"',
    ]);
}

/** Resolves `dealers` / `all` into dealerships (every unknown name reported together). */
export async function caoDealerships(ctx: AppContext, opts: Pick<CaoOptions, 'dealers' | 'all'>) {
  checkCaoTarget(opts);
  const names = opts.dealers ?? [];
  return opts.all ? (await listDealers(ctx)).filter((d) => d.enabled) : resolveDealerships(ctx, names);
}

/** Runs CAO for the named dealerships (or every enabled one); never throws for one dealership's failure. */
export async function runCao(ctx: AppContext, opts: CaoOptions): Promise<CaoResult> {
  const dealerships = await caoDealerships(ctx, opts);
  if (opts.idempotencyKey && dealerships.length !== 1)
    throw new UsageError('an idempotency key applies to one dealership at a time');
  // An unknown template is a usage error before anything runs, not one failure per dealership.
  if (opts.template) resolveTemplate(opts.template, dealerships[0]?.effectiveSettings.custom_templates ?? []);
  const recovered = opts.dryRun ? null : await recoverOrders(ctx);
  const limit = pLimit(Math.max(1, opts.concurrency ?? ctx.config.concurrency));
  const results = await Promise.all(
    dealerships.map((d) =>
      limit(async () => {
        const started = Date.now();
        try {
          const r = await runOne(ctx, d, opts);
          opts.onProgress?.({ dealership: d.name, phase: 'done', message: r.status });
          return r;
        } catch (err) {
          opts.onProgress?.({ dealership: d.name, phase: 'failed', message: (err as Error)?.message });
          return failure(d, opts, err, started);
        }
      }),
    ),
  );
  return {
    results,
    ordered: results.filter((r) => r.status === 'ordered').length,
    failed: results.filter((r) => r.status === 'failed').length,
    dryRun: Boolean(opts.dryRun),
    recovered,
  };
}
