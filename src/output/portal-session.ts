/**
 * Driving a window-sticker portal (core/portal.ts config) in a browser page: the login, done once
 * per browser context (its session cookie then serves every worker page), and the download of
 * one vehicle's sticker PDF.
 *
 * How a sticker is fetched: a link with a real address is requested with the signed-in session
 * (the context's request API shares the browser's cookies), so a PDF the portal serves *inline*
 * (which Chromium would open in its viewer, firing no download event) is saved all the same. A
 * link that needs the page's script (no usable address, or one that answers a web page) is
 * clicked: a download is saved; a navigation to a PDF is fetched like a link.
 *
 * Every body is checked before it counts: `%PDF-`, an end marker, and a page count pdf-lib can
 * read. An HTML page under a .pdf name is a failed attempt whose reason names the page's title.
 *
 * Errors say what the runner should do: `PortalNotFoundError` (the portal has no sticker for the
 * VIN) is permanent; `SessionExpiredError` (any navigation, click or fetch that lands on the login
 * page or shows its form) asks the pool for one new login, then a retry that does not count;
 * anything else is retried. Credential values never appear in a message: they are filled into
 * fields, and errors name the variables that hold them.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'node-html-parser';
import { PDFDocument } from 'pdf-lib';
import type { Download, Page, Response } from 'playwright-core';
import { portalUrl, type PortalConfig } from '../core/portal.js';
import { SilverfoxError } from '../errors.js';
import { permanent } from './browser-pool.js';

export interface PortalCredentials {
  username: string;
  password: string;
}

/** The portal refused the credentials, or the login page is not what its config says. */
export class PortalLoginError extends SilverfoxError {
  constructor(portal: PortalConfig, detail: string) {
    super('portal_login', `cannot log in to portal "${portal.name}": ${detail}`, {
      hints: [
        `Check ${portal.credentials.username_env} and ${portal.credentials.password_env} (environment or .env), and the login selectors in the portal config.`,
      ],
    });
  }
}

/** The portal has no window sticker for this VIN. Not retried. */
export class PortalNotFoundError extends SilverfoxError {
  readonly retryable = false;
  constructor(vin: string, detail: string) {
    super('not_found', `no window sticker for ${vin}: ${detail}`);
  }
}

/**
 * The portal sent us back to its login page: the session expired. Marked for the pool
 * (`reprepareFirst`): sign in again, once for every worker, and retry without counting.
 */
export class SessionExpiredError extends SilverfoxError {
  readonly reprepare = true;
  constructor(where = 'the login page') {
    super('session_expired', `the portal session expired (sent back to ${where})`);
  }
}

/** A transient portal failure (5xx, a page without the expected link, a body that is not a PDF). */
export class PortalError extends SilverfoxError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/** How the portal marked the sticker: a download (`attachment`), or shown in the browser. */
export type Disposition = 'attachment' | 'inline' | 'none';

/** A checked sticker PDF and how it arrived. */
export interface StickerFile {
  body: Buffer;
  pages: number;
  /** `fetch`: requested with the session; `download`: a click fired a download event. */
  via: 'fetch' | 'download';
  disposition: Disposition;
}

/** What a sticker address answered (`stickers --probe` prints it). */
export interface LinkAnswer {
  url: string;
  /** After redirects. */
  finalUrl: string;
  status: number;
  contentType: string;
  /** The raw Content-Disposition header ('' when absent). */
  contentDisposition: string;
  disposition: Disposition;
  bytes: number;
  /** Pages when the body is a readable PDF, else null (see `problem`). */
  pdfPages: number | null;
  problem?: string;
  /** The answer is the portal's login page (its URL, or its form). */
  login: boolean;
  /** An HTML answer's title. */
  title?: string;
}

const PDF_MAGIC = Buffer.from('%PDF-');
const PDF_EOF = Buffer.from('%%EOF');

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}

/** Printable ASCII, whitespace collapsed, at most `max` characters (titles go into reports). */
function plain(text: string, max = 80): string {
  const t = text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[^\x20-\x7e]/g, '?');
  return t.length > max ? `${t.slice(0, max - 3)}...` : t;
}

function withoutHash(url: string): string {
  const i = url.indexOf('#');
  return i < 0 ? url : url.slice(0, i);
}

export function isLoginUrl(portal: PortalConfig, url: string): boolean {
  const login = new URL(portalUrl(portal, portal.login.url));
  try {
    const u = new URL(url);
    return u.origin === login.origin && u.pathname === login.pathname;
  } catch {
    return false;
  }
}

function looksLikeHtml(body: Buffer): boolean {
  const head = body.subarray(0, 1024).toString('latin1').trimStart().toLowerCase();
  return head.startsWith('<') && /<(!doctype html|html|head|body|title|form|div|p)[\s>]/.test(head);
}

/** The title (or first heading) of an HTML body. */
export function htmlTitle(body: Buffer | string): string | undefined {
  try {
    const root = parse(typeof body === 'string' ? body : body.subarray(0, 256 * 1024).toString('utf8'));
    const text = root.querySelector('title')?.text ?? root.querySelector('h1')?.text ?? '';
    return plain(text) || undefined;
  } catch {
    return undefined;
  }
}

/** Whether an HTML body holds the portal's login form (its user-name and password fields). */
function htmlHasLoginForm(portal: PortalConfig, body: Buffer): boolean {
  try {
    const root = parse(body.subarray(0, 512 * 1024).toString('utf8'));
    return Boolean(
      root.querySelector(portal.login.password_selector) &&
      root.querySelector(portal.login.username_selector),
    );
  } catch {
    return false;
  }
}

/** Whether `page` shows the login page: its URL, or its form. */
async function onLoginPage(page: Page, portal: PortalConfig): Promise<boolean> {
  if (isLoginUrl(portal, page.url())) return true;
  try {
    return Boolean(
      (await page.$(portal.login.password_selector)) && (await page.$(portal.login.username_selector)),
    );
  } catch {
    return false; // the page is navigating away
  }
}

/**
 * Checks that a body is a whole, readable PDF: `%PDF-` first, `%%EOF` in its last KiB (a cut-off
 * transfer lacks it), and at least one page pdf-lib can count.
 */
export async function inspectPdf(
  body: Buffer,
): Promise<{ ok: true; pages: number } | { ok: false; problem: string; title?: string }> {
  if (body.length < 8 || !body.subarray(0, 5).equals(PDF_MAGIC)) {
    if (looksLikeHtml(body)) {
      const title = htmlTitle(body);
      return { ok: false, problem: `an HTML page${title ? ` ("${title}")` : ''}, not a PDF`, title };
    }
    return { ok: false, problem: `not a PDF (${body.length} bytes, no %PDF- header)` };
  }
  if (body.subarray(Math.max(0, body.length - 1024)).indexOf(PDF_EOF) < 0)
    return { ok: false, problem: `a cut-off PDF (${body.length} bytes, no %%EOF at the end)` };
  try {
    const doc = await PDFDocument.load(body, { ignoreEncryption: true, updateMetadata: false });
    const pages = doc.getPageCount();
    if (pages < 1) return { ok: false, problem: 'a PDF without pages' };
    return { ok: true, pages };
  } catch (err) {
    return { ok: false, problem: `an unreadable PDF (${plain(firstLine(err))})` };
  }
}

function dispositionOf(header: string): Disposition {
  const type = header.split(';')[0]!.trim().toLowerCase();
  if (type === 'attachment') return 'attachment';
  return type === '' ? 'none' : 'inline';
}

/** Requests `url` with the signed-in session of `page`'s context and describes the answer. */
async function fetchTarget(
  page: Page,
  portal: PortalConfig,
  url: string,
  timeoutMs: number,
  referer?: string,
): Promise<{ answer: LinkAnswer; body: Buffer }> {
  const res = await page.context().request.get(url, {
    timeout: timeoutMs,
    failOnStatusCode: false,
    headers: referer ? { Referer: referer } : undefined,
  });
  const body = await res.body();
  const headers = res.headers();
  const contentType = headers['content-type'] ?? '';
  const contentDisposition = headers['content-disposition'] ?? '';
  const pdf = await inspectPdf(body);
  const html = !pdf.ok && looksLikeHtml(body);
  const answer: LinkAnswer = {
    url,
    finalUrl: res.url(),
    status: res.status(),
    contentType,
    contentDisposition,
    disposition: dispositionOf(contentDisposition),
    bytes: body.length,
    pdfPages: pdf.ok ? pdf.pages : null,
    ...(pdf.ok ? {} : { problem: pdf.problem }),
    login: isLoginUrl(portal, res.url()) || (html && htmlHasLoginForm(portal, body)),
    ...(html ? { title: htmlTitle(body) } : {}),
  };
  return { answer, body };
}

function checkStatus(vin: string, url: string, status: number): void {
  if (status === 404) throw permanent(new PortalNotFoundError(vin, `${url} answered HTTP 404`));
  if (status === 401 || status === 403) throw new SessionExpiredError(`HTTP ${status}`);
  if (status >= 400) throw new PortalError('http_status', `${url} answered HTTP ${status}`);
}

/** The sticker a fetch answered, or the error it means. */
function stickerFromAnswer(vin: string, answer: LinkAnswer, body: Buffer): StickerFile {
  if (answer.login) throw new SessionExpiredError();
  checkStatus(vin, answer.url, answer.status);
  if (answer.pdfPages === null)
    throw new PortalError('not_a_pdf', `the window sticker of ${vin} is ${answer.problem}`);
  return { body, pages: answer.pdfPages, via: 'fetch', disposition: answer.disposition };
}

/** Logs in on `page`; the session cookie lands in the page's context. */
export async function loginToPortal(
  page: Page,
  portal: PortalConfig,
  credentials: PortalCredentials,
  timeoutMs: number,
): Promise<void> {
  const l = portal.login;
  const url = portalUrl(portal, l.url);
  let response: Response | null;
  try {
    response = await page.goto(url, { waitUntil: 'domcontentloaded', timeout: timeoutMs });
  } catch (err) {
    throw new PortalLoginError(portal, `the login page ${url} did not load (${firstLine(err)})`);
  }
  if (response && response.status() >= 400)
    throw new PortalLoginError(portal, `the login page ${url} answered HTTP ${response.status()}`);
  try {
    await page.fill(l.username_selector, credentials.username, { timeout: timeoutMs });
    await page.fill(l.password_selector, credentials.password, { timeout: timeoutMs });
    await page.click(l.submit_selector, { timeout: timeoutMs });
  } catch (err) {
    throw new PortalLoginError(portal, `the login form is not as configured (${firstLine(err)})`);
  }
  const either = l.failure_selector ? `${l.success_selector}, ${l.failure_selector}` : l.success_selector;
  try {
    await page.waitForSelector(either, { timeout: timeoutMs, state: 'attached' });
  } catch {
    throw new PortalLoginError(
      portal,
      `"${l.success_selector}" did not appear within ${timeoutMs} ms after signing in`,
    );
  }
  if (l.failure_selector && (await page.$(l.failure_selector)))
    throw new PortalLoginError(portal, 'the portal refused the user name or password');
}

/** What the vehicle page of a `link` portal shows. */
interface VehiclePage {
  status: number;
  /** The sticker link's absolute address when it has a usable one (else it needs the page's script). */
  href: string | null;
}

/** Opens the vehicle page and waits for the link, the "no sticker" note or the login form. */
async function openVehiclePage(
  page: Page,
  portal: PortalConfig,
  vin: string,
  timeoutMs: number,
): Promise<VehiclePage> {
  const s = portal.sticker;
  const url = portalUrl(portal, s.url, vin);
  const response = await page.goto(url, { waitUntil: 'domcontentloaded', timeout: timeoutMs });
  if (await onLoginPage(page, portal)) throw new SessionExpiredError();
  const status = response?.status() ?? 200;
  checkStatus(vin, url, status);
  const wanted = [s.link_selector!, s.not_found_selector, portal.login.password_selector].filter(Boolean);
  try {
    await page.waitForSelector(wanted.join(', '), { timeout: timeoutMs, state: 'attached' });
  } catch {
    throw new PortalError('unexpected_page', `the page of ${vin} shows no "${s.link_selector}" link`);
  }
  if (await onLoginPage(page, portal)) throw new SessionExpiredError('its login form');
  if (s.not_found_selector) {
    const notFound = await page.$(s.not_found_selector);
    if (notFound) {
      const said = plain((await notFound.textContent()) ?? '', 120);
      throw permanent(
        new PortalNotFoundError(vin, said ? `the portal says "${said}"` : 'the portal has none'),
      );
    }
  }
  const link = await page.$(s.link_selector!);
  if (!link)
    throw new PortalError('unexpected_page', `the page of ${vin} shows no "${s.link_selector}" link`);
  const raw = await link.evaluate((el) => {
    const a = el as unknown as { href?: unknown; getAttribute(n: string): string | null };
    return typeof a.href === 'string' ? a.href : a.getAttribute('href');
  });
  let href: string | null = null;
  if (raw) {
    try {
      const abs = new URL(raw, page.url());
      if (/^https?:$/.test(abs.protocol) && withoutHash(abs.href) !== withoutHash(page.url()))
        href = abs.href;
    } catch {
      href = null;
    }
  }
  return { status, href };
}

async function stickerFromDownload(vin: string, download: Download): Promise<StickerFile> {
  const failure = await download.failure();
  if (failure)
    throw new PortalError('download_failed', `the download of ${vin}'s window sticker failed: ${failure}`);
  try {
    const body = await readFile(await download.path());
    const pdf = await inspectPdf(body);
    if (!pdf.ok) throw new PortalError('not_a_pdf', `the window sticker of ${vin} is ${pdf.problem}`);
    return { body, pages: pdf.pages, via: 'download', disposition: 'attachment' };
  } finally {
    await download.delete().catch(() => {});
  }
}

/** A web page a click may still turn into a download (an interstitial) is given this long. */
const LATE_DOWNLOAD_MS = 3000;

/**
 * Clicks the sticker link and takes what comes: a download event, or a navigation (to the login
 * page: the session expired; to a PDF shown in the viewer: fetched with the session).
 */
async function clickForSticker(
  page: Page,
  portal: PortalConfig,
  vin: string,
  timeoutMs: number,
): Promise<StickerFile> {
  const before = withoutHash(page.url());
  const download = page.waitForEvent('download', { timeout: timeoutMs });
  const navigated = page.waitForEvent('framenavigated', {
    timeout: timeoutMs,
    predicate: (f) => f === page.mainFrame() && withoutHash(f.url()) !== before,
  });
  download.catch(() => {});
  navigated.catch(() => {});
  await page.click(portal.sticker.link_selector!, { timeout: timeoutMs });
  const first = await Promise.race([
    download.then((d) => ({ download: d })),
    navigated.then(() => ({ download: null })),
  ]);
  if (first.download) return stickerFromDownload(vin, first.download);
  await page.waitForLoadState('domcontentloaded', { timeout: 10_000 }).catch(() => {});
  if (await onLoginPage(page, portal)) throw new SessionExpiredError();
  const { answer, body } = await fetchTarget(page, portal, page.url(), timeoutMs, before);
  if (answer.login || answer.pdfPages !== null) return stickerFromAnswer(vin, answer, body);
  const late = await Promise.race([
    download,
    new Promise<null>((r) => setTimeout(() => r(null), LATE_DOWNLOAD_MS)),
  ]);
  if (late) return stickerFromDownload(vin, late);
  const where = answer.title ? `a page titled "${answer.title}"` : answer.finalUrl;
  throw new PortalError('not_a_pdf', `the sticker link of ${vin} led to ${where} instead of a PDF`);
}

/** Downloads and checks the window-sticker PDF of `vin` with the logged-in session of `page`'s context. */
export async function downloadSticker(
  page: Page,
  portal: PortalConfig,
  vin: string,
  timeoutMs: number,
): Promise<StickerFile> {
  if (portal.sticker.mode === 'direct') {
    const { answer, body } = await fetchTarget(
      page,
      portal,
      portalUrl(portal, portal.sticker.url, vin),
      timeoutMs,
    );
    return stickerFromAnswer(vin, answer, body);
  }
  const { href } = await openVehiclePage(page, portal, vin, timeoutMs);
  if (href) {
    const { answer, body } = await fetchTarget(page, portal, href, timeoutMs, page.url());
    // A web page that is not an error or a file may be the no-script fallback: click instead.
    const clickInstead =
      !answer.login && answer.pdfPages === null && answer.status < 400 && answer.disposition !== 'attachment';
    if (!clickInstead) return stickerFromAnswer(vin, answer, body);
  }
  return clickForSticker(page, portal, vin, timeoutMs);
}

/** What `stickers --probe VIN` found. */
export interface StickerProbe {
  vin: string;
  mode: 'link' | 'direct';
  /** `link` mode: the vehicle page. */
  vehiclePage?: { url: string; status: number; href: string | null; needsScript: boolean };
  /** `link` mode, a link that needs the page's script: what the click did. */
  click?: 'download' | 'navigation' | 'nothing';
  /** What the sticker address answered. */
  answer?: LinkAnswer;
  /** A failure on the way (the login page, no link, no sticker). */
  error?: { code: string; message: string };
  verdict: string;
}

function verdictOf(p: Omit<StickerProbe, 'verdict'>): string {
  if (p.error?.code === 'session_expired' || p.answer?.login)
    return 'landed on the login page: the signed-in session is not accepted there (check the login settings)';
  if (p.error) return `failed: ${p.error.message}`;
  if (p.click === 'download') return 'attachment: the link (it needs the page script) starts a download';
  const a = p.answer;
  if (!a) return 'the click did nothing within the timeout: check sticker.link_selector';
  if (a.pdfPages === null) return `not a PDF: ${a.problem}`;
  return a.disposition === 'attachment'
    ? 'attachment portal: the PDF comes as a download (Content-Disposition: attachment)'
    : `inline portal: the PDF is shown in the browser (Content-Disposition: ${a.disposition}); silverfox fetches it with the session`;
}

/** Looks at one vehicle's sticker link without saving anything, for configuring a new portal. */
export async function probeSticker(
  page: Page,
  portal: PortalConfig,
  vin: string,
  timeoutMs: number,
): Promise<StickerProbe> {
  const out: Omit<StickerProbe, 'verdict'> = { vin, mode: portal.sticker.mode };
  try {
    if (portal.sticker.mode === 'direct') {
      out.answer = (
        await fetchTarget(page, portal, portalUrl(portal, portal.sticker.url, vin), timeoutMs)
      ).answer;
    } else {
      const { status, href } = await openVehiclePage(page, portal, vin, timeoutMs);
      out.vehiclePage = { url: page.url(), status, href, needsScript: href === null };
      if (href) out.answer = (await fetchTarget(page, portal, href, timeoutMs, page.url())).answer;
      if (!href || (out.answer && out.answer.pdfPages === null && out.answer.disposition !== 'attachment')) {
        const before = withoutHash(page.url());
        const download = page
          .waitForEvent('download', { timeout: timeoutMs })
          .then(() => 'download' as const);
        const navigated = page
          .waitForEvent('framenavigated', {
            timeout: timeoutMs,
            predicate: (f) => f === page.mainFrame() && withoutHash(f.url()) !== before,
          })
          .then(() => 'navigation' as const);
        await page.click(portal.sticker.link_selector!, { timeout: timeoutMs });
        out.click = await Promise.race([download, navigated]).catch(() => 'nothing' as const);
        if (out.click === 'navigation') {
          await page.waitForLoadState('domcontentloaded', { timeout: 10_000 }).catch(() => {});
          out.answer = (await fetchTarget(page, portal, page.url(), timeoutMs, before)).answer;
        } else if (out.click === 'download') {
          delete out.answer;
        }
      }
    }
  } catch (err) {
    out.error = {
      code: err instanceof SilverfoxError ? err.code : 'error',
      message: firstLine(err),
    };
  }
  return { ...out, verdict: verdictOf(out) };
}
