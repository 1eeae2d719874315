import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { ConfigError, maskUrl } from '../../src/errors.js';

/** Folders made by tmp(), removed after the file's tests: `npm test` leaves nothing in /tmp. */
const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tmp(dotenv?: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-config-'));
  made.push(dir);
  if (dotenv !== undefined) writeFileSync(path.join(dir, '.env'), dotenv);
  return dir;
}

describe('resolveConfig', () => {
  it('uses defaults relative to the working directory', () => {
    const cwd = tmp();
    const c = resolveConfig({ env: {}, cwd });
    expect(c.databaseUrl).toBeUndefined();
    expect(c.dataDir).toBe(path.join(cwd, 'data'));
    expect(c.ordersDir).toBe(path.join(cwd, 'orders'));
    expect(c.concurrency).toBe(4);
    expect(c.sources.dataDir).toBe('default');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('flags > environment > .env > defaults', () => {
    const cwd = tmp(
      'SILVERFOX_CONCURRENCY=3\nSILVERFOX_ORDERS_DIR=/from/dotenv\nSILVERFOX_LOG_DIR=/dotenv/logs\n',
    );
    const c = resolveConfig({
      env: { SILVERFOX_CONCURRENCY: '5', SILVERFOX_ORDERS_DIR: '/from/env' },
      flags: { concurrency: 7 },
      cwd,
    });
    expect(c.concurrency).toBe(7);
    expect(c.sources.concurrency).toBe('flag');
    expect(c.ordersDir).toBe('/from/env');
    expect(c.sources.ordersDir).toBe('env');
    expect(c.logDir).toBe('/dotenv/logs');
    expect(c.sources.logDir).toBe('dotenv');
  });

  it('collects every invalid value into one error naming the variables', () => {
    let err: unknown;
    try {
      resolveConfig({ env: { SILVERFOX_CONCURRENCY: 'lots', SILVERFOX_STALE_HOURS: '-1' }, cwd: tmp() });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('SILVERFOX_CONCURRENCY');
    expect((err as Error).message).toContain('SILVERFOX_STALE_HOURS');
  });

  it('the shop time zone: SILVERFOX_TIMEZONE from the environment or .env, else the machine zone', () => {
    expect(resolveConfig({ env: { SILVERFOX_TIMEZONE: 'America/Chicago' }, cwd: tmp() }).timeZone).toBe(
      'America/Chicago',
    );
    const fromDotenv = resolveConfig({ env: {}, cwd: tmp('SILVERFOX_TIMEZONE=Pacific/Auckland\n') });
    expect(fromDotenv.timeZone).toBe('Pacific/Auckland');
    expect(fromDotenv.sources.timeZone).toBe('dotenv');
    const saved = process.env.TZ;
    process.env.TZ = 'Asia/Tokyo';
    try {
      expect(resolveConfig({ env: {}, cwd: tmp() }).timeZone).toBe('Asia/Tokyo');
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
    expect(() => resolveConfig({ env: { SILVERFOX_TIMEZONE: 'Central' }, cwd: tmp() })).toThrow(
      /SILVERFOX_TIMEZONE: not a time zone name/,
    );
  });

  it('a poisoned .env cannot inject other variables than the schema reads', () => {
    const cwd = tmp('SILVERFOX_CONCURRENCY=2\nNODE_OPTIONS=--require /tmp/evil.js\n$(rm -rf /)=1\n');
    const c = resolveConfig({ env: {}, cwd });
    expect(c.concurrency).toBe(2);
    expect(JSON.stringify(c)).not.toContain('evil');
  });
});

describe('maskUrl', () => {
  it('hides passwords', () => {
    expect(maskUrl('postgres://bob:s3cret@db.example:5432/x')).toBe('postgres://bob:****@db.example:5432/x');
    expect(maskUrl('postgres://bob:s3cret@[bad')).not.toContain('s3cret');
  });
});
