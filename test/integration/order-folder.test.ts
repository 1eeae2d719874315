import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Papa from 'papaparse';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OrderVehicle } from '../../src/core/order.js';
import { qrContent, resolveTemplate } from '../../src/core/templates.js';
import { InputError, OutputError } from '../../src/errors.js';
import { sha256Hex } from '../../src/durable-fs.js';
import {
  discardOrder,
  publishOrder,
  stageOrder,
  STAGING_DIR,
  type StageOrderInput,
} from '../../src/output/order-folder.js';
import { recoverStagedOrders } from '../../src/output/order-recovery.js';
import { verifyOrderFolder } from '../../src/output/order-verify.js';
import { SHARED } from '../helpers/env.js';
import { decodeQrPng } from '../helpers/qr.js';

// Real listings (CC0) as ordered vehicles: valid 17-character VINs, dirty makes, models and prices.
const listings = Papa.parse<Record<string, string>>(
  readFileSync(path.join(SHARED, 'data/craigslist_vehicles_sample.csv'), 'utf8'),
  { header: true, skipEmptyLines: true },
).data;
const CONDITIONS = ['new', 'po', 'cpo', 'unknown'] as const;
const seen = new Set<string>();
const realVehicles: OrderVehicle[] = [];
for (const r of listings) {
  const vin = (r.VIN ?? '').trim().toUpperCase();
  if (!/^[A-HJ-NPR-Z0-9]{17}$/.test(vin) || seen.has(vin)) continue;
  seen.add(vin);
  const i = realVehicles.length;
  realVehicles.push({
    vin,
    stock: i % 5 === 0 ? null : `S${r.id?.slice(-6)}`,
    year: r.year ? Number(r.year) : null,
    make: r.manufacturer || null,
    model: r.model || null,
    trim: null,
    condition: CONDITIONS[i % 4]!,
    price: Number(r.price) > 0 ? Number(r.price) : null,
    url: i % 7 === 0 ? null : (r.url ?? null),
    reason: i % 3 === 0 ? 'cross_dealership' : 'new',
    notOnWebsite: false,
  });
}

let root: string;
let ordersDir: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'silverfox-order-folder-'));
  ordersDir = path.join(root, 'orders');
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

let nextId = 100;
function input(over: Partial<StageOrderInput> = {}): StageOrderInput {
  return {
    ordersDir,
    orderId: nextId++,
    dealership: { name: 'Columbia Honda', slug: 'columbia_honda' },
    orderType: 'cao',
    createdAt: new Date(2026, 10, 23, 14, 5, 9),
    template: resolveTemplate('shortcut_pack'),
    splitNewUsed: false,
    vehicles: realVehicles.slice(0, 24),
    ...over,
  };
}

const csv = (file: string) =>
  Papa.parse<string[]>(readFileSync(file, 'utf8'), { skipEmptyLines: true }).data as string[][];

/** A pid no process has: one that just exited. */
const deadPid = () => spawnSync('true').pid!;

function setOwnerPid(stagingDir: string, pid: number): void {
  const file = `${stagingDir}.owner.json`;
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), pid }));
}

describe('order folder', () => {
  it('stages everything out of sight, then publishes the folder of the contract', async () => {
    const staged = await stageOrder(input({ orderId: 7 }));
    expect(staged.folderName).toBe('columbia_honda_cao_20261123-140509');
    expect(readdirSync(ordersDir)).toEqual([STAGING_DIR]);
    expect(existsSync(path.join(staged.stagingDir, 'order_summary.json'))).toBe(true);

    const final = await publishOrder(staged);
    expect(final).toBe(path.join(ordersDir, 'columbia_honda_cao_20261123-140509'));
    expect(readdirSync(ordersDir)).toEqual(['columbia_honda_cao_20261123-140509']);
    const vins = staged.summary.vehicles.map((v) => v.vin);
    expect(readdirSync(final).sort()).toEqual([
      'columbia_honda_billing.csv',
      'columbia_honda_shortcut_pack.csv',
      'order_summary.json',
      'qr_codes',
    ]);
    expect(readdirSync(path.join(final, 'qr_codes')).sort()).toEqual(vins.map((v) => `${v}.png`).sort());

    // The CSV: exact header, ASCII, CRLF, no BOM; each row's QR file is the code of that row's VIN.
    const text = readFileSync(path.join(final, 'columbia_honda_shortcut_pack.csv'));
    expect([...text].every((b) => b < 0x80)).toBe(true);
    expect(text.subarray(0, 3).toString()).toBe('YEA');
    expect(text.toString().split('\r\n')).toHaveLength(24 + 2);
    const [header, ...rows] = csv(path.join(final, 'columbia_honda_shortcut_pack.csv'));
    expect(header!.join(',')).toBe('YEARMAKE,MODEL,TRIM,STOCK,VIN,@QR,QRYEARMODEL,QRSTOCK,@QR2,MISC');
    expect(rows).toHaveLength(24);
    rows.forEach((row, i) => {
      const v = realVehicles[i]!;
      expect(row[4]).toMatch(new RegExp(` - ${v.vin}$`));
      expect(row[5]).toBe(`qr_codes/${v.vin}.png`);
      expect(row[8]).toBe(row[5]);
      expect(decodeQrPng(readFileSync(path.join(final, row[5]!))).text).toBe(qrContent(v));
    });

    // The summary: what the order is, and the SHA-256 of every other file.
    const summary = JSON.parse(readFileSync(path.join(final, 'order_summary.json'), 'utf8'));
    expect(summary).toMatchObject({
      id: 7,
      type: 'cao',
      dealership: { name: 'Columbia Honda', slug: 'columbia_honda' },
      created_at: new Date(2026, 10, 23, 14, 5, 9).toISOString(),
      folder: 'columbia_honda_cao_20261123-140509',
      template: 'shortcut_pack',
      counts: { vehicles: 24, qr_codes: 24, by_condition: { new: 6, po: 6, cpo: 6, unknown: 6 }, skipped: 0 },
    });
    expect(summary.vehicles[0]).toMatchObject({
      vin: realVehicles[0]!.vin,
      reason: 'cross_dealership',
      qr_file: `qr_codes/${realVehicles[0]!.vin}.png`,
      csv_file: 'columbia_honda_shortcut_pack.csv',
      qr_content: qrContent(realVehicles[0]!),
    });
    expect(summary.files).toHaveLength(24 + 2);
    for (const f of summary.files) {
      const data = readFileSync(path.join(final, f.path));
      expect(f).toEqual({ path: f.path, sha256: sha256Hex(data), bytes: data.length });
    }
    expect(summary.files).toEqual(staged.files);
    expect((await verifyOrderFolder(final)).ok).toBe(true);
  });

  it('splits NEW and USED into two CSVs with every QR on its own car (failure 13)', async () => {
    const vehicles = realVehicles.slice(0, 30);
    const staged = await stageOrder(
      input({ splitNewUsed: true, template: resolveTemplate('flyout'), vehicles }),
    );
    const final = await publishOrder(staged);
    const byVin = new Map(vehicles.map((v) => [v.vin, v]));
    const parts = { NEW: ['new'], USED: ['po', 'cpo', 'unknown'] };
    let total = 0;
    for (const [part, conditions] of Object.entries(parts)) {
      const [header, ...rows] = csv(path.join(final, `columbia_honda_flyout_${part}.csv`));
      expect(header).toEqual(['QRYEARMODEL', 'QRPRICE', '@QR2']);
      for (const row of rows) {
        const vin = /^qr_codes\/([A-Z0-9]{17})\.png$/.exec(row[2]!)![1]!;
        const v = byVin.get(vin)!;
        expect(conditions).toContain(v.condition);
        if (v.stock) expect(row[0]).toContain(v.stock);
        expect(decodeQrPng(readFileSync(path.join(final, row[2]!))).text).toBe(qrContent(v));
      }
      total += rows.length;
      // The vehicles keep their order within each file.
      const order = vehicles
        .filter((v) => conditions.includes(v.condition))
        .map((v) => `qr_codes/${v.vin}.png`);
      expect(rows.map((r) => r[2])).toEqual(order);
    }
    expect(total).toBe(30);
    expect(staged.summary.csv_files).toEqual([
      { file: 'columbia_honda_flyout_NEW.csv', part: 'NEW', rows: 8 },
      { file: 'columbia_honda_flyout_USED.csv', part: 'USED', rows: 22 },
    ]);
  });

  it('writes no file for an empty part of a split', async () => {
    const staged = await stageOrder(
      input({ splitNewUsed: true, vehicles: realVehicles.filter((v) => v.condition === 'po').slice(0, 3) }),
    );
    expect(staged.summary.csv_files.map((f) => f.file)).toEqual(['columbia_honda_shortcut_pack_USED.csv']);
    await discardOrder(staged);
    expect(readdirSync(ordersDir)).toEqual([]);
  });

  it('writes the billing sheet of a LIST order: vehicles, totals, duplicates, not on website', async () => {
    const vehicles: OrderVehicle[] = [
      { ...realVehicles[0]!, condition: 'new', reason: 'listed' },
      { ...realVehicles[1]!, condition: 'po', reason: 'listed', price: 18500 },
      {
        vin: '1FTFW1E50NFA00001',
        stock: null,
        year: null,
        make: null,
        model: null,
        trim: null,
        condition: 'unknown',
        price: null,
        url: null,
        reason: 'not_on_website',
        notOnWebsite: true,
      },
    ];
    const staged = await stageOrder(
      input({
        orderId: 41,
        orderType: 'list',
        vehicles,
        duplicates: ['1ftfw1e50nfa00001', '=cmd|calc'],
        skipped: [{ vin: 'BAD', reason: 'invalid VIN' }],
        extra: { filters_applied: false },
      }),
    );
    expect(staged.folderName).toBe('columbia_honda_list_20261123-140509');
    const rows = csv(path.join(staged.stagingDir, 'columbia_honda_billing.csv'));
    expect(new Set(rows.map((r) => r.length)).size).toBe(1);
    const cells = rows.map((r) => r.join(',').replace(/,+$/, ''));
    expect(cells.slice(0, 5)).toEqual([
      'Billing,Columbia Honda',
      'Order,41',
      'Type,LIST',
      'Created,2026-11-23 14:05:09',
      'Template,shortcut_pack',
    ]);
    expect(cells).toContain('Printed vehicles,3');
    expect(cells).toContain(
      `2,${vehicles[1]!.vin},${vehicles[1]!.stock},${vehicles[1]!.year},${vehicles[1]!.make},${vehicles[1]!.model},,po,18500,listed,yes`,
    );
    expect(cells).toContain('3,1FTFW1E50NFA00001,,,,,,unknown,,not_on_website,no');
    expect(cells.slice(cells.indexOf('Totals by condition'))).toEqual([
      'Totals by condition',
      'Condition,Vehicles',
      'new,1',
      'po,1',
      'cpo,0',
      'unknown,1',
      'Total printed,3',
      '',
      'Duplicate entries removed,2',
      ',1ftfw1e50nfa00001',
      `,'=cmd|calc`,
      '',
      'Not on website,1',
      ',1FTFW1E50NFA00001',
    ]);
    expect(staged.summary).toMatchObject({
      type: 'list',
      counts: { duplicates: 2, not_on_website: 1, skipped: 1, by_reason: { listed: 2, not_on_website: 1 } },
      skipped: [{ vin: 'BAD', reason: 'invalid VIN' }],
      duplicates: ['1ftfw1e50nfa00001', '=cmd|calc'],
      filters_applied: false,
    });
    // The VIN-less placeholder's code says its VIN.
    expect(
      decodeQrPng(readFileSync(path.join(staged.stagingDir, 'qr_codes/1FTFW1E50NFA00001.png'))).text,
    ).toBe('1FTFW1E50NFA00001');
    await discardOrder(staged);
  });

  it('writes custom templates, and neutralizes formula cells from the feed', async () => {
    const template = resolveTemplate('kia', [
      { name: 'kia', columns: { Title: '{year} {make:upper} {model}', Stock: '{stock}', '@Image': '@qr' } },
    ]);
    const v = { ...realVehicles[0]!, make: '=HYPERLINK("http://evil")', model: 'Soul', stock: null };
    const staged = await stageOrder(input({ template, vehicles: [v] }));
    const raw = readFileSync(path.join(staged.stagingDir, 'columbia_honda_kia.csv'), 'utf8');
    expect(raw).toBe(
      `Title,Stock,@Image\r\n"${v.year} =HYPERLINK(""HTTP://EVIL"") Soul",*,qr_codes/${v.vin}.png\r\n`,
    );
    await discardOrder(staged);
  });

  it('adds _2, _3 when the folder name is taken', async () => {
    const a = await stageOrder(input());
    const b = await stageOrder(input());
    await publishOrder(a);
    const c = await stageOrder(input());
    expect([a.folderName, b.folderName, c.folderName]).toEqual([
      'columbia_honda_cao_20261123-140509',
      'columbia_honda_cao_20261123-140509_2',
      'columbia_honda_cao_20261123-140509_3',
    ]);
    await publishOrder(c);
    await publishOrder(b);
    expect(readdirSync(ordersDir).sort()).toEqual([a.folderName, b.folderName, c.folderName]);
  });

  it('keeps every name inside ordersDir whatever the dealership is called', async () => {
    const staged = await stageOrder(input({ dealership: { name: '../../etc', slug: '../../etc/passwd' } }));
    expect(staged.folderName).toBe('etc_passwd_cao_20261123-140509');
    expect(path.dirname(await publishOrder(staged))).toBe(ordersDir);
    await expect(stageOrder(input({ dealership: { name: '..', slug: '..' } }))).rejects.toThrow(InputError);
  });

  it('refuses VINs that cannot name a file, and the same VIN twice', async () => {
    const v = realVehicles[0]!;
    await expect(stageOrder(input({ vehicles: [{ ...v, vin: '../x' }] }))).rejects.toThrow(
      /cannot name QR files/,
    );
    await expect(stageOrder(input({ vehicles: [v, { ...v, vin: v.vin.toLowerCase() }] }))).rejects.toThrow(
      /the same VIN is twice/,
    );
    expect(existsSync(ordersDir)).toBe(false);
  });

  it('refuses extra summary fields that would replace its own', async () => {
    await expect(stageOrder(input({ extra: { counts: 1 } }))).rejects.toThrow(
      /would replace a summary field/,
    );
    expect(existsSync(ordersDir)).toBe(false);
  });
});

describe('order folder: crashes and recovery (rule 5)', () => {
  it('publishes a staged order whose id committed, and discards one whose id did not', async () => {
    const committed = await stageOrder(input({ orderId: 501 }));
    const lost = await stageOrder(input({ orderId: 502 }));
    // Both processes "crashed": their owner files name a pid that is gone.
    setOwnerPid(committed.stagingDir, deadPid());
    setOwnerPid(lost.stagingDir, deadPid());
    const asked: number[] = [];
    const result = await recoverStagedOrders(ordersDir, async (id) => {
      asked.push(id);
      return id === 501;
    });
    expect(asked.sort()).toEqual([501, 502]);
    expect(result).toEqual({ published: [committed.finalDir], discarded: [lost.stagingDir], skipped: [] });
    expect(readdirSync(ordersDir)).toEqual([committed.folderName]);
    expect((await verifyOrderFolder(committed.finalDir)).ok).toBe(true);
    // Nothing left to do the second time.
    expect(await recoverStagedOrders(ordersDir, async () => true)).toEqual({
      published: [],
      discarded: [],
      skipped: [],
    });
  });

  it('leaves alone a folder a live process is still writing', async () => {
    const staged = await stageOrder(input({ orderId: 503 }));
    const result = await recoverStagedOrders(ordersDir, async () => false);
    expect(result.skipped).toEqual([
      { folder: staged.stagingDir, reason: `being written by process ${process.pid}` },
    ]);
    expect(existsSync(staged.stagingDir)).toBe(true);
    // The writer goes on and publishes as usual.
    await publishOrder(staged);
    expect(readdirSync(ordersDir)).toEqual([staged.folderName]);
  });

  it('treats an owner older than a day as crashed, even if its pid is alive again (reused)', async () => {
    const staged = await stageOrder(input({ orderId: 507 }));
    const file = `${staged.stagingDir}.owner.json`;
    const owner = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(
      file,
      JSON.stringify({ ...owner, started_at: new Date(Date.now() - 25 * 3600_000).toISOString() }),
    );
    expect(await recoverStagedOrders(ordersDir, async () => false)).toEqual({
      published: [],
      discarded: [staged.stagingDir],
      skipped: [],
    });
    expect(existsSync(ordersDir) ? readdirSync(ordersDir) : []).toEqual([]);
  });

  it('discards an incomplete staged folder (crash while writing), and publish tolerates a recovery that came first', async () => {
    const partial = await stageOrder(input({ orderId: 504 }));
    rmSync(path.join(partial.stagingDir, 'order_summary.json'));
    setOwnerPid(partial.stagingDir, deadPid());
    const done = await stageOrder(input({ orderId: 505 }));
    setOwnerPid(done.stagingDir, deadPid());
    const result = await recoverStagedOrders(ordersDir, async (id) => id === 505);
    expect(result.discarded).toEqual([partial.stagingDir]);
    expect(result.published).toEqual([done.finalDir]);
    // The original writer wakes up after the recovery published its folder.
    expect(await publishOrder(done)).toBe(done.finalDir);
  });

  it('keeps an incomplete folder whose order committed, for a person to look at', async () => {
    const staged = await stageOrder(input({ orderId: 506 }));
    rmSync(path.join(staged.stagingDir, 'order_summary.json'));
    setOwnerPid(staged.stagingDir, deadPid());
    const result = await recoverStagedOrders(ordersDir, async () => true);
    expect(result.published).toEqual([]);
    expect(result.skipped[0]!.reason).toMatch(/order 506 committed but its staged folder is incomplete/);
    expect(existsSync(staged.stagingDir)).toBe(true);
  });

  it('finds nothing to do when there is no orders folder', async () => {
    expect(await recoverStagedOrders(path.join(root, 'none'), async () => true)).toEqual({
      published: [],
      discarded: [],
      skipped: [],
    });
  });
});

describe('order folder: the disk says no', () => {
  const errno = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });

  it.each([
    ['ENOSPC', /^no space left writing the order folder in /],
    ['EROFS', /is not writable \(EROFS/],
    ['EACCES', /is not writable \(EACCES/],
  ])('%s: an OutputError and nothing left behind', async (code, message) => {
    for (const at of [
      'columbia_honda_shortcut_pack.csv',
      'columbia_honda_billing.csv',
      'order_summary.json',
    ]) {
      const err = await stageOrder(input(), {
        beforeWrite: (rel) => {
          if (rel === at) throw errno(code);
        },
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OutputError);
      expect((err as OutputError).message).toMatch(message);
      expect((err as OutputError).hints.join(' ')).toContain('SILVERFOX_ORDERS_DIR');
      // ordersDir did not exist: it was created for the order and removed with it.
      expect(existsSync(ordersDir)).toBe(false);
    }
    // An existing orders folder stays, empty.
    mkdirSync(ordersDir);
    await expect(stageOrder(input(), { beforeWrite: () => Promise.reject(errno(code)) })).rejects.toThrow(
      OutputError,
    );
    expect(readdirSync(ordersDir)).toEqual([]);
  });

  it('an orders folder under a file, or a file in its place: OutputError, nothing written', async () => {
    writeFileSync(path.join(root, 'file'), 'x');
    const under = await stageOrder(input({ ordersDir: path.join(root, 'file', 'orders') })).catch(
      (e: unknown) => e,
    );
    expect(under).toBeInstanceOf(OutputError);
    expect((under as OutputError).message).toMatch(/orders cannot be created: .*file is a file$/);
    const itself = await stageOrder(input({ ordersDir: path.join(root, 'file') })).catch((e: unknown) => e);
    expect((itself as OutputError).message).toBe(
      `the orders folder ${path.join(root, 'file')} is a file, not a folder`,
    );
    expect(readFileSync(path.join(root, 'file'), 'utf8')).toBe('x');
    expect(readdirSync(root)).toEqual(['file']);
  });

  it('a missing orders folder is created when its parent exists, and is an error when not', async () => {
    const deep = path.join(root, 'a', 'b', 'orders');
    await expect(stageOrder(input({ ordersDir: deep }))).rejects.toThrow(/does not exist, nor does/);
    expect(existsSync(path.join(root, 'a'))).toBe(false);
    const staged = await stageOrder(input());
    expect(existsSync(staged.stagingDir)).toBe(true);
  });
});

describe('verifyOrderFolder', () => {
  it('finds changed, missing and unexpected files', async () => {
    const final = await publishOrder(await stageOrder(input({ vehicles: realVehicles.slice(0, 3) })));
    const [a, b] = realVehicles;
    writeFileSync(path.join(final, 'columbia_honda_billing.csv'), 'edited');
    rmSync(path.join(final, `qr_codes/${a!.vin}.png`));
    writeFileSync(path.join(final, 'qr_codes', 'extra.png'), 'x');
    writeFileSync(path.join(final, 'notes.txt'), 'x');
    const r = await verifyOrderFolder(final);
    expect(r.ok).toBe(false);
    const status = Object.fromEntries(r.files.map((f) => [f.path, f.status]));
    expect(status).toMatchObject({
      'columbia_honda_billing.csv': 'changed',
      [`qr_codes/${a!.vin}.png`]: 'missing',
      [`qr_codes/${b!.vin}.png`]: 'ok',
      'columbia_honda_shortcut_pack.csv': 'ok',
    });
    expect(r.unexpected).toEqual(['notes.txt', 'qr_codes/extra.png']);
    await expect(verifyOrderFolder(path.join(root, 'nothing'))).rejects.toThrow(/is not an order folder/);
  });
});
