/**
 * Markup from a feed printed on sticker sheets (`silverfox pdf` through the binary): tags, a
 * </style> break-out, event handlers, template braces and `${...}` are printed as the text they
 * are, never interpreted. (A <script> in a model name is also in test/integration/pdf.test.ts.)
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSuiteEnabled } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { createTestEnv, type TestEnv } from '../helpers/databases.js';
import { ROOT } from '../helpers/env.js';
import { pdfText } from '../helpers/pdf.js';
import { expectCleanError } from './helpers.js';

describe.runIf(browserSuiteEnabled({ pdftoppm: true }))('markup in the feed, printed', () => {
  let t: TestEnv;
  beforeAll(async () => {
    t = await createTestEnv('server');
  });
  afterAll(async () => t?.cleanup());

  it('prints every tag, handler, brace and ${} as text, and nothing else', async () => {
    const feed = path.join(ROOT, 'test/fixtures/hostile/markup.csv');
    expect((await runCli(['import', feed], { env: t.env })).code).toBe(0);
    const cao = await runCli(['cao', 'Columbia Honda', '--yes', '--json'], { env: t.env });
    expect(cao.code, cao.stderr).toBe(0);
    const order = JSON.parse(cao.stdout).results[0];
    const r = await runCli(['pdf', String(order.orderId), '--json'], { env: t.env, timeoutMs: 120_000 });
    expectCleanError(r.stderr, 'pdf of hostile markup');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    const pages = pdfText(path.join(j.folder, j.stickers.path));
    expect(pages).toHaveLength(3);
    // Compared without white space: the layout wraps long names anywhere.
    const squash = (s: string) => s.replace(/\s+/g, '');
    const all = squash(pages.join('\n'));
    for (const shown of [
      "<script>document.title='pwned'</script>",
      `<img src=x onerror="document.title='pwned'">`,
      '</style><h1 id="injected">INJECTED</h1>',
      '{{vin}} ${process.env.HOME} <!--',
      '<svg onload=alert(1)>',
      'Tesla&amp;Co "quoted"',
    ])
      expect(all, shown).toContain(squash(shown));
    // `{{vin}}` was not filled in a second time, and the HOME folder never reached the page.
    expect(all).not.toContain(squash(process.env.HOME ?? '/root'));
  });
});
