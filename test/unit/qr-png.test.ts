import { readFileSync } from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { qrContent } from '../../src/core/templates.js';
import { encodeQrPng, qrAxisMap, qrMatrix, qrPng, QR_IMAGE_SIZE } from '../../src/output/qr-png.js';
import { SHARED } from '../helpers/env.js';
import { decodeQrPng } from '../helpers/qr.js';

// Real listings (CC0): their URLs and VINs, dirty as they are.
const craigslist = Papa.parse<Record<string, string>>(
  readFileSync(path.join(SHARED, 'data/craigslist_vehicles_sample.csv'), 'utf8'),
  { header: true, skipEmptyLines: true },
).data;

function expectRoundTrip(text: string): void {
  const d = decodeQrPng(qrPng(text));
  expect(d.width).toBe(388);
  expect(d.height).toBe(388);
  expect(d.bitDepth).toBe(1);
  expect(d.colorType).toBe(0);
  expect(d.text).toBe(text);
}

describe('QR PNG', () => {
  it('decodes back to its text for real listing URLs (with utm) and VINs', () => {
    const sample = craigslist.filter((_, i) => i % 37 === 0).slice(0, 120);
    expect(sample.length).toBe(120);
    for (const row of sample) {
      expectRoundTrip(qrContent({ vin: row.VIN || 'NOVIN', url: row.url ?? null }));
      if (row.VIN) expectRoundTrip(qrContent({ vin: row.VIN, url: null }));
    }
  }, 60_000); // 240 decodes: seconds on an idle machine, far more under a loaded CI

  it.each([17, 120, 300, 500, 560, 700, 900, 1100, 1200, 1500, 1800, 2000, 2300, 2330])(
    'decodes a %i-character URL (up to QR version 40)',
    (len) => {
      const base = 'https://www.example-dealer.com/inventory/used-2019-ford-f-150?';
      let text = base;
      for (let i = 0; text.length < len; i++) text += `p${i}=v${(i * 7919) % 10007}&`;
      text = text.slice(0, len);
      expectRoundTrip(text);
    },
  );

  it('is pixel-identical to qrcode.toBuffer at 388 px, margin 4, error correction M, up to version 18', async () => {
    for (const text of ['1HGCV1F34LA012345', craigslist[0]!.url!, 'x'.repeat(400), 'y'.repeat(530)]) {
      const ours = decodeQrPng(qrPng(text)).pixels;
      const theirs = decodeQrPng(
        await QRCode.toBuffer(text, { errorCorrectionLevel: 'M', width: QR_IMAGE_SIZE, margin: 4 }),
      ).pixels;
      expect(Buffer.compare(Buffer.from(ours), Buffer.from(theirs))).toBe(0);
    }
  });

  it('gives every module at least floor(388 / (n + 8)) px and a 4-module quiet zone, for every version', () => {
    for (let version = 1; version <= 40; version++) {
      const n = 17 + 4 * version;
      const map = qrAxisMap(n, QR_IMAGE_SIZE);
      const widths = new Array<number>(n).fill(0);
      let quiet = 0;
      for (const m of map) {
        if (m < 0) quiet++;
        else widths[m]!++;
      }
      const min = Math.floor(QR_IMAGE_SIZE / (n + 8));
      expect(Math.min(...widths)).toBe(min);
      // 4 px and more: mixed s/s+1 widths that fill the image; below: every module exactly s.
      expect(Math.max(...widths)).toBe(min >= 4 && QR_IMAGE_SIZE % (n + 8) !== 0 ? min + 1 : min);
      if (min >= 4) expect(widths.reduce((a, b) => a + b, 0) + quiet).toBe(QR_IMAGE_SIZE);
      expect(quiet).toBeGreaterThanOrEqual(8 * min);
      // Modules appear in order, each once, left to right.
      expect([...new Set([...map].filter((m) => m >= 0))]).toEqual([...Array(n).keys()]);
    }
  });

  it('uses error correction M', () => {
    // The level sits in format bits 14-13 (row 8, columns 0-1), XORed with 10: M (00) reads 1,0;
    // L (01) would read 1,1, Q (11) 0,1, H (10) 0,0.
    for (const text of ['1HGCV1F34LA012345', craigslist[5]!.url!]) {
      const m = qrMatrix(text);
      expect([0, 1].map((c) => m.data[8 * m.size + c])).toEqual([1, 0]);
    }
  });

  it('refuses a size that cannot show the code', () => {
    expect(() => encodeQrPng(qrMatrix('1HGCV1F34LA012345'), 28)).toThrow(RangeError);
  });
});
