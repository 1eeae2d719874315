import { describe, expect, it } from 'vitest';
import { bar, sparkline, stackedBar } from '../../src/cli/charts.js';
import type { ReportData } from '../../src/core/report.js';
import { formatReportBillingCsv } from '../../src/output/report-billing.js';
import { niceMax, renderReportHtml } from '../../src/output/report-html.js';

describe('report charts (ASCII)', () => {
  it('scales bars and keeps a mark for small non-zero values', () => {
    expect(bar(10, 10, 20)).toBe('#'.repeat(20));
    expect(bar(1, 1000, 20)).toBe('#');
    expect(bar(0, 10)).toBe('');
    expect(
      stackedBar(
        [
          { value: 2, mark: 'N' },
          { value: 1, mark: 'U' },
          { value: 0, mark: 'C' },
        ],
        3,
        9,
      ),
    ).toBe('NNNNNNUUU');
  });
  it('draws sparklines from the lowest to the highest value in printable ASCII', () => {
    const s = sparkline([1, 5, 9]);
    expect(s).toHaveLength(3);
    expect(s[0]).toBe('_');
    expect(s[2]).toBe('@');
    expect(sparkline([4, 4])).toBe('==');
    expect(sparkline([0, 0])).toBe('__');
    expect(sparkline([3, 100, 7, 0])).toMatch(/^[\x20-\x7e]{4}$/);
  });
});

describe('report billing CSV', () => {
  it('one row per dealership and template, formula-safe', () => {
    const text = formatReportBillingCsv({
      period: { from: '2026-10-01T05:00:00.000Z', to: '2026-11-01T05:00:00.000Z', label: '2026-10' },
      billing: {
        lines: [
          {
            dealership: '=cmd|calc',
            template: 'standard',
            orders: 2,
            byCondition: { new: 3, po: 1, cpo: 0, unknown: 0 },
            vehicles: 4,
          },
        ],
        totals: { orders: 2, byCondition: { new: 3, po: 1, cpo: 0, unknown: 0 }, vehicles: 4 },
        voided: [],
      },
    });
    const rows = text.split('\r\n');
    expect(rows[0]).toBe('Dealership,Template,Period from,Period to,Orders,New,Used,CPO,Unknown,Vehicles');
    expect(rows[1]).toBe("'=cmd|calc,standard,2026-10-01,2026-11-01,2,3,1,0,0,4");
    expect(rows[2]).toBe('');
  });
});

describe('report HTML', () => {
  const hostile = '<script>alert(1)</script> & "Motors"';
  const zero = { new: 0, po: 0, cpo: 0, unknown: 0 };
  const data: ReportData = {
    period: { from: '2026-10-01T05:00:00.000Z', to: '2026-11-01T05:00:00.000Z', label: '2026-10' },
    generatedAt: '2026-11-01T08:00:00.000Z',
    database: 'embedded',
    dealerships: null,
    weeks: [{ week: '2026-10-05', byCondition: { ...zero, new: 3 }, vehicles: 3 }],
    perDealership: [
      { name: hostile, cao: { orders: 1, vehicles: 3 }, list: { orders: 0, vehicles: 0 }, vehicles: 3 },
    ],
    billing: {
      lines: [
        {
          dealership: hostile,
          template: 'standard',
          orders: 1,
          byCondition: { ...zero, new: 3 },
          vehicles: 3,
        },
      ],
      totals: { orders: 1, byCondition: { ...zero, new: 3 }, vehicles: 3 },
      voided: [],
    },
    inventory: [{ name: hostile, points: [{ day: '2026-10-05', rows: 12 }] }],
    health: [
      {
        name: hostile,
        enabled: true,
        csvImports: 1,
        scrapeImports: 0,
        lastImportAt: null,
        scrapeRuns: 1,
        scrapeDone: 0,
        scrapeSuccessPct: 0,
        lastFailure: { at: '2026-10-05T02:00:00.000Z', code: 'http_403', message: '</table><img src=x>' },
        activeAt: null,
        activeRows: null,
        ageHours: null,
        stale: true,
      },
    ],
    staleHours: 36,
    unreadableScrapeRuns: 0,
    vinLog: { before: 0, weeks: [{ week: '2026-10-05', added: 3, total: 3 }], after: 3 },
    storage: { databaseBytes: 5_000_000, ordersBytes: 2048, ordersFiles: 3 },
  };

  it('escapes every name and message, and has no script, link or external resource', () => {
    const html = renderReportHtml(data);
    expect(html).not.toMatch(/<script|<img|<link|<[a-z][^>]*\s(src|href)=|url\(/i);
    expect(html).toContain('&lt;/table&gt;&lt;img src=x&gt;');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Motors&quot;');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('@page { size: letter landscape');
    expect(html.match(/<svg /g)).toHaveLength(7);
  });

  it('rounds axis maxima up to 1, 2 or 5 times a power of ten', () => {
    expect([niceMax(0), niceMax(7), niceMax(12), niceMax(50), niceMax(51), niceMax(0.3)]).toEqual([
      1, 10, 20, 50, 100, 0.5,
    ]);
  });
});
