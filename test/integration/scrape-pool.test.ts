/**
 * The scrape machinery without a database: the pool (concurrency, deadline, watchdog abandoning a
 * task that ignores its signal, isolation), the HTTP client (retries with backoff, no retry on
 * 4xx, per-host rate limit, user agent) and the checkpoint files.
 */
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRun, findResumableRun, loadCheckpoint, saveCheckpoint } from '../../src/scrape/checkpoint.js';
import { HostRateLimiter, HttpClient, USER_AGENT } from '../../src/scrape/http.js';
import { runPool, type PoolEvent } from '../../src/scrape/pool.js';

describe('pool', () => {
  it('runs at most `concurrency` tasks at once and returns outcomes in task order', async () => {
    let running = 0;
    let most = 0;
    const out = await runPool(
      Array.from({ length: 7 }, (_, i) => ({
        key: `t${i}`,
        run: async () => {
          running++;
          most = Math.max(most, running);
          await new Promise((r) => setTimeout(r, 20));
          running--;
          if (i === 3) throw new Error('boom');
          return i * 10;
        },
      })),
      { concurrency: 3, taskTimeoutMs: 5000, stallMs: 5000 },
    );
    expect(most).toBe(3);
    expect(out.map((o) => (o.ok ? o.value : (o.error as Error).message))).toEqual([
      0,
      10,
      20,
      'boom',
      40,
      50,
      60,
    ]);
  });

  it('the watchdog abandons a task without progress, even one that ignores its signal; the others finish', async () => {
    const events: PoolEvent[] = [];
    const started = Date.now();
    const out = await runPool(
      [
        // Stuck for good: never settles, never looks at its signal.
        { key: 'stuck', run: () => new Promise<number>(() => {}) },
        {
          key: 'busy',
          run: async (_signal, heartbeat) => {
            for (let i = 0; i < 6; i++) {
              await new Promise((r) => setTimeout(r, 60));
              heartbeat();
            }
            return 1;
          },
        },
      ],
      { concurrency: 2, taskTimeoutMs: 10_000, stallMs: 150, onEvent: (e) => events.push(e) },
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(out[0]!.ok).toBe(false);
    expect(String((out[0] as { error: Error }).error.message)).toMatch(
      /no progress for \d+ ms; abandoned by the watchdog/,
    );
    expect(out[1]).toMatchObject({ ok: true, value: 1 });
    expect(events.filter((e) => e.type === 'stalled').map((e) => e.key)).toEqual(['stuck']);
  });

  it('the deadline ends a task that makes progress forever, and aborts its signal', async () => {
    let aborted = false;
    const out = await runPool(
      [
        {
          key: 'endless',
          run: (signal, heartbeat) =>
            new Promise<number>(() => {
              const t = setInterval(heartbeat, 10);
              signal.addEventListener('abort', () => {
                aborted = true;
                clearInterval(t);
              });
            }),
        },
      ],
      { concurrency: 1, taskTimeoutMs: 200, stallMs: 5000 },
    );
    expect(out[0]!.ok).toBe(false);
    expect(String((out[0] as { error: Error }).error.message)).toMatch(/not finished after 200 ms/);
    expect(aborted).toBe(true);
  });

  it('a cancelled run does not start waiting tasks', async () => {
    const ac = new AbortController();
    const ran: string[] = [];
    const out = await runPool(
      ['a', 'b', 'c'].map((key) => ({
        key,
        run: async () => {
          ran.push(key);
          ac.abort();
          return key;
        },
      })),
      { concurrency: 1, taskTimeoutMs: 1000, stallMs: 1000, signal: ac.signal },
    );
    expect(ran).toEqual(['a']);
    expect(out.slice(1).every((o) => !o.ok)).toBe(true);
  });
});

describe('http client', () => {
  let server: http.Server;
  let base = '';
  const hits = new Map<string, number>();
  const times: number[] = [];
  let lastUa = '';
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const n = (hits.get(req.url!) ?? 0) + 1;
      hits.set(req.url!, n);
      lastUa = String(req.headers['user-agent']);
      if (req.url === '/flaky' && n < 3) return res.writeHead(502).end('bad gateway');
      if (req.url === '/missing') return res.writeHead(404).end('nope');
      if (req.url === '/slow' && n === 1) return void setTimeout(() => res.end('late'), 500);
      if (req.url!.startsWith('/rate')) times.push(Date.now());
      res.end(`ok ${req.url}`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const client = (over: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}) =>
    new HttpClient({ timeoutMs: 200, attempts: 3, backoffMs: 10, limiter: new HostRateLimiter(0), ...over });

  it('retries 5xx with backoff and succeeds on the third attempt, with a browser user agent', async () => {
    const c = client();
    const retries: number[] = [];
    // A timeout long enough that no attempt here times out on a loaded machine: an attempt cut off
    // before the server counted it would leave the third attempt on the second 502.
    const c2 = client({ timeoutMs: 5000, onRetry: (r) => retries.push(r.attempt) });
    expect(await c2.text(`${base}/flaky`)).toBe('ok /flaky');
    expect(retries).toEqual([1, 2]);
    expect(c2.retries).toBe(2);
    expect(lastUa).toBe(USER_AGENT);
    await expect(c.text(`${base}/missing`)).rejects.toThrow(/answered HTTP 404/);
    expect(hits.get('/missing')).toBe(1);
  });

  it('retries a request slower than the timeout', async () => {
    const c = client();
    expect(await c.text(`${base}/slow`)).toBe('ok /slow');
    expect(hits.get('/slow')).toBe(2);
  });

  it('refused connections are retried, then reported', async () => {
    const c = client();
    await expect(c.text('http://127.0.0.1:9/x')).rejects.toThrow(/cannot reach http:\/\/127\.0\.0\.1:9\/x/);
    expect(c.requests).toBe(3);
  });

  it('spaces requests to one host by the rate limit', async () => {
    // The limiter spaces when requests leave; the server's arrival times also carry the first
    // request's connection set-up (30 ms and more on a loaded machine), so both are checked.
    const released: number[] = [];
    class Recording extends HostRateLimiter {
      override async wait(url: string, signal?: AbortSignal): Promise<void> {
        await super.wait(url, signal);
        released.push(Date.now());
      }
    }
    const c = client({ limiter: new Recording(20) });
    await Promise.all(Array.from({ length: 6 }, (_, i) => c.text(`${base}/rate${i}`)));
    expect(times).toHaveLength(6);
    released.sort((a, b) => a - b);
    for (let i = 1; i < released.length; i++)
      expect(released[i]! - released[0]!).toBeGreaterThanOrEqual(i * 50 - 5);
    // Only the first arrival can be late by the set-up: the other five still arrive 4 slots apart.
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(4 * 50 - 5);
  });
});

describe('checkpoint', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'silverfox-cp-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resume picks the newest unfinished run; finished runs and bad files are refused clearly', async () => {
    const a = createRun(dir, new Date(2026, 10, 23, 1, 0, 0), [{ name: 'A', slug: 'a' }], true);
    const b = createRun(dir, new Date(2026, 10, 23, 2, 0, 0), [{ name: 'B', slug: 'b' }], false);
    expect(findResumableRun(dir).checkpoint.runId).toBe(b.checkpoint.runId);
    saveCheckpoint(b.runDir, { ...b.checkpoint, finishedAt: new Date().toISOString() });
    expect(findResumableRun(dir).checkpoint.runId).toBe(a.checkpoint.runId);
    expect(() => findResumableRun(dir, b.checkpoint.runId)).toThrow(/already finished/);
    expect(() => findResumableRun(dir, 'nope')).toThrow(/there is no scrape run "nope"/);
    writeFileSync(path.join(a.runDir, 'checkpoint.json'), '{"version": 2}');
    expect(() => loadCheckpoint(a.runDir)).toThrow(/is not valid/);
  });
});
