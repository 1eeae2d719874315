/**
 * A corpus of hostile inputs through the built binary, each with the clear error or safe result
 * it must give: malformed and binary CSVs, a 10 MB line, a million columns, wrong encodings,
 * SQL and path strings as dealership names, formula cells, markup, huge and dirty VIN lists.
 * Whatever happens: no stack trace, no "internal error", no table touched by injected SQL, no
 * file outside its folder.
 *
 * Small readable inputs are in test/fixtures/hostile/; big or binary ones are generated here.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createTestEnv, type TestEnv } from '../helpers/databases.js';
import { ROOT } from '../helpers/env.js';
import { makeVin } from '../helpers/inventory.js';
import { count, expectCleanError, expectOrdersInside, tableCounts, walk, withDb } from './helpers.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/hostile');
const HEADER = 'Dealership,VIN,Stock,Year,Make,Model,Trim';
const MB = 1024 * 1024;

interface Case {
  name: string;
  /** Writes the input and returns its path. */
  make: (dir: string) => string;
  code: number;
  /** On stderr when it fails, or facts of the JSON result when it succeeds. */
  error?: RegExp;
  result?: { rowsRead?: number; rowsImported?: number; rowsRejected?: number; encoding?: string };
  /** Upper bound on the run (a pathological input must not take minutes). */
  maxMs?: number;
}

const write = (file: string, data: string | Buffer) => (writeFileSync(file, data), file);
const row = (vin: string, model = 'Civic', trim = 'Sport') =>
  `Columbia Honda,${vin},S${vin.slice(-5)},2024,Honda,${model},${trim}`;
const utf16le = (t: string) => Buffer.from(t, 'utf16le');
const latinText = `${HEADER}\n${row(makeVin(301, '2HGFC2F5'), 'Civic', 'Sport \u00c9dition Ni\u00f1o')}\n`;

const CASES: Case[] = [
  {
    name: 'random bytes with zero bytes',
    make: (d) => write(path.join(d, 'binary.csv'), randomBytes(200_000)),
    code: 1,
    error: /is not a CSV text file: it holds binary data/,
  },
  {
    name: 'random bytes without a zero byte',
    make: (d) =>
      write(path.join(d, 'binary-nonzero.csv'), Buffer.from(randomBytes(200_000).map((b) => b || 1))),
    code: 1,
    error: /no VIN column|no line break|not valid UTF-8|not a CSV/,
  },
  { name: 'an empty file', make: (d) => write(path.join(d, 'empty.csv'), ''), code: 1, error: /is empty/ },
  {
    name: 'only blank lines',
    make: (d) => write(path.join(d, 'blank.csv'), '\n \r\n\t\n'),
    code: 1,
    error: /no header row/,
  },
  {
    name: 'malformed rows: short, long, stray quote, repeated header, blank cells, quote never closed',
    make: () => path.join(FIXTURES, 'malformed.csv'),
    code: 0,
    result: { rowsRead: 9, rowsImported: 3, rowsRejected: 6 },
  },
  {
    name: 'a 10 MB line (one model name)',
    make: (d) =>
      write(
        path.join(d, 'long-line.csv'),
        `${HEADER}\n${row(makeVin(302, '2HGFC2F5'), 'x'.repeat(10 * MB))}\n${row(makeVin(303, '2HGFC2F5'))}\n`,
      ),
    code: 0,
    result: { rowsRead: 2, rowsImported: 2 },
    maxMs: 60_000,
  },
  {
    name: 'a 17 MB line with no line break',
    make: (d) => write(path.join(d, 'no-break.csv'), 'a,'.repeat(Math.ceil((17 * MB) / 2))),
    code: 1,
    error: /no line break in the first 16 MB/,
    maxMs: 60_000,
  },
  {
    name: 'a million columns',
    make: (d) => {
      const n = 1_000_000;
      const cols = Array.from({ length: n }, (_, i) => `c${i}`);
      return write(path.join(d, 'wide.csv'), `${cols.join(',')}\n${cols.map(() => 'x').join(',')}\n`);
    },
    code: 1,
    error: /no VIN column.*and 999950 more/s,
    maxMs: 60_000,
  },
  {
    name: 'Windows-1252 (latin1) text',
    make: (d) => write(path.join(d, 'latin1.csv'), Buffer.from(latinText, 'latin1')),
    code: 0,
    result: { rowsImported: 1, encoding: 'windows-1252' },
  },
  {
    name: 'UTF-16 LE with a byte-order mark (Excel "Unicode Text")',
    make: (d) =>
      write(path.join(d, 'utf16le-bom.csv'), Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le(latinText)])),
    code: 1,
    error: /is UTF-16 text/,
  },
  {
    name: 'UTF-16 BE with a byte-order mark',
    make: (d) => {
      const be = utf16le(latinText);
      for (let i = 0; i < be.length; i += 2) [be[i], be[i + 1]] = [be[i + 1]!, be[i]!];
      return write(path.join(d, 'utf16be-bom.csv'), Buffer.concat([Buffer.from([0xfe, 0xff]), be]));
    },
    code: 1,
    error: /is UTF-16 text/,
  },
  {
    name: 'UTF-16 LE without a byte-order mark',
    make: (d) => write(path.join(d, 'utf16le.csv'), utf16le(latinText)),
    code: 1,
    error: /is UTF-16 text/,
  },
  {
    name: 'SQL and paths as dealership names, SQL in VINs and stock numbers',
    make: () => path.join(FIXTURES, 'injection.csv'),
    code: 0,
    result: { rowsRead: 13, rowsImported: 10, rowsRejected: 3 },
  },
  {
    name: 'formula cells',
    make: () => path.join(FIXTURES, 'formulas.csv'),
    code: 0,
    result: { rowsImported: 3 },
  },
  {
    name: 'markup in model names',
    make: () => path.join(FIXTURES, 'markup.csv'),
    code: 0,
    result: { rowsImported: 3 },
  },
];

describe('hostile input files', () => {
  let t: TestEnv;
  let corpus: string;
  let before: Record<string, number>;
  beforeAll(async () => {
    t = await createTestEnv('server');
    corpus = path.join(t.dir, 'corpus');
    mkdirSync(corpus);
    expect((await runCli(['status'], { env: t.env })).code).toBe(0);
    before = await withDb(t.env, tableCounts);
  });
  afterAll(async () => t?.cleanup());

  it.each(CASES)('import: $name', async (c) => {
    const file = c.make(corpus);
    const started = Date.now();
    const r = await runCli(['import', file, '--json', '--force'], { env: t.env, timeoutMs: 120_000 });
    const ms = Date.now() - started;
    expectCleanError(r.stderr, c.name);
    expect(r.code, r.stderr.slice(0, 2000)).toBe(c.code);
    // A clear error is a short one, whatever the input held.
    expect(r.stderr.length).toBeLessThan(8000);
    if (c.error) expect(r.stderr).toMatch(c.error);
    if (c.result) {
      const j = JSON.parse(r.stdout);
      const { encoding, ...counts } = c.result;
      expect(j).toMatchObject(counts);
      if (encoding) expect(j.files[0].encoding).toBe(encoding);
    }
    if (c.maxMs) expect(ms).toBeLessThan(c.maxMs);
  });

  it('the tables are intact after the corpus: none dropped, none emptied, and names were stored as text', async () => {
    await withDb(t.env, async (db) => {
      const after = await tableCounts(db);
      expect(Object.keys(after)).toEqual(Object.keys(before));
      expect(after.dealerships).toBeGreaterThanOrEqual(before.dealerships!);
      expect(after.vehicles).toBeGreaterThan(0);
      const names = (await db.query<{ name: string }>('SELECT name FROM dealerships ORDER BY name')).rows.map(
        (r) => r.name,
      );
      expect(names).toContain("Robert'); DROP TABLE vehicles;--");
      expect(names).toContain("x' OR '1'='1");
      const latin = (
        await db.query<{ trim: string }>(`SELECT trim FROM vehicles WHERE vin = $1`, [
          makeVin(301, '2HGFC2F5'),
        ])
      ).rows[0];
      expect(latin?.trim).toBe('Sport \u00c9dition Ni\u00f1o');
    });
  });

  it('orders for dealerships named with SQL, paths and device names stay inside the orders folder', async () => {
    const names = [
      "Robert'); DROP TABLE vehicles;--",
      "x' OR '1'='1",
      "Spirit Lexus'; DELETE FROM vin_log WHERE ''='",
      '../../../../tmp/silverfox-pwned',
      '/etc/cron.d/silverfox-pwned',
      'CON',
      'NUL',
      'AUX',
      'C:\\Windows\\System32\\drivers',
    ];
    for (const name of names) {
      const r = await runCli(['cao', name, '--yes', '--json'], { env: t.env });
      expectCleanError(r.stderr, `cao ${name}`);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      expect(JSON.parse(r.stdout).results[0].status).toBe('ordered');
    }
    const folders = readdirSync(t.env.SILVERFOX_ORDERS_DIR!).filter((f) => !f.startsWith('.'));
    expect(folders).toHaveLength(names.length);
    expectOrdersInside(t.env.SILVERFOX_ORDERS_DIR!);
    for (const p of [
      '/tmp/silverfox-pwned',
      '/etc/cron.d/silverfox-pwned',
      path.join(t.dir, '..', 'silverfox-pwned'),
    ])
      expect(existsSync(p), p).toBe(false);
    // The registry too: `dealers add` writes the database only (no file named after the dealership).
    const added = await runCli(['dealers', 'add', '../../../../tmp/silverfox-pwned-registry', '--json'], {
      env: t.env,
    });
    expectCleanError(added.stderr);
    expect(existsSync('/tmp/silverfox-pwned-registry.json')).toBe(false);
    const top = readdirSync(t.dir).sort();
    expect(top).toEqual(['corpus', 'logs', 'orders', 'registry'].sort());
    for (const f of walk(t.env.SILVERFOX_REGISTRY_DIR!))
      expect(path.basename(f)).toMatch(/^[a-z0-9_]+\.json$/);
  });

  it('order CSV and billing sheet: no cell a spreadsheet would run as a formula', async () => {
    // One snapshot with both: each import replaces the dealership's active snapshot.
    const files = ['formulas.csv', 'markup.csv'].map((f) => path.join(FIXTURES, f));
    expect((await runCli(['import', ...files, '--force'], { env: t.env })).code).toBe(0);
    const r = await runCli(['cao', 'Columbia Honda', '--yes', '--json'], { env: t.env });
    expect(r.code, r.stderr).toBe(0);
    const folder = JSON.parse(r.stdout).results[0].folder as string;
    const csvs = readdirSync(folder).filter((f) => f.endsWith('.csv'));
    expect(csvs.length).toBeGreaterThanOrEqual(2);
    let cells = 0;
    for (const f of csvs) {
      const parsed = Papa.parse<string[]>(readFileSync(path.join(folder, f), 'latin1'), {
        skipEmptyLines: true,
      });
      for (const cell of parsed.data.slice(1).flat()) {
        cells++;
        expect(cell, `${f}: ${JSON.stringify(cell)}`).not.toMatch(/^[=+@\t\r]|^-(?![0-9][0-9.,]*$)./);
      }
    }
    expect(cells).toBeGreaterThan(20);
    const text = csvs.map((f) => readFileSync(path.join(folder, f), 'latin1')).join('\n');
    // The payloads are there, as text.
    expect(text).toContain(`'=cmd|' /C calc'!A0`);
    expect(text).toContain(`'-2+3+cmd|' /C notepad'!A0`);
    expect(text).toContain('<script>');
  });

  it('a huge, dirty VIN list: 20,000 entries of junk, SQL, duplicates and lowercase orders each vehicle once', async () => {
    const honda = await withDb(t.env, async (db) =>
      (
        await db.query<{ vin: string }>(
          `SELECT v.vin FROM vehicles v JOIN snapshots s ON s.id = v.snapshot_id JOIN dealerships d ON d.id = s.dealership_id
           WHERE d.name = 'Columbia Honda' AND s.status = 'active' ORDER BY v.vin`,
        )
      ).rows.map((x) => x.vin),
    );
    expect(honda.length).toBeGreaterThan(0);
    const junk = [
      "' OR '1'='1",
      "'; DROP TABLE vin_log; --",
      '../../etc/passwd',
      '\u0000',
      'x'.repeat(5000),
      '=cmd|x',
      '\u00e9\u00e9\u00e9',
    ];
    const entries: string[] = [];
    for (let i = 0; entries.length < 20_000; i++) {
      entries.push(junk[i % junk.length]!);
      const v = honda[i % honda.length]!;
      entries.push(i % 3 === 0 ? v.toLowerCase() : i % 3 === 1 ? ` ${v} ` : v);
    }
    const started = Date.now();
    const r = await runCli(['list', 'Columbia Honda', '-', '--json', '--update-vin-log', '--yes'], {
      env: t.env,
      input: entries.join('\n'),
      timeoutMs: 120_000,
    });
    expectCleanError(r.stderr, 'list with 20,000 dirty entries');
    expect([0, 3]).toContain(r.code);
    const j = JSON.parse(r.stdout);
    expect(j.vehicleCount ?? j.vehicles?.length).toBe(honda.length);
    expect(Date.now() - started).toBeLessThan(60_000);
    await withDb(t.env, async (db) => {
      const twice = await count(
        db,
        `SELECT count(*)::int AS n FROM (SELECT order_id, vin FROM order_vehicles GROUP BY 1, 2 HAVING count(*) > 1) x`,
      );
      expect(twice).toBe(0);
    });
  });

  it('SQL, paths and oversized values in arguments and flags are refused clearly, and change nothing', async () => {
    const snapshot = await withDb(t.env, tableCounts);
    const attempts: [string[], number, RegExp][] = [
      [['orders', 'show', '1; DROP TABLE orders'], 2, /is not an order id/],
      [['orders', 'list', '--since', "1d'; DROP TABLE orders;--"], 2, /--since expects/],
      [['vinlog', 'show', "' OR '1'='1"], 2, /VIN/],
      [['vinlog', 'show', 'A'.repeat(100_000)], 2, /VIN/],
      [['cao', "x'; DROP TABLE vin_log;--", '--yes'], 1, /no dealership|unknown|not found|matches no/i],
      [
        ['list', 'Columbia Honda', makeVin(9, '2HGFC2F5'), '--template', '../../../../etc/passwd', '--yes'],
        1,
        /unknown template/,
      ],
      [['logs', '--since', "'; DROP TABLE imports;--"], 2, /--since/],
      [['orders', 'void', '0 OR 1=1', '--yes'], 2, /is not an order id/],
      [
        ['dealers', 'set', 'Columbia Honda', '--setting', 'min_price=0; DROP TABLE dealerships'],
        1,
        /min_price/,
      ],
      [
        ['import', path.join(t.dir, 'no-such', '..', '..', 'etc', 'passwd')],
        1,
        /does not exist|cannot be read/,
      ],
    ];
    for (const [args, code, message] of attempts) {
      const r = await runCli(args, { env: t.env });
      const what = args.join(' ').slice(0, 80);
      expectCleanError(r.stderr, what);
      expect(r.code, `${what}: ${r.stderr}`).toBe(code);
      expect(r.stderr, what).toMatch(message);
    }
    expect(await withDb(t.env, tableCounts)).toEqual(snapshot);
  });
});
