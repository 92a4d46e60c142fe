import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import {
  aggregate,
  imageMetrics,
  l1,
  mse,
  percentile,
  percentileSorted,
  psnr,
  psnrFromMse,
  summarize,
  type CaseMetrics,
} from '../../src/core/eval/metrics';
import { EmaSmoother, smoothSeries } from '../../src/core/eval/ema';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('pure-TS metrics', () => {
  it('l1 / mse / psnr of a constant offset', () => {
    const a = new Float32Array([0.1, 0.5, 0.9, 0.3]);
    const b = a.map((v) => v + 0.1);
    expect(l1(a, b)).toBeCloseTo(0.1, 6);
    expect(mse(a, b)).toBeCloseTo(0.01, 6);
    // 10 log10(1 / 0.01) = 20 dB exactly
    expect(psnr(a, b)).toBeCloseTo(20, 4);
    // offset 0.05 -> 10 log10(400) dB; data range 255 with offset 5 -> 10 log10(255^2 / 25)
    expect(psnrFromMse(0.05 ** 2)).toBeCloseTo(26.0206, 4);
    expect(psnrFromMse(25, 255)).toBeCloseTo(34.1514, 4);
    expect(psnr(a, a)).toBe(Infinity);
    expect(() => l1(a, new Float32Array(3))).toThrow(/length/);
  });

  it('percentile uses numpy linear interpolation', () => {
    const v = [4, 1, 3, 2]; // sorted 1 2 3 4, rank = p/100 * 3
    expect(percentile(v, 0)).toBe(1);
    expect(percentile(v, 25)).toBeCloseTo(1.75, 12); // rank 0.75
    expect(percentile(v, 50)).toBeCloseTo(2.5, 12);
    expect(percentile(v, 90)).toBeCloseTo(3.7, 12); // rank 2.7
    expect(percentile(v, 100)).toBe(4);
    // np.percentile([0, 10, 20, 30, 40, 100], 99.9) = 40 + 0.995 * 60 = 99.7 (rank 4.995)
    expect(percentile([100, 0, 40, 10, 30, 20], 99.9)).toBeCloseTo(99.7, 10);
    expect(percentileSorted([7], 33)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile(v, 101)).toThrow(/\[0, 100\]/);
  });

  it('summarize and aggregate use the clinic names', () => {
    expect(summarize([3, 1, 2])).toEqual({ mean: 2, median: 2, min: 1, max: 3, n: 3 });
    expect(summarize([4, 1, 3, 2]).median).toBe(2.5);
    expect(summarize([]).n).toBe(0);
    const cases: CaseMetrics[] = [
      { l1_01: 0.1, l1_pm1: 0.2, psnr_db: 20, ssim: 0.5 },
      { l1_01: 0.3, l1_pm1: 0.6, psnr_db: 10, ssim: 0.7 },
      { l1_01: 0.2, l1_pm1: 0.4, psnr_db: 15, ssim: 0.9 },
    ];
    const agg = aggregate(cases);
    expect(Object.keys(agg).sort()).toEqual(
      ['mean_l1', 'median_l1', 'mean_psnr', 'median_psnr', 'mean_ssim', 'median_ssim', 'n_cases'].sort(),
    );
    expect(agg.mean_l1).toBeCloseTo(0.2, 12);
    expect(agg.median_l1).toBeCloseTo(0.2, 12);
    expect(agg.mean_psnr).toBeCloseTo(15, 12);
    expect(agg.median_psnr).toBe(15);
    expect(agg.mean_ssim).toBeCloseTo(0.7, 12);
    expect(agg.n_cases).toBe(3);
  });
});

describe('imageMetrics', () => {
  it('per case L1 / PSNR / SSIM on [0,1] from [-1,1] tensors', async () => {
    const s = [12, 12, 3] as const;
    // case 0: target -0.5 (0.25 on [0,1]), prediction -0.3 (0.35): offset 0.1 on [0,1]
    // case 1: identical random images
    const rnd = tf.randomUniform([1, ...s], -1, 1, 'float32', 3);
    const target = tf.concat([tf.fill([1, ...s], -0.5), rnd]) as tf.Tensor4D;
    const pred = tf.concat([tf.fill([1, ...s], -0.3), rnd]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const m = await imageMetrics(pred, target);
    expect(tf.memory().numTensors).toBe(before);
    expect(m).toHaveLength(2);
    expect(m[0].l1_01).toBeCloseTo(0.1, 6);
    expect(m[0].l1_pm1).toBeCloseTo(0.2, 6);
    expect(m[0].psnr_db).toBeCloseTo(20, 3);
    // constant images: SSIM = luminance term with C1 = (0.01 * 1)^2
    const C1 = 1e-4;
    // float32 E[x^2] - mu^2 leaves ~1e-8 variance noise against C2 = 9e-4: agree to 1e-4
    expect(m[0].ssim).toBeCloseTo((2 * 0.35 * 0.25 + C1) / (0.35 ** 2 + 0.25 ** 2 + C1), 4);
    expect(m[1]).toEqual({ l1_01: 0, l1_pm1: 0, psnr_db: Infinity, ssim: expect.closeTo(1, 5) });
    const agg = aggregate(m);
    expect(agg.mean_psnr).toBe(Infinity); // documented: an exact match makes the mean infinite
    expect(agg.median_psnr).toBe(Infinity); // median of [20, Inf] interpolates to Inf
    tf.dispose([rnd, target, pred]);
  });

  it('SSIM is on the grey (channel-mean) image and rejects mismatched shapes', async () => {
    // channels differ but their means are equal -> grey images identical -> SSIM 1
    const a = tf.tensor4d(Array.from({ length: 12 * 12 }, () => [0.2, -0.2]).flat(), [1, 12, 12, 2]);
    const b = tf.zeros([1, 12, 12, 2]) as tf.Tensor4D;
    const [m] = await imageMetrics(a, b);
    expect(m.ssim).toBeCloseTo(1, 5);
    expect(m.l1_01).toBeCloseTo(0.1, 6);
    const c = tf.zeros([1, 12, 11, 2]) as tf.Tensor4D;
    await expect(imageMetrics(a, c)).rejects.toThrow(/1x12x12x2 differs from target shape 1x12x11x2/);
    tf.dispose([a, b, c]);
  });
});

describe('EMA (TensorBoard debiased)', () => {
  it('matches a hand-computed sequence', () => {
    // s = 0.5: last 0.5 -> 1; last 1.25 -> 1.25 / 0.75; last 2.125 -> 2.125 / 0.875
    const out = smoothSeries([1, 2, 3], 0.5);
    expect(out[0]).toBeCloseTo(1, 12);
    expect(out[1]).toBeCloseTo(5 / 3, 12);
    expect(out[2]).toBeCloseTo(2.125 / 0.875, 12);
    // s = 0.9: last 0.1*10 = 1 -> 1/0.1 = 10; last 0.9 + 0 = 0.9 -> 0.9 / 0.19
    const o2 = smoothSeries([10, 0], 0.9);
    expect(o2[0]).toBeCloseTo(10, 12);
    expect(o2[1]).toBeCloseTo(0.9 / 0.19, 12);
  });

  it('passes non-finite values through without updating the state; s = 0 is the identity', () => {
    const out = smoothSeries([1, NaN, 2, Infinity, 3], 0.5);
    expect(out[1]).toBeNaN();
    expect(out[3]).toBe(Infinity);
    expect([out[0], out[2], out[4]]).toEqual([
      1,
      expect.closeTo(5 / 3, 12),
      expect.closeTo(2.125 / 0.875, 12),
    ]);
    expect(smoothSeries([3, -1, 7], 0)).toEqual([3, -1, 7]);
    expect(() => smoothSeries([1], 1)).toThrow(RangeError);
  });

  it('the streaming smoother equals smoothSeries and resets', () => {
    const values = [5, 3, 8, NaN, 1, 2];
    const ema = new EmaSmoother(0.6);
    const streamed = values.map((v) => ema.push(v));
    const batch = smoothSeries(values, 0.6);
    streamed.forEach((v, i) => (Number.isNaN(v) ? expect(batch[i]).toBeNaN() : expect(v).toBe(batch[i])));
    expect(ema.count).toBe(5);
    ema.reset();
    expect(ema.push(4)).toBeCloseTo(4, 12);
  });
});
