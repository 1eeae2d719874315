/**
 * QR code PNGs as the design team needs them: 388x388 pixels, error correction M, a quiet zone of
 * 4 modules, black on white. The matrix comes from `qrcode` (`QRCode.create`); the PNG is written
 * here as a 1-bit grayscale image with node:zlib, which is ~20x faster than `qrcode.toBuffer`
 * and gives files ~4x smaller (TOOLCHAIN.md).
 *
 * 388 is in general not a multiple of the image's modules (n + 8 with the quiet zone). Each pixel
 * shows one module (nearest neighbour), every module at least floor(388/(n+8)) px wide:
 * - while that is 4 px or more (versions 1-18, URLs up to ~530 characters), pixel p shows module
 *   floor(p * (n+8) / 388) - 4: modules of s and s+1 px that fill the image, pixel for pixel what
 *   `qrcode.toBuffer` draws;
 * - below (2-3 px modules), mixed widths stop decoding (jsqr fails on 2/3 and 3/4 px mixes), so
 *   every module gets exactly s = floor(388/(n+8)) px and the pixels left over widen the quiet
 *   zone, the code centred.
 */
import { deflateSync, crc32 } from 'node:zlib';
import QRCode from 'qrcode';
import { writeFileDurableSync, type WrittenFile } from '../durable-fs.js';

export const QR_IMAGE_SIZE = 388;
export const QR_QUIET_ZONE = 4;
export const QR_ERROR_CORRECTION = 'M';

/** The module matrix of a QR code: `size` x `size`, 1 = dark, row-major. */
export interface QrMatrix {
  size: number;
  data: Uint8Array;
}

/** The QR matrix for `text` at error correction M (mode and version chosen by `qrcode`). */
export function qrMatrix(text: string): QrMatrix {
  const qr = QRCode.create(text, { errorCorrectionLevel: QR_ERROR_CORRECTION });
  return { size: qr.modules.size, data: qr.modules.data as Uint8Array };
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * Pixel -> module index (or -1 in the quiet zone), for one axis. See the module comment: the
 * fractional scale while modules are 4 px or more, the integer scale below that.
 */
export function qrAxisMap(modules: number, pixels: number): Int16Array {
  const total = modules + 2 * QR_QUIET_ZONE;
  const map = new Int16Array(pixels).fill(-1);
  const scale = Math.floor(pixels / total);
  if (scale >= 4) {
    for (let p = 0; p < pixels; p++) {
      const m = Math.floor((p * total) / pixels) - QR_QUIET_ZONE;
      if (m >= 0 && m < modules) map[p] = m;
    }
  } else {
    const offset = Math.floor((pixels - scale * modules) / 2);
    for (let p = offset; p < offset + scale * modules; p++) map[p] = Math.floor((p - offset) / scale);
  }
  return map;
}

/** Encodes a QR matrix as a `pixels` x `pixels` 1-bit grayscale PNG (0 = black, 1 = white). */
export function encodeQrPng(matrix: QrMatrix, pixels = QR_IMAGE_SIZE): Buffer {
  const n = matrix.size;
  if (pixels < n + 2 * QR_QUIET_ZONE)
    throw new RangeError(`${pixels} px cannot show ${n} modules plus the quiet zone`);
  const map = qrAxisMap(n, pixels);
  const rowBytes = Math.ceil(pixels / 8);
  const stride = rowBytes + 1; // filter byte + packed pixels
  const raw = Buffer.alloc(stride * pixels); // zeros
  const row = Buffer.alloc(rowBytes);
  for (let y = 0; y < pixels; y++) {
    const my = map[y]!;
    // A pixel row that repeats the one above is filter 2 (Up) with zero bytes, which deflate
    // squeezes at level 3 as well as level 6 does the plain rows, in a third of the time.
    if (y > 0 && my === map[y - 1]) {
      raw[y * stride] = 2;
      continue;
    }
    row.fill(0xff);
    if (my >= 0) {
      const base = my * n;
      for (let x = 0; x < pixels; x++) {
        const mx = map[x]!;
        if (mx >= 0 && matrix.data[base + mx]) row[x >> 3]! &= ~(0x80 >> (x & 7));
      }
    }
    row.copy(raw, y * stride + 1);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(pixels, 0);
  ihdr.writeUInt32BE(pixels, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // grayscale
  // compression, filter and interlace methods: 0
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 3 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The 388x388 PNG of the QR code for `text`. */
export function qrPng(text: string): Buffer {
  return encodeQrPng(qrMatrix(text));
}

/** Writes the QR PNG for `text` to `file` (which must not exist) and returns its size and SHA-256. */
export function writeQrPngFile(text: string, file: string, opts: { fsync?: boolean } = {}): WrittenFile {
  return writeFileDurableSync(file, qrPng(text), opts);
}

/** A failure writing one code of a batch, with what the caller needs to explain it. */
export interface QrBatchFailure {
  index: number;
  message: string;
  code?: string;
  path?: string;
}

/**
 * Writes a batch of codes in order, stopping at the first failure, without fsync (the pool flushes
 * the files afterwards, off the CPU-bound threads). The one routine both the worker threads and
 * the in-thread path run, so they cannot drift apart.
 */
export function writeQrBatch(
  texts: readonly string[],
  files: readonly string[],
): { results: WrittenFile[]; failure?: QrBatchFailure } {
  const results: WrittenFile[] = [];
  for (let i = 0; i < texts.length; i++) {
    try {
      results.push(writeQrPngFile(texts[i]!, files[i]!, { fsync: false }));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return { results, failure: { index: i, message: e.message, code: e.code, path: e.path ?? files[i] } };
    }
  }
  return { results };
}
