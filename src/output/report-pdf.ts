/**
 * The PDF of `silverfox report --pdf`: the report's HTML printed by Chromium through the browser
 * pool (as `silverfox pdf` prints stickers), letter landscape from the page's own @page rule, with
 * JavaScript off and the network closed (the page is self-contained).
 */
import { OutputError } from '../errors.js';
import { BrowserPool } from './browser-pool.js';

/** Prints one self-contained HTML document to PDF bytes. */
export async function printHtmlToPdf(opts: {
  chromiumPath: string;
  html: string;
  taskTimeoutMs?: number;
}): Promise<Uint8Array> {
  const pool = await BrowserPool.open({
    chromiumPath: opts.chromiumPath,
    size: 1,
    taskTimeoutMs: opts.taskTimeoutMs ?? 60_000,
    retries: 1,
    contextOptions: { javaScriptEnabled: false, offline: true },
  });
  try {
    const r = await pool.run(
      async (page) => {
        await page.setContent(opts.html, { waitUntil: 'load' });
        return page.pdf({
          format: 'Letter',
          landscape: true,
          preferCSSPageSize: true,
          printBackground: true,
        });
      },
      { key: 'report' },
    );
    if (!r.ok) {
      const err = r.error as Error;
      throw new OutputError(`printing the report failed: ${err?.message ?? String(err)}`, {
        cause: err,
        hints: ['Nothing was written. Check CHROMIUM_PATH (`silverfox doctor`) and run again.'],
      });
    }
    return r.value;
  } finally {
    await pool.close();
  }
}
