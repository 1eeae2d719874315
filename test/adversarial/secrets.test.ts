/**
 * Secrets never leave: the database password (a real one: a private PostgreSQL 15 cluster with
 * scram-sha-256) and portal credentials, given in the environment, in `.env` and in flags, do not
 * appear on stdout or stderr of any command (results, `--json`, `status`, `doctor`, errors, with
 * --verbose too), nor in any file under SILVERFOX_LOG_DIR (run logs, import reports, rejects) or
 * in the orders folder.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSuiteEnabled } from '../helpers/browser.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { ROOT } from '../helpers/env.js';
import { freePort, startPrivateCluster, type PrivateCluster } from '../reliability/helpers/private-pg.js';
import { vins, writeFeed } from '../reliability/helpers/fleet.js';
import { expectCleanError, walk } from './helpers.js';

const DB_PASSWORD = 'Db-Pa55-quartz-7731';
const PORTAL_USER = 'portal-user-heron-5512';
const PORTAL_PASSWORD = 'Portal-Pa55-lynx-9043';
const SECRETS = [DB_PASSWORD, encodeURIComponent(DB_PASSWORD), PORTAL_USER, PORTAL_PASSWORD];

function expectNoSecret(text: string, where: string): void {
  for (const s of SECRETS)
    expect(text.includes(s), `${where} shows a secret:\n${text.slice(0, 3000)}`).toBe(false);
}

describe('secrets', () => {
  let cluster: PrivateCluster;
  let dir: string;
  let env: Record<string, string>;
  const outputs: [string, CliResult][] = [];
  const run = async (args: string[], extra: Record<string, string> = {}, opts: { input?: string } = {}) => {
    const r = await runCli(args, {
      env: { ...env, ...extra },
      cwd: dir,
      input: opts.input,
      timeoutMs: 120_000,
    });
    outputs.push([args.join(' '), r]);
    return r;
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'silverfox-secrets-'));
    cluster = await startPrivateCluster({ password: DB_PASSWORD });
    const url = await cluster.createDatabase('sf_secrets');
    env = {
      DATABASE_URL: url,
      SILVERFOX_ORDERS_DIR: path.join(dir, 'orders'),
      SILVERFOX_LOG_DIR: path.join(dir, 'logs'),
      SILVERFOX_REGISTRY_DIR: path.join(ROOT, 'scrapers'),
      SILVERFOX_PORTALS_DIR: path.join(dir, 'portals'),
      SILVERFOX_DB_CONNECT_TIMEOUT_MS: '1500',
      // Named by the portal config; the password comes from .env below.
      SECRET_PORTAL_USER: PORTAL_USER,
    };
    writeFileSync(path.join(dir, '.env'), `SECRET_PORTAL_PASSWORD=${PORTAL_PASSWORD}\n`);
  });
  afterAll(() => {
    cluster?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every command, its results, errors and logs keep the database password and portal credentials to themselves', async () => {
    const feed = writeFeed(path.join(dir, 'inventory.csv'), [
      ...vins(5, 910_000).map((vin) => ({ dealer: 'Columbia Honda', vin })),
      { dealer: 'Columbia Honda', vin: 'NOT-A-VIN' },
    ]);
    const ok = async (args: string[], extra: Record<string, string> = {}) => {
      const r = await run(args, extra);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r;
    };
    await ok(['status']);
    await ok(['status', '--json']);
    await ok(['import', feed, '--json']);
    await ok(['cao', 'Columbia Honda', '--yes', '--json']);
    await ok(['orders', 'list', '--json']);
    await ok(['orders', 'show', '1', '--json']);
    await ok(['dealers', 'show', 'Columbia Honda', '--json']);
    await ok(['vinlog', 'show', vins(1, 910_000)[0]!, '--json']);
    // The URL in a flag instead of the environment.
    await ok(['--db', env.DATABASE_URL!, 'status', '--json'], { DATABASE_URL: '' });
    await ok(['--db', env.DATABASE_URL!, 'cao', 'Columbia Honda', '--yes', '--verbose'], {
      DATABASE_URL: '',
    });
    // The URL in .env instead of the environment.
    writeFileSync(
      path.join(dir, '.env'),
      `SECRET_PORTAL_PASSWORD=${PORTAL_PASSWORD}\nDATABASE_URL=${env.DATABASE_URL}\n`,
    );
    await ok(['status', '--json'], { DATABASE_URL: '' });
    const doctor = await run(['doctor']);
    expect([0, 1]).toContain(doctor.code);
    await run(['doctor', '--json']);

    // Failures: a wrong password, a server that is not there, a stopped server; --verbose prints causes.
    const wrong = env.DATABASE_URL!.replace(
      encodeURIComponent(DB_PASSWORD),
      `${encodeURIComponent(DB_PASSWORD)}x`,
    );
    for (const args of [['status'], ['cao', 'Columbia Honda', '--yes', '--json'], ['status', '--verbose']]) {
      const r = await run(args, { DATABASE_URL: wrong });
      expect(r.code).toBe(1);
      // --verbose may show the cause's stack (DESIGN: stack traces only with --verbose), never the secret.
      if (!args.includes('--verbose')) expectCleanError(r.stderr, `${args.join(' ')} with a wrong password`);
      expect(r.stderr).toMatch(/password authentication failed|cannot connect/);
    }
    const port = await freePort();
    const nowhere = env.DATABASE_URL!.replace(`:${cluster.port}/`, `:${port}/`);
    const gone = await run(['status', '--verbose'], { DATABASE_URL: nowhere });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('postgres://postgres:****@');
    cluster.stop('fast');
    try {
      const down = await run(['cao', 'Columbia Honda', '--yes', '--verbose']);
      expect(down.code).toBe(1);
      const bad = await run(['--db', env.DATABASE_URL!, 'import', feed, '--force', '--verbose'], {
        DATABASE_URL: '',
      });
      expect(bad.code).toBe(1);
    } finally {
      cluster.start();
    }
    // The run log, read back through the CLI.
    await ok(['logs', '--json']);
    await ok(['logs', '--errors']);

    for (const [what, r] of outputs) {
      expectNoSecret(r.stdout, `stdout of ${what}`);
      expectNoSecret(r.stderr, `stderr of ${what}`);
    }
    const files = [...walk(path.join(dir, 'logs')), ...walk(path.join(dir, 'orders'))].filter((f) =>
      /\.(jsonl|json|csv|txt|log)$/.test(f),
    );
    expect(files.some((f) => f.endsWith('.jsonl'))).toBe(true);
    for (const f of files) expectNoSecret(readFileSync(f, 'utf8'), f);
  });

  it.runIf(browserSuiteEnabled())(
    'a portal login that fails names the variables, never their values',
    async () => {
      const portals = path.join(dir, 'portals');
      const port = await freePort();
      const config = JSON.parse(readFileSync(path.join(ROOT, 'portals/example-portal.json'), 'utf8'));
      config.name = 'closed';
      config.base_url = `http://127.0.0.1:${port}`;
      config.credentials = { username_env: 'SECRET_PORTAL_USER', password_env: 'SECRET_PORTAL_PASSWORD' };
      rmSync(portals, { recursive: true, force: true });
      mkdirSync(portals, { recursive: true });
      writeFileSync(path.join(portals, 'closed.json'), JSON.stringify(config));
      const r = await run([
        'stickers',
        '1',
        '--portal',
        'closed',
        '--json',
        '--timeout',
        '10s',
        '--retries',
        '0',
        '--verbose',
      ]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/SECRET_PORTAL_USER|SECRET_PORTAL_PASSWORD|login|portal/i);
      expectNoSecret(r.stdout, 'stickers stdout');
      expectNoSecret(r.stderr, 'stickers stderr');
      for (const f of walk(dir).filter((x) => /\.(jsonl|json|csv|txt|log)$/.test(x)))
        expectNoSecret(readFileSync(f, 'utf8'), f);
    },
  );
});
