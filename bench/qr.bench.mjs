// QR codes end to end (matrix + 388x388 PNG + file written and fsynced), target <= 1 ms per code
// with the 2 cores of these machines, beside `qrcode.toBuffer` at 388 px and Debian's `qrencode`
// CLI measured in the same run (median of 3 interleaved rounds, so a busy machine slows all
// methods alike). Uses the compiled code (npm run bench builds first).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import QRCode from 'qrcode';
import { closeQrPool, generateQrCodes } from '../dist/output/qr-pool.js';

export const title = 'QR codes: matrix + 388x388 PNG + file write (target <= 1 ms per code on 2 cores)';

const ROUNDS = 3;
const N = 1000; // codes per round for silverfox's pool
const N_INLINE = 250;
const N_SLOW = 60; // toBuffer and qrencode: ~10x slower

let seq = 0;
const urls = (n) =>
  Array.from(
    { length: n },
    () =>
      `https://www.example-dealer.com/inventory/used-2021-honda-cr-v-ex-awd-${seq++}/?utm_source=SilverFox&utm_medium=VDP_ShortCut`,
  );

const hasQrencode = () => spawnSync('qrencode', ['--version'], { stdio: 'ignore' }).status === 0;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'silverfox-qr-bench-'));
  let dirs = 0;
  const items = (n) => {
    const d = path.join(root, String(dirs++));
    mkdirSync(d);
    return urls(n).map((text, i) => ({ text, file: path.join(d, `${i}.png`) }));
  };
  const perCode = async (n, fn) => {
    const t = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - t) / 1e6 / n;
  };
  const workers = Math.min(4, os.availableParallelism());
  const qrencode = hasQrencode();
  const times = { toBuffer: [], qrencode: [], inline: [], cold: [], warm: [], noSync: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const slow = items(N_SLOW);
      times.toBuffer.push(
        await perCode(N_SLOW, async () => {
          for (const it of slow) {
            const png = await QRCode.toBuffer(it.text, { errorCorrectionLevel: 'M', width: 388, margin: 4 });
            writeFileSync(it.file, png, { flag: 'wx' });
          }
        }),
      );
      if (qrencode) {
        // qrencode scales by whole modules: the largest module size that fits 388 px for each code.
        const jobs = items(N_SLOW).map((it) => {
          const n = QRCode.create(it.text, { errorCorrectionLevel: 'M' }).modules.size;
          return { ...it, scale: String(Math.floor(388 / (n + 8))) };
        });
        times.qrencode.push(
          await perCode(N_SLOW, async () => {
            for (const j of jobs) {
              const r = spawnSync('qrencode', ['-l', 'M', '-m', '4', '-s', j.scale, '-o', j.file, j.text]);
              if (r.status !== 0) throw new Error(`qrencode exited ${r.status}: ${r.stderr}`);
            }
          }),
        );
      }
      times.inline.push(await perCode(N_INLINE, () => generateQrCodes(items(N_INLINE), { inline: true })));
      await closeQrPool();
      times.cold.push(await perCode(N, () => generateQrCodes(items(N), { workers })));
      times.warm.push(await perCode(N, () => generateQrCodes(items(N), { workers })));
      times.noSync.push(await perCode(N, () => generateQrCodes(items(N), { workers, fsync: false })));
    }
    await closeQrPool();
    const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, v.length ? median(v) : null]));
    const ratio = (v) => (v === null ? '' : m.toBuffer / v);
    return {
      columns: ['method (median of 3 rounds)', 'ms per code', 'x faster than toBuffer'],
      rows: [
        ['qrcode.toBuffer 388 px + write (baseline)', m.toBuffer, 1],
        ['qrencode CLI, one process per code', m.qrencode ?? 'not installed', ratio(m.qrencode)],
        ['silverfox, calling thread, fsync', m.inline, ratio(m.inline)],
        [`silverfox, ${workers} workers, fsync, cold pool`, m.cold, ratio(m.cold)],
        [`silverfox, ${workers} workers, fsync, warm pool`, m.warm, ratio(m.warm)],
        [`silverfox, ${workers} workers, no fsync`, m.noSync, ratio(m.noSync)],
      ],
      checks: [
        {
          ok: m.cold <= 1,
          text: `${N} codes on ${workers} workers, worker start and fsync included: ${m.cold.toFixed(3)} ms per code <= 1 ms (load average ${os.loadavg()[0].toFixed(1)})`,
        },
      ],
    };
  } finally {
    await closeQrPool();
    rmSync(root, { recursive: true, force: true });
  }
}
