/**
 * The VIN log for support: `vinlog show VIN` (every dealership's entries, and what CAO would decide
 * for it today where it is in active inventory) and `vinlog import FILE --dealer NAME` (legacy logs).
 */
import { decideVin, filterVehicle, historiesFrom, type FilterHit, type VinDecision } from '../core/cao.js';
import {
  parseLegacyVinLog,
  type LegacyGroup,
  type LegacyProblem,
  type LegacyFormat,
} from '../core/legacy-vinlog.js';
import { isNotAVin, normalizeVin, VIN_PROBLEM_TEXT } from '../core/vin.js';
import { selectActiveVehiclesWithVin } from '../db/active-vehicles.js';
import { insertLegacyVinLogEntries, selectVinLogByVin, type VinLogRecord } from '../db/vinlog.js';
import { InputError, UsageError } from '../errors.js';
import type { ReportedVehicle } from '../core/order.js';
import type { AppContext } from './context.js';
import { readSmallCsv } from '../output/csv-input.js';
import { listDealers, resolveDealership } from './dealers.js';

export type { VinLogRecord };

export interface VinInInventory {
  dealership: { id: number; name: string; slug: string };
  vehicle: ReportedVehicle & { lotStatus: string; status: string | null };
  /** The candidate rule or filter that keeps it out of a CAO today, if any. */
  filteredBy: FilterHit | null;
  /** What the VIN decision would be today (when no filter removes it). */
  decision: VinDecision | null;
}

export interface VinReport {
  vin: string;
  valid: boolean;
  checkDigitOk: boolean;
  entries: VinLogRecord[];
  inventory: VinInInventory[];
}

/** Everything silverfox knows about a VIN: its VIN-log entries everywhere and today's decision. */
export async function showVin(ctx: AppContext, text: string): Promise<VinReport> {
  const v = normalizeVin(text);
  if (isNotAVin(v))
    throw new UsageError(`"${text.trim()}" is not a VIN: ${VIN_PROBLEM_TEXT[v.problem!]}`, [
      'A VIN is 17 letters and digits (no I, O or Q).',
    ]);
  const entries = await selectVinLogByVin(ctx.db, v.vin);
  const found = await selectActiveVehiclesWithVin(ctx.db, v.vin);
  const dealers = new Map((await listDealers(ctx)).map((d) => [d.id, d]));
  const now = ctx.now();
  const inventory: VinInInventory[] = found.map((vehicle) => {
    const d = dealers.get(vehicle.dealershipId)!;
    const facts = entries.map((e) => ({
      vin: e.vin,
      own: e.dealershipId === d.id,
      dealershipName: e.dealershipName,
      condition: e.condition,
      orderType: e.orderType,
      orderId: e.orderId,
      processedAt: e.processedAt,
    }));
    const filteredBy = filterVehicle(vehicle, d.effectiveSettings, now, ctx.config.timeZone);
    const history = historiesFrom(facts).get(vehicle.vin) ?? { own: [], otherDealerships: [] };
    return {
      dealership: { id: d.id, name: d.name, slug: d.slug },
      vehicle: {
        vin: vehicle.vin,
        stock: vehicle.stock,
        year: vehicle.year,
        make: vehicle.make,
        model: vehicle.model,
        trim: vehicle.trim,
        condition: vehicle.condition,
        price: vehicle.price,
        url: vehicle.url,
        lotStatus: vehicle.lotStatus,
        status: vehicle.status,
      },
      filteredBy,
      decision: filteredBy ? null : decideVin(vehicle.condition, history, d.effectiveSettings, now),
    };
  });
  return { vin: v.vin, valid: v.valid, checkDigitOk: v.checkDigitOk, entries, inventory };
}

export interface LegacyImportOptions {
  /** The legacy log file; or `text` (stdin). */
  file?: string;
  text?: string;
  dealer: string;
  /** Parse and count, write nothing. */
  dryRun?: boolean;
}

export interface LegacyImportResult {
  file: string;
  dealership: { id: number; name: string; slug: string };
  format: LegacyFormat;
  dryRun: boolean;
  /** Non-blank rows read; = parsed + alreadyInLog + duplicates + rejected + headers + groupLabels. */
  rows: number;
  imported: number;
  /** Entries already in the VIN log (same VIN, type and order reference): importing twice adds nothing. */
  alreadyInLog: number;
  byType: { legacy: number; baseline: number };
  duplicates: LegacyProblem[];
  rejected: LegacyProblem[];
  headers: number;
  groupLabels: number;
  blankRows: number;
  groups: LegacyGroup[];
  warnings: LegacyProblem[];
}

const CHUNK = 5000;

/** Imports a legacy VIN log (columnar or grouped) for one dealership, in one transaction. */
export async function importLegacyVinLog(
  ctx: AppContext,
  opts: LegacyImportOptions,
): Promise<LegacyImportResult> {
  const d = await resolveDealership(ctx, opts.dealer);
  const name = opts.file ?? '-';
  const parsed = parseLegacyVinLog(readSmallCsv(opts, 'vinlog import'));
  if (parsed.rows === 0)
    throw new InputError(`${name} holds no rows`, {
      file: name,
      hints: ['Expected a legacy VIN log (see --help).'],
    });
  const now = ctx.now();
  const entries = parsed.entries.map((e) => ({
    vin: e.vin,
    condition: e.condition,
    orderType: e.orderType,
    orderId: null,
    orderRef: e.orderRef,
    // A date-only ORDER_DATE is taken at noon UTC so it reads as the same day in every US zone.
    processedAt: e.orderDate ? new Date(`${e.orderDate}T12:00:00Z`) : now,
  }));
  let written: { vin: string; orderRef: string | null }[] = [];
  if (!opts.dryRun) {
    written = await ctx.db.transaction(async (tx) => {
      const out: { vin: string; orderRef: string | null }[] = [];
      for (let i = 0; i < entries.length; i += CHUNK)
        out.push(...(await insertLegacyVinLogEntries(tx, d.id, entries.slice(i, i + CHUNK))));
      return out;
    });
  }
  const writtenKeys = new Set(written.map((w) => `${w.orderRef ?? ''}\u0000${w.vin}`));
  const byType = { legacy: 0, baseline: 0 };
  for (const e of parsed.entries)
    if (opts.dryRun || writtenKeys.has(`${e.orderRef ?? ''}\u0000${e.vin}`)) byType[e.orderType]++;
  const imported = opts.dryRun ? parsed.entries.length : written.length;
  return {
    file: name,
    dealership: { id: d.id, name: d.name, slug: d.slug },
    format: parsed.format,
    dryRun: Boolean(opts.dryRun),
    rows: parsed.rows,
    imported,
    alreadyInLog: parsed.entries.length - imported,
    byType,
    duplicates: parsed.duplicates,
    rejected: parsed.rejected,
    headers: parsed.headers,
    groupLabels: parsed.groupLabels,
    blankRows: parsed.blankRows,
    groups: parsed.groups,
    warnings: parsed.warnings,
  };
}
