/**
 * The invoice-ready billing CSV of `silverfox report --billing-csv`: one row per dealership and
 * template, vehicles of complete orders by condition (voided orders are not in it). Encoded by
 * output/csv (ASCII, CRLF, RFC 4180 quoting, every data cell formula-neutralized).
 */
import type { ReportData } from '../core/report.js';
import { formatCsv } from './csv.js';

export const REPORT_BILLING_HEADER = [
  'Dealership',
  'Template',
  'Period from',
  'Period to',
  'Orders',
  'New',
  'Used',
  'CPO',
  'Unknown',
  'Vehicles',
] as const;

/** The billing CSV text of a report. */
export function formatReportBillingCsv(data: Pick<ReportData, 'period' | 'billing'>): string {
  const day = (iso: string) => iso.slice(0, 10);
  return formatCsv(
    REPORT_BILLING_HEADER,
    data.billing.lines.map((l) => [
      l.dealership,
      l.template,
      day(data.period.from),
      day(data.period.to),
      String(l.orders),
      String(l.byCondition.new),
      String(l.byCondition.po),
      String(l.byCondition.cpo),
      String(l.byCondition.unknown),
      String(l.vehicles),
    ]),
  );
}
