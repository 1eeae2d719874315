import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RejectsWriter } from '../../src/output/rejects.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'silverfox-rejects-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the rejects file', () => {
  it('guards formulas with the one rule of every CSV silverfox writes: a negative number stays a number', async () => {
    const w = new RejectsWriter(path.join(dir, 'rejects.csv'));
    w.add('in.csv', 2, 'bad_price', '-1500', ['-1500'], ',');
    w.add('in.csv', 3, 'bad_vin', '=cmd|x', ['=cmd|x', 'Honda'], ',');
    w.add('in.csv', 4, 'bad_vin', '-x', ['-x'], ',');
    await w.close();
    const lines = readFileSync(path.join(dir, 'rejects.csv'), 'utf8').trim().split('\n');
    expect(lines.slice(1)).toEqual([
      'in.csv,2,bad_price,-1500,-1500',
      `in.csv,3,bad_vin,'=cmd|x,"'=cmd|x,Honda"`,
      `in.csv,4,bad_vin,'-x,'-x`,
    ]);
  });
});

describe('replaceFileDurableSync (archives and backups)', () => {
  it('replaces a file whole and leaves no temporary file beside it', async () => {
    const { replaceFileDurableSync } = await import('../../src/durable-fs.js');
    const file = path.join(dir, 'archive.zip');
    replaceFileDurableSync(file, Buffer.from('old'));
    replaceFileDurableSync(file, Buffer.from('new contents'));
    expect(readFileSync(file, 'utf8')).toBe('new contents');
    expect(readdirSync(dir).filter((f) => f.startsWith('archive.zip'))).toEqual(['archive.zip']);
  });
});
