/**
 * The Playwright engine shared by sticker-sheet rendering and window-sticker downloads: one
 * Chromium, one browser context, a pool of worker pages and a task queue.
 *
 * Glossary: a *worker* owns one page and runs one *task* at a time; a task is an async function
 * of (page, attempt). A task that throws a retryable error, or that the *watchdog* stops because
 * it ran past its timeout, goes back to the end of the queue until its retries are used up. The
 * watchdog then recovers the worker: its page is closed (without waiting on a hung renderer) and
 * the next task gets a fresh one, so one stuck page never blocks the others. A browser that dies
 * is relaunched (and its context prepared again, e.g. logged in) a bounded number of times.
 *
 * A task that finds the context's preparation gone (a portal session that expired) throws an error
 * marked with `reprepareFirst`: the pool prepares the context again, once for every worker that
 * noticed (a worker whose attempt started before the latest preparation just retries), holds new
 * attempts back while that runs, and retries the task without counting the lost attempt.
 */
import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { SilverfoxError } from '../errors.js';

/** Without these Chromium keeps dialing out (updates, sync, field trials) on a closed network. */
export const CHROMIUM_ARGS = [
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

/** Chromium is not where CHROMIUM_PATH says, or does not start. */
export class BrowserUnavailableError extends SilverfoxError {
  constructor(chromiumPath: string, cause?: unknown) {
    const detail = cause ? `: ${firstLine(cause)}` : '';
    super('browser_missing', `Chromium cannot be started from ${chromiumPath}${detail}`, {
      cause,
      hints: [
        'Install it with `apt-get install -y chromium`, or set CHROMIUM_PATH to a Chromium executable.',
      ],
    });
  }
}

/** A task ran past its timeout; the watchdog closed its page. Retried like any transient error. */
export class TaskTimeoutError extends SilverfoxError {
  constructor(ms: number) {
    super('timeout', `did not finish within ${formatMs(ms)}; the page was stopped and replaced`);
  }
}

/** Re-preparations in a row, with no task succeeding in between, after which the pool gives up. */
const REPREPARE_LOOP = 3;

/** Re-preparing keeps being undone before any task succeeds (a login the portal does not keep). */
export class ReprepareLoopError extends SilverfoxError {
  constructor(times: number) {
    super(
      'session_lost',
      `signed in again ${times} times in a row and lost the session each time before any task succeeded`,
      {
        hints: [
          'The portal does not keep the login: check login.success_selector and the credentials (try --probe).',
        ],
      },
    );
  }
}

/** The pool was closed (the run was cancelled) while the task waited or ran. */
export class PoolClosedError extends SilverfoxError {
  constructor() {
    super('cancelled', 'the browser pool was closed before the task finished');
  }
}

/** A task error that must not be retried (the thing does not exist, the input is wrong). */
export function permanent<E extends Error>(err: E): E & { retryable: false } {
  return Object.assign(err, { retryable: false as const });
}

/**
 * A task error meaning "the context must be prepared again (e.g. signed in), then try again": the
 * attempt does not count against the retries (up to `maxFreeRetries` times per task).
 */
export function reprepareFirst<E extends Error>(err: E): E & { reprepare: true } {
  return Object.assign(err, { reprepare: true as const });
}

function wantsReprepare(err: unknown): boolean {
  return Boolean(err && typeof err === 'object' && (err as { reprepare?: unknown }).reprepare === true);
}

/** Whether another attempt may succeed: everything except errors marked `retryable: false`. */
export function isRetryable(err: unknown): boolean {
  return !(err && typeof err === 'object' && (err as { retryable?: unknown }).retryable === false);
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s` : `${ms} ms`;
}

/** Launches headless Chromium with the closed-network arguments; a clear error when it cannot. */
export async function launchChromium(chromiumPath: string): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new BrowserUnavailableError(chromiumPath);
  const { chromium } = await import('playwright-core');
  try {
    return await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
  } catch (err) {
    throw new BrowserUnavailableError(chromiumPath, err);
  }
}

/** What a task gets besides its page. */
export interface TaskContext {
  /** 1 for the first try. */
  attempt: number;
  /** Aborted when the watchdog stops the task or the pool closes. */
  signal: AbortSignal;
  context: BrowserContext;
  /**
   * Runs `prepareContext` again, e.g. after a session expired: once for concurrent callers, and not
   * at all when it already ran again since this attempt started.
   */
  reprepare(): Promise<void>;
}

export type Task<T> = (page: Page, ctx: TaskContext) => Promise<T>;

/**
 * How a task ended, after its retries: `ms` from its first attempt to its end (waits in the queue
 * between retries included), `busyMs` the time its attempts ran.
 */
export type TaskResult<T> =
  | { ok: true; value: T; attempts: number; ms: number; busyMs: number }
  | { ok: false; error: unknown; attempts: number; ms: number; busyMs: number };

/** Something that happened in the pool, for progress and metrics. */
export type PoolEvent =
  | { kind: 'retry'; key: string; attempt: number; error: unknown }
  /** The attempt found the preparation gone; it is retried without counting. */
  | { kind: 'reprepare'; key: string; error: unknown; prepared: boolean }
  | { kind: 'watchdog'; key: string; attempt: number; ms: number }
  | { kind: 'page_crash'; key: string }
  | { kind: 'browser_restart'; restarts: number };

export interface BrowserPoolOptions {
  chromiumPath: string;
  /** Worker pages. */
  size: number;
  /** Per-attempt timeout enforced by the watchdog. */
  taskTimeoutMs: number;
  /** Extra attempts after the first for retryable failures. */
  retries: number;
  contextOptions?: BrowserContextOptions;
  /** Runs on every new context before any task (log in); again after a browser restart. */
  prepareContext?: (context: BrowserContext) => Promise<void>;
  /** How long a closing page may take before it is abandoned (a hung renderer). */
  closeGraceMs?: number;
  /** Browser relaunches allowed in one run before the pool gives up. */
  maxBrowserRestarts?: number;
  /** Attempts per task that may end in `reprepareFirst` without counting (default 3). */
  maxFreeRetries?: number;
  /** Failed re-preparations in a row before every queued task fails with that error (default 2). */
  maxReprepareFailures?: number;
  onEvent?: (event: PoolEvent) => void;
}

interface Job {
  key: string;
  task: Task<unknown>;
  attempts: number;
  /** Attempts that ended in `reprepareFirst` and were not counted. */
  freeRetries: number;
  started: number;
  busyMs: number;
  timeoutMs: number;
  resolve(r: TaskResult<unknown>): void;
}

interface Worker {
  id: number;
  page?: Page;
  /** The browser generation the page belongs to. */
  generation: number;
  crashed: boolean;
}

/** Pool counters for metrics. */
export interface PoolStats {
  retries: number;
  watchdogRecoveries: number;
  pageCrashes: number;
  browserRestarts: number;
  pagesOpened: number;
  /** Times `prepareContext` ran again because a task asked for it (re-logins). */
  reprepares: number;
  /** Attempts that found the preparation gone and were retried without counting. */
  freeRetries: number;
}

/** One Chromium, one context, `size` worker pages pulling tasks from one queue. */
export class BrowserPool {
  private browser!: Browser;
  private context!: BrowserContext;
  private generation = 0;
  private restarting?: Promise<void>;
  private preparing?: Promise<void>;
  /** Bumped by every successful `prepareContext`: tells an attempt whether it ran since it began. */
  private preparedGeneration = 0;
  private reprepareFailures = 0;
  /** Re-preparations since a task last succeeded. */
  private repreparesSinceSuccess = 0;
  /** Set when re-preparing failed `maxReprepareFailures` times in a row: every task fails with it. */
  private prepareBroken?: unknown;
  private readonly queue: Job[] = [];
  private readonly idle: Worker[] = [];
  private readonly running = new Set<{ job: Job; abort: AbortController }>();
  private closed = false;
  readonly stats: PoolStats = {
    retries: 0,
    watchdogRecoveries: 0,
    pageCrashes: 0,
    browserRestarts: 0,
    pagesOpened: 0,
    reprepares: 0,
    freeRetries: 0,
  };

  private constructor(private readonly opts: BrowserPoolOptions) {
    for (let i = 0; i < Math.max(1, opts.size); i++) this.idle.push({ id: i, generation: 0, crashed: false });
  }

  /** Launches the browser, creates the context and prepares it; the pool is then ready for tasks. */
  static async open(opts: BrowserPoolOptions): Promise<BrowserPool> {
    const pool = new BrowserPool(opts);
    await pool.start();
    return pool;
  }

  private async start(): Promise<void> {
    const browser = await launchChromium(this.opts.chromiumPath);
    try {
      const context = await browser.newContext(this.opts.contextOptions);
      this.browser = browser;
      this.context = context;
      this.generation++;
      if (this.opts.prepareContext) await this.opts.prepareContext(context);
      this.preparedGeneration++;
    } catch (err) {
      await browser.close().catch(() => {});
      throw err;
    }
  }

  /** Queues `task`; resolves (never rejects) with its value or its last error after the retries. */
  run<T>(task: Task<T>, opts: { key?: string; timeoutMs?: number } = {}): Promise<TaskResult<T>> {
    return new Promise<TaskResult<unknown>>((resolve) => {
      if (this.closed) {
        resolve({ ok: false, error: new PoolClosedError(), attempts: 0, ms: 0, busyMs: 0 });
        return;
      }
      this.queue.push({
        key: opts.key ?? `task${this.queue.length}`,
        task: task as Task<unknown>,
        attempts: 0,
        freeRetries: 0,
        started: 0,
        busyMs: 0,
        timeoutMs: opts.timeoutMs ?? this.opts.taskTimeoutMs,
        resolve,
      });
      this.schedule();
    }) as Promise<TaskResult<T>>;
  }

  private schedule(): void {
    while (!this.closed && this.queue.length > 0 && this.idle.length > 0) {
      const worker = this.idle.shift()!;
      const job = this.queue.shift()!;
      void this.execute(worker, job);
    }
  }

  /** Runs `prepareContext` again; concurrent callers share one run. */
  reprepare(): Promise<void> {
    const prepare = this.opts.prepareContext;
    if (!prepare) return Promise.resolve();
    if (this.prepareBroken !== undefined) return Promise.reject(this.prepareBroken);
    if (!this.preparing && this.repreparesSinceSuccess >= REPREPARE_LOOP) {
      this.prepareBroken = new ReprepareLoopError(this.repreparesSinceSuccess);
      return Promise.reject(this.prepareBroken);
    }
    this.preparing ??= (async () => {
      try {
        await prepare(this.context);
      } catch (err) {
        if (++this.reprepareFailures >= (this.opts.maxReprepareFailures ?? 2)) this.prepareBroken = err;
        throw err;
      }
      this.reprepareFailures = 0;
      this.repreparesSinceSuccess++;
      this.preparedGeneration++;
      this.stats.reprepares++;
    })().finally(() => (this.preparing = undefined));
    return this.preparing;
  }

  /**
   * Prepares the context again unless that happened since `generation` (then it only waits for a
   * preparation still running): N workers noticing one expiry cause one re-login.
   */
  private reprepareSince(generation: number): Promise<void> {
    if (this.preparedGeneration !== generation) return this.preparing ?? Promise.resolve();
    return this.reprepare();
  }

  private async pageFor(worker: Worker): Promise<Page> {
    if (this.restarting) await this.restarting;
    if (!this.browser.isConnected()) await this.restartBrowser();
    if (worker.page && (worker.crashed || worker.page.isClosed() || worker.generation !== this.generation)) {
      this.abandonPage(worker);
    }
    if (!worker.page) {
      const page = await this.context.newPage();
      this.stats.pagesOpened++;
      worker.page = page;
      worker.generation = this.generation;
      worker.crashed = false;
      page.on('crash', () => {
        worker.crashed = true;
      });
    }
    return worker.page;
  }

  /** Closes a worker's page without waiting on it longer than the grace period. */
  private abandonPage(worker: Worker): void {
    const page = worker.page;
    worker.page = undefined;
    worker.crashed = false;
    if (!page) return;
    const closing = page.close({ runBeforeUnload: false }).catch(() => {});
    const grace = this.opts.closeGraceMs ?? 5000;
    void Promise.race([closing, new Promise((r) => setTimeout(r, grace).unref())]);
  }

  private restartBrowser(): Promise<void> {
    this.restarting ??= (async () => {
      const max = this.opts.maxBrowserRestarts ?? 2;
      if (this.stats.browserRestarts >= max) {
        throw new BrowserUnavailableError(
          this.opts.chromiumPath,
          new Error(`the browser died ${this.stats.browserRestarts + 1} times in this run`),
        );
      }
      this.stats.browserRestarts++;
      this.opts.onEvent?.({ kind: 'browser_restart', restarts: this.stats.browserRestarts });
      await this.browser.close().catch(() => {});
      await this.start();
    })().finally(() => (this.restarting = undefined));
    return this.restarting;
  }

  private async execute(worker: Worker, job: Job): Promise<void> {
    // A re-login in progress: wait for it rather than meet the login page again.
    if (this.preparing) await this.preparing.catch(() => {});
    if (this.prepareBroken !== undefined) {
      const ms = job.started === 0 ? 0 : Date.now() - job.started;
      job.resolve({ ok: false, error: this.prepareBroken, attempts: job.attempts, ms, busyMs: job.busyMs });
      this.idle.push(worker);
      this.schedule();
      return;
    }
    let generation = this.preparedGeneration;
    job.attempts++;
    // A task's time counts from its first attempt, not from when it was queued.
    const attemptStarted = Date.now();
    if (job.started === 0) job.started = attemptStarted;
    const abort = new AbortController();
    const entry = { job, abort };
    this.running.add(entry);
    let timer: NodeJS.Timeout | undefined;
    let stoppedByWatchdog = false;
    let error: unknown;
    let value: unknown;
    let ok = false;
    try {
      const page = await this.pageFor(worker);
      // Opening the page took a moment: a re-login may have begun meanwhile.
      if (this.preparing) await this.preparing.catch(() => {});
      generation = this.preparedGeneration;
      const aborted = new Promise<never>((_, reject) => {
        abort.signal.addEventListener('abort', () => reject(abort.signal.reason), { once: true });
      });
      // The watchdog: past the timeout the task is abandoned and its page closed, so whatever the
      // task awaits on the page fails fast and the worker gets a fresh page for the next task.
      timer = setTimeout(() => {
        stoppedByWatchdog = true;
        this.stats.watchdogRecoveries++;
        this.opts.onEvent?.({ kind: 'watchdog', key: job.key, attempt: job.attempts, ms: job.timeoutMs });
        abort.abort(new TaskTimeoutError(job.timeoutMs));
        this.abandonPage(worker);
      }, job.timeoutMs);
      const running = job.task(page, {
        attempt: job.attempts,
        signal: abort.signal,
        context: this.context,
        reprepare: () => this.reprepareSince(generation),
      });
      running.catch(() => {}); // it may settle after the watchdog gave up on it
      value = await Promise.race([running, aborted]);
      ok = true;
    } catch (err) {
      error = stoppedByWatchdog ? new TaskTimeoutError(job.timeoutMs) : err;
      if (worker.crashed) {
        this.stats.pageCrashes++;
        this.opts.onEvent?.({ kind: 'page_crash', key: job.key });
      }
      if (!this.closed && !this.browser.isConnected()) {
        await this.restartBrowser().catch((e: unknown) => {
          error = e;
          this.failAll(e);
        });
      }
    } finally {
      clearTimeout(timer);
      this.running.delete(entry);
      job.busyMs += Date.now() - attemptStarted;
    }
    if (!ok && !stoppedByWatchdog && !this.closed && wantsReprepare(error)) {
      const free = job.freeRetries < (this.opts.maxFreeRetries ?? 3);
      let prepared = false;
      try {
        prepared = this.preparedGeneration === generation && !this.preparing;
        await this.reprepareSince(generation);
      } catch (err) {
        error = err;
        if (this.prepareBroken !== undefined) this.failAll(err);
      }
      if (free && wantsReprepare(error) && !this.closed) {
        job.attempts--;
        job.freeRetries++;
        this.stats.freeRetries++;
        this.opts.onEvent?.({ kind: 'reprepare', key: job.key, error, prepared });
        this.queue.unshift(job);
        this.idle.push(worker);
        this.schedule();
        return;
      }
    }
    const ended = { attempts: job.attempts, ms: Date.now() - job.started, busyMs: job.busyMs };
    if (ok) {
      this.repreparesSinceSuccess = 0;
      job.resolve({ ok: true, value, ...ended });
    } else if (this.closed) {
      job.resolve({ ok: false, error: new PoolClosedError(), ...ended });
    } else if (
      this.prepareBroken === undefined &&
      job.attempts <= this.opts.retries &&
      isRetryable(error) &&
      !(error instanceof BrowserUnavailableError)
    ) {
      this.stats.retries++;
      this.opts.onEvent?.({ kind: 'retry', key: job.key, attempt: job.attempts, error });
      this.queue.push(job);
    } else {
      job.resolve({ ok: false, error, ...ended });
    }
    this.idle.push(worker);
    this.schedule();
  }

  /** Fails every queued task (the browser cannot be had any more). */
  private failAll(error: unknown): void {
    for (const job of this.queue.splice(0)) {
      job.resolve({
        ok: false,
        error,
        attempts: job.attempts,
        ms: Date.now() - job.started,
        busyMs: job.busyMs,
      });
    }
  }

  /** Closes the pool: queued tasks fail with PoolClosedError, running ones are aborted. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new PoolClosedError());
    for (const r of this.running) r.abort.abort(new PoolClosedError());
    await this.browser?.close().catch(() => {});
  }
}
