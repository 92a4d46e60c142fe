/**
 * Image type and pixel size from a file's first bytes, so the import can refuse an image above
 * the size limit (8192 px per side) BEFORE decoding it: a 20000 × 20000 PNG of a few kilobytes
 * would otherwise allocate 1.6 GB in the decoder. Framework-free.
 */
import { sniffImageType } from '../../core/data/layout';

export type SniffedType = NonNullable<ReturnType<typeof sniffImageType>>;

export interface ImageHeader {
  type: SniffedType | null;
  /** Pixel size when the header states it (null: not found in the bytes given). */
  width: number | null;
  height: number | null;
}

/** Bytes to read from the start of a file to find its header (JPEG EXIF blocks can be ~64 KB). */
export const HEADER_BYTES = 256 * 1024;

const be16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
const be32 = (b: Uint8Array, o: number): number =>
  ((b[o] << 24) >>> 0) + (b[o + 1] << 16) + (b[o + 2] << 8) + b[o + 3];
const le16 = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8);
const le32s = (b: Uint8Array, o: number): number =>
  b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);

function jpegSize(b: Uint8Array): [number, number] | null {
  let p = 2;
  while (p + 9 < b.length) {
    if (b[p] !== 0xff) {
      p++;
      continue;
    }
    const m = b[p + 1];
    if (m === 0xff) {
      p++;
      continue;
    }
    // standalone markers without a length
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      p += 2;
      continue;
    }
    if (m === 0xd9 || m === 0xda) return null; // end of image / start of scan before any frame header
    const len = be16(b, p + 2);
    const isSof = m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
    if (isSof) return [be16(b, p + 7), be16(b, p + 5)];
    p += 2 + len;
  }
  return null;
}

function webpSize(b: Uint8Array): [number, number] | null {
  if (b.length < 30) return null;
  const chunk = String.fromCharCode(b[12], b[13], b[14], b[15]);
  if (chunk === 'VP8 ') return [le16(b, 26) & 0x3fff, le16(b, 28) & 0x3fff];
  if (chunk === 'VP8L') {
    const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
    return [(bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1];
  }
  if (chunk === 'VP8X') {
    return [1 + (b[24] | (b[25] << 8) | (b[26] << 16)), 1 + (b[27] | (b[28] << 8) | (b[29] << 16))];
  }
  return null;
}

/** Type and size from the first bytes of a file (HEADER_BYTES are enough). */
export function readImageHeader(b: Uint8Array): ImageHeader {
  const type = sniffImageType(b);
  let size: [number, number] | null = null;
  if (type === 'png' && b.length >= 24) size = [be32(b, 16), be32(b, 20)];
  else if (type === 'jpeg') size = jpegSize(b);
  else if (type === 'bmp' && b.length >= 26) size = [Math.abs(le32s(b, 18)), Math.abs(le32s(b, 22))];
  else if (type === 'webp') size = webpSize(b);
  return { type, width: size ? size[0] : null, height: size ? size[1] : null };
}
