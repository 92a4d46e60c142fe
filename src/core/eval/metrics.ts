/**
 * Image-quality metrics per case and per evaluation set, named like the clinic's metrics JSON
 * (`mean_l1`, `mean_psnr`, ...). Inputs are [-1,1] NHWC tensors (the server's scale); metrics are
 * computed on the [0,1] scale unless the name says otherwise (`l1_pm1` is on [-1,1]).
 * Returned numbers are plain JS numbers.
 */
import * as tf from '@tensorflow/tfjs';
import { ssimPerCase } from '../losses';
import type { PixelRect } from './contentRegion';

/**
 * The rectangle `r` of an NHWC batch (every image, every channel), e.g. a case's content region
 * (contentRegion.ts). Returns the input itself when `r` is null or covers it whole (then the
 * caller must not dispose it twice: compare identity).
 */
export function cropTensor<T extends tf.Tensor4D>(images: T, r: PixelRect | null | undefined): T {
  if (!r) return images;
  const [, h, w] = images.shape;
  if (r.x === 0 && r.y === 0 && r.w === w && r.h === h) return images;
  return tf.slice(images, [0, r.y, r.x, 0], [-1, r.h, r.w, -1]) as T;
}

export interface CaseMetrics {
  /** Mean absolute error on [0,1], over all pixels and channels. */
  l1_01: number;
  /** Mean absolute error on the server's [-1,1] scale (= 2 * l1_01; the server's G_L1 / lambda_L1). */
  l1_pm1: number;
  /**
   * PSNR in dB with data range 1 on [0,1]: 10 log10(1 / MSE), MSE over all pixels and channels.
   * Identical images give +Infinity.
   */
  psnr_db: number;
  /**
   * Mean SSIM on [0,1] (data range 1), Gaussian window 11 / sigma 1.5 / K1 0.01 / K2 0.03, computed
   * on the GREY image = mean over channels (not luminance-weighted; the x-rays are grey anyway).
   */
  ssim: number;
}

/**
 * Per-case metrics of predictions against targets (both [-1,1], same shape [N,H,W,C]).
 * No clipping: values are mapped with (x + 1) / 2 as they are. With `region` (e.g. the content
 * region of letterboxed images, contentRegion.ts) every metric is computed on that rectangle only:
 * the images are cropped first, so neither the means nor the SSIM window see a pixel outside it.
 */
export async function imageMetrics(
  pred: tf.Tensor4D,
  target: tf.Tensor4D,
  region?: PixelRect | null,
): Promise<CaseMetrics[]> {
  if (pred.shape.join('x') !== target.shape.join('x')) {
    throw new Error(
      `imageMetrics: prediction shape ${pred.shape.join('x')} differs from target shape ${target.shape.join('x')}`,
    );
  }
  const [l1T, mseT, ssimT] = tf.tidy(() => {
    const p = tf.div(tf.add(cropTensor(pred, region), 1), 2) as tf.Tensor4D;
    const t = tf.div(tf.add(cropTensor(target, region), 1), 2) as tf.Tensor4D;
    const d = tf.sub(p, t);
    const l1 = tf.mean(tf.abs(d), [1, 2, 3]);
    const mse = tf.mean(tf.square(d), [1, 2, 3]);
    const greyP = tf.mean(p, 3, true) as tf.Tensor4D;
    const greyT = tf.mean(t, 3, true) as tf.Tensor4D;
    return [l1, mse, ssimPerCase(greyP, greyT, { dataRange: 1 })];
  });
  try {
    const [l1s, mses, ssims] = await Promise.all([l1T.data(), mseT.data(), ssimT.data()]);
    return Array.from(l1s, (l1_01, i) => ({
      l1_01,
      l1_pm1: 2 * l1_01,
      psnr_db: psnrFromMse(mses[i], 1),
      ssim: ssims[i],
    }));
  } finally {
    tf.dispose([l1T, mseT, ssimT]);
  }
}

export interface Summary {
  mean: number;
  median: number;
  min: number;
  max: number;
  n: number;
}

/**
 * Mean, median (numpy-style linear interpolation), min, max and count. An empty list gives NaN
 * statistics with n = 0. Infinity (PSNR of an exact match) propagates into mean and max.
 */
export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  if (n === 0) return { mean: NaN, median: NaN, min: NaN, max: NaN, n: 0 };
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { mean: sum / n, median: percentile(values, 50), min, max, n };
}

export interface AggregateMetrics {
  /** On [0,1]. */
  mean_l1: number;
  median_l1: number;
  /** dB, data range 1. */
  mean_psnr: number;
  median_psnr: number;
  mean_ssim: number;
  median_ssim: number;
  n_cases: number;
}

/** Evaluation-set summary with the clinic's JSON names (mean_l1 on [0,1], PSNR in dB). */
export function aggregate(cases: readonly CaseMetrics[]): AggregateMetrics {
  const l1 = summarize(cases.map((c) => c.l1_01));
  const psnr = summarize(cases.map((c) => c.psnr_db));
  const s = summarize(cases.map((c) => c.ssim));
  return {
    mean_l1: l1.mean,
    median_l1: l1.median,
    mean_psnr: psnr.mean,
    median_psnr: psnr.median,
    mean_ssim: s.mean,
    median_ssim: s.median,
    n_cases: cases.length,
  };
}

// ---------------------------------------------------------------------------------------------
// Pure TypeScript versions (no tf), accumulated in float64
// ---------------------------------------------------------------------------------------------

function checkSameLength(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) throw new Error(`${what}: arrays differ in length (${a.length} vs ${b.length})`);
  if (a.length === 0) throw new Error(`${what}: empty arrays`);
}

/** Mean absolute difference (same scale as the inputs). */
export function l1(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkSameLength(a, b, 'l1');
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

/** Mean squared difference (same scale as the inputs). */
export function mse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkSameLength(a, b, 'mse');
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s / a.length;
}

/** PSNR in dB from an MSE: 10 log10(range^2 / mse); mse = 0 gives +Infinity. */
export function psnrFromMse(mseValue: number, dataRange = 1): number {
  if (mseValue === 0) return Infinity;
  return 10 * Math.log10((dataRange * dataRange) / mseValue);
}

/** PSNR in dB (default data range 1, i.e. inputs on [0,1]); identical inputs give +Infinity. */
export function psnr(a: ArrayLike<number>, b: ArrayLike<number>, dataRange = 1): number {
  return psnrFromMse(mse(a, b), dataRange);
}

/**
 * p-th percentile (p in [0,100]) of an already ascending-sorted array, numpy's default 'linear'
 * method: rank = p/100 * (n-1), result = s[floor] + (s[ceil] - s[floor]) * frac(rank).
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile: p must be in [0, 100], got ${p}`);
  const rank = (p / 100) * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, n - 1);
  const frac = rank - lo;
  const a = sorted[lo];
  const b = sorted[hi];
  return frac === 0 ? a : a + (b - a) * frac;
}

/**
 * p-th percentile (p in [0,100]) with numpy's default linear interpolation
 * (`np.percentile(values, p)`); sorts a copy. Empty input gives NaN.
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  const sorted = Float64Array.from(values).sort();
  return percentileSorted(sorted, p);
}
