import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import {
  CLINIC_PLAN_002,
  diagnose,
  histogram,
  imageStats,
  imageStatsFromMaps,
  outputInputSensitivity,
  stuckDetector,
  type RoundDiag,
} from '../../src/core/eval/diagnostics';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** [1,h,w,3] image in [-1,1] whose grey value in 0-255 units is f(i, j) (all channels equal). */
function grey255(h: number, w: number, f: (i: number, j: number) => number): tf.Tensor4D {
  const v: number[] = [];
  for (let i = 0; i < h; i++)
    for (let j = 0; j < w; j++) for (let c = 0; c < 3; c++) v.push(f(i, j) / 127.5 - 1);
  return tf.tensor4d(v, [1, h, w, 3]);
}

describe('histogram', () => {
  it('counts fixed bins [lo + i w, lo + (i+1) w) with under/overflow', () => {
    const h = histogram([0, 1.9, 2, 127.9, 128, -1, 64], 0, 128, 64);
    expect(h.counts[0]).toBe(2);
    expect(h.counts[1]).toBe(1);
    expect(h.counts[32]).toBe(1);
    expect(h.counts[63]).toBe(1);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(5);
    expect(h.underflow).toBe(1);
    expect(h.overflow).toBe(1);
    expect(() => histogram([1], 1, 1, 4)).toThrow(/hi > lo/);
  });
});

describe('imageStats (0-255 units)', () => {
  it('a hard 0 -> 255 step edge: gradient 127.5 on both sides of the edge, 0 elsewhere', async () => {
    const step = grey255(8, 8, (_i, j) => (j >= 4 ? 255 : 0));
    const before = tf.memory().numTensors;
    const s = await imageStats(step);
    expect(tf.memory().numTensors).toBe(before);
    step.dispose();
    expect(s.n_images).toBe(1);
    expect(s.n_pixels).toBe(64);
    // columns 3 and 4: |gx| = 255 * (1+2+1) / 8 = 127.5 ; 16 of 64 pixels
    expect(s.gradMean_255).toBeCloseTo(31.875, 3);
    expect(s.gradMax_255).toBeCloseTo(127.5, 3);
    expect(s.gradMin_255).toBeCloseTo(0, 6);
    expect(s.gradP1_255).toBeCloseTo(0, 6);
    // 48 zeros then 16 x 127.5: p99 rank 62.37 -> 127.5 ; p50 rank 31.5 -> 0
    expect(s.gradP99_255).toBeCloseTo(127.5, 3);
    expect(s.gradP999_255).toBeCloseTo(127.5, 3);
    expect(s.gradHist.counts[0]).toBe(48);
    expect(s.gradHist.counts[63]).toBe(16); // 127.5 in [126, 128)
    expect(s.gradHist.overflow).toBe(0);
    expect(s.intensityMin_255).toBeCloseTo(0, 4);
    expect(s.intensityMax_255).toBeCloseTo(255, 4);
    expect(s.intensityMean_255).toBeCloseTo(127.5, 3);
    // 32 zeros then 32 x 255: p1 rank 0.63 -> 0 ; p99 rank 62.37 -> 255
    expect(s.intensityP1_255).toBeCloseTo(0, 4);
    expect(s.intensityP99_255).toBeCloseTo(255, 4);
    expect(s.intensityHist.counts[0]).toBe(32);
    expect(s.intensityHist.counts[63]).toBe(32);
  });

  it('a ramp of 4 grey levels per pixel: gradient 4 inside, 2 on the first/last column', async () => {
    const ramp = grey255(6, 8, (_i, j) => 100 + 4 * j);
    const s = await imageStats(ramp);
    ramp.dispose();
    // per row: 2, 4 x 6, 2 -> mean 28 / 8 = 3.5
    expect(s.gradMean_255).toBeCloseTo(3.5, 3);
    expect(s.gradMin_255).toBeCloseTo(2, 3);
    expect(s.gradMax_255).toBeCloseTo(4, 3);
    // 12 twos then 36 fours: p1 rank 0.47 -> 2
    expect(s.gradP1_255).toBeCloseTo(2, 3);
    expect(s.intensityMax_255).toBeCloseTo(128, 3);
    expect(s.intensityMin_255).toBeCloseTo(100, 3);
    // intensities 100..128 step 4, 6 each: p99 rank 46.53 -> 128 ; p1 rank 0.47 -> 100
    expect(s.intensityP99_255).toBeCloseTo(128, 3);
    expect(s.gradHist.counts[1]).toBe(12); // 2 in [2, 4)
    expect(s.gradHist.counts[2]).toBe(36); // 4 in [4, 6)
  });

  it('pure-TS stats interpolate percentiles like numpy', () => {
    // grad 0..99: p1 = 0.99, p99 = 98.01, p99.9 = 98.901
    const g = Float32Array.from({ length: 100 }, (_, i) => i);
    const s = imageStatsFromMaps(g, g, 1, { bins: 10, gradHistMax_255: 50 });
    expect(s.gradP1_255).toBeCloseTo(0.99, 4);
    expect(s.gradP99_255).toBeCloseTo(98.01, 4);
    expect(s.gradP999_255).toBeCloseTo(98.901, 4);
    expect(s.gradMean_255).toBeCloseTo(49.5, 6);
    expect(s.gradHist.counts).toEqual(new Array(10).fill(5));
    expect(s.gradHist.overflow).toBe(50);
    expect(() => imageStatsFromMaps(g, new Float32Array(3), 1)).toThrow(/equal/);
  });
});

describe('diagnose / sensitivity', () => {
  it('compares a blurred prediction with a sharp target', async () => {
    const target = grey255(8, 8, (_i, j) => (j >= 4 ? 255 : 0));
    const pred = grey255(8, 8, (_i, j) => 100 + 4 * j);
    const d = await diagnose(pred, target);
    expect(d.sharpnessRatio).toBeCloseTo(3.5 / 31.875, 4);
    expect(d.maxRatio).toBeCloseTo(128 / 255, 4);
    expect(d.clinicPlan002).toEqual({ gradOk: true, maxOk: false }); // 3.5 > 3.0, 128 < 140
    expect(CLINIC_PLAN_002).toEqual({ gradMean_255: 3.0, intensityMax_255: 140 });
    tf.dispose([target, pred]);
  });

  it('outputInputSensitivity is the mean abs difference in 0-255 units', async () => {
    const a = tf.fill([2, 4, 4, 3], -1) as tf.Tensor4D;
    const b = tf.fill([2, 4, 4, 3], -0.5) as tf.Tensor4D;
    expect(await outputInputSensitivity(a, b)).toBeCloseTo(63.75, 4);
    expect(await outputInputSensitivity(a, a)).toBe(0);
    tf.dispose([a, b]);
  });
});

describe('stuckDetector', () => {
  /** Diagnostics of one round computed from real prediction tensors. */
  async function round(step: number, pred: tf.Tensor4D, losses: Record<string, number>): Promise<RoundDiag> {
    const s = await imageStats(pred);
    return { step, predGradMean_255: s.gradMean_255, predMax_255: s.intensityMax_255, losses };
  }

  it('a constant-output generator trips it while the losses still move', async () => {
    // the same smooth prediction every round (the clinic's frozen 2.133 / 112.34)
    const frozen = grey255(16, 16, (i, j) => 80 + 2 * j + i);
    const history: RoundDiag[] = [];
    for (let r = 0; r < 6; r++) history.push(await round(100 * r, frozen, { G_L1: 10 - r, G_GAN: 0.7 }));
    const v = stuckDetector(history, { k: 5, relTol: 0.01 });
    expect(v.stuck).toBe(true);
    expect(v.kind).toBe('frozen');
    expect(v.reason).toMatch(/G_L1/);
    expect(v.reason).toMatch(/steps 100-500/);
    frozen.dispose();
  });

  it('a prediction whose gradient rises each round is not stuck', async () => {
    const history: RoundDiag[] = [];
    for (let r = 0; r < 6; r++) {
      const pred = grey255(16, 16, (_i, j) => 60 + (1 + r) * j);
      history.push(await round(100 * r, pred, { G_L1: 10 - r }));
      pred.dispose();
    }
    expect(history[5].predGradMean_255).toBeGreaterThan(history[0].predGradMean_255 * 2);
    const v = stuckDetector(history, { k: 5, relTol: 0.01 });
    expect(v.stuck).toBe(false);
    expect(v.kind).toBe('moving');
  });

  it('flat diagnostics with flat losses is a plateau; too few rounds; input-independent output', () => {
    const flat: RoundDiag[] = Array.from({ length: 4 }, (_, r) => ({
      step: r,
      predGradMean_255: 2.133,
      predMax_255: 112.34,
      losses: { G_L1: 3.84 + 1e-4 * r },
    }));
    expect(stuckDetector(flat, { k: 4, relTol: 0.01 })).toMatchObject({ stuck: false, kind: 'plateau' });
    expect(stuckDetector(flat.slice(0, 2), { k: 4, relTol: 0.01 })).toMatchObject({
      stuck: false,
      kind: 'too_few_rounds',
    });
    const insensitive = [...flat.slice(0, 1), { ...flat[1], sensitivity_255: 0.02 }];
    const v = stuckDetector(insensitive, { k: 4, relTol: 0.01 });
    expect(v).toMatchObject({ stuck: true, kind: 'insensitive' });
    expect(v.reason).toMatch(/0\.020/);
    expect(() => stuckDetector(flat, { k: 1, relTol: 0.01 })).toThrow(/k must be/);
  });
});
