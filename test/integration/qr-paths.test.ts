import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCao } from '../../src/app/cao.js';
import type { AppContext } from '../../src/app/context.js';
import { resolveDealership } from '../../src/app/dealers.js';
import { setOrderQrPaths } from '../../src/app/order-paths.js';
import { showOrder } from '../../src/app/orders.js';
import { renderOrderPdf } from '../../src/app/pdf.js';
import { qrContent } from '../../src/core/templates.js';
import { InputError, UsageError } from '../../src/errors.js';
import { sha256Hex } from '../../src/durable-fs.js';
import type { OrderSummary } from '../../src/output/order-folder.js';
import { verifyOrderFolder } from '../../src/output/order-verify.js';
import { browserSuiteEnabled } from '../helpers/browser.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { makeVin, seedInventory } from '../helpers/inventory.js';
import { pdfPagesAsPng, qrOnPage } from '../helpers/pdf.js';

// Two @ columns (shortcut_pack), a NEW and a USED file, and a custom template whose other cells
// need CSV quoting (commas, quotes) or formula neutralizing: the bytes a rewrite must keep.
const CUSTOM = {
  name: 'kia_window',
  columns: {
    Title: '{year} {model}',
    '@Image': '@qr',
    Quote: '"{stock}", {make}',
    Formula: '=1+{price_number}',
    '@Back': '{qr}',
    Price: '{price}',
  },
};

/** Windows or POSIX base -> the local orders folder; what the designers' machine would resolve. */
function toLocal(cell: string, base: string | null, ordersDir: string, orderDir: string): string {
  if (base === null) return path.join(orderDir, cell);
  expect(cell.startsWith(base), `${cell} starts with ${base}`).toBe(true);
  return ordersDir + cell.slice(base.length).replace(/\\/g, '/');
}

const parse = (file: string) =>
  Papa.parse<string[]>(readFileSync(file, 'latin1'), { skipEmptyLines: true }).data as string[][];

/** Every @ cell of an order's CSVs with the VIN its row is about. */
function imageCells(orderDir: string): { file: string; header: string; cell: string; vin: string }[] {
  const summary = JSON.parse(readFileSync(path.join(orderDir, 'order_summary.json'), 'utf8')) as OrderSummary;
  const out: { file: string; header: string; cell: string; vin: string }[] = [];
  for (const { file } of summary.csv_files) {
    const [header, ...rows] = parse(path.join(orderDir, file));
    const vinCol = header!.findIndex((h) => h === 'VIN' || h === 'Title');
    rows.forEach((row, r) => {
      // shortcut_pack's VIN cell is `NEW - <vin>`; the custom template's rows follow the summary.
      const vin =
        header![vinCol] === 'VIN'
          ? row[vinCol]!.split(' - ').pop()!
          : summary.vehicles.filter((v) => v.csv_file === file)[r]!.vin;
      header!.forEach((h, i) => {
        if (h.startsWith('@')) out.push({ file, header: h, cell: row[i]!, vin });
      });
    });
  }
  return out;
}

const qrHashes = (orderDir: string) =>
  Object.fromEntries(
    readdirSync(path.join(orderDir, 'qr_codes')).map((f) => [
      f,
      sha256Hex(readFileSync(path.join(orderDir, 'qr_codes', f))),
    ]),
  );

/** The CSV text with every raw (RFC 4180) @ cell replaced by a marker: what a rewrite must keep. */
function withoutImageCells(text: string, cells: readonly string[]): string {
  let out = text;
  const raw = (c: string) => (/[",]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
  for (const c of [...new Set(cells)].sort((a, b) => b.length - a.length))
    out = out.split(raw(c)).join('<QR>');
  return out;
}

describe.each(DATABASE_KINDS)('QR paths in the @ columns on %s', (kind) => {
  let t: TestEnv;
  let ctx: AppContext;
  let honda: number;
  let serial = 0;

  const withBase = (qrPathBase: string | undefined): AppContext => ({
    config: { ...ctx.config, qrPathBase },
    db: ctx.db,
    now: () => ctx.now(),
  });
  const count = async (sql: string, params: unknown[] = []) =>
    Number((await ctx.db.query<{ n: number }>(sql, params)).rows[0]!.n);

  /** A CAO order of six vehicles (new, po, cpo) for Columbia Honda with SILVERFOX_QR_PATH_BASE = base. */
  async function order(
    base: string | undefined,
    settings: object = {},
  ): Promise<{ id: number; dir: string }> {
    await ctx.db.query('UPDATE dealerships SET settings = $2::jsonb WHERE id = $1', [
      honda,
      JSON.stringify({ template: 'shortcut_pack', split_new_used: true, ...settings }),
    ]);
    const conditions = ['new', 'po', 'cpo'] as const;
    await seedInventory(
      ctx.db,
      honda,
      Array.from({ length: 6 }, (_, i) => ({ vin: makeVin(++serial), condition: conditions[i % 3] })),
    );
    const r = await runCao(withBase(base), { dealers: ['Columbia Honda'] });
    expect(r.failed, JSON.stringify(r.results)).toBe(0);
    const d = r.results[0]!;
    expect(d.status).toBe('ordered');
    return { id: d.orderId!, dir: d.folder! };
  }

  beforeAll(async () => {
    t = await createTestEnv(kind);
    ctx = await t.open();
    honda = (await resolveDealership(ctx, 'Columbia Honda')).id;
  });
  afterAll(async () => {
    await ctx?.db.close();
    await t?.cleanup();
  });
  beforeEach(async () => {
    await ctx.db.query('DELETE FROM vin_log');
  });

  const STYLES: [string, string | undefined, (ordersDir: string) => string | null, RegExp][] = [
    ['drive letter', 'Z:\\SilverFox\\orders', () => 'Z:\\SilverFox\\orders', /^[^/]*$/],
    ['UNC share', '\\\\fileserver\\Orders', () => '\\\\fileserver\\Orders', /^\\\\[^/]*$/],
    ['POSIX', '/Volumes/Orders', () => '/Volumes/Orders', /^\/[^\\]*$/],
    ['relative', 'relative', () => null, /^qr_codes\/[A-Z0-9]{17}\.png$/],
    ['unset (the writing machine)', undefined, (ordersDir) => ordersDir, /^\/[^\\]*$/],
  ];

  it.each(STYLES)(
    '%s: every @ cell, base replaced by the local orders folder, names the PNG of its row',
    async (_, setting, baseOf, shape) => {
      const { id, dir } = await order(setting);
      const ordersDir = t.config.ordersDir;
      const base = baseOf(ordersDir);
      const cells = imageCells(dir);
      expect(cells).toHaveLength(12); // 6 vehicles x @QR and @QR2, over a NEW and a USED file
      expect(new Set(cells.map((c) => c.file)).size).toBe(2);
      for (const c of cells) {
        expect(c.cell).toMatch(shape);
        if (base !== null)
          expect(c.cell).toBe(
            [base, path.basename(dir), 'qr_codes', `${c.vin}.png`].join(base.startsWith('/') ? '/' : '\\'),
          );
        const local = toLocal(c.cell, base, ordersDir, dir);
        expect(existsSync(local), local).toBe(true);
        // Exact case: the name in the cell is the name in the folder listing.
        expect(readdirSync(path.dirname(local))).toContain(path.basename(local));
        expect(path.basename(local)).toBe(`${c.vin}.png`);
      }
      // Recorded in the summary, shown by `orders show`.
      const style = setting === 'relative' ? 'relative' : base?.startsWith('/') ? 'posix' : 'windows';
      const expected = {
        style,
        base: style === 'relative' ? null : base,
        source: setting === undefined ? 'local' : 'setting',
      };
      const summary = JSON.parse(readFileSync(path.join(dir, 'order_summary.json'), 'utf8')) as OrderSummary;
      expect(summary.qr_paths).toEqual(expected);
      const shown = await showOrder(ctx, id);
      expect(shown.qrPaths).toEqual(expected);
      expect(shown.verification.ok).toBe(true);
      // The vehicles keep the file inside the folder (pdf reads it from there).
      expect(shown.vehicles.every((v) => v.qrFile === `qr_codes/${v.vin}.png`)).toBe(true);
    },
  );

  it('orders paths rewrites the @ cells for each base, every other byte kept, checksums and history updated', async () => {
    const { id, dir } = await order('Z:\\SilverFox\\orders', {
      template: 'kia_window',
      split_new_used: false,
      custom_templates: [CUSTOM],
    });
    const csvFile = path.join(dir, 'columbia_honda_kia_window.csv');
    const qrBefore = qrHashes(dir);
    const billingBefore = readFileSync(path.join(dir, 'columbia_honda_billing.csv'));
    // A comma in a base makes the cell a quoted CSV field.
    const bases: [string, string | null][] = [
      ['\\\\fileserver\\orders, 2026', '\\\\fileserver\\orders, 2026'],
      ['/Volumes/Orders', '/Volumes/Orders'],
      ['relative', null],
      [t.config.ordersDir, t.config.ordersDir],
      ['z:/SilverFox/orders/', 'Z:\\SilverFox\\orders'],
    ];
    let previous = readFileSync(csvFile, 'latin1');
    let previousCells = imageCells(dir).map((c) => c.cell);
    expect(previous).toContain(`'=1+25000`); // the neutralized formula cell is among the kept bytes
    let history = 0;
    for (const [text, base] of bases) {
      const r = await setOrderQrPaths(ctx, id, text);
      expect(r.changed).toBe(true);
      expect(r.csvFiles).toEqual([
        { file: 'columbia_honda_kia_window.csv', cells: 12, sha256: expect.any(String) },
      ]);
      const now = readFileSync(csvFile, 'latin1');
      const cells = imageCells(dir);
      expect(cells).toHaveLength(12);
      for (const c of cells)
        expect(existsSync(toLocal(c.cell, base, t.config.ordersDir, dir)), c.cell).toBe(true);
      if (base?.includes(',')) expect(now).toContain(`,"${base}\\`);
      // Every byte but the @ cells is the same.
      expect(
        withoutImageCells(
          now,
          cells.map((c) => c.cell),
        ),
      ).toBe(withoutImageCells(previous, previousCells));
      expect(now).not.toBe(previous);
      // The checksums match again; QR codes and the other files are untouched.
      const v = await verifyOrderFolder(dir);
      expect(v.ok).toBe(true);
      expect(v.unexpected).toEqual([]);
      expect(v.summary.qr_paths).toMatchObject({ base, source: 'rewrite' });
      expect(v.files.find((f) => f.path === 'columbia_honda_kia_window.csv')!.sha256).toBe(
        sha256Hex(Buffer.from(now, 'latin1')),
      );
      expect(qrHashes(dir)).toEqual(qrBefore);
      expect(readFileSync(path.join(dir, 'columbia_honda_billing.csv'))).toEqual(billingBefore);
      expect(await count('SELECT count(*)::int AS n FROM order_history WHERE order_id = $1', [id])).toBe(
        ++history,
      );
      previous = now;
      previousCells = cells.map((c) => c.cell);
    }
    // Back to the base it was written with: byte for byte the file the order wrote.
    const shown = await showOrder(ctx, id);
    expect(shown.history.map((h) => (h.detail as { to: string }).to)).toEqual([
      '\\\\fileserver\\orders, 2026',
      '/Volumes/Orders',
      'relative',
      t.config.ordersDir,
      'Z:\\SilverFox\\orders',
    ]);
    expect(shown.history[0]).toMatchObject({ action: 'qr_paths', detail: { from: 'Z:\\SilverFox\\orders' } });
    const original = (shown.order.summary as OrderSummary).files.find(
      (f) => f.path === 'columbia_honda_kia_window.csv',
    )!;
    expect(sha256Hex(readFileSync(csvFile))).toBe(original.sha256);
    // The same base again: nothing to do, no history.
    const same = await setOrderQrPaths(ctx, id, 'Z:\\SilverFox\\orders');
    expect(same.changed).toBe(false);
    expect(await count('SELECT count(*)::int AS n FROM order_history WHERE order_id = $1', [id])).toBe(
      history,
    );
  });

  it('a bad base is refused with a usage error and changes nothing', async () => {
    const { id, dir } = await order('/Volumes/Orders');
    const snapshot = () =>
      Object.fromEntries(
        [
          'order_summary.json',
          'columbia_honda_shortcut_pack_NEW.csv',
          'columbia_honda_shortcut_pack_USED.csv',
        ].map((f) => [f, readFileSync(path.join(dir, f), 'latin1')]),
      );
    const before = snapshot();
    for (const bad of [
      'orders',
      'Z:\\a|b',
      '\\\\fileserver',
      '/Volumes/Caf\u00e9',
      '\\\\fs\\orders\\CON',
      'smb://fs/orders',
      '',
    ]) {
      const err = await setOrderQrPaths(ctx, id, bad).catch((e: unknown) => e);
      expect(err, bad).toBeInstanceOf(UsageError);
      expect((err as UsageError).exitCode).toBe(2);
      expect((err as UsageError).hints.join(' ')).toContain('\\\\fileserver\\orders');
    }
    expect(snapshot()).toEqual(before);
    expect(await count('SELECT count(*)::int AS n FROM order_history WHERE order_id = $1', [id])).toBe(0);
  });

  it('a CSV edited by hand is not rewritten; a rewrite cut off half way is finished by running it again', async () => {
    const { id, dir } = await order('\\\\fileserver\\orders');
    const newCsv = path.join(dir, 'columbia_honda_shortcut_pack_NEW.csv');
    const usedCsv = path.join(dir, 'columbia_honda_shortcut_pack_USED.csv');
    const summaryFile = path.join(dir, 'order_summary.json');
    const original = readFileSync(newCsv, 'latin1');

    writeFileSync(newCsv, original.replace('Accord', 'Acord'), 'latin1');
    const err = await setOrderQrPaths(ctx, id, '/Volumes/Orders').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain('columbia_honda_shortcut_pack_NEW.csv of order');
    expect((err as Error).message).toContain('changed since the order was written');
    expect(readFileSync(newCsv, 'latin1')).toBe(original.replace('Accord', 'Acord'));
    expect(readFileSync(usedCsv, 'latin1')).toContain('\\\\fileserver\\orders\\');
    writeFileSync(newCsv, original, 'latin1');

    // Cut off after the CSVs were replaced, before order_summary.json was: the summary still
    // names the old base and checksums, so the folder does not verify...
    const summaryBefore = readFileSync(summaryFile);
    await setOrderQrPaths(ctx, id, '/Volumes/Orders');
    writeFileSync(summaryFile, summaryBefore);
    expect((await verifyOrderFolder(dir)).ok).toBe(false);
    // ...and running the command again finishes it.
    const again = await setOrderQrPaths(ctx, id, '/Volumes/Orders');
    expect(again.changed).toBe(true);
    expect((await verifyOrderFolder(dir)).ok).toBe(true);
    for (const c of imageCells(dir))
      expect(c.cell.startsWith(`/Volumes/Orders/${path.basename(dir)}/qr_codes/`)).toBe(true);
  });

  it('an @ column that holds no QR path (a custom template) is not rewritten, and nothing changes', async () => {
    const { id, dir } = await order('/Volumes/Orders', {
      template: 'photos',
      split_new_used: false,
      custom_templates: [{ name: 'photos', columns: { VIN: '{vin}', '@Photo': '{vin}.jpg', '@QR': '@qr' } }],
    });
    const csvFile = path.join(dir, 'columbia_honda_photos.csv');
    const before = readFileSync(csvFile);
    const err = await setOrderQrPaths(ctx, id, 'relative').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(
      /record 2: the image cell "[A-Z0-9]{17}\.jpg" names no QR code of this order/,
    );
    expect(readFileSync(csvFile)).toEqual(before);
    expect(await count('SELECT count(*)::int AS n FROM order_history WHERE order_id = $1', [id])).toBe(0);
  });

  it.runIf(browserSuiteEnabled({ pdftoppm: true }))(
    'sticker PDFs read the QR files from the folder whatever the @ cells say; orders paths keeps the PDFs in the summary',
    async () => {
      const { id, dir } = await order('Z:\\SilverFox\\orders');
      const r = await renderOrderPdf(ctx, { orderId: id, concurrency: 2 });
      const pages = pdfPagesAsPng(path.join(dir, r.stickers.path), { dpi: 110 });
      const { vehicles } = await showOrder(ctx, id);
      expect(pages).toHaveLength(vehicles.length);
      vehicles.forEach((v, i) => expect(qrOnPage(pages[i]!)).toBe(qrContent(v)));
      await setOrderQrPaths(ctx, id, '\\\\fileserver\\orders');
      const v = await verifyOrderFolder(dir);
      expect(v.ok).toBe(true);
      expect(v.unexpected).toEqual([]);
      expect(v.files.map((f) => f.path)).toContain(r.stickers.path);
    },
  );

  it('without the setting, an orders folder no Windows or macOS path can hold fails the order before anything is written', async () => {
    const ordersDir = path.join(t.dir, 'orders:2026');
    const bad: AppContext = {
      config: { ...ctx.config, ordersDir, qrPathBase: undefined },
      db: ctx.db,
      now: () => ctx.now(),
    };
    await seedInventory(ctx.db, honda, [{ vin: makeVin(++serial) }]);
    const before = await count('SELECT count(*)::int AS n FROM orders');
    const r = await runCao(bad, { dealers: ['Columbia Honda'] });
    expect(r.failed).toBe(1);
    expect(JSON.stringify(r.results[0])).toContain('SILVERFOX_QR_PATH_BASE');
    expect(await count('SELECT count(*)::int AS n FROM orders')).toBe(before);
    expect(existsSync(ordersDir)).toBe(false);
    // With the setting, the same folder is fine: the cells name the designers' share.
    const ok = await runCao(
      { ...bad, config: { ...bad.config, qrPathBase: '\\\\fileserver\\orders' } },
      { dealers: ['Columbia Honda'] },
    );
    expect(ok.failed).toBe(0);
  });
});
