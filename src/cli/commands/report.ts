import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { formatBytes } from '../../core/duration.js';
import { REPORT_TABLES, type ReportData } from '../../core/report.js';
import { ExitCode, OutputError } from '../../errors.js';
import { bar, lastValues, sparkline, stackedBar } from '../charts.js';
import type { Action } from '../define.js';
import type { ReportOptions } from '../defs/report.js';
import { formatAge, formatTime, type Presentation } from '../presentation.js';
import { withApp, type CommandEnv } from '../run.js';

/** `silverfox report`. */
export const report: Action<ReportOptions> = async (env, _args, opts) => {
  const { pres } = env;
  const { month, since, billingCsv, html, pdf } = opts;
  const dealers = opts.dealer ?? [];
  const app = await import('../../app/report.js');
  const period = app.resolvePeriod({ month, since }, new Date());
  const data = await withApp(env, (ctx) =>
    app.report(ctx, { from: period.from, to: period.to, dealers, label: period.label }),
  );
  env.note({
    ...(data.dealerships ? { dealerships: data.dealerships } : {}),
    counts: { vehicles: data.billing.totals.vehicles, orders: data.billing.totals.orders },
  });
  const written: string[] = [];
  if (billingCsv) {
    const { formatReportBillingCsv } = await import('../../output/report-billing.js');
    written.push(app.writeReportFile(billingCsv, formatReportBillingCsv(data)));
  }
  if (html || pdf) {
    const { renderReportHtml } = await import('../../output/report-html.js');
    const page = renderReportHtml(data);
    if (html) written.push(app.writeReportFile(html, page));
    if (pdf) {
      const { printHtmlToPdf } = await import('../../output/report-pdf.js');
      const spinner = await pres.spinner('printing the report to PDF');
      let bytes: Uint8Array;
      try {
        bytes = await printHtmlToPdf({ chromiumPath: env.config.chromiumPath, html: page });
      } finally {
        spinner.stop();
      }
      written.push(app.writeReportFile(pdf, bytes));
    }
  }
  if (pres.json) pres.outJson(data);
  else printReport(pres, data);
  for (const f of written) pres.info(`wrote ${f}`);
  return ExitCode.ok;
};

/** A report table's right-aligned columns as the terminal table's alignment. */
const alignOf = (right: readonly boolean[]): ('left' | 'right')[] => right.map((r) => (r ? 'right' : 'left'));

const CONDITION_MARKS = [
  { key: 'new', mark: 'N' },
  { key: 'po', mark: 'U' },
  { key: 'cpo', mark: 'C' },
  { key: 'unknown', mark: '?' },
] as const;

function printReport(pres: Presentation, d: ReportData): void {
  const b = pres.c.bold;
  pres.out(
    b(`silverfox report ${d.period.label}`) +
      ` (${formatTime(d.period.from)} .. ${formatTime(d.period.to)}, ${d.database} database` +
      `${d.dealerships ? `, ${d.dealerships.join(', ')}` : ''})`,
  );

  pres.out();
  pres.out(b('Vehicles ordered per week') + ' (complete orders; N new, U used, C cpo, ? unknown)');
  const maxWeek = Math.max(0, ...d.weeks.map((w) => w.vehicles));
  pres.out(
    pres.table(
      [...REPORT_TABLES.weeks.columns, ''],
      d.weeks.map((w) => [
        ...REPORT_TABLES.weeks.cells(w),
        stackedBar(
          CONDITION_MARKS.map((m) => ({ value: w.byCondition[m.key], mark: m.mark })),
          maxWeek,
        ),
      ]),
      { align: [...alignOf(REPORT_TABLES.weeks.right), 'left'] },
    ),
  );

  pres.out();
  pres.out(b('Per dealership') + ' (C CAO, L LIST vehicles)');
  if (d.perDealership.length === 0) pres.out('no orders in this period');
  else {
    const max = Math.max(...d.perDealership.map((x) => x.vehicles));
    pres.out(
      pres.table(
        [...REPORT_TABLES.dealerships.columns, ''],
        d.perDealership.map((x) => [
          ...REPORT_TABLES.dealerships.cells(x),
          stackedBar(
            [
              { value: x.cao.vehicles, mark: 'C' },
              { value: x.list.vehicles, mark: 'L' },
            ],
            max,
          ),
        ]),
        { align: [...alignOf(REPORT_TABLES.dealerships.right), 'left'] },
      ),
    );
  }

  pres.out();
  pres.out(b('Billing') + ' (vehicles of complete orders; voided orders listed apart)');
  pres.out(
    pres.table(REPORT_TABLES.billing.columns, REPORT_TABLES.billing.rows(d.billing), {
      align: alignOf(REPORT_TABLES.billing.right),
    }),
  );
  if (d.billing.voided.length > 0) {
    const voided = REPORT_TABLES.voided(formatTime);
    pres.out();
    pres.out(`voided (not billed): ${d.billing.voided.length} order(s)`);
    pres.out(
      pres.table(voided.columns, d.billing.voided.map(voided.cells), {
        align: alignOf(voided.right),
      }),
    );
  }

  pres.out();
  pres.out(
    b('Inventory size') + ' (rows of the last snapshot of each day; sparkline: last 30 days with a snapshot)',
  );
  if (d.inventory.length === 0) pres.out('no snapshot in this period');
  else {
    pres.out(
      pres.table(
        ['dealership', 'days', 'first', 'last', 'min', 'max', 'trend'],
        d.inventory.map((i) => {
          const rows = i.points.map((p) => p.rows);
          return [
            i.name,
            i.points.length,
            rows[0],
            rows[rows.length - 1],
            Math.min(...rows),
            Math.max(...rows),
            sparkline(lastValues(rows, 30)),
          ];
        }),
        { align: ['left', 'right', 'right', 'right', 'right', 'right', 'left'] },
      ),
    );
  }

  pres.out();
  pres.out(b('Data health') + ` (stale: enabled and older than ${d.staleHours}h, or never imported)`);
  const shown = d.health.filter((h) => h.enabled || h.activeAt !== null || h.scrapeRuns > 0);
  pres.out(
    pres.table(
      ['dealership', 'imports', 'scrapes ok', 'success', 'last failure', 'active rows', 'age'],
      shown.map((h) => [
        h.stale ? pres.c.yellow(h.name) : h.name,
        `${h.csvImports} csv, ${h.scrapeImports} scrape`,
        h.scrapeRuns > 0 ? `${h.scrapeDone}/${h.scrapeRuns}` : '',
        h.scrapeSuccessPct === null ? '' : `${h.scrapeSuccessPct}%`,
        h.lastFailure
          ? `${formatTime(h.lastFailure.at)} ${h.lastFailure.code}: ${h.lastFailure.message}`
          : '',
        h.activeRows ?? '',
        h.stale ? pres.c.yellow(`${formatAge(h.ageHours)} STALE`) : formatAge(h.ageHours),
      ]),
      { align: ['left', 'left', 'right', 'right', 'left', 'right', 'left'] },
    ),
  );
  if (d.unreadableScrapeRuns > 0) {
    pres.out(`(${d.unreadableScrapeRuns} scrape run folder(s) without a readable checkpoint were left out)`);
  }

  pres.out();
  const v = d.vinLog;
  const maxAdded = Math.max(0, ...v.weeks.map((w) => w.added));
  pres.out(
    b('VIN log') +
      `: ${v.before} entries before the period, ${v.after} after (+${v.after - v.before})` +
      (v.weeks.length > 0 ? `  weekly: ${sparkline(v.weeks.map((w) => w.added))}` : ''),
  );
  for (const w of v.weeks) {
    pres.out(`  ${w.week} ${String(w.added).padStart(7)} ${bar(w.added, maxAdded, 30)}`);
  }

  pres.out();
  pres.out(
    b('Storage') +
      `: database ${formatBytes(d.storage.databaseBytes)}, orders folder ${formatBytes(d.storage.ordersBytes)}` +
      ` (${d.storage.ordersFiles} files)`,
  );
}

/**
 * The wizard's "Report": the HTML report of a period written into `<orders>/reports/` (beside the
 * order folders the owner already opens), its path printed.
 */
export async function reportIntoOrdersFolder(
  env: CommandEnv,
  period: { month?: string; since?: string },
): Promise<number> {
  const app = await import('../../app/report.js');
  const { renderReportHtml } = await import('../../output/report-html.js');
  const p = app.resolvePeriod(period, new Date());
  const data = await withApp(env, (ctx) => app.report(ctx, { from: p.from, to: p.to, label: p.label }));
  const dir = path.join(env.config.ordersDir, 'reports');
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new OutputError(`cannot create ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const stamp = data.generatedAt.slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  const name = `report_${p.label.replace(/[^A-Za-z0-9-]+/g, '_')}_${stamp}.html`;
  const file = app.writeReportFile(path.join(dir, name), renderReportHtml(data));
  env.note({ counts: { vehicles: data.billing.totals.vehicles, orders: data.billing.totals.orders } });
  env.pres.out(`report written: ${file}`);
  return ExitCode.ok;
}
