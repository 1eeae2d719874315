// The check every window sticker passes before it counts as done (output/portal-session.ts):
// a whole, readable PDF, not an HTML page under a .pdf name.
import { PDFDocument } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { htmlTitle, inspectPdf } from '../../src/output/portal-session.js';

async function pdf(pages: number): Promise<Buffer> {
  const doc = await PDFDocument.create();
  for (let i = 0; i < pages; i++) doc.addPage([612, 792]);
  return Buffer.from(await doc.save());
}

describe('inspectPdf', () => {
  it('accepts a whole PDF and counts its pages', async () => {
    expect(await inspectPdf(await pdf(2))).toEqual({ ok: true, pages: 2 });
  });

  it('names an HTML page by its title (a portal error page served as VIN.pdf)', async () => {
    const html = Buffer.from(
      '<!DOCTYPE html>\n<html><head><title>  Session timed out \u2013 Dealer Connect </title></head><body>x</body></html>',
    );
    expect(await inspectPdf(html)).toEqual({
      ok: false,
      problem: 'an HTML page ("Session timed out ? Dealer Connect"), not a PDF',
      title: 'Session timed out ? Dealer Connect',
    });
    expect(htmlTitle('<html><body><h1>Error 500</h1></body></html>')).toBe('Error 500');
  });

  it('refuses a body that is not a PDF, a cut-off transfer and a damaged file', async () => {
    expect(await inspectPdf(Buffer.from('{"error":"expired"}'))).toMatchObject({
      ok: false,
      problem: expect.stringContaining('no %PDF- header'),
    });
    const whole = await pdf(1);
    expect(await inspectPdf(whole.subarray(0, Math.floor(whole.length * 0.6)))).toMatchObject({
      ok: false,
      problem: expect.stringContaining('cut-off PDF'),
    });
    const damaged = Buffer.from('%PDF-1.7\n1 0 obj garbage endobj\n%%EOF\n');
    expect(await inspectPdf(damaged)).toMatchObject({ ok: false });
  });
});
