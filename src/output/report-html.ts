/**
 * The HTML report of `silverfox report --html`: one self-contained page (inline CSS and SVG, no
 * script, no external font, image or link), so it opens from a mail attachment and prints the same
 * (`--pdf`, letter landscape). Every chart has axis labels and its numbers in a table beside it.
 * Pure: data in, text out.
 */
import { CONDITIONS } from '../core/dealership.js';
import { formatBytes } from '../core/duration.js';
import { REPORT_TABLES, type ReportData } from '../core/report.js';

/** Text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

const e = escapeHtml;
const COLOURS: Record<string, string> = {
  new: '#2b6cb0',
  po: '#dd6b20',
  cpo: '#38a169',
  unknown: '#a0aec0',
  cao: '#2b6cb0',
  list: '#d69e2e',
  ok: '#38a169',
  bad: '#c53030',
  grey: '#718096',
};
const CONDITION_LABEL: Record<string, string> = { new: 'new', po: 'used', cpo: 'cpo', unknown: 'unknown' };

/** A round axis maximum at or above `max` (1, 2, 5 x 10^n). */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

interface Part {
  key: string;
  value: number;
}

/** A vertical stacked bar chart: categories along x, the sum of their parts on y. */
function columnChart(opts: {
  title: string;
  xLabel: string;
  yLabel: string;
  categories: { label: string; parts: Part[] }[];
  legend: { key: string; label: string }[];
}): string {
  const W = 640;
  const H = 260;
  const left = 56;
  const right = 12;
  const top = 24;
  const bottom = 56;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const max = niceMax(Math.max(0, ...opts.categories.map((c) => c.parts.reduce((s, p) => s + p.value, 0))));
  const n = Math.max(1, opts.categories.length);
  const slot = plotW / n;
  const barW = Math.max(2, Math.min(40, slot * 0.7));
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const out: string[] = [];
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    const v = max * t;
    out.push(
      `<line x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}" stroke="#e2e8f0"/>`,
      `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" class="tick">${fmt(v)}</text>`,
    );
  }
  const every = Math.ceil(n / 12);
  opts.categories.forEach((c, i) => {
    const x = left + i * slot + (slot - barW) / 2;
    let base = 0;
    for (const p of c.parts) {
      if (p.value <= 0) continue;
      const h = (p.value / max) * plotH;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${(y(base) - h).toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${COLOURS[p.key] ?? COLOURS.grey}"><title>${e(c.label)} ${e(p.key)}: ${p.value}</title></rect>`,
      );
      base += p.value;
    }
    if (i % every === 0) {
      out.push(
        `<text x="${(x + barW / 2).toFixed(1)}" y="${top + plotH + 14}" text-anchor="middle" class="tick">${e(c.label)}</text>`,
      );
    }
  });
  out.push(
    `<line x1="${left}" x2="${W - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#4a5568"/>`,
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#4a5568"/>`,
    `<text x="${left + plotW / 2}" y="${H - 22}" text-anchor="middle" class="axis">${e(opts.xLabel)}</text>`,
    `<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" class="axis">${e(opts.yLabel)}</text>`,
  );
  out.push(...legendMarks(opts.legend, left, H));
  return svg(opts.title, W, H, out);
}

/** Horizontal bars, one row per label; `max` fixes the scale (e.g. 100 for percentages). */
function barChart(opts: {
  title: string;
  xLabel: string;
  yLabel: string;
  rows: { label: string; parts: Part[]; note?: string }[];
  max?: number;
  marker?: { value: number; label: string };
  legend?: { key: string; label: string }[];
}): string {
  const rowH = 18;
  const left = 220;
  const right = 70;
  const top = 22;
  const W = 640;
  const plotW = W - left - right;
  const rows = opts.rows.length > 0 ? opts.rows : [{ label: '(none)', parts: [] }];
  const plotH = rows.length * rowH;
  const H = top + plotH + 46;
  const max = niceMax(opts.max ?? Math.max(0, ...rows.map((r) => r.parts.reduce((s, p) => s + p.value, 0))));
  const x = (v: number) => left + (Math.min(v, max) / max) * plotW;
  const out: string[] = [];
  for (const t of [0, 0.5, 1]) {
    out.push(
      `<line x1="${x(max * t)}" x2="${x(max * t)}" y1="${top}" y2="${top + plotH}" stroke="#e2e8f0"/>`,
      `<text x="${x(max * t)}" y="${top + plotH + 14}" text-anchor="middle" class="tick">${fmt(max * t)}</text>`,
    );
  }
  rows.forEach((r, i) => {
    const yy = top + i * rowH;
    out.push(
      `<text x="${left - 6}" y="${yy + 13}" text-anchor="end" class="tick">${e(r.label.length > 34 ? `${r.label.slice(0, 33)}...` : r.label)}</text>`,
    );
    let base = 0;
    for (const p of r.parts) {
      if (p.value <= 0) continue;
      const w = x(base + p.value) - x(base);
      out.push(
        `<rect x="${x(base).toFixed(1)}" y="${yy + 3}" width="${Math.max(1, w).toFixed(1)}" height="${rowH - 6}" fill="${COLOURS[p.key] ?? COLOURS.grey}"><title>${e(r.label)}: ${fmt(p.value)}</title></rect>`,
      );
      base += p.value;
    }
    out.push(`<text x="${x(base) + 4}" y="${yy + 13}" class="tick">${e(r.note ?? fmt(base))}</text>`);
  });
  if (opts.marker) {
    const mx = x(opts.marker.value);
    out.push(
      `<line x1="${mx}" x2="${mx}" y1="${top - 4}" y2="${top + plotH}" stroke="${COLOURS.bad}" stroke-dasharray="4 3"/>`,
      `<text x="${mx}" y="${top - 8}" text-anchor="middle" class="tick">${e(opts.marker.label)}</text>`,
    );
  }
  out.push(
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#4a5568"/>`,
    `<text x="${left + plotW / 2}" y="${top + plotH + 30}" text-anchor="middle" class="axis">${e(opts.xLabel)}</text>`,
    `<text x="8" y="${top - 8}" class="axis">${e(opts.yLabel)}</text>`,
  );
  out.push(...legendMarks(opts.legend ?? [], left, H));
  return svg(opts.title, W, H, out);
}

/** A chart's legend along its bottom edge: a swatch and a label per key, left to right from `x`. */
function legendMarks(legend: readonly { key: string; label: string }[], x: number, H: number): string[] {
  const out: string[] = [];
  let lx = x;
  for (const l of legend) {
    out.push(
      `<rect x="${lx}" y="${H - 12}" width="10" height="10" fill="${COLOURS[l.key] ?? COLOURS.grey}"/>`,
      `<text x="${lx + 14}" y="${H - 3}" class="tick">${e(l.label)}</text>`,
    );
    lx += 24 + l.label.length * 7;
  }
  return out;
}

/** A small line chart (one dealership's inventory): min and max on y, first and last day on x. */
function lineChart(title: string, points: { day: string; rows: number }[]): string {
  const W = 300;
  const H = 90;
  const left = 44;
  const right = 8;
  const top = 8;
  const bottom = 30;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const values = points.map((p) => p.rows);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const x = (i: number) => left + (points.length === 1 ? plotW / 2 : (i / (points.length - 1)) * plotW);
  const y = (v: number) => top + plotH - ((v - min) / span) * plotH;
  const path = points
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)} ${y(p.rows).toFixed(1)}`)
    .join(' ');
  const out = [
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#4a5568"/>`,
    `<line x1="${left}" x2="${W - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#4a5568"/>`,
    `<text x="${left - 4}" y="${top + 8}" text-anchor="end" class="tick">${max}</text>`,
    `<text x="${left - 4}" y="${top + plotH}" text-anchor="end" class="tick">${min}</text>`,
    `<text x="${left}" y="${top + plotH + 12}" class="tick">${e(points[0]!.day)}</text>`,
    `<text x="${W - right}" y="${top + plotH + 12}" text-anchor="end" class="tick">${e(points.at(-1)!.day)}</text>`,
    `<text x="${left + plotW / 2}" y="${H - 2}" text-anchor="middle" class="axis">day (y: vehicles)</text>`,
    points.length === 1
      ? `<circle cx="${x(0)}" cy="${y(points[0]!.rows)}" r="3" fill="${COLOURS.new}"/>`
      : `<path d="${path}" fill="none" stroke="${COLOURS.new}" stroke-width="1.5"/>`,
  ];
  return svg(title, W, H, out);
}

function svg(title: string, w: number, h: number, body: string[]): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">` +
    `<title>${e(title)}</title>${body.join('')}</svg>`
  );
}

function table(head: string[], rows: (string | number | null)[][], numeric: readonly boolean[] = []): string {
  const cell = (tag: string, v: string | number | null, i: number) =>
    `<${tag}${numeric[i] ? ' class="num"' : ''}>${e(v === null ? '' : String(v))}</${tag}>`;
  return (
    `<table><thead><tr>${head.map((h, i) => cell('th', h, i)).join('')}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((v, i) => cell('td', v, i)).join('')}</tr>`).join('') +
    '</tbody></table>'
  );
}

const day = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '');

function section(id: string, title: string, explain: string, chart: string, numbers: string): string {
  return (
    `<section id="${id}"><h2>${e(title)}</h2><p class="explain">${e(explain)}</p>` +
    `<div class="pair"><div>${chart}</div><div class="numbers">${numbers}</div></div></section>`
  );
}

/** The whole HTML document of a report. */
export function renderReportHtml(d: ReportData): string {
  const legend = CONDITIONS.map((c) => ({ key: c, label: CONDITION_LABEL[c]! }));
  const weeks = section(
    'weeks',
    'Vehicles ordered per week',
    'Vehicles of complete orders (voided ones left out), stacked by condition. Weeks start on Monday.',
    columnChart({
      title: 'Vehicles ordered per week',
      xLabel: 'week (Monday)',
      yLabel: 'vehicles',
      categories: d.weeks.map((w) => ({
        label: w.week.slice(5),
        parts: CONDITIONS.map((c) => ({ key: c, value: w.byCondition[c] })),
      })),
      legend,
    }),
    table(REPORT_TABLES.weeks.columns, d.weeks.map(REPORT_TABLES.weeks.cells), REPORT_TABLES.weeks.right),
  );
  const dealers = section(
    'dealerships',
    'Vehicles per dealership',
    'Vehicles of complete orders in the period, CAO (automatic) and LIST (ordered by hand) apart.',
    barChart({
      title: 'Vehicles per dealership, CAO vs LIST',
      xLabel: 'vehicles',
      yLabel: 'dealership',
      rows: d.perDealership.map((x) => ({
        label: x.name,
        parts: [
          { key: 'cao', value: x.cao.vehicles },
          { key: 'list', value: x.list.vehicles },
        ],
      })),
      legend: [
        { key: 'cao', label: 'CAO' },
        { key: 'list', label: 'LIST' },
      ],
    }),
    table(
      REPORT_TABLES.dealerships.columns,
      d.perDealership.map(REPORT_TABLES.dealerships.cells),
      REPORT_TABLES.dealerships.right,
    ),
  );
  const voided = REPORT_TABLES.voided(day);
  const billing =
    `<section id="billing"><h2>Billing</h2><p class="explain">What to bill: vehicles of complete orders per dealership and template, by condition. ` +
    `Voided orders are not billed and are listed below.</p>` +
    table(REPORT_TABLES.billing.columns, REPORT_TABLES.billing.rows(d.billing), REPORT_TABLES.billing.right) +
    `<h3>Voided orders (not billed): ${d.billing.voided.length}</h3>` +
    (d.billing.voided.length > 0
      ? table(voided.columns, d.billing.voided.map(voided.cells), voided.right)
      : '') +
    '</section>';
  const inventory =
    `<section id="inventory"><h2>Inventory size over time</h2><p class="explain">Vehicles in the last snapshot of each day, per dealership ` +
    `(y from the lowest to the highest count of the period).</p>` +
    (d.inventory.length === 0
      ? '<p>No snapshot in this period.</p>'
      : `<div class="grid">${d.inventory
          .map((i) => {
            const rows = i.points.map((p) => p.rows);
            return (
              `<figure><figcaption>${e(i.name)}</figcaption>${lineChart(`Inventory of ${i.name}`, i.points)}` +
              `<div class="small">${i.points.length} day(s); first ${rows[0]}, last ${rows.at(-1)}, min ${Math.min(...rows)}, max ${Math.max(...rows)}</div></figure>`
            );
          })
          .join('')}</div>`) +
    '</section>';
  const scraped = d.health.filter((h) => h.scrapeRuns > 0);
  const scrapes = section(
    'scrapes',
    'Scrape success and last failure',
    "Share of the scrape runs of the period that got the dealership's inventory (from the scrape run folders), with its last failure.",
    barChart({
      title: 'Scrape success rate per dealership',
      xLabel: 'successful scrapes (%)',
      yLabel: 'dealership',
      max: 100,
      rows: scraped.map((h) => ({
        label: h.name,
        parts: [{ key: (h.scrapeSuccessPct ?? 0) >= 100 ? 'ok' : 'bad', value: h.scrapeSuccessPct ?? 0 }],
        note: `${h.scrapeSuccessPct ?? 0}%`,
      })),
    }),
    table(
      ['dealership', 'ok / runs', 'success', 'imports (csv / scrape)', 'last failure'],
      d.health
        .filter((h) => h.scrapeRuns > 0 || h.csvImports + h.scrapeImports > 0)
        .map((h) => [
          h.name,
          h.scrapeRuns > 0 ? `${h.scrapeDone} / ${h.scrapeRuns}` : '',
          h.scrapeSuccessPct === null ? '' : `${h.scrapeSuccessPct}%`,
          `${h.csvImports} / ${h.scrapeImports}`,
          h.lastFailure ? `${day(h.lastFailure.at)} ${h.lastFailure.code}: ${h.lastFailure.message}` : '',
        ]),
      [false, true, true, true, false],
    ),
  );
  const fresh = d.health.filter((h) => h.enabled || h.activeAt !== null);
  const freshness = section(
    'freshness',
    'Freshness',
    `Hours since each dealership's active inventory was imported. The dashed line is the stale limit (${d.staleHours} h); "never" means no inventory yet.`,
    barChart({
      title: 'Hours since the active snapshot',
      xLabel: 'hours since the active snapshot',
      yLabel: 'dealership',
      rows: fresh.map((h) => ({
        label: h.name,
        parts: [{ key: h.stale ? 'bad' : 'ok', value: h.ageHours ?? 0 }],
        note: h.ageHours === null ? 'never' : `${fmt(h.ageHours)} h`,
      })),
      max: Math.max(d.staleHours * 1.5, ...fresh.map((h) => h.ageHours ?? 0)),
      marker: { value: d.staleHours, label: `stale ${d.staleHours}h` },
    }),
    table(
      ['dealership', 'active rows', 'imported at', 'hours', 'stale'],
      fresh.map((h) => [h.name, h.activeRows, day(h.activeAt), h.ageHours, h.stale ? 'STALE' : '']),
      [false, true, false, true, false],
    ),
  );
  const vin = section(
    'vinlog',
    'VIN-log growth',
    `VIN-log entries added per week (orders, imported logs). ${d.vinLog.before} entries before the period, ${d.vinLog.after} at its end.`,
    columnChart({
      title: 'VIN-log entries added per week',
      xLabel: 'week (Monday)',
      yLabel: 'entries added',
      categories: d.vinLog.weeks.map((w) => ({
        label: w.week.slice(5),
        parts: [{ key: 'new', value: w.added }],
      })),
      legend: [{ key: 'new', label: 'entries added' }],
    }),
    table(
      ['week of', 'added', 'total'],
      d.vinLog.weeks.map((w) => [w.week, w.added, w.total]),
      [false, true, true],
    ),
  );
  const storage = section(
    'storage',
    'Storage',
    'Size of the database (as the database reports it) and of the orders folder on disk.',
    barChart({
      title: 'Storage in MB',
      xLabel: 'MB',
      yLabel: 'where',
      rows: [
        {
          label: 'database',
          parts: [{ key: 'new', value: d.storage.databaseBytes / 1048576 }],
          note: formatBytes(d.storage.databaseBytes),
        },
        {
          label: 'orders folder',
          parts: [{ key: 'list', value: d.storage.ordersBytes / 1048576 }],
          note: formatBytes(d.storage.ordersBytes),
        },
      ],
    }),
    table(
      ['where', 'size', 'bytes', 'files'],
      [
        ['database', formatBytes(d.storage.databaseBytes), d.storage.databaseBytes, null],
        ['orders folder', formatBytes(d.storage.ordersBytes), d.storage.ordersBytes, d.storage.ordersFiles],
      ],
      [false, true, true, true],
    ),
  );
  const title = `silverfox report ${d.period.label}`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<style>
@page { size: letter landscape; margin: 0.4in; }
body { font-family: Arial, Helvetica, sans-serif; color: #1a202c; margin: 24px; font-size: 13px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 0 0 4px; } h3 { font-size: 14px; }
.meta, .explain { color: #4a5568; margin: 0 0 10px; }
section { margin: 22px 0; break-inside: avoid; page-break-inside: avoid; }
.pair { display: flex; gap: 20px; align-items: flex-start; flex-wrap: wrap; }
.numbers { max-height: 420px; overflow: auto; }
table { border-collapse: collapse; font-size: 12px; }
th, td { border-bottom: 1px solid #e2e8f0; padding: 2px 8px; text-align: left; }
th { background: #edf2f7; } .num { text-align: right; font-variant-numeric: tabular-nums; }
.grid { display: flex; flex-wrap: wrap; gap: 12px; } figure { margin: 0; } figcaption { font-weight: bold; }
.small { font-size: 11px; color: #4a5568; }
svg .tick { font-size: 10px; fill: #2d3748; } svg .axis { font-size: 11px; fill: #1a202c; font-weight: bold; }
@media print { .numbers { max-height: none; overflow: visible; } body { margin: 0; } }
</style></head>
<body>
<h1>${e(title)}</h1>
<p class="meta">Period ${e(day(d.period.from))} to ${e(day(d.period.to))} (UTC), ${e(d.database)} database, generated ${e(day(d.generatedAt))} UTC${
    d.dealerships ? `; dealerships: ${e(d.dealerships.join(', '))}` : ''
  }.</p>
${weeks}
${dealers}
${billing}
${inventory}
${scrapes}
${freshness}
${vin}
${storage}
</body></html>
`;
}
