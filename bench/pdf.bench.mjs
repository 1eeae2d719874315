// Sticker sheets: 500 vehicles through the default template (target < 60 s, browser launch
// included), against a one-vehicle render in the same run as the baseline (mostly the launch).
// Uses the compiled code (npm run bench builds first) and real QR PNGs of the order format.
import path from 'node:path';

export const title = 'Sticker PDF: 500 vehicles, one page each + proof sheet (target < 60 s)';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function vehicles(n, qrPng) {
  const makes = [
    ['Honda', 'Accord', 'EX-L'],
    ['Ford', 'F-150 SuperCrew', 'XLT 4x4'],
    ['Toyota', 'RAV4 Hybrid', 'XSE'],
    ['Chevrolet', 'Silverado 1500', 'LT Trail Boss'],
  ];
  return Array.from({ length: n }, (_, i) => {
    const [make, model, trim] = makes[i % makes.length];
    const vin = `1HGCM8263${String(i).padStart(8, '0')}`;
    const url = `https://www.example-dealer.test/inventory/used-${make.toLowerCase()}-${i}`;
    return {
      vin,
      stock: `S${10000 + i}`,
      year: 2015 + (i % 10),
      make,
      model,
      trim,
      condition: i % 3 === 0 ? 'new' : 'po',
      price: 18000 + i * 37,
      url,
      reason: 'new',
      notOnWebsite: false,
      position: i + 1,
      qrPng: qrPng(`${url}?utm_source=SilverFox&utm_medium=VDP_ShortCut`),
    };
  });
}

async function timed(fn) {
  const t = process.hrtime.bigint();
  const r = await fn();
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, r };
}

export async function run() {
  const { renderOrderPdfs } = await import(path.join(root, 'dist/output/pdf.js'));
  const { loadStickerTemplate } = await import(path.join(root, 'dist/output/pdf-template.js'));
  const { qrPng } = await import(path.join(root, 'dist/output/qr-png.js'));
  const template = loadStickerTemplate(path.join(root, 'templates'), 'default');
  const all = vehicles(500, qrPng);
  const order = (n) => ({
    dealership: 'Bench Motors',
    orderId: 1,
    orderType: 'cao',
    createdAt: new Date(),
    template: 'default',
    vehicleCount: n,
  });
  const render = (list, concurrency) =>
    renderOrderPdfs({
      chromiumPath: CHROMIUM,
      concurrency,
      template,
      order: order(list.length),
      vehicles: list,
    });
  const one = await timed(() => render(all.slice(0, 1), 1));
  const serial = await timed(() => render(all, 1));
  const pool = await timed(() => render(all, 4));
  const rows = [
    ['1 vehicle (baseline: launch + one page)', 1, one.ms, 1, one.r.stickerPages],
    ['500 vehicles, concurrency 1', 500, serial.ms, serial.ms / one.ms, serial.r.stickerPages],
    ['500 vehicles, concurrency 4', 500, pool.ms, pool.ms / one.ms, pool.r.stickerPages],
  ];
  return {
    columns: ['render', 'vehicles', 'ms', 'x baseline', 'sticker pages'],
    rows,
    checks: [
      {
        ok: pool.ms < 60_000,
        text: `500 vehicles in ${(pool.ms / 1000).toFixed(1)} s < 60 s (concurrency 4)`,
      },
      { ok: pool.r.stickerPages === 500, text: `500 sticker pages (got ${pool.r.stickerPages})` },
    ],
  };
}
