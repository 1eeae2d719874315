// Browser suite: the worker-pool engine on a real Chromium (no database needed).
import { afterEach, describe, expect, it } from 'vitest';
import {
  BrowserPool,
  BrowserUnavailableError,
  PoolClosedError,
  ReprepareLoopError,
  TaskTimeoutError,
  permanent,
  reprepareFirst,
  type PoolEvent,
} from '../../src/output/browser-pool.js';
import { browserSuiteEnabled, CHROMIUM } from '../helpers/browser.js';

describe.runIf(browserSuiteEnabled())('browser pool', () => {
  let pool: BrowserPool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it('runs tasks in parallel on its pages, never more at once than it has pages', async () => {
    pool = await BrowserPool.open({ chromiumPath: CHROMIUM, size: 3, taskTimeoutMs: 10_000, retries: 0 });
    let running = 0;
    let most = 0;
    const results = await Promise.all(
      Array.from({ length: 9 }, (_, i) =>
        pool!.run(async (page) => {
          running++;
          most = Math.max(most, running);
          await page.setContent(`<p id="n">${i * 2}</p>`);
          await new Promise((r) => setTimeout(r, 100));
          running--;
          return Number(await page.textContent('#n'));
        }),
      ),
    );
    expect(results.map((r) => (r.ok ? r.value : null))).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16]);
    expect(most).toBe(3);
    expect(pool.stats.pagesOpened).toBe(3);
  });

  it('the watchdog stops a hung page, replaces it, and the retry succeeds on a fresh page', async () => {
    const events: PoolEvent[] = [];
    pool = await BrowserPool.open({
      chromiumPath: CHROMIUM,
      size: 2,
      taskTimeoutMs: 1500,
      retries: 1,
      onEvent: (e) => events.push(e),
    });
    const hung = pool.run(
      async (page, { attempt }) => {
        // First attempt: a renderer stuck in an endless loop; nothing on this page answers again.
        if (attempt === 1) await page.evaluate('for (;;) {}');
        await page.setContent('<p>ok</p>');
        return `${attempt}:${await page.textContent('p')}`;
      },
      { key: 'hung' },
    );
    // The other page keeps working while one is stuck.
    const other = await pool.run(async (page) => {
      await page.setContent('<b>free</b>');
      return page.textContent('b');
    });
    expect(other).toMatchObject({ ok: true, value: 'free' });
    const r = await hung;
    expect(r).toMatchObject({ ok: true, value: '2:ok', attempts: 2 });
    expect(pool.stats.watchdogRecoveries).toBe(1);
    expect(events.map((e) => e.kind)).toEqual(['watchdog', 'retry']);
  });

  it('gives up after the retries with the last error; permanent errors are not retried', async () => {
    pool = await BrowserPool.open({ chromiumPath: CHROMIUM, size: 1, taskTimeoutMs: 800, retries: 2 });
    let calls = 0;
    const flaky = await pool.run(async () => {
      calls++;
      throw new Error(`boom ${calls}`);
    });
    expect(flaky.ok).toBe(false);
    expect(flaky.attempts).toBe(3);
    expect(String((flaky as { error: Error }).error.message)).toBe('boom 3');
    const missing = await pool.run(async () => {
      throw permanent(new Error('no such VIN'));
    });
    expect(missing).toMatchObject({ ok: false, attempts: 1 });
    const slow = await pool.run(() => new Promise<void>(() => {}));
    expect(slow.ok).toBe(false);
    expect((slow as { error: unknown }).error).toBeInstanceOf(TaskTimeoutError);
    expect(slow.attempts).toBe(3);
    expect(pool.stats.retries).toBe(4);
  });

  it('a crashed page is replaced', async () => {
    pool = await BrowserPool.open({ chromiumPath: CHROMIUM, size: 1, taskTimeoutMs: 5000, retries: 1 });
    const r = await pool.run(async (page, { attempt }) => {
      if (attempt === 1) await page.goto('chrome://crash').catch(() => {});
      await page.setContent('<i>alive</i>');
      return page.textContent('i');
    });
    expect(r).toMatchObject({ ok: true, value: 'alive', attempts: 2 });
    expect(pool.stats.pageCrashes).toBe(1);
    expect(pool.stats.pagesOpened).toBe(2);
  });

  it('a browser that dies is relaunched and its context prepared again (e.g. logged in)', async () => {
    let prepared = 0;
    const events: PoolEvent[] = [];
    pool = await BrowserPool.open({
      chromiumPath: CHROMIUM,
      size: 2,
      taskTimeoutMs: 5000,
      retries: 1,
      prepareContext: async () => {
        prepared++;
      },
      onEvent: (e) => events.push(e),
    });
    const r = await pool.run(async (page, { attempt }) => {
      if (attempt === 1) {
        // Crash the whole browser process, as an out-of-memory kill would.
        const cdp = await page.context().browser()!.newBrowserCDPSession();
        await cdp.send('Browser.crash').catch(() => {});
        await page.waitForTimeout(10_000);
      }
      await page.setContent('<u>back</u>');
      return page.textContent('u');
    });
    expect(r).toMatchObject({ ok: true, value: 'back', attempts: 2 });
    expect(pool.stats.browserRestarts).toBe(1);
    expect(prepared).toBe(2);
    expect(events.map((e) => e.kind)).toEqual(['browser_restart', 'retry']);
  });

  it('a task that finds the session gone: one re-preparation for all workers, tasks wait for it, the lost attempt does not count', async () => {
    let prepared = 0;
    let preparing = false;
    const startedWhilePreparing: string[] = [];
    const events: PoolEvent[] = [];
    pool = await BrowserPool.open({
      chromiumPath: CHROMIUM,
      size: 3,
      taskTimeoutMs: 10_000,
      retries: 0,
      prepareContext: async () => {
        preparing = true;
        await new Promise((r) => setTimeout(r, 400)); // a login takes a while
        prepared++;
        preparing = false;
      },
      onEvent: (e) => events.push(e),
    });
    // Every worker gets its page first, so the three tasks below start together.
    await Promise.all([1, 2, 3].map(() => pool!.run(() => new Promise((r) => setTimeout(r, 300)))));
    // The "session" ends: every task that started under the first login finds it gone, but at
    // different times: "early" at once, "late" only after the new login is done.
    const expiredAt = prepared;
    const task =
      (key: string, delayMs: number) =>
      async (_page: unknown, { attempt }: { attempt: number }) => {
        if (preparing) startedWhilePreparing.push(key);
        const session = prepared; // the "cookie" this attempt's request carries
        await new Promise((r) => setTimeout(r, delayMs));
        if (session === expiredAt) throw reprepareFirst(new Error(`${key}: sent to the login page`));
        return `${key}:${attempt}`;
      };
    const early = pool.run(task('early', 0), { key: 'early' });
    const late = pool.run(task('late', 1200), { key: 'late' });
    const mid = pool.run(task('mid', 100), { key: 'mid' });
    await new Promise((r) => setTimeout(r, 150));
    const queued = pool.run(task('queued', 0), { key: 'queued' }); // arrives during the re-login
    const results = await Promise.all([early, late, mid, queued]);
    expect(results.map((r) => (r.ok ? r.value : r.error))).toEqual([
      'early:1',
      'late:1',
      'mid:1',
      'queued:1',
    ]);
    expect(results.map((r) => r.attempts)).toEqual([1, 1, 1, 1]);
    expect(prepared).toBe(2); // the first login and ONE re-login
    expect(pool.stats.reprepares).toBe(1);
    expect(pool.stats.freeRetries).toBe(3);
    expect(pool.stats.retries).toBe(0);
    expect(startedWhilePreparing).toEqual([]);
    expect(events.filter((e) => e.kind === 'reprepare').map((e) => e.key)).toEqual(['early', 'mid', 'late']);
  });

  it('a re-login that keeps failing fails the waiting tasks with its error instead of hammering the login', async () => {
    let calls = 0;
    pool = await BrowserPool.open({
      chromiumPath: CHROMIUM,
      size: 2,
      taskTimeoutMs: 10_000,
      retries: 2,
      prepareContext: async () => {
        calls++;
        if (calls > 1) throw new Error('the portal refused the user name or password');
      },
    });
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        pool!.run(async () => {
          throw reprepareFirst(new Error(`task ${i}: sent to the login page`));
        }),
      ),
    );
    expect(results.every((r) => !r.ok)).toBe(true);
    for (const r of results) expect(String((r as { error: Error }).error.message)).toMatch(/refused/);
    expect(calls).toBe(3); // the first login, then two failed re-logins: no more
  });

  it('a session lost again right after every re-login stops after 3 re-logins, not one per task', async () => {
    let calls = 0;
    pool = await BrowserPool.open({
      chromiumPath: CHROMIUM,
      size: 2,
      taskTimeoutMs: 10_000,
      retries: 2,
      prepareContext: async () => {
        calls++;
      },
    });
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        pool!.run(async () => {
          throw reprepareFirst(new Error('sent to the login page'));
        }),
      ),
    );
    for (const r of results) expect((r as { error: unknown }).error).toBeInstanceOf(ReprepareLoopError);
    expect(calls).toBe(4);
  });

  it('closing fails the queued tasks instead of leaving them hanging', async () => {
    pool = await BrowserPool.open({ chromiumPath: CHROMIUM, size: 1, taskTimeoutMs: 10_000, retries: 0 });
    const first = pool.run(() => new Promise((r) => setTimeout(r, 5000)));
    const second = pool.run(async () => 'never');
    await new Promise((r) => setTimeout(r, 200));
    await pool.close();
    const [a, b] = await Promise.all([first, second]);
    expect((a as { error: unknown }).error).toBeInstanceOf(PoolClosedError);
    expect((b as { error: unknown }).error).toBeInstanceOf(PoolClosedError);
  });

  it('a missing Chromium is a clear error naming CHROMIUM_PATH and the package to install', async () => {
    const err = await BrowserPool.open({
      chromiumPath: '/nonexistent/chromium',
      size: 1,
      taskTimeoutMs: 1000,
      retries: 0,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrowserUnavailableError);
    expect((err as BrowserUnavailableError).message).toContain('/nonexistent/chromium');
    expect((err as BrowserUnavailableError).hints.join(' ')).toMatch(
      /apt-get install -y chromium.*CHROMIUM_PATH/,
    );
  });
});
