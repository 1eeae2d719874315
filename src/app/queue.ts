/**
 * The weekly order queue: the day's scheduled orders with their status, skip/reset by hand, and
 * the week overview. Running the due orders (`cao --due`) is in runDueOrders.
 */
import os from 'node:os';
import { dueOn, formatDay, parseDay, weekOf, type QueueStatus } from '../core/queue.js';
import { listDealerships } from '../db/dealerships.js';
import {
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
import type { AppContext } from './context.js';
import { resolveDealership } from './dealers.js';

export type { QueueEntryRecord };

/** Who runs this: `user@host`, recorded on queue entries. */
export function operatorName(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (containers)
  }
  return `${user}@${os.hostname()}`;
}

/** Resolves `--date` (YYYY-MM-DD, today, yesterday, tomorrow; default today). */
export function resolveDay(ctx: AppContext, text?: string): string {
  if (text === undefined) return formatDay(ctx.now());
  const day = parseDay(text, ctx.now());
  if (!day) throw new UsageError(`--date expects YYYY-MM-DD, today, yesterday or tomorrow; got "${text}"`);
  return day;
}

/** A queue entry as shown: `missed` when its day is past and it never ran. */
export interface QueueItem extends QueueEntryRecord {
  missed: boolean;
}

/** Puts the scheduled orders due on `day` into the queue (idempotent) after recovering stale runs. */
async function materialize(ctx: AppContext, day: string): Promise<void> {
  const dealerships = await listDealerships(ctx.db);
  await insertDueEntries(ctx.db, day, dueOn(day, dealerships));
  // A run that died after committing its order is done; one that died before is pending again.
  for (const id of await selectStaleRunning(ctx.db, day, 30)) {
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
  const today = formatDay(ctx.now());
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
