/**
 * Heatmap targets and sub-pixel decoding for the landmark detector.
 *
 * Coordinates follow the studio's convention (image.ts `Point`): continuous pixels, pixel i covers
 * [i, i + 1), its centre is at i + 0.5. A target heatmap for a landmark at p is
 *   h(i, j) = exp(-((i + 0.5 - p.x)^2 + (j + 0.5 - p.y)^2) / (2 sigma^2))
 * with sigma in heatmap pixels = sigma_mm / (mm per original px) * (preprocessed px per original px).
 *
 * Decoders (all take the argmax cell first):
 * - `argmax`: the cell centre (reference only: 1 px quantisation).
 * - `dark`: DARK (Zhang et al. 2020): a second-order Taylor expansion of log h around the argmax
 *   after a light Gaussian smoothing; exact for a Gaussian peak. Falls back to `local` where a
 *   neighbour is not positive.
 * - `local`: local soft-argmax, the weighted centroid of max(h, 0) in a window around the argmax.
 * Layout of heatmap arrays: HWC (index (y * W + x) * L + l), like a TF.js NHWC tensor of batch 1.
 */
import * as tf from '@tensorflow/tfjs';
import type { Point } from '../image';

export type Decoder = 'argmax' | 'dark' | 'local';
export const DECODERS: readonly Decoder[] = ['argmax', 'dark', 'local'];

/** Heatmap sigma in preprocessed px from sigma in mm. */
export function sigmaPx(sigmaMm: number, mmPerPx: number, scale: number): number {
  if (!(sigmaMm > 0 && mmPerPx > 0 && scale > 0))
    throw new Error(`sigma needs positive mm (${sigmaMm}), mm/px (${mmPerPx}) and scale (${scale}).`);
  return (sigmaMm / mmPerPx) * scale;
}

/**
 * Gaussian targets [H, W, L] (HWC) for `points` (preprocessed px; null or outside the image gives
 * an all-zero map). Peak 1 at the point. Values beyond 4 sigma are 0.
 */
export function gaussianTargets(
  points: readonly (Point | null)[],
  width: number,
  height: number,
  sigma: number,
  out?: Float32Array,
): Float32Array {
  const L = points.length;
  const t = out ?? new Float32Array(width * height * L);
  t.fill(0);
  const r = Math.ceil(4 * sigma);
  const inv = 1 / (2 * sigma * sigma);
  for (let l = 0; l < L; l++) {
    const p = points[l];
    if (!p || !(p[0] >= 0 && p[0] < width && p[1] >= 0 && p[1] < height)) continue;
    const cx = Math.floor(p[0]);
    const cy = Math.floor(p[1]);
    const x0 = Math.max(0, cx - r);
    const x1 = Math.min(width - 1, cx + r);
    const y0 = Math.max(0, cy - r);
    const y1 = Math.min(height - 1, cy + r);
    for (let y = y0; y <= y1; y++) {
      const dy = y + 0.5 - p[1];
      for (let x = x0; x <= x1; x++) {
        const dx = x + 0.5 - p[0];
        t[(y * width + x) * L + l] = Math.exp(-(dx * dx + dy * dy) * inv);
      }
    }
  }
  return t;
}

function argmaxOf(h: Float32Array, w: number, hgt: number, L: number, l: number): [number, number, number] {
  let best = -Infinity;
  let bi = 0;
  for (let i = 0, k = l; i < w * hgt; i++, k += L) {
    const v = h[k];
    if (v > best) {
      best = v;
      bi = i;
    }
  }
  return [bi % w, Math.floor(bi / w), best];
}

function localCentroid(
  h: Float32Array,
  w: number,
  hgt: number,
  L: number,
  l: number,
  ax: number,
  ay: number,
  radius: number,
): Point {
  let sw = 0;
  let sx = 0;
  let sy = 0;
  for (let y = Math.max(0, ay - radius); y <= Math.min(hgt - 1, ay + radius); y++) {
    for (let x = Math.max(0, ax - radius); x <= Math.min(w - 1, ax + radius); x++) {
      const v = h[(y * w + x) * L + l];
      if (v > 0) {
        sw += v;
        sx += v * (x + 0.5);
        sy += v * (y + 0.5);
      }
    }
  }
  return sw > 0 ? [sx / sw, sy / sw] : [ax + 0.5, ay + 0.5];
}

/** Value at (x, y) of landmark l smoothed with a 3x3 binomial kernel ([1 2 1]/4 each way), edges clamped. */
function smoothed(
  h: Float32Array,
  w: number,
  hgt: number,
  L: number,
  l: number,
  x: number,
  y: number,
): number {
  let s = 0;
  for (let dy = -1; dy <= 1; dy++) {
    const yy = Math.min(hgt - 1, Math.max(0, y + dy));
    const wy = dy === 0 ? 2 : 1;
    for (let dx = -1; dx <= 1; dx++) {
      const xx = Math.min(w - 1, Math.max(0, x + dx));
      s += wy * (dx === 0 ? 2 : 1) * h[(yy * w + xx) * L + l];
    }
  }
  return s / 16;
}

function darkRefine(
  h: Float32Array,
  w: number,
  hgt: number,
  L: number,
  l: number,
  ax: number,
  ay: number,
  smooth: boolean,
): Point | null {
  if (w < 3 || hgt < 3) return null;
  // Taylor expansion about the argmax cell, or about its inner neighbour when the argmax is on the
  // border (log h of a Gaussian is quadratic, so any nearby centre gives the same peak; a border
  // argmax used to fall back to the local centroid of a truncated peak, ~1 px inwards)
  const cx = Math.min(w - 2, Math.max(1, ax));
  const cy = Math.min(hgt - 2, Math.max(1, ay));
  // the 3x3 smoothing clamps at the border, which bends the peak there: use the raw values
  const sm = smooth && cx >= 2 && cy >= 2 && cx <= w - 3 && cy <= hgt - 3;
  const g = (dx: number, dy: number): number => {
    const v = sm ? smoothed(h, w, hgt, L, l, cx + dx, cy + dy) : h[((cy + dy) * w + cx + dx) * L + l];
    return v > 1e-10 ? Math.log(v) : NaN;
  };
  const c = g(0, 0);
  const xp = g(1, 0);
  const xm = g(-1, 0);
  const yp = g(0, 1);
  const ym = g(0, -1);
  const pp = g(1, 1);
  const pm = g(1, -1);
  const mp = g(-1, 1);
  const mm = g(-1, -1);
  const dx = (xp - xm) / 2;
  const dy = (yp - ym) / 2;
  const dxx = xp - 2 * c + xm;
  const dyy = yp - 2 * c + ym;
  const dxy = (pp - pm - mp + mm) / 4;
  const det = dxx * dyy - dxy * dxy;
  if (!Number.isFinite(det) || !(dxx < 0) || !(det > 1e-12)) return null;
  // offset = -H^-1 g
  const ox = -(dyy * dx - dxy * dy) / det;
  const oy = -(-dxy * dx + dxx * dy) / det;
  // the peak stays within 1.5 px of the argmax cell
  const px = cx + ox;
  const py = cy + oy;
  if (!(Math.abs(px - ax) <= 1.5 && Math.abs(py - ay) <= 1.5)) return null;
  return [px + 0.5, py + 0.5];
}

export interface DecodeOptions {
  decoder?: Decoder;
  /** Window radius of the local soft-argmax in px (default ceil(3 * sigma), at least 2). */
  radius?: number;
  /** Heatmap sigma in px (sets the default radius). */
  sigma?: number;
  /** DARK: smooth the heatmap (3x3 binomial) before the Taylor step (default true; false for exact targets). */
  smooth?: boolean;
}

/** Decoded landmark: position (px of the heatmap frame) and peak value (confidence). */
export interface DecodedPoint {
  point: Point;
  peak: number;
}

/** Decode every landmark of an HWC heatmap array. */
export function decodeHeatmaps(
  h: Float32Array,
  width: number,
  height: number,
  landmarks: number,
  opts: DecodeOptions = {},
): DecodedPoint[] {
  const decoder = opts.decoder ?? 'dark';
  const radius = opts.radius ?? Math.max(2, Math.ceil(3 * (opts.sigma ?? 2)));
  const out: DecodedPoint[] = [];
  for (let l = 0; l < landmarks; l++) {
    const [ax, ay, peak] = argmaxOf(h, width, height, landmarks, l);
    let point: Point;
    if (decoder === 'argmax') point = [ax + 0.5, ay + 0.5];
    else if (decoder === 'local') point = localCentroid(h, width, height, landmarks, l, ax, ay, radius);
    else
      point =
        darkRefine(h, width, height, landmarks, l, ax, ay, opts.smooth ?? true) ??
        localCentroid(h, width, height, landmarks, l, ax, ay, radius);
    out.push({ point, peak });
  }
  return out;
}

/**
 * Differentiable spatial soft-argmax: heatmaps [N,H,W,L] -> expected coordinates [N,L,2] (x, y in
 * px, pixel centres at +0.5) under softmax(beta * h) over each map. Usable inside a gradient tape.
 */
export function softArgmax2d(heatmaps: tf.Tensor4D, beta = 1): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, hgt, w, L] = heatmaps.shape;
    const flat = tf.reshape(tf.transpose(heatmaps, [0, 3, 1, 2]), [n, L, hgt * w]);
    const prob = tf.softmax(tf.mul(flat, beta));
    const xs = tf.tile(tf.add(tf.range(0, w, 1, 'float32'), 0.5), [hgt]);
    const ys = tf.reshape(
      tf.tile(tf.reshape(tf.add(tf.range(0, hgt, 1, 'float32'), 0.5), [hgt, 1]), [1, w]),
      [hgt * w],
    );
    const grid = tf.stack([xs, ys], 1); // [H*W, 2]
    return tf.reshape(tf.matMul(tf.reshape(prob, [n * L, hgt * w]), grid), [n, L, 2]) as tf.Tensor3D;
  });
}
