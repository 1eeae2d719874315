import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/durable-fs.js';
import { closeQrPool, generateQrCodes, QrWriteError } from '../../src/output/qr-pool.js';
import { decodeQrPng } from '../helpers/qr.js';
import { compiledQrPoolUrl, compiledQrWorkerUrl, removeCompiledQrWorker } from '../helpers/qr-worker.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'silverfox-qr-pool-'));
});
afterAll(async () => {
  await closeQrPool();
  removeCompiledQrWorker();
  rmSync(dir, { recursive: true, force: true });
});

const items = (sub: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    text: `https://www.example-dealer.com/vdp/${sub}/${i}?utm_source=SilverFox&utm_medium=VDP_ShortCut`,
    file: path.join(dir, `${sub}-${String(i).padStart(4, '0')}.png`),
  }));

describe('QR worker pool', () => {
  it('writes every code on worker threads, in order, each decoding to its own text', async () => {
    const job = items('workers', 150);
    const results = await generateQrCodes(job, {
      workerUrl: compiledQrWorkerUrl(),
      workers: 2,
      inlineBelow: 0,
    });
    expect(results).toHaveLength(job.length);
    job.forEach((item, i) => {
      const png = readFileSync(item.file);
      expect(results[i]).toEqual({ bytes: png.length, sha256: sha256Hex(png) });
      expect(decodeQrPng(png).text).toBe(item.text);
    });
  });

  it('writes the same bytes in the calling thread as on the workers', async () => {
    const job = items('same', 30);
    const onWorkers = await generateQrCodes(job, { workerUrl: compiledQrWorkerUrl(), inlineBelow: 0 });
    const inline = await generateQrCodes(
      job.map((j) => ({ ...j, file: j.file.replace('same-', 'same-inline-') })),
      { inline: true },
    );
    expect(inline).toEqual(onWorkers);
  });

  it('runs concurrent jobs on one pool without mixing their results', async () => {
    const a = items('concurrent-a', 60);
    const b = items('concurrent-b', 45);
    const opts = { workerUrl: compiledQrWorkerUrl(), inlineBelow: 0 };
    const [ra, rb] = await Promise.all([generateQrCodes(a, opts), generateQrCodes(b, opts)]);
    for (const [job, res] of [
      [a, ra],
      [b, rb],
    ] as const)
      job.forEach((item, i) => expect(res[i]!.sha256).toBe(sha256Hex(readFileSync(item.file))));
  });

  it.each([
    ['workers', { workerUrl: undefined as URL | undefined, inlineBelow: 0 }],
    ['the calling thread', { inline: true }],
  ])('reports the first failure with its errno code, on %s', async (_, opts) => {
    const o = 'workerUrl' in opts ? { ...opts, workerUrl: compiledQrWorkerUrl() } : opts;
    const tag = 'workerUrl' in opts ? 'fw' : 'fi';
    const job = items(`fail-${tag}`, 80);
    job[50] = { ...job[50]!, file: path.join(dir, 'no-such-folder', 'x.png') };
    const err = await generateQrCodes(job, o).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QrWriteError);
    expect((err as QrWriteError).code).toBe('ENOENT');
    expect((err as QrWriteError).path).toBe(job[50]!.file);
    // An existing file is never overwritten.
    writeFileSync(path.join(dir, `exists-${tag}.png`), 'keep');
    const err2 = await generateQrCodes([{ text: 'A', file: path.join(dir, `exists-${tag}.png`) }], o).catch(
      (e: unknown) => e,
    );
    expect((err2 as QrWriteError).code).toBe('EEXIST');
    expect(readFileSync(path.join(dir, `exists-${tag}.png`), 'utf8')).toBe('keep');
    // The pool still works after a failure.
    const ok = items(`after-${tag}`, 20);
    await generateQrCodes(ok, o);
    expect(ok.every((i) => existsSync(i.file))).toBe(true);
  });

  it('fails the job, not the process, when a worker dies (and uses the given worker script)', async () => {
    const crash = path.join(dir, 'crash-worker.mjs');
    writeFileSync(crash, 'process.exit(3);\n');
    const err = await generateQrCodes(items('crash', 30), {
      workerUrl: new URL(`file://${crash}`),
      inlineBelow: 0,
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('QR worker exited with code 3');
  });

  it('never keeps a process alive: a CLI using the pool exits by itself when done', () => {
    const out = path.join(dir, 'child');
    const script = `
      import { mkdirSync } from 'node:fs';
      const { generateQrCodes } = await import(${JSON.stringify(compiledQrPoolUrl().href)});
      mkdirSync(${JSON.stringify(out)});
      const items = Array.from({ length: 60 }, (_, i) => ({ text: 'https://d.com/v/' + i, file: ${JSON.stringify(out)} + '/' + i + '.png' }));
      const r = await generateQrCodes(items, { inlineBelow: 0 });
      console.log(r.length);
    `;
    // A file, not `--input-type=module -e`: workers inherit execArgv and refuse --input-type.
    writeFileSync(path.join(dir, 'child.mjs'), script);
    const r = spawnSync(process.execPath, [path.join(dir, 'child.mjs')], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.signal).toBeNull(); // not killed by the timeout
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('60');
    expect(readdirSync(out)).toHaveLength(60);
  });
});
