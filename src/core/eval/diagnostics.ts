/**
 * Sharpness and extremum diagnostics in 0-255 units, the quantities of the clinic's plan 002
 * ("prediction mean gradient frozen at 2.133, prediction maximum frozen at 112.34; success if
 * gradient > 3.0 and maximum > 140"). The detector for a generator that stopped changing lives
 * TF.js-free in stuck.ts (re-exported here).
 *
 * Definitions (all on the GREY image = mean over channels, mapped from [-1,1] to 0-255 by
 * (x + 1) * 127.5, not clipped):
 * - gradient magnitude = sqrt(gx^2 + gy^2) with the 3x3 Sobel kernels divided by 8 and replicate
 *   padding (see `sobel` in losses.ts), so it is an intensity change in 0-255 units per pixel.
 *   A hard 0 -> 255 step reads 127.5 on each of its two sides; the largest possible value is
 *   127.5 * sqrt(2) ≈ 180.3.
 * - the clinic's 极值 (extreme) is the pixel intensity maximum, reported as `intensityMax_255`.
 * Percentiles use numpy's default linear interpolation over all pixels of all images.
 * With a `region` (the content region of letterboxed images, contentRegion.ts) the images are
 * cropped to it first: the statistics never count padding, and the Sobel filter's replicate
 * padding at the crop's edge keeps the content/padding border from reading as an edge.
 */
import * as tf from '@tensorflow/tfjs';
import { sobel } from '../losses';
import type { PixelRect } from './contentRegion';
import { cropTensor, percentileSorted } from './metrics';

/** The clinic's plan-002 success thresholds (their pipeline; a guide, not a gate). */
export const CLINIC_PLAN_002 = { gradMean_255: 3.0, intensityMax_255: 140 } as const;

export interface Histogram {
  /** Lower edge of bin 0. */
  lo: number;
  /** Upper edge of the last bin. Bin i covers [lo + i*w, lo + (i+1)*w), w = (hi - lo) / counts.length. */
  hi: number;
  counts: number[];
  /** Values < lo. */
  underflow: number;
  /** Values >= hi (not counted in any bin). */
  overflow: number;
}

export interface ImageStats {
  n_images: number;
  /** Pixels per statistic (n_images * H * W). */
  n_pixels: number;
  gradMean_255: number;
  gradMin_255: number;
  gradMax_255: number;
  gradP1_255: number;
  gradP99_255: number;
  gradP999_255: number;
  /** 64 bins of 2 units over [0, 128) by default; larger gradients count in `overflow`. */
  gradHist: Histogram;
  intensityMean_255: number;
  intensityMin_255: number;
  intensityMax_255: number;
  intensityP1_255: number;
  intensityP99_255: number;
  intensityP999_255: number;
  /** 64 bins of 4 units over [0, 256) by default. */
  intensityHist: Histogram;
}

export interface HistogramOptions {
  /** Number of bins for both histograms (default 64). */
  bins?: number;
  /** Upper edge of the gradient histogram in 0-255 units per pixel (default 128). */
  gradHistMax_255?: number;
}

/** Fixed-bin histogram over [lo, hi). */
export function histogram(values: ArrayLike<number>, lo: number, hi: number, bins: number): Histogram {
  if (!(hi > lo) || !Number.isInteger(bins) || bins < 1) {
    throw new Error(`histogram: need hi > lo and an integer bin count >= 1 (got ${lo}, ${hi}, ${bins})`);
  }
  const counts = new Array<number>(bins).fill(0);
  const scale = bins / (hi - lo);
  let underflow = 0;
  let overflow = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) underflow++;
    else if (v >= hi) overflow++;
    else counts[Math.min(bins - 1, Math.floor((v - lo) * scale))]++;
  }
  return { lo, hi, counts, underflow, overflow };
}

interface BasicStats {
  mean: number;
  min: number;
  max: number;
  p1: number;
  p99: number;
  p999: number;
}

function basicStats(values: Float32Array): BasicStats {
  const sorted = Float32Array.from(values).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i];
  return {
    mean: sum / sorted.length,
    min: sorted[0],
    max: sorted[sorted.length - 1],
    p1: percentileSorted(sorted, 1),
    p99: percentileSorted(sorted, 99),
    p999: percentileSorted(sorted, 99.9),
  };
}

/**
 * Statistics from precomputed maps (pure TS): grey intensities and gradient magnitudes, both in
 * 0-255 units, flattened over all images (same length).
 */
export function imageStatsFromMaps(
  intensity_255: Float32Array,
  grad_255: Float32Array,
  nImages: number,
  opts: HistogramOptions = {},
): ImageStats {
  if (intensity_255.length === 0 || intensity_255.length !== grad_255.length) {
    throw new Error(
      `imageStatsFromMaps: need equal, non-empty maps (got ${intensity_255.length} and ${grad_255.length})`,
    );
  }
  const bins = opts.bins ?? 64;
  const g = basicStats(grad_255);
  const it = basicStats(intensity_255);
  return {
    n_images: nImages,
    n_pixels: grad_255.length,
    gradMean_255: g.mean,
    gradMin_255: g.min,
    gradMax_255: g.max,
    gradP1_255: g.p1,
    gradP99_255: g.p99,
    gradP999_255: g.p999,
    gradHist: histogram(grad_255, 0, opts.gradHistMax_255 ?? 128, bins),
    intensityMean_255: it.mean,
    intensityMin_255: it.min,
    intensityMax_255: it.max,
    intensityP1_255: it.p1,
    intensityP99_255: it.p99,
    intensityP999_255: it.p999,
    intensityHist: histogram(intensity_255, 0, 256, bins),
  };
}

/**
 * Grey image and Sobel gradient magnitude, both [N,H,W,1] in 0-255 units, from a [-1,1] NHWC
 * batch. Caller disposes both tensors.
 */
export function greyAndGradient_255(images: tf.Tensor4D): { grey: tf.Tensor4D; grad: tf.Tensor4D } {
  return tf.tidy(() => {
    const grey = tf.mul(tf.add(tf.mean(images, 3, true), 1), 127.5) as tf.Tensor4D;
    const { gx, gy } = sobel(grey);
    const grad = tf.sqrt(tf.add(tf.square(gx), tf.square(gy))) as tf.Tensor4D;
    return { grey, grad };
  });
}

/**
 * Gradient and intensity statistics (0-255 units) of a [-1,1] NHWC batch, pooled over all images
 * (over `region` of each image when given).
 */
export async function imageStats(
  images: tf.Tensor4D,
  opts: HistogramOptions = {},
  region?: PixelRect | null,
): Promise<ImageStats> {
  const cropped = cropTensor(images, region);
  const { grey, grad } = greyAndGradient_255(cropped);
  if (cropped !== images) cropped.dispose();
  try {
    const [gv, dv] = await Promise.all([grey.data(), grad.data()]);
    return imageStatsFromMaps(Float32Array.from(gv), Float32Array.from(dv), images.shape[0], opts);
  } finally {
    tf.dispose([grey, grad]);
  }
}

export interface Diagnosis {
  pred: ImageStats;
  target: ImageStats;
  /** pred mean gradient / target mean gradient (1 = as sharp as the x-rays; < 1 = blurred). */
  sharpnessRatio: number;
  /** pred p99 gradient / target p99 gradient (strong edges only). */
  edgeRatio: number;
  /** pred max intensity / target max intensity (the clinic's 极值). */
  maxRatio: number;
  /** pred p99.9 intensity / target p99.9 intensity (robust to single hot pixels). */
  p999Ratio: number;
  /** Whether the prediction passes the clinic's plan-002 thresholds (gradient > 3.0, max > 140). */
  clinicPlan002: { gradOk: boolean; maxOk: boolean };
}

function ratio(a: number, b: number): number {
  return b === 0 ? (a === 0 ? 1 : Infinity) : a / b;
}

/**
 * Diagnostics of predictions vs targets ([-1,1] NHWC, any batch sizes), see the module comment;
 * over `region` of every image when given (the same rectangle for pred and target).
 */
export async function diagnose(
  pred: tf.Tensor4D,
  target: tf.Tensor4D,
  opts: HistogramOptions = {},
  region?: PixelRect | null,
): Promise<Diagnosis> {
  const p = await imageStats(pred, opts, region);
  const t = await imageStats(target, opts, region);
  return {
    pred: p,
    target: t,
    sharpnessRatio: ratio(p.gradMean_255, t.gradMean_255),
    edgeRatio: ratio(p.gradP99_255, t.gradP99_255),
    maxRatio: ratio(p.intensityMax_255, t.intensityMax_255),
    p999Ratio: ratio(p.intensityP999_255, t.intensityP999_255),
    clinicPlan002: {
      gradOk: p.gradMean_255 > CLINIC_PLAN_002.gradMean_255,
      maxOk: p.intensityMax_255 > CLINIC_PLAN_002.intensityMax_255,
    },
  };
}

/**
 * Input sensitivity: mean absolute difference, in 0-255 units over all pixels and channels,
 * between the generator's predictions for two DIFFERENT inputs ([-1,1], same shape). Near 0 means
 * the output barely depends on the input (a collapsed generator).
 */
export async function outputInputSensitivity(predA: tf.Tensor4D, predB: tf.Tensor4D): Promise<number> {
  if (predA.shape.join('x') !== predB.shape.join('x')) {
    throw new Error(
      `outputInputSensitivity: shapes differ (${predA.shape.join('x')} vs ${predB.shape.join('x')})`,
    );
  }
  const d = tf.tidy(() => tf.mul(tf.mean(tf.abs(tf.sub(predA, predB))), 127.5));
  try {
    return (await d.data())[0];
  } finally {
    d.dispose();
  }
}

// The stuck detector is pure arithmetic: it lives TF.js-free in stuck.ts (the page runs it too)
export { DEFAULT_STUCK, stuckDetector, type RoundDiag, type StuckOptions, type StuckVerdict } from './stuck';
