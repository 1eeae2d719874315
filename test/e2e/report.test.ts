import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportData } from '../../src/core/report.js';
import { CHROMIUM, browserSuiteEnabled } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { pdfText } from '../helpers/pdf.js';
import { Terminal } from '../helpers/tmux.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';

const INVENTORY = [
  'Dealer,VIN,Stock,Year,Make,Model,Type,Price,URL',
  'Columbia Honda,1HGCM82633A004352,S1,2024,Honda,Civic,New,"$24,995",https://example.com/1',
  'Columbia Honda,1HGCM82633A004353,S2,2023,Honda,Accord,Used,"$21,995",https://example.com/2',
  'HW Kia,5XYP3DHC9NG000001,K1,2022,Kia,Telluride,Certified,"$41,000",https://example.com/3',
  'HW Kia,5XYP3DHC9NG000002,K2,2022,Kia,"=HYPERLINK(""x"")",New,"$41,000",https://example.com/4',
].join('\n');

/** The "Totals by condition" section of an order's billing sheet. */
function sheetTotals(file: string): Record<string, number> {
  const lines = readFileSync(file, 'utf8')
    .split('\r\n')
    .map((l) => l.split(','));
  const start = lines.findIndex((l) => l[0] === 'Condition' && l[1] === 'Vehicles');
  return Object.fromEntries(lines.slice(start + 1, start + 5).map((l) => [l[0], Number(l[1])]));
}

describe.each(DATABASE_KINDS)('silverfox report through the binary on %s', (kind) => {
  let t: TestEnv;
  const orders: { id: number; folder: string; slug: string }[] = [];
  beforeAll(async () => {
    t = await createTestEnv(kind);
    const csv = path.join(t.dir, 'inventory.csv');
    writeFileSync(csv, `${INVENTORY}\n`);
    expect((await runCli(['import', csv], { env: t.env })).code).toBe(0);
    const cao = await runCli(['cao', 'Columbia Honda', '--yes', '--json'], { env: t.env });
    expect(cao.code).toBe(0);
    const c = (JSON.parse(cao.stdout) as { results: { orderId: number; folder: string }[] }).results[0]!;
    orders.push({ id: c.orderId, folder: c.folder, slug: 'columbia_honda' });
    const list = await runCli(
      ['list', 'HW Kia', '5XYP3DHC9NG000001', '5XYP3DHC9NG000002', '--yes', '--json'],
      { env: t.env },
    );
    expect(list.code).toBe(0);
    const l = JSON.parse(list.stdout) as { orderId: number; folder: string };
    orders.push({ id: l.orderId, folder: l.folder, slug: 'hw_kia' });
    // A voided order is listed apart and not billed.
    const again = await runCli(['list', 'Columbia Honda', '1HGCM82633A004352', '--yes', '--json'], {
      env: t.env,
    });
    const voidId = (JSON.parse(again.stdout) as { orderId: number }).orderId;
    expect((await runCli(['orders', 'void', String(voidId), '--yes'], { env: t.env })).code).toBe(0);
  });
  afterAll(async () => t?.cleanup());

  it('--json gives the numbers, the billing CSV adds up to the billing sheets', async () => {
    const out = path.join(t.dir, 'billing.csv');
    const r = await runCli(['report', '--since', '1d', '--json', '--billing-csv', out], { env: t.env });
    expect(r.stderr).toContain('wrote ');
    expect(r.code).toBe(0);
    const data = JSON.parse(r.stdout) as ReportData;
    expect(data.billing.totals).toMatchObject({ orders: 2, vehicles: 4 });
    expect(data.billing.voided).toHaveLength(1);
    expect(data.perDealership.map((d) => [d.name, d.cao.vehicles, d.list.vehicles])).toEqual([
      ['Columbia Honda', 2, 0],
      ['HW Kia', 0, 2],
    ]);

    const rows = readFileSync(out, 'utf8').split('\r\n').filter(Boolean);
    expect(rows[0]).toBe('Dealership,Template,Period from,Period to,Orders,New,Used,CPO,Unknown,Vehicles');
    expect(rows).toHaveLength(3);
    const cells = rows.slice(1).map((row) => row.split(','));
    for (const o of orders) {
      const name = o.slug === 'hw_kia' ? 'HW Kia' : 'Columbia Honda';
      const line = cells.find((c) => c[0] === name)!;
      const sheet = sheetTotals(path.join(o.folder, `${o.slug}_billing.csv`));
      expect([line[5], line[6], line[7], line[8]].map(Number)).toEqual([
        sheet.new,
        sheet.po,
        sheet.cpo,
        sheet.unknown,
      ]);
      expect(Number(line[9])).toBe(sheet.new! + sheet.po! + sheet.cpo! + sheet.unknown!);
    }
  });

  it('prints tables and ASCII charts without colour when not at a terminal', async () => {
    const r = await runCli(['report', '--since', '7d'], { env: t.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[\x20-\x7e\n]*$/);
    expect(r.stdout).toContain('Vehicles ordered per week');
    expect(r.stdout).toContain('Billing');
    expect(r.stdout).toMatch(/Columbia Honda \| standard +\| +1 \| +1 \| +1 \|/);
    expect(r.stdout).toMatch(/voided \(not billed\): 1 order/);
    expect(r.stdout).toContain('Data health');
    expect(r.stdout).toMatch(/Storage: database [\d.]+ [KMG]B/);
  });

  it('narrows to --dealer; bad input is a clear error with its exit code', async () => {
    const one = await runCli(['report', '--dealer', 'hw_kia', '--json'], { env: t.env });
    expect(one.code).toBe(0);
    expect((JSON.parse(one.stdout) as ReportData).billing.totals.vehicles).toBe(2);
    const month = await runCli(['report', '--month', '2026-13'], { env: t.env });
    expect(month.code).toBe(2);
    expect(month.stderr).toContain('--month expects YYYY-MM');
    const both = await runCli(['report', '--month', '2026-10', '--since', '2d'], { env: t.env });
    expect(both.code).toBe(2);
    const unknown = await runCli(['report', '--dealer', 'Nowhere Motors'], { env: t.env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown dealership "Nowhere Motors"');
    const badFile = await runCli(['report', '--billing-csv', path.join(t.dir, 'no', 'such', 'x.csv')], {
      env: t.env,
    });
    expect(badFile.code).toBe(1);
    expect(badFile.stderr).toContain('cannot write');
  });

  it.runIf(browserSuiteEnabled())(
    '--html is one self-contained page that renders in Chromium; --pdf prints it',
    async () => {
      const html = path.join(t.dir, 'report.html');
      const pdf = path.join(t.dir, 'report.pdf');
      const r = await runCli(['report', '--since', '1d', '--html', html, '--pdf', pdf], {
        env: { ...t.env, CHROMIUM_PATH: CHROMIUM },
        timeoutMs: 110_000,
      });
      expect(r.stderr).toContain(`wrote ${html}`);
      expect(r.code).toBe(0);
      const page = readFileSync(html, 'utf8');
      expect(page).not.toMatch(/<script|<link|@import|@font-face|url\(|src=/i);
      expect(page).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);

      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
      try {
        const tab = await browser.newPage({ viewport: { width: 1200, height: 900 } });
        const problems: string[] = [];
        tab.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
        });
        tab.on('pageerror', (err) => problems.push(err.message));
        tab.on('request', (req) => {
          if (!req.url().startsWith('file:')) problems.push(`request ${req.url()}`);
        });
        await tab.goto(pathToFileURL(html).href, { waitUntil: 'load' });
        const sizes = await tab.$$eval('svg.chart', (els) =>
          els.map((el) => {
            const b = el.getBoundingClientRect();
            return { w: b.width, h: b.height, title: el.querySelector('title')?.textContent ?? '' };
          }),
        );
        // weeks, dealerships, inventory (2), scrapes, freshness, VIN log, storage
        expect(sizes.length).toBeGreaterThanOrEqual(8);
        for (const s of sizes) {
          expect(s.w, s.title).toBeGreaterThan(0);
          expect(s.h, s.title).toBeGreaterThan(0);
        }
        // Every chart has axis labels.
        const axes = await tab.$$eval('svg.chart', (els) =>
          els.map((el) => el.querySelectorAll('.axis').length),
        );
        expect(axes.every((n) => n >= 1)).toBe(true);
        const shot = path.join(t.dir, 'report.png');
        await tab.screenshot({ path: shot, fullPage: true });
        expect(statSync(shot).size).toBeGreaterThan(10_000);
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
      }

      const text = pdfText(pdf).join('\n');
      expect(text).toContain('Vehicles ordered per week');
      expect(text).toContain('Billing');
      expect(text).toMatch(/Columbia Honda\s+standard\s+1\s+1\s+1\s+0\s+0\s+2/);
      expect(text).toContain('Voided orders (not billed): 1');
    },
  );
});

describe('the wizard "Report" entry (embedded database)', () => {
  let t: TestEnv;
  let tty: Terminal | undefined;
  beforeAll(async () => {
    t = await createTestEnv('embedded');
  });
  afterAll(async () => {
    tty?.close();
    await t?.cleanup();
  });

  it('writes the HTML report into the orders folder and prints its path', async () => {
    tty = Terminal.start(['wizard'], t.env);
    await tty.waitFor(/^\? What do you want to do\?/m);
    for (let i = 0; i < 7; i++) tty.keys('Down');
    await tty.waitFor(/^> Report: the month as charts/m);
    tty.keys('Enter');
    await tty.waitFor(/^\? Report for which period\?/m);
    tty.keys('Down', 'Down', 'Enter');
    const screen = await tty.waitFor(/report written: \S+\.html/, 60_000);
    const file = /report written: (\S+\.html)/.exec(screen)![1]!;
    expect(path.dirname(file)).toBe(path.join(t.config.ordersDir, 'reports'));
    expect(readFileSync(file, 'utf8')).toMatch(/<svg[^>]*class="chart"/);
    await tty.waitFor(/^\? What do you want to do\?/m);
    tty.keys('C-c');
    await tty.waitFor(/\[exit 0\]/);
  });
});
