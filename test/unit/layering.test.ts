/**
 * The layering of DESIGN.md is enforced by lint (eslint.config.js), not only by habit: each case
 * lints a file placed in a layer and importing what that layer may or may not import, and expects
 * the rule's error exactly where the import breaks the layering.
 */
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/env.js';

const eslint = new ESLint({ cwd: ROOT });

/** The layering errors of `code` as if it were the file `rel` (the file need not exist). */
async function layeringErrors(rel: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, rel) });
  return result!.messages
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax')
    .map((m) => m.message);
}

describe('the layering is a lint rule', () => {
  it.each([
    ['src/core/probe.ts', `import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n`],
    ['src/core/probe.ts', `import { open } from 'fs/promises';\nexport const x = open;\n`],
    [
      'src/core/probe.ts',
      `import type { Queryable } from '../db/database.js';\nexport type X = Queryable;\n`,
    ],
    [
      'src/core/probe.ts',
      `import { writeOrder } from '../app/order-writer.js';\nexport const x = writeOrder;\n`,
    ],
    ['src/core/probe.ts', `import { sha256Hex } from '../durable-fs.js';\nexport const x = sha256Hex;\n`],
    ['src/db/probe.ts', `import { runCao } from '../app/cao.js';\nexport const x = runCao;\n`],
    ['src/output/probe.ts', `export const x = () => import('../app/cao.js');\n`],
    ['src/scrape/adapters/probe.ts', `import { main } from '../../cli/main.js';\nexport const x = main;\n`],
    ['src/app/probe.ts', `import '../cli/main.js';\n`],
  ])('%s: %s is refused', async (rel, code) => {
    const errors = await layeringErrors(rel, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('layering (DESIGN.md)');
  });

  it.each([
    [
      'src/core/probe.ts',
      `import { slugify } from './dealership.js';\nimport { InputError } from '../errors.js';\nexport const x = [slugify, InputError];\n`,
    ],
    [
      'src/db/probe.ts',
      `import { localDay } from '../core/calendar.js';\nimport { lockContent } from '../lockfile.js';\nexport const x = [localDay, lockContent];\n`,
    ],
    [
      'src/app/probe.ts',
      `import { acquireRunLock } from '../db/run-lock.js';\nexport const x = () => import('../output/csv.js');\nexport const y = acquireRunLock;\n`,
    ],
    ['src/cli/probe.ts', `import { runCao } from '../app/cao.js';\nexport const x = runCao;\n`],
  ])('%s: %s is allowed', async (rel, code) => {
    expect(await layeringErrors(rel, code)).toEqual([]);
  });
});
