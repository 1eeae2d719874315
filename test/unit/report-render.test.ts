import { describe, expect, it } from 'vitest';
import { bar, sparkline, stackedBar } from '../../src/cli/charts.js';
import { formatReportBillingCsv } from '../../src/output/report-billing.js';

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
