/**
 * Pure TypeScript resampling of interleaved 8-bit / float images under an axis-aligned affine map.
 *
 * Geometry (the pixel-centre convention of preprocess.ts): pixel i covers the continuous interval
 * [i, i + 1), its centre is i + 0.5. A source coordinate u maps to the output coordinate
 * u' = (u - cropStart) * scale + offset, per axis. The whole source extent therefore maps
 * exactly onto the output extent (no half-pixel shift, unlike "align corners").
 *
 * Filters, chosen per axis:
 * - scale <= 1 (downscale): area averaging — each output pixel is the exact mean of the source
 *   area its footprint covers (fractional pixels weighted by their covered length). This keeps
 *   fine bone edges without aliasing and preserves the centroid of bright structures.
 * - scale > 1 (upscale): bilinear interpolation at the output pixel centres.
 * The filter is separable: per output row, a vertical pass accumulates the source rows it covers
 * into one float row, then a horizontal pass reads that row.
 *
 * Outside the source (letterbox padding, a crop box that leaves the image) the output is either a
 * constant colour or the nearest edge pixel (edge replication); output pixels that straddle the
 * content edge blend the two by covered area.
 */
import type { RgbaImage } from '../image';

/** A box in continuous pixel coordinates (x, y = top-left corner). */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export type PadMode = 'constant' | 'edge';

/** The axis-aligned affine map from a source crop to the output raster. */
export interface ResampleGeometry {
  outWidth: number;
  outHeight: number;
  /** Source region that maps onto [offset, offset + crop.size * scale]; may extend past the image. */
  crop: Box;
  /** Output pixels per source pixel. */
  scaleX: number;
  scaleY: number;
  /** Output coordinate of the crop's left / top edge. */
  offsetX: number;
  offsetY: number;
}

/** Per-output-index filter taps along one axis: consecutive source indices from `start`. */
interface AxisTaps {
  start: Int32Array;
  count: Int32Array;
  /** count[k] weights of output k at k * maxTaps. Sum = coverage[k]. */
  weights: Float32Array;
  maxTaps: number;
  /** Fraction of output pixel k covered by image content (1 in edge mode). */
  coverage: Float32Array;
}

function axisTaps(
  outLen: number,
  scale: number,
  offset: number,
  cropStart: number,
  cropLen: number,
  srcLen: number,
  edge: boolean,
): AxisTaps {
  // valid source interval [v0, v1] (continuous) and its pixel index range [p0, p1]
  const v0 = Math.max(cropStart, 0);
  const v1 = Math.min(cropStart + cropLen, srcLen);
  const empty = !(v1 > v0);
  const p0 = Math.floor(v0);
  const p1 = Math.ceil(v1) - 1;
  const down = scale <= 1;
  const maxTaps = down ? Math.ceil(1 / scale) + 2 : 2;
  const start = new Int32Array(outLen);
  const count = new Int32Array(outLen);
  const weights = new Float32Array(outLen * maxTaps);
  const coverage = new Float32Array(outLen);
  if (empty) return { start, count, weights, maxTaps, coverage };
  const acc = new Float64Array(maxTaps + 2);
  for (let k = 0; k < outLen; k++) {
    acc.fill(0);
    let first: number;
    let n: number;
    let cov = 0;
    if (down) {
      const a = (k - offset) / scale + cropStart;
      const b = (k + 1 - offset) / scale + cropStart;
      const lo = Math.max(a, v0);
      const hi = Math.min(b, v1);
      if (hi > lo) {
        first = Math.floor(lo);
        const last = Math.min(Math.ceil(hi) - 1, p1);
        for (let i = first; i <= last; i++) {
          const ov = Math.min(hi, i + 1) - Math.max(lo, i);
          if (ov > 0) acc[i - first] += ov * scale;
        }
        n = last - first + 1;
      } else {
        first = b <= v0 ? p0 : p1;
        n = 1;
      }
      if (edge) {
        if (a < v0) acc[p0 - first] += (Math.min(b, v0) - a) * scale;
        if (b > v1) acc[p1 - first] += (b - Math.max(a, v1)) * scale;
      }
    } else {
      const t = (k + 0.5 - offset) / scale + cropStart - 0.5;
      const i0 = Math.floor(t);
      const f = t - i0;
      const i0c = Math.min(Math.max(i0, p0), p1);
      const i1c = Math.min(Math.max(i0 + 1, p0), p1);
      let c = 1;
      if (!edge) {
        const c0 = (v0 - cropStart) * scale + offset;
        const c1 = (v1 - cropStart) * scale + offset;
        c = Math.max(0, Math.min(k + 1, c1) - Math.max(k, c0));
      }
      first = i0c;
      n = i1c - i0c + 1;
      acc[0] += (1 - f) * c;
      acc[i1c - first] += f * c;
    }
    // trim zero weights at both ends
    while (n > 0 && acc[0] === 0 && n > 1) {
      acc.copyWithin(0, 1);
      first++;
      n--;
    }
    while (n > 1 && acc[n - 1] === 0) n--;
    for (let j = 0; j < n; j++) {
      weights[k * maxTaps + j] = acc[j];
      cov += acc[j];
    }
    start[k] = first;
    count[k] = acc[0] === 0 && n === 1 ? 0 : n;
    coverage[k] = Math.min(1, cov);
  }
  return { start, count, weights, maxTaps, coverage };
}

/**
 * out[i0..i1) = sum_j weights[wBase + j] * src[(start + j) * rowLen + i]. Two copies with
 * identical bodies: V8 keeps per-function type feedback, so the 8-bit path (every image import)
 * stays monomorphic and is not slowed down by float thumbnails going through the other copy.
 */
function accumulateRows8(
  src: Uint8ClampedArray,
  acc: Float32Array,
  rowLen: number,
  start: number,
  n: number,
  weights: Float32Array,
  wBase: number,
  i0: number,
  i1: number,
): void {
  const w0 = weights[wBase];
  const r0 = start * rowLen;
  for (let i = i0; i < i1; i++) acc[i] = w0 * src[r0 + i];
  for (let j = 1; j < n; j++) {
    const w = weights[wBase + j];
    const r = (start + j) * rowLen;
    for (let i = i0; i < i1; i++) acc[i] += w * src[r + i];
  }
}

function accumulateRowsAny(
  src: ArrayLike<number>,
  acc: Float32Array,
  rowLen: number,
  start: number,
  n: number,
  weights: Float32Array,
  wBase: number,
  i0: number,
  i1: number,
): void {
  const w0 = weights[wBase];
  const r0 = start * rowLen;
  for (let i = i0; i < i1; i++) acc[i] = w0 * src[r0 + i];
  for (let j = 1; j < n; j++) {
    const w = weights[wBase + j];
    const r = (start + j) * rowLen;
    for (let i = i0; i < i1; i++) acc[i] += w * src[r + i];
  }
}

/**
 * Resample an interleaved image with `channels` samples per pixel into `out`
 * (Uint8ClampedArray rounds and clamps; Float32Array keeps the exact value).
 */
export function resampleInterleaved(
  src: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  g: ResampleGeometry,
  pad: PadMode,
  padColor: ArrayLike<number>,
  out: Uint8ClampedArray | Float32Array,
): void {
  const { outWidth: ow, outHeight: oh } = g;
  if (out.length !== ow * oh * channels) throw new Error('resample: output buffer has the wrong length');
  const edge = pad === 'edge';
  const tx = axisTaps(ow, g.scaleX, g.offsetX, g.crop.x, g.crop.w, width, edge);
  const ty = axisTaps(oh, g.scaleY, g.offsetY, g.crop.y, g.crop.h, height, edge);
  const C = channels;
  // source columns the horizontal taps reference: only those are accumulated per row
  let colMin = width;
  let colMax = -1;
  for (let k = 0; k < ow; k++) {
    if (tx.count[k] === 0) continue;
    colMin = Math.min(colMin, tx.start[k]);
    colMax = Math.max(colMax, tx.start[k] + tx.count[k] - 1);
  }
  const i0 = Math.max(0, colMin) * C;
  const i1 = (colMax + 1) * C;
  const acc = new Float32Array(width * C);
  const row = new Float32Array(ow * C);
  const src8 = src instanceof Uint8ClampedArray ? src : null;
  const rowLen = width * C;
  // per output row: vertical taps accumulate whole source rows (a contiguous, cache-friendly loop),
  // then horizontal taps read the accumulated row into a float row, copied (rounded) into `out`
  for (let l = 0; l < oh; l++) {
    const n = ty.count[l];
    const cy = ty.coverage[l];
    if (n > 0 && i1 > i0) {
      if (src8) accumulateRows8(src8, acc, rowLen, ty.start[l], n, ty.weights, l * ty.maxTaps, i0, i1);
      else accumulateRowsAny(src, acc, rowLen, ty.start[l], n, ty.weights, l * ty.maxTaps, i0, i1);
    }
    for (let k = 0; k < ow; k++) {
      const o = k * C;
      const m = n > 0 ? tx.count[k] : 0;
      const padW = edge ? 0 : 1 - tx.coverage[k] * cy;
      const wBase = k * tx.maxTaps;
      const s0 = tx.start[k] * C;
      if (C === 4) {
        let a0 = 0;
        let a1 = 0;
        let a2 = 0;
        let a3 = 0;
        for (let j = 0, s = s0; j < m; j++, s += 4) {
          const w = tx.weights[wBase + j];
          a0 += w * acc[s];
          a1 += w * acc[s + 1];
          a2 += w * acc[s + 2];
          a3 += w * acc[s + 3];
        }
        if (padW > 0) {
          a0 += padW * padColor[0];
          a1 += padW * padColor[1];
          a2 += padW * padColor[2];
          a3 += padW * padColor[3];
        }
        row[o] = a0;
        row[o + 1] = a1;
        row[o + 2] = a2;
        row[o + 3] = a3;
      } else {
        for (let c = 0; c < C; c++) {
          let a = padW > 0 ? padW * padColor[c] : 0;
          for (let j = 0; j < m; j++) a += tx.weights[wBase + j] * acc[s0 + j * C + c];
          row[o + c] = a;
        }
      }
    }
    // typed-array conversion: Uint8ClampedArray rounds half to even and clamps to 0-255
    out.set(row, l * ow * C);
  }
}

/** Resample an RgbaImage under `g`; `padColor` is RGBA 0-255 (used in constant mode). */
export function resampleRgba(
  src: RgbaImage,
  g: ResampleGeometry,
  pad: PadMode = 'constant',
  padColor: readonly [number, number, number, number] = [0, 0, 0, 255],
): RgbaImage {
  const n = g.outWidth * g.outHeight;
  const data = new Uint8ClampedArray(n * 4);
  const greyPad = padColor[0] === padColor[1] && padColor[0] === padColor[2] && padColor[3] === 255;
  const plane = pad === 'edge' || greyPad ? greyPlane(src) : null;
  if (plane) {
    // X-rays: R = G = B and opaque; resample one channel (4× less work) and replicate it
    const out = new Uint8ClampedArray(n);
    resampleInterleaved(plane, src.width, src.height, 1, g, pad, [padColor[0]], out);
    const d32 = new Uint32Array(data.buffer);
    const opaque = LITTLE_ENDIAN ? 0xff000000 : 0xff;
    const k = LITTLE_ENDIAN ? 0x010101 : 0x01010100;
    for (let i = 0; i < n; i++) d32[i] = (opaque | (out[i] * k)) >>> 0;
    return { width: g.outWidth, height: g.outHeight, data };
  }
  resampleInterleaved(src.data, src.width, src.height, 4, g, pad, padColor, data);
  return { width: g.outWidth, height: g.outHeight, data };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The R channel of an image whose pixels all have R = G = B and alpha 255, else null (stops early). */
function greyPlane(img: RgbaImage): Uint8ClampedArray | null {
  const d = img.data;
  const plane = new Uint8ClampedArray(img.width * img.height);
  for (let i = 0, s = 0; i < plane.length; i++, s += 4) {
    const r = d[s];
    if (r !== d[s + 1] || r !== d[s + 2] || d[s + 3] !== 255) return null;
    plane[i] = r;
  }
  return plane;
}

/** True when every pixel has R = G = B and alpha 255 (stops at the first pixel that does not). */
export function isGreyOpaque(img: RgbaImage): boolean {
  const d = img.data;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] !== d[i + 1] || d[i] !== d[i + 2] || d[i + 3] !== 255) return false;
  }
  return true;
}

/** Resize a whole image to outWidth × outHeight (aspect ratio not kept). */
export function resizeRgba(src: RgbaImage, outWidth: number, outHeight: number): RgbaImage {
  return resampleRgba(src, stretchGeometry(src.width, src.height, outWidth, outHeight));
}

/** The geometry mapping a whole width × height image onto outWidth × outHeight. */
export function stretchGeometry(
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
): ResampleGeometry {
  return {
    outWidth,
    outHeight,
    crop: { x: 0, y: 0, w: width, h: height },
    scaleX: outWidth / width,
    scaleY: outHeight / height,
    offsetX: 0,
    offsetY: 0,
  };
}

/** Luma (ITU-R BT.601: 0.299 R + 0.587 G + 0.114 B) of every pixel, 0-255 as float. */
export function toGrey(img: RgbaImage): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n);
  const d = img.data;
  for (let i = 0, s = 0; i < n; i++, s += 4) out[i] = 0.299 * d[s] + 0.587 * d[s + 1] + 0.114 * d[s + 2];
  return out;
}

/** Resize a single-channel float image (area averaging down, bilinear up). */
export function resizeGrey(
  grey: Float32Array,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
): Float32Array {
  const out = new Float32Array(outWidth * outHeight);
  resampleInterleaved(
    grey,
    width,
    height,
    1,
    stretchGeometry(width, height, outWidth, outHeight),
    'edge',
    [0],
    out,
  );
  return out;
}

/** Mirror an image left-right (returns a new image). */
export function flipHorizontal(img: RgbaImage): RgbaImage {
  const { width: w, height: h } = img;
  const src = img.data;
  const data = new Uint8ClampedArray(src.length);
  for (let y = 0; y < h; y++) {
    const r = y * w * 4;
    for (let x = 0; x < w; x++) {
      const s = r + (w - 1 - x) * 4;
      const o = r + x * 4;
      data[o] = src[s];
      data[o + 1] = src[s + 1];
      data[o + 2] = src[s + 2];
      data[o + 3] = src[s + 3];
    }
  }
  return { width: w, height: h, data };
}

/** Copy a whole-pixel rectangle out of an image (the rectangle must lie inside it). */
export function cropRgba(img: RgbaImage, x: number, y: number, w: number, h: number): RgbaImage {
  if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > img.width || y + h > img.height) {
    throw new Error(`cropRgba: box ${x},${y} ${w}×${h} is not inside the ${img.width}×${img.height} image`);
  }
  const data = new Uint8ClampedArray(w * h * 4);
  for (let r = 0; r < h; r++) {
    const s = ((y + r) * img.width + x) * 4;
    data.set(img.data.subarray(s, s + w * 4), r * w * 4);
  }
  return { width: w, height: h, data };
}
