/**
 * The wizard driven through a real pseudo-terminal (tmux): keys in, screen out, then the order
 * folder and the database checked. Needs the built binary (npm run build) and tmux.
 */
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { importFiles } from '../../src/app/import.js';
import { runCli } from '../helpers/cli.js';
import { createTestEnv, type TestEnv } from '../helpers/databases.js';
import { makeVin } from '../helpers/inventory.js';
import { Terminal } from '../helpers/tmux.js';

const VINS = Array.from({ length: 5 }, (_, i) => makeVin(i + 1, '1HGCV1F3'));
const STOCKS = VINS.map((_, i) => `WZ10${i + 1}`);
const MODELS = ['Accord', 'Civic', 'Pilot', 'CR-V', 'Odyssey'];

/** A small inventory feed for Columbia Honda (its dealership column names it). */
function writeInventory(dir: string): string {
  const file = path.join(dir, 'columbia.csv');
  const rows = VINS.map(
    (v, i) =>
      `${v},${STOCKS[i]},2024,Honda,${MODELS[i]},New,In Stock,${30_000 + i * 1000},Columbia Honda,https://dealer.example/vdp/${v}`,
  );
  writeFileSync(
    file,
    ['VIN,Stock,Year,Make,Model,Condition,Status,Price,Dealership,Vehicle URL', ...rows].join('\n'),
  );
  return file;
}

const ascii = (s: string) => /^[\x20-\x7e\n]*$/.test(s);

describe('the wizard at a terminal (embedded database)', () => {
  let t: TestEnv;
  let term: Terminal | undefined;
  const query = async <T>(sql: string, params: unknown[] = []) => {
    const ctx = await t.open();
    try {
      return (await ctx.db.query<T & Record<string, unknown>>(sql, params)).rows;
    } finally {
      await ctx.db.close();
    }
  };
  const folders = () =>
    existsSync(t.config.ordersDir) ? readdirSync(t.config.ordersDir).filter((f) => !f.startsWith('.')) : [];

  beforeAll(async () => {
    t = await createTestEnv('embedded');
  });
  afterEach(() => {
    term?.close();
    term = undefined;
  });
  afterAll(async () => t?.cleanup());

  /** The inventory in place through the app (a no-op when the first test imported it already). */
  async function ensureInventory() {
    const ctx = await t.open();
    try {
      await importFiles(ctx, { files: [writeInventory(t.dir)] });
    } finally {
      await ctx.db.close();
    }
  }

  /** Picks the dealership at a type-to-search prompt, once the typed name is highlighted. */
  async function pick(tty: Terminal, text: string, name: string) {
    tty.type(text);
    await tty.waitFor(new RegExp(`^> (\\[ \\]  )?${name} `, 'm'));
    tty.keys('Enter');
  }

  it('imports a CSV, then a CAO order: preview with reasons, one vehicle left out, one edited, the folder', async () => {
    const csv = writeInventory(t.dir);
    term = Terminal.start([], t.env); // no arguments at a terminal: the wizard
    const tty = term;
    await tty.waitFor(/^\? What do you want to do\?/m);

    // Import through the wizard.
    tty.keys('Down', 'Down', 'Enter');
    await tty.waitFor('? CSV file to import');
    tty.type('no-such-file.csv');
    tty.keys('Enter');
    await tty.waitFor('no-such-file.csv does not exist');
    tty.keys('C-u');
    tty.type(csv);
    tty.keys('Enter');
    await tty.waitFor(/^\? Which dealership do the rows belong to\?/m);
    tty.keys('Enter');
    await tty.waitFor(/^\? Import .*columbia\.csv\?/m);
    tty.keys('Enter');
    await tty.waitFor('5 rows read, 5 imported, 0 rejected');
    await tty.waitFor(/^\? What do you want to do\?/m);

    // CAO: the queue first (whatever the registry schedules today), then dealerships by name.
    tty.keys('Enter');
    let s = await tty.waitFor(/^\? CAO order:/m);
    expect(s).toMatch(/queue of \d{4}-\d{2}-\d{2}/);
    if (/^> Run today's queue/m.test(s)) tty.keys('Down');
    tty.keys('Enter');
    await tty.waitFor(/^\? Dealerships to order for \(type to search; Enter adds or removes; 0 chosen\)/m);
    await pick(tty, 'columbia h', 'Columbia Honda');
    s = await tty.waitFor(/^> -> Continue with Columbia Honda/m);
    expect(s).toMatch(/\[x\] {2}Columbia Honda\s+snapshot 0\.\dh\s+VIN log 0/);
    tty.keys('Enter');

    s = await tty.waitFor(/^\? Vehicles to order for Columbia Honda/m);
    const shown = tty.transcript();
    expect(shown).toContain('Columbia Honda: 5 vehicle(s) to order (standard template)');
    for (const v of VINS) expect(shown).toMatch(new RegExp(`${v} .*\\| new +\\| never ordered here`));
    expect(shown).toContain('would order 5 of 5 active vehicles');
    expect(s).toMatch(new RegExp(`^>\\[x\\] ${VINS[0]}  ${STOCKS[0]} +2024 Honda Accord`, 'm'));
    tty.keys('Space', 'Enter'); // leave the first one out
    await tty.waitFor(/^ok Vehicles to order for Columbia Honda .* 4 of 5$/m);

    // The manual data editor: find the Pilot by its stock number, change its model.
    await tty.waitFor(/^\? Change a vehicle's fields for this order\?/m);
    tty.type(STOCKS[2]!.toLowerCase());
    await tty.waitFor(new RegExp(`^> ${VINS[2]}  ${STOCKS[2]}`, 'm'));
    tty.keys('Enter');
    await tty.waitFor(new RegExp(`^\\? Field of ${VINS[2]} to change:`, 'm'));
    tty.keys('Down', 'Down', 'Down');
    await tty.waitFor(/^> model +Pilot$/m);
    tty.keys('Enter');
    await tty.waitFor(/^\? New model \(empty clears it\):/m);
    tty.type('Pilot Elite Edited');
    tty.keys('Enter');
    await tty.waitFor(/^> model +Pilot Elite Edited$/m);
    tty.keys('Down', 'Down', 'Down', 'Down');
    await tty.waitFor(/^> Done with this vehicle/m);
    tty.keys('Enter');
    s = await tty.waitFor(/^> No more changes \(1 edited\)/m);
    expect(s).toMatch(new RegExp(`${VINS[2]}  ${STOCKS[2]} +2024 Honda Pilot Elite Edited .*\\(edited\\)`));
    tty.keys('Enter');

    await tty.waitFor(/^\? Order 4 for Columbia Honda \(1 left out, 1 edited\)\?/m);
    tty.keys('Enter');
    await tty.waitFor(/^\? Next\?/m);
    const folderLine = /^For the design team: (\S+)$/m.exec(tty.transcript());
    expect(folderLine).not.toBeNull();
    expect(tty.transcript()).toMatch(
      /Columbia Honda: order #1, 4 vehicles \(standard\) -> \S+columbia_honda_cao_/,
    );

    // Back to the menu, Ctrl-C there quits cleanly.
    tty.keys('Down', 'Enter');
    await tty.waitFor(/^\? What do you want to do\?/m);
    tty.keys('C-c');
    expect(await tty.exitCode()).toBe(0);
    expect(ascii(tty.transcript())).toBe(true);

    // The folder and the database say the same as the screen.
    const folder = folderLine![1]!;
    expect(folders()).toEqual([path.basename(folder)]);
    const lines = readFileSync(path.join(folder, 'columbia_honda_standard.csv'), 'utf8')
      .split('\r\n')
      .filter(Boolean);
    expect(lines).toHaveLength(5);
    expect(lines.some((l) => l.startsWith(VINS[0]!))).toBe(false);
    expect(lines.find((l) => l.startsWith(VINS[2]!))).toContain(',Pilot Elite Edited,');
    expect(readdirSync(path.join(folder, 'qr_codes'))).toHaveLength(4);
    const orders = await query<{ order_type: string; vehicle_count: number; created_by: string }>(
      'SELECT order_type, vehicle_count, created_by FROM orders',
    );
    expect(orders).toEqual([
      { order_type: 'cao', vehicle_count: 4, created_by: expect.stringContaining('(wizard)') },
    ]);
    const logged = await query<{ vin: string }>('SELECT vin FROM vin_log ORDER BY vin');
    expect(logged.map((r) => r.vin)).toEqual(VINS.slice(1).sort());
    const snapshot = await query<{ model: string }>('SELECT model FROM vehicles WHERE vin = $1', [VINS[2]]);
    expect(snapshot.map((r) => r.model)).toEqual(['Pilot']);
    // One run-log line per step, named after the wizard.
    const log = readdirSync(t.env.SILVERFOX_LOG_DIR!).find((f) => f.endsWith('.jsonl'))!;
    const commands = readFileSync(path.join(t.env.SILVERFOX_LOG_DIR!, log), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { command: string }).command);
    expect(commands).toEqual(expect.arrayContaining(['wizard import', 'wizard cao', 'wizard']));
  });

  it('a LIST order from the editor: found, placeholder and invalid shown, VIN log not written; then voided from the history', async () => {
    await ensureInventory();
    const editorInput = path.join(t.dir, 'entries.txt');
    const placeholder = makeVin(77, '5FNRL6H7');
    writeFileSync(
      editorInput,
      [VINS[0], STOCKS[1], VINS[3]!.toLowerCase(), placeholder, 'NOT-A-VIN!', VINS[0]].join('\n'),
    );
    const fakeEditor = path.join(t.dir, 'fake-editor.sh');
    writeFileSync(fakeEditor, `#!/bin/sh\ncat '${editorInput}' > "$1"\n`);
    chmodSync(fakeEditor, 0o755);
    term = Terminal.start(['wizard'], { ...t.env, EDITOR: fakeEditor, VISUAL: '' });
    const tty = term;
    await tty.waitFor(/^\? What do you want to do\?/m);
    tty.keys('Down', 'Enter');
    await tty.waitFor(/^\? Dealership of the LIST order/m);
    await pick(tty, 'columbia h', 'Columbia Honda');
    await tty.waitFor(/^\? How do you give the vehicles\?/m);
    tty.keys('Down', 'Enter');

    let s = await tty.waitFor(/^\? Write these vehicles to the VIN log of Columbia Honda\?/m);
    const shown = tty.transcript();
    expect(shown).toContain('found in the active inventory of Columbia Honda (3):');
    expect(shown).toMatch(new RegExp(`${VINS[1]} \\| ${STOCKS[1]} .*\\| ${STOCKS[1]}`));
    expect(shown).toContain('placeholders marked not_on_website (1):');
    expect(shown).toContain(`  ${placeholder}`);
    expect(shown).toContain('invalid, not ordered (1):');
    expect(shown).toMatch(/ {2}NOT-A-VIN!: /);
    expect(shown).toContain(`duplicates ignored (1): ${VINS[0]}`);
    expect(shown).toContain('6 entries: 3 found, 1 placeholder(s), 1 invalid, 1 duplicate(s)');
    expect(s).toContain('its setting says yes');
    tty.type('n');
    tty.keys('Enter');
    await tty.waitFor(
      /^\? Order 4 vehicle\(s\) for Columbia Honda \(LIST, standard template, VIN log not written\)\?/m,
    );
    tty.keys('Enter');
    await tty.waitFor(/^\? Next\?/m);
    const done =
      /LIST order #(\d+), 4 vehicle\(s\), 1 not on website \(standard; VIN log not updated\) -> (\S+)/.exec(
        tty.transcript(),
      );
    expect(done).not.toBeNull();
    const [, orderId, folder] = done!;

    // History: find the order, void it with a reason; Ctrl-C at a prompt goes back to the menu.
    tty.keys('Down', 'Enter');
    await tty.waitFor(/^\? What do you want to do\?/m);
    for (let i = 0; i < 6; i++) tty.keys('Down');
    await tty.waitFor(/^> Order history/m);
    tty.keys('Enter');
    await tty.waitFor(/^\? Order \(\d+, newest first/m);
    tty.type(`#${orderId}`);
    await tty.waitFor(new RegExp(`^> +#${orderId} .* LIST +Columbia Honda +4 vehicle\\(s\\) +complete`, 'm'));
    tty.keys('Enter');
    await tty.waitFor(new RegExp(`^\\? Order #${orderId} \\(LIST for Columbia Honda\\):`, 'm'));
    tty.keys('Down', 'Enter');
    await tty.waitFor(new RegExp(`^\\? Void order #${orderId} `, 'm'));
    tty.type('y');
    tty.keys('Enter');
    await tty.waitFor(/^\? Why/m);
    tty.type('wrong list');
    tty.keys('Enter');
    await tty.waitFor(/^\? Order \(\d+, newest first/m);
    expect(tty.transcript()).toContain(
      `voided order #${orderId} (Columbia Honda): 0 VIN-log entries removed`,
    );
    // The list under the prompt is drawn after the prompt line (a loaded CI caught it in between).
    s = await tty.waitFor(new RegExp(`^[> ] +#${orderId} .* voided`, 'm'));
    expect(s).toMatch(/^\? Order \(\d+, newest first/m);
    tty.keys('C-c');
    await tty.waitFor(/back to the menu\n\? What do you want to do\?/);
    tty.keys('C-c');
    expect(await tty.exitCode()).toBe(0);
    expect(ascii(tty.transcript())).toBe(true);

    const csvLines = readFileSync(path.join(folder!, 'columbia_honda_standard.csv'), 'utf8').split('\r\n');
    expect(csvLines.filter(Boolean)).toHaveLength(5);
    expect(csvLines.find((l) => l.startsWith(placeholder))).toBeDefined();
    const order = await query<{
      order_type: string;
      status: string;
      void_reason: string;
      vehicle_count: number;
    }>('SELECT order_type, status, void_reason, vehicle_count FROM orders WHERE id = $1', [Number(orderId)]);
    expect(order).toEqual([
      { order_type: 'list', status: 'voided', void_reason: 'wrong list', vehicle_count: 4 },
    ]);
    const listed = await query<{ vin: string }>('SELECT vin FROM vin_log WHERE order_id = $1', [
      Number(orderId),
    ]);
    expect(listed).toEqual([]);
  });

  it('Ctrl-C in the middle of a LIST order goes back to the menu and writes nothing', async () => {
    await ensureInventory();
    const before = folders();
    const countOrders = async () =>
      (await query<{ n: number }>('SELECT count(*)::int AS n FROM orders'))[0]!.n;
    const ordersBefore = await countOrders();
    term = Terminal.start(['wizard'], t.env);
    const tty = term;
    await tty.waitFor(/^\? What do you want to do\?/m);
    tty.keys('Down', 'Enter');
    await tty.waitFor(/^\? Dealership of the LIST order/m);
    await pick(tty, 'columbia', 'Columbia Honda');
    await tty.waitFor(/^\? How do you give the vehicles\?/m);
    tty.keys('Enter');
    await tty.waitFor(/^\? VINs or stock numbers: paste or type them/m);
    // A pasted list: several lines at once, several entries on a line.
    tty.type(`${VINS[1]} ${VINS[2]}\n${STOCKS[3]}\n`);
    await tty.waitFor(/^ {2}3 so far> $/m);
    tty.keys('Enter');
    await tty.waitFor(/^\? Write these vehicles to the VIN log of Columbia Honda\?/m);
    expect(tty.transcript()).toContain('3 entries: 3 found, 0 placeholder(s), 0 invalid, 0 duplicate(s)');
    // Ctrl-C at the last questions before the order: back to the menu, nothing written.
    tty.keys('C-c');
    await tty.waitFor(/back to the menu\n\? What do you want to do\?/);
    tty.keys('C-c');
    expect(await tty.exitCode()).toBe(0);
    expect(ascii(tty.transcript())).toBe(true);
    expect(folders()).toEqual(before);
    expect(await countOrders()).toBe(ordersBefore);
  });

  it('never waits for input without a terminal: wizard exits 2 saying why; no arguments print help', async () => {
    const r = await runCli(['wizard'], { env: t.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'the wizard needs a terminal to ask questions (stdin or stderr is not a terminal)',
    );
    expect(r.stderr).toContain('silverfox cao --all --yes');
    const bare = await runCli([], { env: t.env });
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('Usage: silverfox');
    expect(bare.stderr).toContain('wizard');
    // At a terminal, --json still refuses the wizard (nothing to prompt with).
    term = Terminal.start(['wizard', '--json'], t.env);
    expect(await term.exitCode()).toBe(2);
    expect(term.screen()).toContain('--json was given');
  });

  it('settings: a refused value says why and changes nothing; a good one and a template reach the database, not the package', async () => {
    term = Terminal.start(['wizard'], t.env);
    const tty = term;
    await tty.waitFor(/^\? What do you want to do\?/m);
    for (let i = 0; i < 5; i++) tty.keys('Down');
    await tty.waitFor(/^> Dealership settings/m);
    tty.keys('Enter');
    await tty.waitFor(/^\? Dealership \(type to search/m);
    await pick(tty, 'columbia h', 'Columbia Honda');
    await tty.waitFor(/^\? Change a setting of Columbia Honda:/m);
    tty.keys('Down', 'Enter');
    await tty.waitFor(/^\? min_price \(lowest price ordered/m);
    tty.type('abc');
    tty.keys('Enter');
    await tty.waitFor('nothing changed; try another value');
    expect(tty.transcript()).toMatch(
      /error: invalid dealership change\n {2}min_price: "abc" is not allowed \(a number >= 0, or none\)/,
    );
    await tty.waitFor(/^\? Change a setting of Columbia Honda:/m);
    tty.keys('Down', 'Enter');
    await tty.waitFor(/^\? min_price/m);
    tty.type('5000');
    tty.keys('Enter');
    await tty.waitFor(/^ {2}min_price +5000$/m);
    for (let i = 0; i < 11; i++) tty.keys('Down');
    await tty.waitFor(/^> template +standard/m);
    tty.keys('Enter');
    await tty.waitFor(/^\? Template:/m);
    tty.keys('Down', 'Down', 'Down');
    await tty.waitFor(/^> flyout/m);
    tty.keys('Enter');
    await tty.waitFor(/^ {2}template +flyout/m);
    tty.keys('C-c');
    await tty.waitFor(/back to the menu\n\? What do you want to do\?/);
    tty.keys('C-c');
    expect(await tty.exitCode()).toBe(0);

    const entry = JSON.parse(
      readFileSync(path.join(t.env.SILVERFOX_REGISTRY_DIR!, 'columbia_honda.json'), 'utf8'),
    ) as { settings: Record<string, unknown> };
    expect(entry.settings).toEqual({});
    const [row] = await query<{ settings: Record<string, unknown> }>(
      "SELECT settings FROM dealerships WHERE slug = 'columbia_honda'",
    );
    expect(row!.settings).toMatchObject({ min_price: 5000, template: 'flyout' });
  });
});
