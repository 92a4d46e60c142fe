/**
 * Image decoding and encoding for Node (tests, CLI, benchmarks) with fast-png and jpeg-js.
 * The browser decodes with `createImageBitmap` in the import worker instead; both produce the
 * core's RgbaImage (8-bit RGBA). 16-bit PNGs (common for X-rays) are reduced to 8 bits by
 * rounding value / 257, grey and grey+alpha are expanded to RGBA, palettes are resolved.
 *
 * Decoding never throws for bad input: a corrupt or unsupported file comes back as a
 * `FileProblem` naming the file and saying what to do.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { convertIndexedToRgb, decode as decodePng, encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import type { RgbaImage } from '../image';
import type { FileProblem } from '../data/dataset';
import { checkImageLimits, LIMITS } from '../data/dataset';
import { sniffImageType } from '../data/layout';

export type DecodeResult = { ok: true; image: RgbaImage } | { ok: false; problem: FileProblem };

function fail(file: string, code: string, message: string): DecodeResult {
  return { ok: false, problem: { file, code, severity: 'error', message } };
}

/** Expand any fast-png pixel layout to 8-bit RGBA. */
function pngToRgba(png: ReturnType<typeof decodePng>): RgbaImage {
  const { width, height } = png;
  const n = width * height;
  const out = new Uint8ClampedArray(n * 4);
  let src: ArrayLike<number> = png.data;
  let channels = png.channels;
  let depth: number = png.depth;
  if (png.palette) {
    src = convertIndexedToRgb(png);
    depth = 8;
    // convertIndexedToRgb yields RGBA when the palette has transparency, RGB otherwise
    channels = src.length === n * 4 ? 4 : 3;
  } else if (depth < 8) {
    // fast-png unpacks sub-byte depths into one sample per value scaled 0..2^depth-1
    const max = (1 << depth) - 1;
    const scaled = new Uint8Array(src.length);
    for (let i = 0; i < src.length; i++) scaled[i] = Math.round((src[i] * 255) / max);
    src = scaled;
    depth = 8;
  }
  const shift16 = depth === 16;
  const v = (x: number): number => (shift16 ? Math.round(x / 257) : x);
  for (let i = 0, o = 0; i < n; i++, o += 4) {
    const s = i * channels;
    if (channels === 1) {
      const g = v(src[s]);
      out[o] = g;
      out[o + 1] = g;
      out[o + 2] = g;
      out[o + 3] = 255;
    } else if (channels === 2) {
      const g = v(src[s]);
      out[o] = g;
      out[o + 1] = g;
      out[o + 2] = g;
      out[o + 3] = v(src[s + 1]);
    } else {
      out[o] = v(src[s]);
      out[o + 1] = v(src[s + 1]);
      out[o + 2] = v(src[s + 2]);
      out[o + 3] = channels === 4 ? v(src[s + 3]) : 255;
    }
  }
  return { width, height, data: out };
}

/** Channels per PNG colour type (0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA). */
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** DEFLATE cannot expand more than ~1032:1. */
const MAX_DEFLATE_RATIO = 1032;

/**
 * A problem when the PNG's compressed image data (its IDAT chunks) is too small to hold the
 * pixels its header claims: a few bytes cannot inflate to width × height pixels, so the file is
 * truncated or forged, and fast-png would otherwise allocate the whole image before noticing.
 */
function pngDataTooShort(bytes: Uint8Array, dv: DataView, file: string): DecodeResult | null {
  const width = dv.getUint32(16);
  const height = dv.getUint32(20);
  const depth = bytes[24];
  const channels = PNG_CHANNELS[bytes[25]] ?? 1;
  let idat = 0;
  for (let p = 8; p + 8 <= bytes.length;) {
    const len = dv.getUint32(p);
    if (bytes[p + 4] === 0x49 && bytes[p + 5] === 0x44 && bytes[p + 6] === 0x41 && bytes[p + 7] === 0x54)
      idat += Math.min(len, bytes.length - p - 8);
    p += 12 + len;
  }
  // rows without their filter bytes: a lower bound for every interlace method
  const minRaw = height * Math.ceil((width * channels * Math.max(1, depth)) / 8);
  if (idat * MAX_DEFLATE_RATIO >= minRaw) return null;
  return fail(
    file,
    'unreadable',
    `${file}: the PNG holds ${idat} bytes of image data, too little for ${width} × ${height} px (the file is truncated or damaged). Export it again.`,
  );
}

/**
 * Decode PNG or JPEG bytes. `file` names the file in problems. The size limits of
 * dataset.ts (8192 px per side, 50 MB) are checked before pixels are allocated where possible.
 */
export function decodeImageNode(bytes: Uint8Array, file = 'image'): DecodeResult {
  if (bytes.length === 0)
    return fail(file, 'empty-file', `${file}: the file is empty (0 bytes). Export it again.`);
  if (bytes.length > LIMITS.maxImageBytes) {
    const p = checkImageLimits(file, 1, 1, bytes.length);
    if (p) return { ok: false, problem: p };
  }
  const type = sniffImageType(bytes);
  if (type === 'png' && bytes.length >= 24) {
    // the IHDR size, checked before fast-png allocates width × height pixels
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const limit = checkImageLimits(file, dv.getUint32(16), dv.getUint32(20), bytes.length);
    if (limit) return { ok: false, problem: limit };
    const short = pngDataTooShort(bytes, dv, file);
    if (short) return short;
  }
  try {
    if (type === 'png') {
      const png = decodePng(bytes);
      const limit = checkImageLimits(file, png.width, png.height, bytes.length);
      if (limit) return { ok: false, problem: limit };
      return { ok: true, image: pngToRgba(png) };
    }
    if (type === 'jpeg') {
      const img = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: Math.ceil((LIMITS.maxSidePx * LIMITS.maxSidePx) / 1e6),
        maxMemoryUsageInMB: 1024,
      });
      const limit = checkImageLimits(file, img.width, img.height, bytes.length);
      if (limit) return { ok: false, problem: limit };
      const data = new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.length);
      return { ok: true, image: { width: img.width, height: img.height, data } };
    }
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return fail(
      file,
      'unreadable',
      `${file}: the ${type === 'png' ? 'PNG' : 'JPEG'} file is damaged and cannot be read (${why}). Export it again from the source.`,
    );
  }
  if (type === 'dicom') {
    return fail(
      file,
      'unsupported-dicom',
      `${file}: DICOM files are not supported. Export PNG from your DICOM viewer and import the PNG.`,
    );
  }
  if (type === 'tiff') {
    return fail(
      file,
      'unsupported-format',
      `${file}: TIFF is not supported. Convert it to PNG and import the PNG.`,
    );
  }
  return fail(
    file,
    'unsupported-format',
    `${file}: not a PNG or JPEG image${type ? ` (looks like ${type.toUpperCase()})` : ''}. Convert it to PNG.`,
  );
}

/** Read and decode a file from disk. */
export async function decodeFileNode(path: string): Promise<DecodeResult> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    return fail(
      basename(path),
      'unreadable',
      `${path}: cannot read the file (${e instanceof Error ? e.message : e}).`,
    );
  }
  return decodeImageNode(bytes, basename(path));
}

/** Encode an RgbaImage as PNG (RGBA, or grey when every pixel has R = G = B and alpha 255). */
export function encodePngNode(img: RgbaImage, opts: { grey?: boolean } = {}): Uint8Array {
  const n = img.width * img.height;
  let grey = opts.grey;
  if (grey === undefined) {
    grey = true;
    for (let i = 0; i < n * 4; i += 4) {
      const d = img.data;
      if (d[i] !== d[i + 1] || d[i] !== d[i + 2] || d[i + 3] !== 255) {
        grey = false;
        break;
      }
    }
  }
  if (grey) {
    const g = new Uint8Array(n);
    for (let i = 0; i < n; i++) g[i] = img.data[i * 4];
    return encodePng({ width: img.width, height: img.height, data: g, channels: 1, depth: 8 });
  }
  return encodePng({ width: img.width, height: img.height, data: img.data, channels: 4, depth: 8 });
}

/** Encode an RgbaImage as baseline JPEG (quality 0-100). */
export function encodeJpegNode(img: RgbaImage, quality = 90): Uint8Array {
  const out = jpeg.encode({ width: img.width, height: img.height, data: img.data }, quality);
  return new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length);
}
