/**
 * Perceptual hash (pHash) for near-duplicate detection: the image is reduced to a 32×32 grey
 * thumbnail by area averaging, transformed with a 2-D DCT-II, and the 8×8 lowest frequencies are
 * compared with their median (the DC term is left out of the median and of the bits, so a global
 * brightness change does not move the hash): 64 bits, written as 16 hex digits. Two images whose
 * hashes differ in few bits (Hamming distance) look alike at a glance: re-saved, re-compressed,
 * slightly noisy or slightly re-exposed copies of one film stay within a few bits.
 */
import type { RgbaImage } from '../image';
import { resizeGrey, toGrey } from './resize';

/** 64-bit perceptual hash as 16 lower-case hex digits. */
export type PHash = string;

const N = 32;
const K = 8;

let dctMatrix: Float64Array | null = null;

/** Orthonormal DCT-II basis: row u, column x. */
function dct(): Float64Array {
  if (dctMatrix) return dctMatrix;
  const m = new Float64Array(N * N);
  for (let u = 0; u < N; u++) {
    const a = u === 0 ? Math.sqrt(1 / N) : Math.sqrt(2 / N);
    for (let x = 0; x < N; x++) m[u * N + x] = a * Math.cos(((2 * x + 1) * u * Math.PI) / (2 * N));
  }
  dctMatrix = m;
  return m;
}

/** The 8×8 low-frequency DCT coefficients of a 32×32 grey thumbnail (row-major, [0] = DC). */
export function lowFrequencies(thumb32: Float32Array): Float64Array {
  const m = dct();
  // rows: R = M · T restricted to u < K, then C = R · Mᵀ restricted to v < K
  const r = new Float64Array(K * N);
  for (let u = 0; u < K; u++)
    for (let x = 0; x < N; x++) {
      let s = 0;
      for (let y = 0; y < N; y++) s += m[u * N + y] * thumb32[y * N + x];
      r[u * N + x] = s;
    }
  const c = new Float64Array(K * K);
  for (let u = 0; u < K; u++)
    for (let v = 0; v < K; v++) {
      let s = 0;
      for (let x = 0; x < N; x++) s += r[u * N + x] * m[v * N + x];
      c[u * K + v] = s;
    }
  return c;
}

/** pHash of a grey image (values on any scale). */
export function phashGrey(grey: Float32Array, width: number, height: number): PHash {
  return phashFromThumb(resizeGrey(grey, width, height, N, N));
}

/** pHash from an already reduced 32×32 grey thumbnail (area-averaged, row-major). */
export function phashFromThumb(thumb: Float32Array): PHash {
  if (thumb.length !== N * N)
    throw new Error(`phashFromThumb needs a 32×32 thumbnail, got ${thumb.length} values`);
  const c = lowFrequencies(thumb);
  const ac = Array.from(c.subarray(1)).sort((a, b) => a - b);
  const median = (ac[31] + ac[32]) / 2;
  let hex = '';
  for (let nib = 0; nib < 16; nib++) {
    let v = 0;
    for (let b = 0; b < 4; b++) {
      const i = nib * 4 + b;
      // bit 0 (the DC position) is always 0
      v = (v << 1) | (i > 0 && c[i] > median ? 1 : 0);
    }
    hex += v.toString(16);
  }
  return hex;
}

/** pHash of an RGBA image (luma). */
export function phash(img: RgbaImage): PHash {
  return phashGrey(toGrey(img), img.width, img.height);
}

const POP4 = [0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4];

/** Number of differing bits between two hashes (0-64). */
export function hammingDistance(a: PHash, b: PHash): number {
  if (a.length !== 16 || b.length !== 16)
    throw new Error(`pHash values must be 16 hex digits ("${a}", "${b}")`);
  let d = 0;
  for (let i = 0; i < 16; i++) d += POP4[parseInt(a[i], 16) ^ parseInt(b[i], 16)];
  return d;
}

/**
 * Default near-duplicate threshold in bits for `findNearDuplicates`. Re-encoded or lightly noisy
 * copies differ by 0-2 bits. Caution: films of different patients from one device can be as
 * close as 4 bits (measured on the ten ISBI sample films, whose structure and framing are alike),
 * so for cephalograms a hash match is only a candidate; the audit confirms it with the detail
 * correlation of the thumbnails (audit.ts).
 */
export const NEAR_DUPLICATE_BITS = 6;

export interface NearDuplicatePair {
  a: string;
  b: string;
  distance: number;
}

/** All pairs of items whose hashes are within maxDistance bits (a before b in input order). */
export function findNearDuplicates(
  items: readonly { id: string; hash: PHash }[],
  maxDistance = NEAR_DUPLICATE_BITS,
): NearDuplicatePair[] {
  const out: NearDuplicatePair[] = [];
  for (let i = 0; i < items.length; i++)
    for (let j = i + 1; j < items.length; j++) {
      const d = hammingDistance(items[i].hash, items[j].hash);
      if (d <= maxDistance) out.push({ a: items[i].id, b: items[j].id, distance: d });
    }
  return out;
}
