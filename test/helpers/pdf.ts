/** Reads PDFs back as a person would see them: pages as PNG images (pdftoppm) and text (pdftotext). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeQrPng } from './qr.js';

/** Each page of `pdfFile` as a PNG (pdftoppm at `dpi`), in page order. */
export function pdfPagesAsPng(
  pdfFile: string,
  opts: { dpi?: number; first?: number; last?: number } = {},
): Buffer[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'silverfox-pdftoppm-'));
  try {
    const args = ['-png', '-r', String(opts.dpi ?? 100)];
    if (opts.first) args.push('-f', String(opts.first));
    if (opts.last) args.push('-l', String(opts.last));
    execFileSync('pdftoppm', [...args, pdfFile, path.join(dir, 'page')]);
    return readdirSync(dir)
      .filter((f) => f.endsWith('.png'))
      .sort((a, b) => Number(/(\d+)\.png$/.exec(a)![1]) - Number(/(\d+)\.png$/.exec(b)![1]))
      .map((f) => readFileSync(path.join(dir, f)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The text of a PDF, page by page (pdftotext keeps the reading order; pages split on form feeds). */
export function pdfText(pdfFile: string): string[] {
  return execFileSync('pdftotext', ['-layout', pdfFile, '-'], { encoding: 'utf8' }).split('\f').slice(0, -1);
}

/** What the QR code on a rendered page says (null when none can be read). */
export function qrOnPage(png: Buffer): string | null {
  return decodeQrPng(png).text;
}
