/**
 * Issue 14 from the built binary: nothing is written into the install (a read-only copy of the
 * package runs), two installs on one server database keep each other's changes, and
 * `dealers set --unset`, `history`, `import` and `export` work as documented.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { ROOT } from '../helpers/env.js';

/** Every file under `dir` with its size, mode and content hash (node_modules is a symlink, not followed). */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (name === 'node_modules') continue;
      if (st?.isDirectory()) {
        out[path.relative(dir, p) + '/'] = st.mode.toString(8);
        walk(p);
      } else if (st) {
        out[path.relative(dir, p)] =
          `${st.size} ${st.mode.toString(8)} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
      }
    }
  };
  walk(dir);
  return out;
}

function chmodTree(dir: string, writable: boolean) {
  const walk = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) for (const n of readdirSync(p)) if (n !== 'node_modules') walk(path.join(p, n));
    chmodSync(p, writable ? st.mode | 0o200 : st.mode & ~0o222);
  };
  walk(dir);
}

describe('a read-only copy of the package', () => {
  let tmp: string;
  let pkg: string;
  let env: Record<string, string>;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'silverfox-readonly-'));
    pkg = path.join(tmp, 'pkg');
    mkdirSync(pkg);
    for (const p of ['bin', 'dist', 'sql', 'scrapers', 'samples', 'templates', 'portals', 'package.json'])
      cpSync(path.join(ROOT, p), path.join(pkg, p), { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'));
    chmodTree(pkg, false);
    const work = path.join(tmp, 'work');
    mkdirSync(work);
    // No SILVERFOX_REGISTRY_DIR: the registry is the package's own scrapers/.
    env = {
      SILVERFOX_DATA_DIR: path.join(work, 'data'),
      SILVERFOX_ORDERS_DIR: path.join(work, 'orders'),
      SILVERFOX_LOG_DIR: path.join(work, 'logs'),
      DATABASE_URL: '',
      CHROMIUM_PATH: '/bin/true',
    };
  });
  afterAll(() => {
    if (pkg) chmodTree(pkg, true);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('runs dealers set/show/history/export/import, status, doctor and cao --dry-run, and changes nothing in it', async () => {
    const before = tree(pkg);
    const bin = path.join(pkg, 'bin', 'silverfox.js');
    const run = (args: string[]) => runCli(args, { env, cwd: path.join(tmp, 'work'), bin });
    const set = await run(['dealers', 'set', 'Columbia Honda', '--setting', 'min_price=5000', '--json']);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout).settings.min_price).toEqual({ value: 5000, source: 'set', default: null });
    for (const args of [
      ['dealers', 'show', 'Columbia Honda'],
      ['dealers', 'history', 'Columbia Honda'],
      ['dealers', 'export', path.join(tmp, 'exported')],
      ['status'],
      ['cao', 'Columbia Honda', '--dry-run'],
    ]) {
      const r = await run(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    // The shipped file differs from the database now: import shows it and needs --yes.
    const imp = await run(['dealers', 'import']);
    expect(imp.code).toBe(2);
    expect(imp.stdout).toContain('settings.min_price: 5000 -> (absent)');
    const doctor = await run(['doctor', '--json']);
    const checks = JSON.parse(doctor.stdout).checks as { name: string; status: string }[];
    expect(
      checks.filter((c) => ['registry', 'settings', 'scrapers'].includes(c.name)).map((c) => c.status),
    ).toEqual(['ok', 'ok', expect.stringMatching(/ok|fail/)]);
    expect(tree(pkg)).toEqual(before);
  });
});

describe.each(DATABASE_KINDS)('two installs on one %s database', (kind) => {
  let t: TestEnv;
  let envA: Record<string, string>;
  let envB: Record<string, string>;
  beforeAll(async () => {
    t = await createTestEnv(kind);
    // Two installs: each its own copy of the shipped registry (and, on a server, its own folders).
    const installB = path.join(t.dir, 'install-b');
    cpSync(path.join(ROOT, 'scrapers'), path.join(installB, 'registry'), { recursive: true });
    envA = t.env;
    envB = {
      ...t.env,
      SILVERFOX_REGISTRY_DIR: path.join(installB, 'registry'),
      ...(kind === 'server'
        ? {
            SILVERFOX_LOG_DIR: path.join(installB, 'logs'),
            SILVERFOX_ORDERS_DIR: path.join(installB, 'orders'),
          }
        : {}),
    };
  });
  afterAll(async () => t?.cleanup());

  const settingsOf = async (env: Record<string, string>) => {
    const r = await runCli(['dealers', 'show', 'Columbia Honda', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout).stored_settings as Record<string, unknown>;
  };

  it("B's commands do not undo A's change (the issue's two-install report)", async () => {
    const a = await runCli(['dealers', 'set', 'Columbia Honda', '--setting', 'min_price=5000'], {
      env: envA,
    });
    expect(a.code, a.stderr).toBe(0);
    expect((await runCli(['status'], { env: envB })).code).toBe(0);
    expect(await settingsOf(envB)).toEqual({ min_price: 5000 });
    expect(await settingsOf(envA)).toEqual({ min_price: 5000 });
  });

  it('different settings changed at once are both kept; the same one: the later wins and history shows both', async () => {
    const at = (env: Record<string, string>, ...setting: string[]) =>
      runCli(['dealers', 'set', 'Columbia Honda', ...setting.flatMap((s) => ['--setting', s])], { env });
    // On the embedded database a second process gets "in use": run them one after the other there.
    const both = async (x: () => ReturnType<typeof at>, y: () => ReturnType<typeof at>) =>
      kind === 'server' ? Promise.all([x(), y()]) : [await x(), await y()];
    for (let round = 0; round < 3; round++) {
      const [r1, r2] = await both(
        () => at(envA, `max_price=${90_000 + round}`),
        () => at(envB, `min_year=${2010 + round}`),
      );
      expect([r1.code, r2.code], `${r1.stderr}${r2.stderr}`).toEqual([0, 0]);
      expect(await settingsOf(envA)).toMatchObject({ max_price: 90_000 + round, min_year: 2010 + round });
    }
    const first = await at(envA, 'recent_days=3');
    const second = await at(envB, 'recent_days=5');
    expect([first.code, second.code]).toEqual([0, 0]);
    expect((await settingsOf(envA)).recent_days).toBe(5);
    const h = await runCli(['dealers', 'history', 'Columbia Honda', '--json'], { env: envA });
    const recent = (
      JSON.parse(h.stdout) as { field: string; old_value: unknown; new_value: unknown }[]
    ).filter((c) => c.field === 'settings.recent_days');
    expect(recent.map((c) => [c.old_value, c.new_value])).toEqual([
      [null, 3],
      [3, 5],
    ]);
  });
});

describe('two installs on one server database, four processes at the same moment', () => {
  let t: TestEnv;
  let envA: Record<string, string>;
  let envB: Record<string, string>;
  beforeAll(async () => {
    t = await createTestEnv('server');
    envA = t.env;
    envB = {
      ...t.env,
      SILVERFOX_LOG_DIR: path.join(t.dir, 'logs-b'),
      SILVERFOX_ORDERS_DIR: path.join(t.dir, 'orders-b'),
    };
  });
  afterAll(async () => t?.cleanup());

  it('each keeps its own setting', async () => {
    const keys = ['require_stock', 'require_price', 'split_new_used', 'allow_off_lot'];
    const runs = await Promise.all(
      keys.map((k, i) =>
        runCli(['dealers', 'set', 'Spirit Lexus', '--setting', `${k}=true`], { env: i % 2 ? envB : envA }),
      ),
    );
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const r = await runCli(['dealers', 'show', 'Spirit Lexus', '--json'], { env: envA });
    expect(JSON.parse(r.stdout).stored_settings).toEqual(Object.fromEntries(keys.map((k) => [k, true])));
  });
});

describe('dealers set --unset, history, import and export from the binary', () => {
  let t: TestEnv;
  beforeAll(async () => {
    t = await createTestEnv('embedded');
  });
  afterAll(async () => t?.cleanup());

  it('--unset returns to the default; show marks set and default in text and JSON', async () => {
    const env = t.env;
    expect((await runCli(['dealers', 'set', 'HW Kia', '--setting', 'template=flyout'], { env })).code).toBe(
      0,
    );
    let show = await runCli(['dealers', 'show', 'h&w kia'], { env });
    expect(show.stdout).toMatch(/^ {4}template +flyout \(set; default standard\)$/m);
    expect(show.stdout).toMatch(/^ {4}min_price +- \(default\)$/m);
    expect(show.stdout).toMatch(/^ {4}tuesday,thursday: cao flyout used \(priority 80\)$/m);
    const unset = await runCli(['dealers', 'set', 'HW Kia', '--unset', 'template', '--json'], { env });
    expect(unset.code, unset.stderr).toBe(0);
    expect(JSON.parse(unset.stdout).settings.template).toEqual({
      value: 'standard',
      source: 'default',
      default: 'standard',
    });
    show = await runCli(['dealers', 'show', 'h&w kia'], { env });
    expect(show.stdout).toMatch(/^ {4}template +standard \(default\)$/m);
    const bad = await runCli(['dealers', 'set', 'HW Kia', '--setting', 'drop_guard_ratio=2'], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('drop_guard_ratio: "2" is not allowed (a number from 0 to 1 (0: off))');

    const h = await runCli(['dealers', 'history', 'HW Kia'], { env });
    expect(h.code).toBe(0);
    const lines = h.stdout.split('\n');
    expect(lines.find((l) => l.includes('settings.template: (absent) -> "flyout"'))).toContain(
      `${os.userInfo().username}@${os.hostname()}`,
    );
    expect(lines.find((l) => l.includes('settings.template: "flyout" -> (absent)'))).toContain(
      '[unset: silverfox dealers set "HW Kia" --unset template --json]',
    );
  });

  it('export then import shows no change; an edited file is a diff that needs --yes, then applies', async () => {
    const env = t.env;
    const dir = path.join(t.dir, 'exported');
    const ex = await runCli(['dealers', 'export', dir], { env });
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.stdout).toContain(`exported 40 dealerships to ${dir}`);
    const same = await runCli(['dealers', 'import', dir], { env });
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toContain('nothing to import');

    const f = path.join(dir, 'pundmann_ford.json');
    writeFileSync(f, JSON.stringify({ ...JSON.parse(readFileSync(f, 'utf8')), settings: { min_price: 1 } }));
    const asked = await runCli(['dealers', 'import', f], { env });
    expect(asked.code).toBe(2);
    expect(asked.stdout).toContain(
      '~ Pundmann Ford (pundmann_ford.json)\n    settings.min_price: (absent) -> 1',
    );
    expect(asked.stderr).toContain('add --yes');
    const yes = await runCli(['dealers', 'import', f, '--yes', '--json'], { env });
    expect(yes.code, yes.stderr).toBe(0);
    expect(JSON.parse(yes.stdout)).toMatchObject({
      applied: true,
      changed: [{ dealership: 'Pundmann Ford' }],
    });
    const h = await runCli(['dealers', 'history', 'pundmann ford', '--json'], { env });
    expect((JSON.parse(h.stdout) as { source: string }[]).at(-1)!.source).toBe('import');
  });

  it('orders show names the settings the order ran with', async () => {
    const env = t.env;
    const demo = await runCli(['demo', '--json'], { env });
    expect(demo.code, demo.stderr).toBe(0);
    const [order] = JSON.parse((await runCli(['orders', 'list', '--json'], { env })).stdout) as {
      id: number;
      dealershipName: string;
    }[];
    // Changed after the order: the order still names what it ran with.
    const set = await runCli(['dealers', 'set', order!.dealershipName, '--setting', 'template=flyout'], {
      env,
    });
    expect(set.code, set.stderr).toBe(0);
    const show = await runCli(['orders', 'show', String(order!.id)], { env });
    expect(show.stdout).toMatch(
      /^ {2}settings: {2}vehicle_types=new,used \(default\); template=standard \(default\); every other setting its default$/m,
    );
  });
});
