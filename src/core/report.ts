/**
 * The numbers of `silverfox report` (issue 18), as the use case returns them and the renderers
 * (terminal, JSON, HTML, billing CSV) read them: types, and the billing table both tables show.
 */
import type { Condition } from './dealership.js';

export type ConditionCounts = Record<Condition, number>;

export interface BillingLine {
  dealership: string;
  template: string;
  orders: number;
  byCondition: ConditionCounts;
  vehicles: number;
}

export interface DealershipHealth {
  name: string;
  enabled: boolean;
  csvImports: number;
  scrapeImports: number;
  lastImportAt: string | null;
  /** Scrape runs of the period that tried this dealership, and how many of them got its inventory. */
  scrapeRuns: number;
  scrapeDone: number;
  /** scrapeDone / scrapeRuns in percent, null when no run tried it. */
  scrapeSuccessPct: number | null;
  lastFailure: { at: string; code: string; message: string } | null;
  activeAt: string | null;
  activeRows: number | null;
  /** Hours since the active snapshot was imported (null: never). */
  ageHours: number | null;
  /** Enabled and older than SILVERFOX_STALE_HOURS (or never imported). */
  stale: boolean;
}

export interface ReportData {
  period: { from: string; to: string; label: string };
  generatedAt: string;
  database: 'server' | 'embedded';
  /** The dealerships asked for; null when the report covers all of them. */
  dealerships: string[] | null;
  /** Vehicles of complete orders per week (Monday) and condition. */
  weeks: { week: string; byCondition: ConditionCounts; vehicles: number }[];
  /** Complete orders per dealership, CAO and LIST apart. */
  perDealership: {
    name: string;
    cao: { orders: number; vehicles: number };
    list: { orders: number; vehicles: number };
    vehicles: number;
  }[];
  billing: {
    lines: BillingLine[];
    totals: { orders: number; byCondition: ConditionCounts; vehicles: number };
    /** Voided orders of the period: not billed, listed apart. */
    voided: {
      id: number;
      dealership: string;
      type: 'CAO' | 'LIST';
      template: string;
      vehicles: number;
      createdAt: string;
      voidedAt: string | null;
      reason: string | null;
    }[];
  };
  /** Inventory size per dealership per day (the day's last snapshot). */
  inventory: { name: string; points: { day: string; rows: number }[] }[];
  health: DealershipHealth[];
  staleHours: number;
  /** Checkpoint files that could not be read (counted, not fatal). */
  unreadableScrapeRuns: number;
  vinLog: { before: number; weeks: { week: string; added: number; total: number }[]; after: number };
  storage: { databaseBytes: number; ordersBytes: number; ordersFiles: number };
}

/** The columns of the billing table, in every renderer (terminal, HTML). */
const BILLING_COLUMNS = ['dealership', 'template', 'orders', 'new', 'used', 'cpo', 'unknown', 'vehicles'];

/** A table both report renderers show (terminal and HTML): its columns and one item's cells. */
export interface ReportTable<T> {
  columns: string[];
  /** Per column: right-aligned (numbers, order ids) in both renderers. */
  right: readonly boolean[];
  cells: (item: T) => (string | number)[];
}

/** A first column of names, then numbers. */
const NAME_THEN_NUMBERS = [false, true, true, true, true, true] as const;

/** Vehicles of complete orders per week, by condition. */
const WEEK_TABLE: ReportTable<ReportData['weeks'][number]> = {
  columns: ['week of', 'new', 'used', 'cpo', 'unknown', 'total'],
  right: NAME_THEN_NUMBERS,
  cells: (w) => [
    w.week,
    w.byCondition.new,
    w.byCondition.po,
    w.byCondition.cpo,
    w.byCondition.unknown,
    w.vehicles,
  ],
};

/** Orders and vehicles per dealership, CAO and LIST apart. */
const DEALERSHIP_TABLE: ReportTable<ReportData['perDealership'][number]> = {
  columns: ['dealership', 'CAO orders', 'CAO vehicles', 'LIST orders', 'LIST vehicles', 'vehicles'],
  right: NAME_THEN_NUMBERS,
  cells: (x) => [x.name, x.cao.orders, x.cao.vehicles, x.list.orders, x.list.vehicles, x.vehicles],
};

/** The voided orders of the period; `time` formats their timestamps the renderer's way. */
function voidedTable(
  time: (iso: string | null) => string,
): ReportTable<ReportData['billing']['voided'][number]> {
  return {
    columns: ['order', 'dealership', 'type', 'template', 'vehicles', 'created', 'voided', 'reason'],
    right: [true, false, false, false, true, false, false, false],
    cells: (v) => [
      `#${v.id}`,
      v.dealership,
      v.type,
      v.template,
      v.vehicles,
      time(v.createdAt),
      time(v.voidedAt),
      v.reason ?? '',
    ],
  };
}

/** The rows of the billing table: a line per dealership and template, then the total. */
function billingRows(billing: ReportData['billing']): (string | number)[][] {
  const row = (name: string, template: string, l: Omit<BillingLine, 'dealership' | 'template'>) => [
    name,
    template,
    l.orders,
    l.byCondition.new,
    l.byCondition.po,
    l.byCondition.cpo,
    l.byCondition.unknown,
    l.vehicles,
  ];
  return [...billing.lines.map((l) => row(l.dealership, l.template, l)), row('total', '', billing.totals)];
}

/** The tables both report renderers show (terminal and HTML), defined once so the two agree. */
export const REPORT_TABLES = {
  weeks: WEEK_TABLE,
  dealerships: DEALERSHIP_TABLE,
  billing: {
    columns: BILLING_COLUMNS,
    right: [false, false, true, true, true, true, true, true] as const,
    rows: billingRows,
  },
  voided: voidedTable,
};
