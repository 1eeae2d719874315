import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import {
  parseQrPathBase,
  qrCellPath,
  qrFileOfCell,
  qrPathsFor,
  RELATIVE_QR_PATHS,
  type QrPathBase,
} from '../../src/core/qr-path.js';
import { ConfigError } from '../../src/errors.js';

const ok = (text: string): QrPathBase => {
  const r = parseQrPathBase(text);
  if (!r.ok) throw new Error(`expected ${text} to be accepted: ${r.problem}`);
  return r.base;
};
const problem = (text: string): string => {
  const r = parseQrPathBase(text);
  if (r.ok) throw new Error(`expected ${text} to be refused, got ${JSON.stringify(r.base)}`);
  return r.problem;
};

const FOLDER = 'columbia_honda_cao_20261123-140509';
const VIN = '1HGCV1F34LA012345';

describe('QR path bases', () => {
  it('reads drive-letter and UNC bases as Windows paths with backslashes only', () => {
    expect(ok('Z:\\SilverFox\\orders')).toEqual({ style: 'windows', base: 'Z:\\SilverFox\\orders' });
    expect(ok('z:/SilverFox/orders/')).toEqual({ style: 'windows', base: 'Z:\\SilverFox\\orders' });
    expect(ok('Z:')).toEqual({ style: 'windows', base: 'Z:\\' });
    expect(ok('Z:\\')).toEqual({ style: 'windows', base: 'Z:\\' });
    expect(ok('\\\\fileserver\\orders')).toEqual({ style: 'windows', base: '\\\\fileserver\\orders' });
    expect(ok('\\\\fileserver\\Orders\\Silver Fox\\')).toEqual({
      style: 'windows',
      base: '\\\\fileserver\\Orders\\Silver Fox',
    });
    expect(ok('  \\\\fs\\o  ')).toEqual({ style: 'windows', base: '\\\\fs\\o' });
  });

  it('reads absolute POSIX bases and the keyword relative', () => {
    expect(ok('/Volumes/Orders')).toEqual({ style: 'posix', base: '/Volumes/Orders' });
    expect(ok('/Volumes//Orders/')).toEqual({ style: 'posix', base: '/Volumes/Orders' });
    expect(ok('/')).toEqual({ style: 'posix', base: '/' });
    expect(ok('relative')).toEqual(RELATIVE_QR_PATHS);
    expect(ok('RELATIVE')).toEqual(RELATIVE_QR_PATHS);
  });

  it('refuses what no Windows or macOS path can hold, and what is not a base', () => {
    expect(problem('')).toMatch(/empty/);
    expect(problem('orders')).toMatch(/not absolute/);
    expect(problem('orders\\2026')).toMatch(/not absolute/);
    expect(problem('Z:orders')).toMatch(/relative to the current folder of drive Z:/);
    expect(problem('\\\\fileserver')).toMatch(/server and a share/);
    expect(problem('\\\\?\\C:\\orders')).toMatch(/device paths/);
    expect(problem('//fileserver/orders')).toMatch(/ambiguous/);
    expect(problem('smb://fileserver/orders')).toMatch(/URL/);
    expect(problem('file:///Volumes/Orders')).toMatch(/URL/);
    expect(problem('~/orders')).toMatch(/~/);
    expect(problem('"Z:\\orders"')).toMatch(/quotes/);
    for (const c of ['<', '>', ':', '"', '|', '?', '*'])
      expect(problem(`Z:\\Silver${c}Fox`), c).toMatch(/cannot hold/);
    expect(problem('/Volumes/Ord:ers')).toMatch(/":"/);
    expect(problem('/Volumes/Or\\ders')).toMatch(/"\\"/);
    expect(problem('/Volumes/Caf\u00e9')).toMatch(/non-ASCII/);
    expect(problem('/Volumes/Or\tders')).toMatch(/control character/);
    expect(problem('/Volumes/../etc')).toMatch(/"\.\."/);
    expect(problem('Z:\\orders\\.\\x')).toMatch(/"\."/);
    expect(problem('\\\\fs\\orders\\CON')).toMatch(/reserved name/);
    expect(problem('Z:\\nul.txt')).toMatch(/reserved name/);
    expect(problem('Z:\\com1')).toMatch(/reserved name/);
    expect(problem('Z:\\orders.')).toMatch(/dot or a space/);
    expect(problem('Z:\\orders \\x')).toMatch(/dot or a space/);
  });

  it('writes each style of cell, keeping the exact case of the folder and file names', () => {
    expect(qrCellPath(ok('Z:\\Silver Fox\\Orders'), FOLDER, VIN)).toBe(
      `Z:\\Silver Fox\\Orders\\${FOLDER}\\qr_codes\\${VIN}.png`,
    );
    expect(qrCellPath(ok('Z:'), FOLDER, VIN)).toBe(`Z:\\${FOLDER}\\qr_codes\\${VIN}.png`);
    expect(qrCellPath(ok('\\\\FileServer\\Orders'), FOLDER, VIN)).toBe(
      `\\\\FileServer\\Orders\\${FOLDER}\\qr_codes\\${VIN}.png`,
    );
    expect(qrCellPath(ok('/Volumes/Orders'), FOLDER, VIN)).toBe(
      `/Volumes/Orders/${FOLDER}/qr_codes/${VIN}.png`,
    );
    expect(qrCellPath(ok('/'), FOLDER, VIN)).toBe(`/${FOLDER}/qr_codes/${VIN}.png`);
    expect(qrCellPath(RELATIVE_QR_PATHS, FOLDER, VIN)).toBe(`qr_codes/${VIN}.png`);
    // The file is named by the upper-case VIN (templates' qrFilePath): the cell says the same.
    expect(qrCellPath(ok('/Volumes/Orders'), FOLDER, ` ${VIN.toLowerCase()} `)).toBe(
      `/Volumes/Orders/${FOLDER}/qr_codes/${VIN}.png`,
    );
    expect(() => qrCellPath(ok('/Volumes/Orders'), 'bad:folder', VIN)).toThrow(/cannot hold/);
  });

  it('finds the QR file a cell names, whatever its base', () => {
    for (const base of ['Z:\\SilverFox\\orders', '\\\\fs\\orders', '/Volumes/Orders', 'relative'])
      expect(qrFileOfCell(qrCellPath(ok(base), FOLDER, VIN))).toBe(`qr_codes/${VIN}.png`);
    expect(qrFileOfCell(`qr_codes/${VIN.toLowerCase()}.png`)).toBeNull();
    expect(qrFileOfCell(`pictures/${VIN}.png`)).toBeNull();
    expect(qrFileOfCell(`${VIN}.png`)).toBeNull();
    expect(qrFileOfCell('*')).toBeNull();
  });

  it('without the setting, uses the orders folder of the writing machine', () => {
    expect(qrPathsFor(undefined, '/srv/silverfox/orders')).toEqual({
      ok: true,
      base: { style: 'posix', base: '/srv/silverfox/orders' },
      source: 'local',
    });
    expect(qrPathsFor('', 'C:\\SilverFox\\orders')).toMatchObject({
      ok: true,
      base: { style: 'windows', base: 'C:\\SilverFox\\orders' },
    });
    expect(qrPathsFor(undefined, '/srv/or:ders')).toMatchObject({ ok: false, source: 'local' });
    expect(qrPathsFor('\\\\fs\\orders', '/srv/or:ders')).toMatchObject({ ok: true, source: 'setting' });
  });

  it('SILVERFOX_QR_PATH_BASE is a setting: from the environment or .env, a bad one a ConfigError', () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'silverfox-qr-config-'));
    try {
      expect(resolveConfig({ env: {}, cwd }).qrPathBase).toBeUndefined();
      const c = resolveConfig({ env: { SILVERFOX_QR_PATH_BASE: '\\\\fileserver\\orders' }, cwd });
      expect(c.qrPathBase).toBe('\\\\fileserver\\orders');
      expect(c.sources.qrPathBase).toBe('env');
      expect(() => resolveConfig({ env: { SILVERFOX_QR_PATH_BASE: 'Z:\\a|b' }, cwd })).toThrow(ConfigError);
      expect(() => resolveConfig({ env: { SILVERFOX_QR_PATH_BASE: 'orders' }, cwd })).toThrow(
        /SILVERFOX_QR_PATH_BASE: "orders" is not absolute/,
      );
      // .env: unquoted and single-quoted values are taken as written...
      writeFileSync(path.join(cwd, '.env'), 'SILVERFOX_QR_PATH_BASE=\\\\fileserver\\new_orders\n');
      expect(resolveConfig({ env: {}, cwd }).qrPathBase).toBe('\\\\fileserver\\new_orders');
      expect(resolveConfig({ env: {}, cwd }).sources.qrPathBase).toBe('dotenv');
      // ...but in double quotes `\n` is a line break: refused, not written into the CSV.
      writeFileSync(path.join(cwd, '.env'), 'SILVERFOX_QR_PATH_BASE="\\\\fileserver\\new_orders"\n');
      expect(() => resolveConfig({ env: {}, cwd })).toThrow(/control character/);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
