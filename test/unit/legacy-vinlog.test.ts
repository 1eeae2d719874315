import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { classifyOrderRef, detectLegacyFormat, parseLegacyVinLog } from '../../src/core/legacy-vinlog.js';

const rows = (text: string) => Papa.parse<string[]>(text, { skipEmptyLines: false }).data;
const total = (p: ReturnType<typeof parseLegacyVinLog>) =>
  p.entries.length + p.duplicates.length + p.rejected.length + p.headers + p.groupLabels;

describe('legacy VIN logs', () => {
  it('classifies order references', () => {
    expect(classifyOrderRef('12345')).toEqual({ orderType: 'legacy', orderRef: '12345' });
    expect(classifyOrderRef('#77')).toEqual({ orderType: 'legacy', orderRef: '77' });
    for (const g of ['BASELINE', 'INITIAL', 'SETUP', 'TEST', 'MAINTENANCE', 'Baseline 2023'])
      expect(classifyOrderRef(g)).toEqual({ orderType: 'baseline', orderRef: g });
    expect(classifyOrderRef('')).toEqual({ orderType: 'baseline', orderRef: null });
  });

  it('detects the format', () => {
    expect(detectLegacyFormat(rows('VIN,ORDER_NUMBER,ORDER_DATE\n'))).toBe('columnar');
    expect(detectLegacyFormat(rows('\nvin,Order Number\n'))).toBe('columnar');
    expect(detectLegacyFormat(rows('1001,1HGCM82633A004352\n'))).toBe('grouped');
  });

  it('columnar: every row accounted for, dates kept, baseline refs kept', () => {
    const p = parseLegacyVinLog(
      rows(
        [
          'VIN,ORDER_NUMBER,ORDER_DATE',
          '1HGCM82633A004352,5001,2024-03-04',
          '3FA6P0LU6KR225374,5001,3/5/2024',
          '3fa6p0lu6kr225374,5001,3/5/2024',
          '5XYKTCA69FG566472,BASELINE,',
          '7.77778E+16,5002,2024-03-06',
          'VIN,ORDER_NUMBER,ORDER_DATE',
          '2CNDL13F056137366,5003,someday',
          '',
          '',
        ].join('\r\n'),
      ),
    );
    expect(p.format).toBe('columnar');
    expect(p.entries.map((e) => [e.vin, e.orderType, e.orderRef, e.orderDate])).toEqual([
      ['1HGCM82633A004352', 'legacy', '5001', '2024-03-04'],
      ['3FA6P0LU6KR225374', 'legacy', '5001', '2024-03-05'],
      ['5XYKTCA69FG566472', 'baseline', 'BASELINE', null],
      ['2CNDL13F056137366', 'legacy', '5003', null],
    ]);
    expect(p.duplicates).toHaveLength(1);
    expect(p.rejected).toEqual([
      { line: 6, value: '7.77778E+16', reason: expect.stringMatching(/scientific/) },
    ]);
    expect(p.headers).toBe(2);
    expect(p.warnings).toEqual([{ line: 8, value: 'someday', reason: expect.stringMatching(/ORDER_DATE/) }]);
    expect(p.rows).toBe(8);
    expect(total(p)).toBe(p.rows);
  });

  it('grouped: BASELINE and other non-numeric groups are kept, never dropped (failure 9)', () => {
    const p = parseLegacyVinLog(
      rows(
        [
          'BASELINE,1HGCM82633A004352',
          ',3FA6P0LU6KR225374',
          ',5XYKTCA69FG566472',
          '',
          '10045,2CNDL13F056137366',
          '10045,WBAGN63403DS43612',
          '',
          'INITIAL',
          ',1FTFW1ET5DFC10312',
          ',UPONREQUEST123456',
          '',
          'SETUP,1G1ZD5ST0LF000001',
          'TEST,1G1ZD5ST0LF000002',
          'MAINTENANCE,1G1ZD5ST0LF000003',
          '',
          ',1G1ZD5ST0LF000004',
          '',
        ].join('\n'),
      ),
    );
    expect(p.format).toBe('grouped');
    expect(p.groups.map((g) => [g.ref, g.orderType, g.vins])).toEqual([
      ['BASELINE', 'baseline', 3],
      ['10045', 'legacy', 2],
      ['INITIAL', 'baseline', 1],
      ['SETUP', 'baseline', 1],
      ['TEST', 'baseline', 1],
      ['MAINTENANCE', 'baseline', 1],
    ]);
    expect(p.entries.filter((e) => e.orderType === 'baseline')).toHaveLength(7);
    expect(p.groupLabels).toBe(1);
    expect(p.rejected.map((r) => [r.line, r.value])).toEqual([
      [10, 'UPONREQUEST123456'],
      [16, '1G1ZD5ST0LF000004'],
    ]);
    expect(p.rejected[1]!.reason).toMatch(/without an order number/);
    expect(total(p)).toBe(p.rows);
  });

  it('grouped: a header row and a VIN alone in the first column', () => {
    const p = parseLegacyVinLog(rows('Order,VIN\n900,1HGCM82633A004352\n3FA6P0LU6KR225374\n'));
    expect(p.headers).toBe(1);
    expect(p.entries.map((e) => [e.vin, e.orderRef])).toEqual([
      ['1HGCM82633A004352', '900'],
      ['3FA6P0LU6KR225374', '900'],
    ]);
    expect(total(p)).toBe(p.rows);
  });
});
