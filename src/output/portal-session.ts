/**
 * Driving a window-sticker portal (core/portal.ts config) in a browser page: the login, done once
 * per browser context (its session cookie then serves every worker page), and the download of
 * one vehicle's sticker PDF.
 *
 * Errors say what the runner should do: `PortalNotFoundError` (the portal has no sticker for the
 * VIN) is permanent; `SessionExpiredError` asks for a new login, then a retry; anything else is
 * retried. Credential values never appear in a message: they are filled into fields, and errors
 * name the variables that hold them.
 */
import { readFile } from 'node:fs/promises';
import type { Page, Response } from 'playwright-core';
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

/** The portal sent us back to its login page: the session cookie expired. */
export class SessionExpiredError extends SilverfoxError {
  constructor() {
    super('session_expired', 'the portal session expired (sent back to the login page)');
  }
}

/** A transient portal failure (5xx, a page without the expected link, a body that is not a PDF). */
export class PortalError extends SilverfoxError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

const PDF_MAGIC = Buffer.from('%PDF-');

function isLoginPage(portal: PortalConfig, url: string): boolean {
  const login = new URL(portalUrl(portal, portal.login.url));
  try {
    const u = new URL(url);
    return u.origin === login.origin && u.pathname === login.pathname;
  } catch {
    return false;
  }
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

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}

function checkPdf(vin: string, body: Buffer): Buffer {
  if (body.length < 8 || !body.subarray(0, 5).equals(PDF_MAGIC))
    throw new PortalError('not_a_pdf', `the window sticker of ${vin} is not a PDF (${body.length} bytes)`);
  return body;
}

function checkStatus(portal: PortalConfig, vin: string, url: string, status: number, finalUrl: string): void {
  if (isLoginPage(portal, finalUrl)) throw new SessionExpiredError();
  if (status === 404) throw permanent(new PortalNotFoundError(vin, `${url} answered HTTP 404`));
  if (status === 401 || status === 403) throw new SessionExpiredError();
  if (status >= 400) throw new PortalError('http_status', `${url} answered HTTP ${status}`);
}

/** Downloads the window-sticker PDF of `vin` with the logged-in session of `page`'s context. */
export async function downloadSticker(
  page: Page,
  portal: PortalConfig,
  vin: string,
  timeoutMs: number,
): Promise<Buffer> {
  const s = portal.sticker;
  const url = portalUrl(portal, s.url, vin);
  if (s.mode === 'direct') {
    const res = await page.request.get(url, { timeout: timeoutMs, failOnStatusCode: false });
    checkStatus(portal, vin, url, res.status(), res.url());
    return checkPdf(vin, await res.body());
  }
  const response = await page.goto(url, { waitUntil: 'domcontentloaded', timeout: timeoutMs });
  checkStatus(portal, vin, url, response?.status() ?? 200, page.url());
  const either = s.not_found_selector ? `${s.link_selector}, ${s.not_found_selector}` : s.link_selector!;
  try {
    await page.waitForSelector(either, { timeout: timeoutMs, state: 'attached' });
  } catch {
    throw new PortalError('unexpected_page', `the page of ${vin} shows no "${s.link_selector}" link`);
  }
  if (s.not_found_selector) {
    const notFound = await page.$(s.not_found_selector);
    if (notFound) {
      const said = ((await notFound.textContent()) ?? '').replace(/\s+/g, ' ').trim().slice(0, 120);
      throw permanent(
        new PortalNotFoundError(vin, said ? `the portal says "${said}"` : 'the portal has none'),
      );
    }
  }
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: timeoutMs }),
    page.click(s.link_selector!, { timeout: timeoutMs }),
  ]);
  const failure = await download.failure();
  if (failure)
    throw new PortalError('download_failed', `the download of ${vin}'s window sticker failed: ${failure}`);
  const file = await download.path();
  try {
    return checkPdf(vin, await readFile(file));
  } finally {
    await download.delete().catch(() => {});
  }
}
