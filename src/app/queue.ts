/**
 * The weekly order queue: the day's scheduled orders with their status, skip/reset by hand, and
 * the week overview. Running the due orders (`cao --due`) is in runDueOrders.
 */
import { dueOn, formatDay, parseDay, weekOf, type QueueStatus } from '../core/queue.js';
import { listDealerships } from '../db/dealerships.js';
import {
  claimPendingEntries,
  findOrderOfEntry,
  finishEntry,
  insertDueEntries,
  selectDoneEntriesWithLiveOrders,
  selectQueueEntries,
  selectStaleRunning,
  setEntriesStatus,
  type QueueEntryRecord,
} from '../db/queue.js';
import { InputError, UsageError } from '../errors.js';
import pLimit from 'p-limit';
import type { DealershipSettings } from '../core/dealership.js';
import { operatorName } from '../process-identity.js';
import { failedResult, runCao, type CaoDealershipResult } from './cao.js';
import type { AppContext } from './context.js';
import { resolveDealership, resolveDealerships } from './dealers.js';

export type { QueueEntryRecord };

/** Resolves `--date` (YYYY-MM-DD, today, yesterday, tomorrow; default today). */
export function resolveDay(ctx: AppContext, text?: string): string {
  if (text === undefined) return formatDay(ctx.now(), ctx.config.timeZone);
  const day = parseDay(text, ctx.now(), ctx.config.timeZone);
  if (!day) throw new UsageError(`--date expects YYYY-MM-DD, today, yesterday or tomorrow; got "${text}"`);
  return day;
}

/** A queue entry as shown: `missed` when its day is past and it never ran. */
export interface QueueItem extends QueueEntryRecord {
  missed: boolean;
}

/**
 * Puts the scheduled orders due on `day` into the queue (idempotent) after recovering runs that
 * died: `running` entries untouched for `staleMinutes` (0 when the caller holds the run lock, so
 * no other run can be working on them).
 */
async function materialize(ctx: AppContext, day: string, staleMinutes = 30): Promise<void> {
  const dealerships = await listDealerships(ctx.db);
  await insertDueEntries(ctx.db, day, dueOn(day, dealerships));
  // A run that died after committing its order is done; one that died before is pending again.
  for (const id of await selectStaleRunning(ctx.db, day, staleMinutes)) {
    const order = await findOrderOfEntry(ctx.db, id);
    await finishEntry(
      ctx.db,
      id,
      order
        ? { status: 'done', orderId: order.orderId, vehicleCount: order.vehicleCount }
        : { status: 'pending', reason: 'previous run was interrupted' },
    );
  }
}

function toItems(ctx: AppContext, entries: QueueEntryRecord[]): QueueItem[] {
  const today = formatDay(ctx.now(), ctx.config.timeZone);
  return entries.map((e) => ({
    ...e,
    missed: e.dueDate < today && (e.status === 'pending' || e.status === 'running'),
  }));
}

/** The day's queue with statuses. */
export async function getQueue(
  ctx: AppContext,
  opts: { date?: string } = {},
): Promise<{ date: string; entries: QueueItem[] }> {
  const day = resolveDay(ctx, opts.date);
  await materialize(ctx, day);
  return { date: day, entries: toItems(ctx, await selectQueueEntries(ctx.db, [day])) };
}

export interface WeekView {
  days: string[];
  /** One row per dealership and scheduled order, a cell per day (undefined when not due). */
  rows: { dealershipName: string; key: string; template: string; cells: (QueueItem | undefined)[] }[];
}

/** The week (Monday..Sunday) holding `date`: per day and dealership what was ordered or missed. */
export async function getWeek(ctx: AppContext, opts: { date?: string } = {}): Promise<WeekView> {
  const days = weekOf(resolveDay(ctx, opts.date));
  for (const d of days) await materialize(ctx, d);
  const items = toItems(ctx, await selectQueueEntries(ctx.db, days));
  const rows = new Map<string, WeekView['rows'][number]>();
  for (const it of items) {
    const k = `${it.dealershipName}\0${it.key}`;
    let row = rows.get(k);
    if (!row) {
      row = {
        dealershipName: it.dealershipName,
        key: it.key,
        template: it.template,
        cells: days.map(() => undefined),
      };
      rows.set(k, row);
    }
    row.cells[days.indexOf(it.dueDate)] = it;
  }
  return {
    days,
    rows: [...rows.values()].sort(
      (a, b) => a.dealershipName.localeCompare(b.dealershipName) || a.key.localeCompare(b.key),
    ),
  };
}

/** Skips a dealership's pending (or failed) orders of the day by hand, with a reason. */
export async function skipQueued(
  ctx: AppContext,
  opts: { dealer: string; reason: string; date?: string },
): Promise<number> {
  if (!opts.reason.trim()) throw new UsageError('queue skip needs --reason "why"');
  const day = resolveDay(ctx, opts.date);
  await materialize(ctx, day);
  const d = await resolveDealership(ctx, opts.dealer);
  const n = await setEntriesStatus(ctx.db, day, d.id, 'skipped', opts.reason.trim(), operatorName(), [
    'pending',
    'failed',
  ]);
  if (n === 0) throw new InputError(`${d.name} has no pending or failed order in the queue of ${day}`);
  return n;
}

/** Puts a dealership's skipped or failed orders of the day back to pending (done ones only after a void). */
export async function resetQueued(ctx: AppContext, opts: { dealer: string; date?: string }): Promise<number> {
  const day = resolveDay(ctx, opts.date);
  await materialize(ctx, day);
  const d = await resolveDealership(ctx, opts.dealer);
  if ((await selectDoneEntriesWithLiveOrders(ctx.db, day, d.id)) > 0) {
    const live = (await selectQueueEntries(ctx.db, [day])).filter(
      (e) => e.dealershipId === d.id && e.status === 'done',
    );
    throw new InputError(`${d.name} already has an order for ${day}`, {
      hints: [
        `Void it first (silverfox orders void ${live.map((e) => e.orderId).join(' ')}) if it was a mistake.`,
      ],
    });
  }
  const from: QueueStatus[] = ['skipped', 'failed', 'done', 'running'];
  const n = await setEntriesStatus(ctx.db, day, d.id, 'pending', null, operatorName(), from);
  if (n === 0) throw new InputError(`${d.name} has nothing to reset in the queue of ${day}`);
  return n;
}

export interface DueRunOptions {
  date?: string;
  /** Only these dealerships' entries (names, slugs or aliases). */
  dealers?: string[];
  concurrency?: number;
  dryRun?: boolean;
  /**
   * True when the caller holds the run lock (the CLI does): then every `running` entry of the day
   * belongs to a run that died and is recovered at once instead of after 30 minutes.
   */
  holdsRunLock?: boolean;
  onProgress?: (event: { dealership: string; phase: 'start' | 'done' | 'failed'; message?: string }) => void;
}

export interface DueRunItem {
  entry: QueueEntryRecord;
  status: 'done' | 'failed' | 'dry_run';
  /** Failed, or (dry run) would fail: counted in `failed` either way. */
  failed: boolean;
  result: CaoDealershipResult;
  /** Why it failed, or a note such as "nothing new to order" (also recorded on the entry). */
  reason: string | null;
}

export interface DueRunResult {
  date: string;
  ran: DueRunItem[];
  /** Entries of the day that were not pending (done, skipped, failed earlier...). */
  notPending: QueueItem[];
  /** Entries that failed; on a dry run, those that would fail (e.g. no inventory). */
  failed: number;
}

/**
 * `cao --due`: runs exactly the pending scheduled orders of the day, each with its template and
 * vehicle types, in parallel, marking each done or failed. Entries are claimed atomically and
 * each order carries the idempotency key `queue:<entry id>:<claim>`, so re-running (or a run that
 * overlaps) never orders twice. A dry run claims nothing and writes nothing.
 */
export async function runDueOrders(ctx: AppContext, opts: DueRunOptions = {}): Promise<DueRunResult> {
  const day = resolveDay(ctx, opts.date);
  await materialize(ctx, day, opts.holdsRunLock ? 0 : 30);
  const only = opts.dealers?.length
    ? (await resolveDealerships(ctx, opts.dealers)).map((d) => d.id)
    : undefined;
  const ranBy = operatorName();
  let claimed: QueueEntryRecord[];
  if (opts.dryRun) {
    claimed = (await selectQueueEntries(ctx.db, [day])).filter(
      (e) => e.status === 'pending' && (!only || only.includes(e.dealershipId)),
    );
  } else {
    claimed = await claimPendingEntries(ctx.db, day, ranBy, only);
  }
  const claimedIds = new Set(claimed.map((e) => e.id));
  const notPending = toItems(ctx, await selectQueueEntries(ctx.db, [day])).filter(
    (e) => !claimedIds.has(e.id) && (!only || only.includes(e.dealershipId)),
  );
  const limit = pLimit(Math.max(1, opts.concurrency ?? ctx.config.concurrency));
  const stamp = ctx.now().getTime();
  const ran = await Promise.all(
    claimed.map((entry) =>
      limit(async (): Promise<DueRunItem> => {
        opts.onProgress?.({ dealership: entry.dealershipName, phase: 'start' });
        let result: CaoDealershipResult;
        try {
          const { results } = await runCao(ctx, {
            dealers: [await slugOf(ctx, entry)],
            template: entry.template,
            vehicleTypes: entry.vehicleTypes as DealershipSettings['vehicle_types'],
            dryRun: opts.dryRun,
            idempotencyKey: opts.dryRun ? undefined : `queue:${entry.id}:${stamp}`,
            createdBy: ranBy,
            concurrency: 1,
          });
          result = results[0]!;
        } catch (err) {
          // A scheduled template the dealership does not define, for instance: this entry fails alone.
          result = failedEntry(entry, err);
        }
        const failed = result.status === 'failed' || result.status === 'no_inventory';
        const reason = failed
          ? result.status === 'no_inventory'
            ? 'no active inventory (never imported or scraped)'
            : (result.error?.message ?? 'failed')
          : result.status === 'nothing_new'
            ? 'nothing new to order'
            : null;
        if (opts.dryRun) return { entry, status: 'dry_run', failed, result, reason };
        await finishEntry(ctx.db, entry.id, {
          status: failed ? 'failed' : 'done',
          orderId: result.orderId,
          vehicleCount: result.vehicles.length,
          reason,
        });
        opts.onProgress?.({
          dealership: entry.dealershipName,
          phase: failed ? 'failed' : 'done',
          message: reason ?? result.status,
        });
        return { entry, status: failed ? 'failed' : 'done', failed, result, reason };
      }),
    ),
  );
  return { date: day, ran, notPending, failed: ran.filter((r) => r.failed).length };
}

function failedEntry(entry: QueueEntryRecord, err: unknown): CaoDealershipResult {
  return failedResult(
    { id: entry.dealershipId, name: entry.dealershipName, slug: '' },
    entry.template,
    err,
    0,
  );
}

/** The dealership's slug, so runCao resolves exactly this entry's dealership. */
async function slugOf(ctx: AppContext, entry: QueueEntryRecord): Promise<string> {
  const all = await listDealerships(ctx.db);
  return all.find((d) => d.id === entry.dealershipId)?.slug ?? entry.dealershipName;
}
