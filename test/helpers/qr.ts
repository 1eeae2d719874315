/** Reads QR PNGs back: the PNG header fields and the text jsqr decodes from the pixels. */
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';

// jsqr is CommonJS whose types declare an ES default export: take the function either way.
type Decode = (
  data: Uint8ClampedArray,
  width: number,
  height: number,
  opts?: object,
) => { data: string } | null;
const m = jsQRModule as unknown as Decode & { default?: Decode };
const jsQR: Decode = m.default ?? m;

export interface DecodedQr {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  /** The decoded text, or null when jsqr cannot read the code. */
  text: string | null;
  /** RGBA pixels. */
  pixels: Uint8Array;
}

export function decodeQrPng(png: Buffer): DecodedQr {
  const img = PNG.sync.read(png);
  const rgba = new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.length);
  const code = jsQR(rgba, img.width, img.height, { inversionAttempts: 'dontInvert' });
  return {
    width: png.readUInt32BE(16),
    height: png.readUInt32BE(20),
    bitDepth: png[24]!,
    colorType: png[25]!,
    text: code ? code.data : null,
    pixels: img.data,
  };
}
