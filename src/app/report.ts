/**
 * `silverfox report`: what the shop did in a period and how its data is doing. Reads only (no run
 * lock, nothing written). The numbers come from SQL aggregates (src/db/report.ts); the scrape
 * outcomes per dealership come from the scrape runs' checkpoints (`<logDir>/scrapes/<run>/`), the
 * only place that keeps each dealership's result and failure reason; the orders folder's size is
 * measured on disk.
 */
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { replaceFileDurableSync } from '../durable-fs.js';
import { CONDITIONS, isStale, type Condition } from '../core/dealership.js';
import type { BillingLine, ConditionCounts, DealershipHealth, ReportData } from '../core/report.js';
import { parseSince } from '../core/duration.js';
import {
  selectBilling,
  selectBillingOrders,
  selectDatabaseSize,
  selectImportActivity,
  selectInventoryHistory,
  selectOrdersPerDealership,
  selectVehiclesPerWeek,
  selectVinLogGrowth,
  selectVinLogSizeBefore,
  selectVoidedOrders,
  selectWeeks,
  type ReportRange,
} from '../db/report.js';
import { selectNow } from '../db/status.js';
import { OutputError, UsageError } from '../errors.js';
import { loadCheckpoint, scrapesDir } from '../scrape/checkpoint.js';
import type { AppContext } from './context.js';
import { resolveDealerships } from './dealers.js';

export type { BillingLine, ConditionCounts, DealershipHealth, ReportData } from '../core/report.js';

export interface ReportOptions {
  from: Date;
  to: Date;
  /** Dealership names (name, slug or alias); empty or absent: every dealership. */
  dealers?: readonly string[];
  /** How the period reads in the report (`2026-11`, `since 30d`); default: its dates. */
  label?: string;
}

const MONTH_RE = /^(\d{4})-(0[1-9]|1[0-2])$/;

/**
 * The period of `--month YYYY-MM` (local calendar month) or `--since 30d|DATE` (until now);
 * `--since 30d` when neither is given.
 */
export function resolvePeriod(
  opts: { month?: string; since?: string },
  now: Date,
): { from: Date; to: Date; label: string } {
  if (opts.month !== undefined && opts.since !== undefined) {
    throw new UsageError('give --month or --since, not both');
  }
  if (opts.month !== undefined) {
    const m = MONTH_RE.exec(opts.month.trim());
    if (!m) throw new UsageError(`--month expects YYYY-MM (e.g. 2026-11), got "${opts.month}"`);
    const y = Number(m[1]);
    const mo = Number(m[2]) - 1;
    return { from: new Date(y, mo, 1), to: new Date(y, mo + 1, 1), label: opts.month.trim() };
  }
  const since = opts.since ?? '30d';
  const from = parseSince(since, now);
  if (!from) {
    throw new UsageError(`--since expects a duration (30d, 2w) or a date (2026-11-01), got "${since}"`);
  }
  if (from >= now) throw new UsageError(`--since ${since} is not in the past`);
  return { from, to: now, label: `since ${since}` };
}

const zero = (): ConditionCounts => Object.fromEntries(CONDITIONS.map((c) => [c, 0])) as ConditionCounts;
const asCondition = (c: string): Condition =>
  (CONDITIONS as readonly string[]).includes(c) ? (c as Condition) : 'unknown';

/** Gathers every number of the report. */
export async function report(ctx: AppContext, opts: ReportOptions): Promise<ReportData> {
  if (!(opts.from < opts.to)) throw new UsageError('the report period is empty (from is not before to)');
  const chosen = opts.dealers?.length ? await resolveDealerships(ctx, opts.dealers) : null;
  const range: ReportRange = {
    from: opts.from,
    to: opts.to,
    dealershipIds: chosen ? chosen.map((d) => d.id) : null,
  };
  const db = ctx.db;
  // One statement at a time: PGlite serializes anyway, and a pool connection each is no faster here.
  const weeks = await selectWeeks(db, range);
  const perWeek = await selectVehiclesPerWeek(db, range);
  const perDealer = await selectOrdersPerDealership(db, range);
  const billing = await selectBilling(db, range);
  const billingOrders = await selectBillingOrders(db, range);
  const voided = await selectVoidedOrders(db, range);
  const inventory = await selectInventoryHistory(db, range);
  const activity = await selectImportActivity(db, range);
  const vinWeeks = await selectVinLogGrowth(db, range);
  const vinBefore = await selectVinLogSizeBefore(db, range);
  const databaseBytes = await selectDatabaseSize(db);
  const now = await selectNow(db);

  const weekMap = new Map(weeks.map((w) => [w, { week: w, byCondition: zero(), vehicles: 0 }]));
  for (const r of perWeek) {
    let w = weekMap.get(r.week);
    if (!w) weekMap.set(r.week, (w = { week: r.week, byCondition: zero(), vehicles: 0 }));
    w.byCondition[asCondition(r.condition)] += r.vehicles;
    w.vehicles += r.vehicles;
  }

  const dealerMap = new Map<string, ReportData['perDealership'][number]>();
  for (const r of perDealer) {
    let d = dealerMap.get(r.name);
    if (!d) {
      d = { name: r.name, cao: { orders: 0, vehicles: 0 }, list: { orders: 0, vehicles: 0 }, vehicles: 0 };
      dealerMap.set(r.name, d);
    }
    d[r.orderType].orders += r.orders;
    d[r.orderType].vehicles += r.vehicles;
    d.vehicles += r.vehicles;
  }

  const lineMap = new Map<string, BillingLine>();
  for (const r of billing) {
    const key = `${r.dealershipId}\u0000${r.template}`;
    let l = lineMap.get(key);
    if (!l) {
      l = {
        dealership: r.name,
        template: r.template,
        orders: 0,
        byCondition: zero(),
        vehicles: 0,
      };
      lineMap.set(key, l);
    }
    l.byCondition[asCondition(r.condition)] += r.vehicles;
    l.vehicles += r.vehicles;
  }
  for (const r of billingOrders) {
    const l = lineMap.get(`${r.dealershipId}\u0000${r.template}`);
    if (l) l.orders = r.orders;
  }
  const lines = [...lineMap.values()];
  const totals = { orders: 0, byCondition: zero(), vehicles: 0 };
  for (const l of lines) {
    totals.orders += l.orders;
    totals.vehicles += l.vehicles;
    for (const c of CONDITIONS) totals.byCondition[c] += l.byCondition[c];
  }

  const invMap = new Map<string, { day: string; rows: number }[]>();
  for (const p of inventory) {
    const list = invMap.get(p.name) ?? [];
    list.push({ day: p.day, rows: p.rows });
    invMap.set(p.name, list);
  }

  const scrapes = readScrapeOutcomes(ctx.config.logDir, opts.from, opts.to);
  const health = activity.map((a): DealershipHealth => {
    const s = scrapes.bySlugOrName.get(a.name);
    return {
      name: a.name,
      enabled: a.enabled,
      csvImports: a.csvImports,
      scrapeImports: a.scrapeImports,
      lastImportAt: a.lastImportAt?.toISOString() ?? null,
      scrapeRuns: s?.runs ?? 0,
      scrapeDone: s?.done ?? 0,
      scrapeSuccessPct: s && s.runs > 0 ? Math.round((s.done / s.runs) * 1000) / 10 : null,
      lastFailure: s?.lastFailure ?? null,
      activeAt: a.activeAt?.toISOString() ?? null,
      activeRows: a.activeRows,
      ageHours: a.ageHours,
      stale: isStale(a.enabled, a.activeAt, now, ctx.config.staleHours),
    };
  });

  let total = vinBefore;
  const vinGrowth = vinWeeks.map((w) => ({ week: w.week, added: w.added, total: (total += w.added) }));
  const orders = folderSize(ctx.config.ordersDir);

  return {
    period: {
      from: opts.from.toISOString(),
      to: opts.to.toISOString(),
      label: opts.label ?? `${opts.from.toISOString().slice(0, 10)} .. ${opts.to.toISOString().slice(0, 10)}`,
    },
    generatedAt: ctx.now().toISOString(),
    database: ctx.db.kind,
    dealerships: chosen ? chosen.map((d) => d.name) : null,
    weeks: [...weekMap.values()].sort((a, b) => a.week.localeCompare(b.week)),
    perDealership: [...dealerMap.values()],
    billing: {
      lines,
      totals,
      voided: voided.map((v) => ({
        id: v.id,
        dealership: v.name,
        type: v.orderType === 'cao' ? 'CAO' : 'LIST',
        template: v.template,
        vehicles: v.vehicles,
        createdAt: v.createdAt.toISOString(),
        voidedAt: v.voidedAt?.toISOString() ?? null,
        reason: v.reason,
      })),
    },
    inventory: [...invMap.entries()].map(([name, points]) => ({ name, points })),
    health,
    staleHours: ctx.config.staleHours,
    unreadableScrapeRuns: scrapes.unreadable,
    vinLog: { before: vinBefore, weeks: vinGrowth, after: total },
    storage: { databaseBytes, ordersBytes: orders.bytes, ordersFiles: orders.files },
  };
}

interface ScrapeOutcome {
  runs: number;
  done: number;
  lastFailure: { at: string; code: string; message: string } | null;
}

/** Per dealership name: scrape runs started in [from, to) that tried it, and its last failure. */
function readScrapeOutcomes(
  logDir: string,
  from: Date,
  to: Date,
): { bySlugOrName: Map<string, ScrapeOutcome>; unreadable: number } {
  const out = new Map<string, ScrapeOutcome>();
  let unreadable = 0;
  const dir = scrapesDir(logDir);
  if (!existsSync(dir)) return { bySlugOrName: out, unreadable };
  for (const run of readdirSync(dir).sort()) {
    let cp;
    try {
      cp = loadCheckpoint(path.join(dir, run));
    } catch {
      unreadable++;
      continue;
    }
    const started = new Date(cp.startedAt);
    if (!(started >= from && started < to)) continue;
    for (const d of cp.dealerships) {
      const e = cp.entries[d.slug];
      if (!e) continue;
      const o = out.get(d.name) ?? { runs: 0, done: 0, lastFailure: null };
      o.runs++;
      if (e.status === 'done') o.done++;
      else if (!o.lastFailure || e.finishedAt > o.lastFailure.at) {
        o.lastFailure = {
          at: e.finishedAt,
          code: e.error?.code ?? 'failed',
          message: e.error?.message ?? '',
        };
      }
      out.set(d.name, o);
    }
  }
  return { bySlugOrName: out, unreadable };
}

/** Bytes and files under a folder (symbolic links not followed); 0 when it does not exist. */
function folderSize(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  const walk = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        try {
          bytes += lstatSync(p).size;
          files++;
        } catch {
          // removed meanwhile
        }
      }
    }
  };
  walk(dir);
  return { bytes, files };
}

/**
 * Writes a report file (billing CSV, HTML, PDF) whole or not at all: a temporary file beside it,
 * then a rename, so a mail job never attaches half a file. An existing file is replaced.
 */
export function writeReportFile(file: string, data: string | Uint8Array): string {
  const target = path.resolve(file);
  try {
    replaceFileDurableSync(target, data);
  } catch (err) {
    throw new OutputError(`cannot write ${target}: ${(err as Error).message}`, {
      hints: ['Check that its folder exists and is writable.'],
      cause: err,
    });
  }
  return target;
}
