/**
 * The browser suite: tests that drive Chromium (and read PDFs with poppler's pdftoppm). With
 * SILVERFOX_TEST_REQUIRE_BROWSER=1 (CI) a missing tool fails the suite; otherwise the suite is
 * skipped with a warning, so a developer without Chromium can still run the rest.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const REQUIRED = process.env.SILVERFOX_TEST_REQUIRE_BROWSER === '1';

function onPath(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** What is missing for the browser suite (empty when everything is there). */
export function missingBrowserTools(opts: { pdftoppm?: boolean } = {}): string[] {
  const missing: string[] = [];
  if (!existsSync(CHROMIUM)) missing.push(`Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  if (opts.pdftoppm && !onPath('pdftoppm')) missing.push('pdftoppm (apt-get install -y poppler-utils)');
  return missing;
}

/**
 * True when the browser suite should run. Throws when a tool is missing and the suite is required,
 * so CI fails instead of skipping.
 */
export function browserSuiteEnabled(opts: { pdftoppm?: boolean } = {}): boolean {
  const missing = missingBrowserTools(opts);
  if (missing.length === 0) return true;
  if (REQUIRED)
    throw new Error(
      `the browser suite is required (SILVERFOX_TEST_REQUIRE_BROWSER=1) and is missing: ${missing.join(', ')}`,
    );
  console.warn(`browser suite skipped: missing ${missing.join(', ')}`);
  return false;
}
