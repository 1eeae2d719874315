import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNamedVariable } from '../../src/config.js';
import { parsePortalConfig, portalUrl, redact } from '../../src/core/portal.js';
import { InputError } from '../../src/errors.js';
import { ROOT } from '../helpers/env.js';

const valid = {
  name: 'p',
  base_url: 'https://portal.example.test/',
  credentials: { username_env: 'P_USER', password_env: 'P_PASSWORD' },
  login: {
    url: '{base_url}/login',
    username_selector: '#u',
    password_selector: '#p',
    submit_selector: 'button',
    success_selector: '#ok',
  },
  sticker: { url: '{base_url}/v/{vin}', link_selector: 'a.pdf' },
};

describe('portal configs', () => {
  it('every shipped portal config is valid', () => {
    const dir = path.join(ROOT, 'portals');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const p = parsePortalConfig(JSON.parse(readFileSync(path.join(dir, f), 'utf8')), f);
      expect(`${p.name}.json`).toBe(f);
    }
  });

  it('defaults to link mode and fills {base_url} and {vin}', () => {
    const p = parsePortalConfig(valid, 'p.json');
    expect(p.sticker.mode).toBe('link');
    expect(portalUrl(p, p.sticker.url, '1HGCM82633A004352')).toBe(
      'https://portal.example.test/v/1HGCM82633A004352',
    );
    expect(portalUrl(p, p.login.url)).toBe('https://portal.example.test/login');
    expect(portalUrl(p, '{base_url}/s?vin={vin}', 'A B&C')).toBe(
      'https://portal.example.test/s?vin=A%20B%26C',
    );
  });

  it('collects every problem: no {vin}, link without selector, a lower-case variable name, unknown keys', () => {
    const bad = {
      ...valid,
      extra: 1,
      credentials: { username_env: 'p_user', password_env: 'P_PASSWORD' },
      sticker: { url: '{base_url}/v', mode: 'link' },
    };
    let err: InputError | undefined;
    try {
      parsePortalConfig(bad, 'bad.json');
    } catch (e) {
      err = e as InputError;
    }
    expect(err).toBeInstanceOf(InputError);
    const all = [err!.message, ...err!.hints].join('\n');
    expect(all).toContain('bad.json is invalid');
    expect(all).toContain('credentials.username_env: an environment variable name');
    expect(all).toContain('sticker.url: must contain {vin}');
    expect(all).toMatch(/Unrecognized key.*extra/);
  });

  it('redacts secrets, longest first, everywhere in a text', () => {
    expect(redact('user bob pw hunter22 again hunter22', ['hunter22', 'hunter2', undefined, ''])).toBe(
      'user bob pw **** again ****',
    );
  });

  it('reads a variable named by data: environment first, then .env, empty is unset', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'silverfox-named-'));
    try {
      writeFileSync(path.join(dir, '.env'), 'P_USER=from-dotenv\nP_PASSWORD=\n');
      expect(readNamedVariable('P_USER', { env: {}, cwd: dir })).toBe('from-dotenv');
      expect(readNamedVariable('P_USER', { env: { P_USER: 'from-env' }, cwd: dir })).toBe('from-env');
      expect(readNamedVariable('P_USER', { env: { P_USER: '' }, cwd: dir })).toBe('from-dotenv');
      expect(readNamedVariable('P_PASSWORD', { env: {}, cwd: dir })).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
