// Browser suite, end to end on the built binary: a real order (the Craigslist sample imported and
// ordered with `list --pdf`), `silverfox pdf`, and `silverfox stickers` against the fixture portal,
// killed halfway (SIGKILL) and resumed.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qrContent } from '../../src/core/templates.js';
import { browserSuiteEnabled } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { createTestEnv, type TestEnv } from '../helpers/databases.js';
import { BIN, SHARED } from '../helpers/env.js';
import { pdfPagesAsPng, qrOnPage } from '../helpers/pdf.js';
import { fixturePortalConfig, startFixturePortal, type FixturePortal } from '../fixtures/portal/server.js';

const CRAIGSLIST = path.join(SHARED, 'data/craigslist_vehicles_sample.csv');
const PASSWORD = 'e2e-Pa55word-xyz';
const USER = 'sticker-bot';

function sample(n: number): { vin: string; url: string }[] {
  const rows = Papa.parse<Record<string, string>>(readFileSync(CRAIGSLIST, 'utf8'), { header: true }).data;
  const out = new Map<string, string>();
  for (const r of rows) {
    const vin = (r.VIN ?? '').trim().toUpperCase();
    if (/^[A-HJ-NPR-Z0-9]{17}$/.test(vin) && r.url?.startsWith('https://') && !out.has(vin))
      out.set(vin, r.url);
    if (out.size === n) break;
  }
  return [...out].map(([vin, url]) => ({ vin, url }));
}

describe.runIf(browserSuiteEnabled({ pdftoppm: true }))('pdf and stickers from the built binary', () => {
  let t: TestEnv;
  let env: Record<string, string>;
  let portal: FixturePortal;
  const vehicles = sample(10);
  const vins = vehicles.map((v) => v.vin);
  let orderId: number;
  let folder: string;

  beforeAll(async () => {
    t = await createTestEnv('embedded');
    const portalsDir = path.join(t.dir, 'portals');
    mkdirSync(portalsDir);
    portal = await startFixturePortal({
      username: USER,
      password: PASSWORD,
      // Slow enough that the run can be killed halfway, even on a loaded machine where the
      // `status` call made meanwhile takes seconds (stickers now arrive by fetch, without waiting
      // on a download event, so the tail is made slower); one VIN the portal does not have.
      behaviour: {
        slow: Object.fromEntries(vins.map((v, i) => [v, i < 3 ? 1000 : 3000])),
        missing: [vins[9]!],
      },
    });
    writeFileSync(path.join(portalsDir, 'fixture.json'), JSON.stringify(fixturePortalConfig(portal.url)));
    env = {
      ...t.env,
      SILVERFOX_PORTALS_DIR: portalsDir,
      SF_FIXTURE_PORTAL_USER: USER,
      SF_FIXTURE_PORTAL_PASSWORD: PASSWORD,
    };
    const imported = await runCli(['import', CRAIGSLIST, '--dealer', 'Spirit Lexus', '--yes'], { env });
    expect(imported.code).toBe(0);
  });
  afterAll(async () => {
    await portal?.close();
    await t?.cleanup();
  });

  it('list --pdf writes the order and its sticker sheet; --json stays one document', async () => {
    const r = await runCli(['list', 'Spirit Lexus', ...vins, '--pdf', '--json', '--yes'], {
      env,
      timeoutMs: 90_000,
    });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe('ordered');
    orderId = out.orderId;
    folder = out.folder;
    expect(r.stderr).toContain(`order #${orderId} (Spirit Lexus): 10 sticker page(s)`);
    expect(existsSync(path.join(folder, 'spirit_lexus_stickers.pdf'))).toBe(true);
  });

  it('pdf ORDER --json prints the files; each page carries its own vehicle QR', async () => {
    const r = await runCli(['pdf', String(orderId), '--concurrency', '2', '--json'], {
      env,
      timeoutMs: 90_000,
    });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ orderId, vehicles: 10, template: 'default', stickers: { pages: 10 } });
    const pages = pdfPagesAsPng(path.join(folder, out.stickers.path), { dpi: 100, first: 1, last: 3 });
    expect(pages.map(qrOnPage)).toEqual(vehicles.slice(0, 3).map((v) => qrContent(v)));

    const bad = await runCli(['pdf', 'abc'], { env });
    expect(bad.code).toBe(2);
    const missing = await runCli(['pdf', '9999'], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('there is no order #9999');
    const noChromium = await runCli(['pdf', String(orderId)], {
      env: { ...env, CHROMIUM_PATH: '/opt/none/chromium' },
    });
    expect(noChromium.code).toBe(1);
    expect(noChromium.stderr).toMatch(/Chromium cannot be started from \/opt\/none\/chromium/);
    expect(noChromium.stderr).toContain('apt-get install -y chromium');
  });

  it('stickers killed halfway resumes without downloading a finished vehicle twice', async () => {
    const tracking = path.join(folder, 'stickers/tracking.json');
    const child = spawn(
      process.execPath,
      [BIN, 'stickers', String(orderId), '--portal', 'fixture', '--workers', '2', '--timeout', '20s'],
      { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: 'ignore' },
    );
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    // Kill as soon as some (not all) vehicles are checkpointed.
    let doneAtKill: string[] = [];
    let statusWhileRunning: number | null | undefined;
    for (let i = 0; i < 400 && doneAtKill.length < 3; i++) {
      if (doneAtKill.length >= 1 && statusWhileRunning === undefined) {
        // The long run does not hold the (embedded) database: other commands still work.
        statusWhileRunning = (await runCli(['status', '--json'], { env })).code;
      }
      await new Promise((r) => setTimeout(r, 50));
      try {
        const v = JSON.parse(readFileSync(tracking, 'utf8')).vehicles as Record<string, { status: string }>;
        doneAtKill = Object.keys(v).filter((k) => v[k]!.status === 'downloaded');
      } catch {
        // not written yet, or mid-rename
      }
    }
    child.kill('SIGKILL');
    await exited;
    expect(statusWhileRunning).toBe(0);
    expect(doneAtKill.length).toBeGreaterThanOrEqual(3);
    expect(doneAtKill.length).toBeLessThan(9);
    const downloadsAtKill = { ...portal.stats.downloads };

    const again = await runCli(['stickers', String(orderId), '--portal', 'fixture'], { env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--resume');

    const r = await runCli(
      ['stickers', `#${orderId}`, '--portal', 'fixture', '--resume', '--workers', '3', '--json'],
      {
        env,
        timeoutMs: 90_000,
      },
    );
    expect(r.code).toBe(3); // one VIN has no sticker on the portal
    const out = JSON.parse(r.stdout);
    expect(out.downloaded + out.alreadyDownloaded).toBe(9);
    expect(out.alreadyDownloaded).toBeGreaterThanOrEqual(doneAtKill.length);
    expect(out.failed).toEqual([
      { vin: vins[9], code: 'not_found', reason: expect.stringContaining('No window sticker'), attempts: 1 },
    ]);
    for (const vin of doneAtKill) {
      expect(portal.stats.downloads[vin]).toBe(1);
      expect(downloadsAtKill[vin]).toBe(1);
    }
    for (const vin of vins.slice(0, 9))
      expect(existsSync(path.join(folder, 'stickers', `${vin}.pdf`))).toBe(true);
    const metrics = JSON.parse(readFileSync(path.join(folder, 'stickers/metrics.json'), 'utf8'));
    expect(metrics).toMatchObject({ run: 2, counts: { vehicles: 10, failed: 1 } });

    // The folder still verifies, with the stickers recorded.
    const shown = await runCli(['orders', 'show', String(orderId)], { env });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/checksums: all \d+ files match order_summary\.json/);

    // The secret is nowhere: not on stdout/stderr, not in the order folder, not in the run logs.
    const logs = readdirSync(env.SILVERFOX_LOG_DIR!, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => readFileSync(path.join(e.parentPath, e.name), 'utf8'));
    const stickerFiles = ['tracking.json', 'metrics.json'].map((f) =>
      readFileSync(path.join(folder, 'stickers', f), 'utf8'),
    );
    for (const text of [r.stdout, r.stderr, again.stderr, ...logs, ...stickerFiles])
      expect(text).not.toContain(PASSWORD);
  });

  it('a portal that signs the run out and serves stickers inline: every sticker with no retries, one login per expiry; --probe tells inline from attachment', async () => {
    // A second portal as real ones behave: a session ends after 3 documents (the link then lands
    // on the login page), some stickers are shown inline or without a disposition, one link works
    // only through the page's script.
    const signout = await startFixturePortal({
      username: USER,
      password: PASSWORD,
      behaviour: {
        sessionDocuments: 3,
        disposition: { [vins[0]!]: 'inline', [vins[1]!]: 'none', [vins[2]!]: 'inline', [vins[3]!]: 'inline' },
        scriptLink: [vins[3]!, vins[4]!],
        missing: [vins[9]!],
      },
    });
    try {
      writeFileSync(
        path.join(env.SILVERFOX_PORTALS_DIR!, 'signout.json'),
        JSON.stringify({ ...fixturePortalConfig(signout.url), name: 'signout' }),
      );
      const r = await runCli(
        ['stickers', String(orderId), '--portal', 'signout', '--force', '--workers', '3', '--retries', '0'],
        { env, timeoutMs: 120_000 },
      );
      expect(r.code).toBe(3); // only the VIN the portal has no sticker for
      expect(r.stdout).toContain('9 downloaded, 0 already downloaded, 1 failed of 10');
      expect(r.stdout).toMatch(
        /\d+ re-login\(s\) after \d+ expired-session attempt\(s\) \(not counted as retries\); 4 sticker\(s\) served inline/,
      );
      expect(r.stderr).toContain('signed in again, retrying (not counted)');
      expect(signout.stats.expiries).toBeGreaterThanOrEqual(2);
      expect(signout.stats.logins).toBeLessThanOrEqual(signout.stats.expiries + 1);
      const metrics = JSON.parse(readFileSync(path.join(folder, 'stickers/metrics.json'), 'utf8'));
      expect(metrics).toMatchObject({
        counts: { downloaded: 9, failed: 1 },
        retries: 0,
        watchdog_recoveries: 0,
        logins: signout.stats.logins,
        relogins: signout.stats.logins - 1,
        inline_downloads: 4,
        downloads_by: { fetch_attachment: 4, fetch_inline: 4, click_download: 1 },
      });
      for (const vin of vins.slice(0, 9)) {
        const pdf = readFileSync(path.join(folder, 'stickers', `${vin}.pdf`));
        expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      }

      // --probe: what the link answers, nothing saved.
      const inline = await runCli(['stickers', '--portal', 'signout', '--probe', vins[0]!, '--json'], {
        env,
      });
      expect(inline.code).toBe(0);
      expect(JSON.parse(inline.stdout)).toMatchObject({
        vin: vins[0],
        mode: 'link',
        answer: {
          status: 200,
          contentType: 'application/pdf',
          disposition: 'inline',
          pdfPages: 1,
          login: false,
        },
        verdict: expect.stringContaining('inline portal'),
      });
      const attachment = await runCli(['stickers', '--portal', 'signout', '--probe', vins[5]!], { env });
      expect(attachment.code).toBe(0);
      expect(attachment.stdout).toMatch(/disposition: +attachment; filename="\w+\.pdf" \(attachment\)/);
      expect(attachment.stdout).toMatch(/pdf: +yes, 1 page\(s\)/);
      expect(attachment.stdout).toContain('attachment portal');
      const scripted = await runCli(['stickers', '--portal', 'signout', '--probe', vins[4]!, '--json'], {
        env,
      });
      expect(JSON.parse(scripted.stdout)).toMatchObject({
        vehiclePage: { needsScript: true },
        click: 'download',
      });
      const none = await runCli(['stickers', '--portal', 'signout', '--probe', vins[9]!], { env });
      expect(none.code).toBe(1);
      expect(none.stdout).toContain('No window sticker on file');
      const both = await runCli(['stickers', String(orderId), '--portal', 'signout', '--probe', vins[0]!], {
        env,
      });
      expect(both.code).toBe(2);
      const neither = await runCli(['stickers', '--portal', 'signout'], { env });
      expect(neither.code).toBe(2);
      for (const out of [r, inline, attachment, none])
        expect(out.stdout + out.stderr).not.toContain(PASSWORD);
    } finally {
      await signout.close();
    }
  });

  it('a refused login exits 1 naming the variables, never the password', async () => {
    const r = await runCli(['stickers', String(orderId), '--portal', 'fixture', '--force'], {
      env: { ...env, SF_FIXTURE_PORTAL_PASSWORD: 'wrong-Pa55word-xyz' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('refused the user name or password');
    expect(r.stderr).toContain('SF_FIXTURE_PORTAL_PASSWORD');
    expect(r.stderr + r.stdout).not.toContain('wrong-Pa55word-xyz');
    const usage = await runCli(['stickers', String(orderId), '--portal', 'fixture', '--workers', '0'], {
      env,
    });
    expect(usage.code).toBe(2);
    const timeout = await runCli(['stickers', String(orderId), '--portal', 'fixture', '--timeout', 'soon'], {
      env,
    });
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toContain('--timeout expects a duration');
  });
});
