import path from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { runCli } from '../helpers/cli.js';
import { createTestEnv, type TestEnv } from '../helpers/databases.js';
import { SHARED } from '../helpers/env.js';

/** Every command path of the CLI, groups included: ['db'], ['db', 'prune'], ... */
function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])]);
}

const NON_ASCII = /[^\t\n\r\x20-\x7e]/;

function expectAscii(what: string, text: string) {
  const m = NON_ASCII.exec(text);
  expect(
    m,
    `${what}: non-ASCII ${JSON.stringify(m?.[0])} in ...${text.slice(Math.max(0, (m?.index ?? 0) - 40), (m?.index ?? 0) + 10)}`,
  ).toBeNull();
}

// A plain terminal (TERM=dumb, as a Windows console or a cron mail shows it): nothing but ASCII,
// in help, results, progress and errors (DESIGN.md failure 14).
describe('ASCII output in a plain terminal', () => {
  let t: TestEnv;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await createTestEnv('embedded');
    env = { ...t.env, TERM: 'dumb' };
  });
  afterAll(async () => t?.cleanup());

  it('the help of every command', async () => {
    const paths = [[], ...commandPaths(buildProgram())];
    expect(paths.length).toBeGreaterThan(15);
    for (const p of paths) {
      const r = await runCli([...p, '--help'], { env });
      expect(r.code, p.join(' ')).toBe(0);
      expectAscii(`${p.join(' ')} --help`, r.stdout + r.stderr);
    }
  }, 300_000); // about 40 CLI starts in a row: 120 s was reached at a CI load average of 18

  it('results, progress and errors of commands run on real dirty data', async () => {
    const runs: string[][] = [
      ['import', path.join(SHARED, 'data/car_prices_head.csv'), '--map', 'dealership=seller', '--dry-run'],
      ['import', path.join(SHARED, 'data/craigslist_vehicles_sample.csv'), '--dealer', 'Columbia Honda'],
      ['status'],
      ['dealers', 'list'],
      ['dealers', 'show', 'h&w kia'],
      ['dealers', 'show', 'Spirit Lexsu'], // an error with suggestions
      ['db', 'status'],
      ['db', 'prune', '--keep-snapshots', '0', '--dry-run'],
      ['doctor'],
      ['logs', '--since', '1h'],
      ['bogus'], // usage error
    ];
    for (const args of runs) {
      const r = await runCli(args, { env });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).not.toBeNull();
      expectAscii(args.join(' '), r.stdout + r.stderr);
      if (args[0] === 'import' && args.includes('--dealer')) expect(r.code, r.stderr).toBe(0);
    }
  });
});
