import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { withDefaults, type RunConfig } from '../../src/core/config';
import type { DiscriminatorOutput } from '../../src/core/model/types';
import {
  discriminatorLoss,
  featureMatchingLoss,
  G_TERMS,
  ganLoss,
  ganLossMulti,
  generatorLoss,
  gradientLoss,
  l1Loss,
  laplacian,
  laplacianLoss,
  lossBalance,
  multiScale,
  pyramid,
  sobel,
  ssim,
  ssimLoss,
  ssimPerCase,
  type GTerm,
} from '../../src/core/losses';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** Reads a scalar and disposes it. */
function num(t: tf.Tensor): number {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}

/** Reads a tensor as a nested [n][h][w][c] array and disposes it. */
function arr4(t: tf.Tensor4D): number[][][][] {
  const v = t.arraySync();
  t.dispose();
  return v;
}

/** Image [1,h,w,1] from f(i,j). */
function img(h: number, w: number, f: (i: number, j: number) => number): tf.Tensor4D {
  const v: number[] = [];
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) v.push(f(i, j));
  return tf.tensor4d(v, [1, h, w, 1]);
}

const softplus = (x: number): number => Math.log1p(Math.exp(-Math.abs(x))) + Math.max(x, 0);

describe('GAN losses', () => {
  it('vanilla: logit 0 gives ln 2 for real and fake', () => {
    const z = tf.zeros([1, 4, 4, 1]);
    expect(num(ganLoss(z, true, 'vanilla'))).toBeCloseTo(Math.LN2, 6);
    expect(num(ganLoss(z, false, 'vanilla'))).toBeCloseTo(Math.LN2, 6);
    z.dispose();
  });

  it('vanilla matches softplus closed forms and is stable for large logits', () => {
    const x = tf.tensor1d([2, -3, 100, -100]);
    // real: BCE = softplus(-x); fake: softplus(x)
    const real = [2, -3, 100, -100].map((v) => softplus(-v));
    const fake = [2, -3, 100, -100].map((v) => softplus(v));
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(num(ganLoss(x, true, 'vanilla'))).toBeCloseTo(mean(real), 4);
    expect(num(ganLoss(x, false, 'vanilla'))).toBeCloseTo(mean(fake), 4);
    x.dispose();
  });

  it('lsgan is MSE to 1 / 0', () => {
    const x = tf.tensor1d([0.5, 2]);
    expect(num(ganLoss(x, true, 'lsgan'))).toBeCloseTo((0.25 + 1) / 2, 6);
    expect(num(ganLoss(x, false, 'lsgan'))).toBeCloseTo((0.25 + 4) / 2, 6);
    x.dispose();
  });

  it('multi-scale is the mean over scales', () => {
    const a = tf.zeros([1, 4, 4, 1]);
    const b = tf.fill([1, 2, 2, 1], 2);
    // lsgan real: scale a -> 1, scale b -> 1; fake: a -> 0, b -> 4
    expect(num(ganLossMulti([a, b], true, 'lsgan'))).toBeCloseTo(1, 6);
    expect(num(ganLossMulti([a, b], false, 'lsgan'))).toBeCloseTo(2, 6);
    expect(() => ganLossMulti([], true, 'lsgan')).toThrow(/no logits/);
    tf.dispose([a, b]);
  });

  it('discriminatorLoss = 0.5 (D_real + D_fake)', () => {
    const cfg = withDefaults({ gan_mode: 'vanilla' });
    const d = (v: number): DiscriminatorOutput => ({
      logits: [tf.fill([1, 3, 3, 1], v) as tf.Tensor4D],
      features: [],
    });
    const dReal = d(1);
    const dFake = d(-2);
    const { total, D_real, D_fake } = discriminatorLoss(cfg, dReal, dFake);
    const r = softplus(-1);
    const f = softplus(-2);
    expect(num(D_real)).toBeCloseTo(r, 5);
    expect(num(D_fake)).toBeCloseTo(f, 5);
    expect(num(total)).toBeCloseTo(0.5 * (r + f), 5);
    tf.dispose([...dReal.logits, ...dFake.logits]);
  });
});

describe('Sobel, Laplacian, pyramid', () => {
  it('horizontal ramp of slope a: gx = a inside, a/2 at the replicate-padded border, gy = 0', () => {
    const a = 0.3;
    const { gx, gy } = sobel(img(5, 6, (_i, j) => a * j));
    const gxv = arr4(gx)[0];
    const gyv = arr4(gy)[0];
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 6; j++) {
        const expected = j === 0 || j === 5 ? a / 2 : a;
        expect(gxv[i][j][0]).toBeCloseTo(expected, 6);
        expect(gyv[i][j][0]).toBeCloseTo(0, 6);
      }
    }
  });

  it('vertical step edge 0 -> 1 between rows 2 and 3: gy = 0.5 on rows 2 and 3, 0 elsewhere', () => {
    const { gx, gy } = sobel(img(6, 4, (i) => (i >= 3 ? 1 : 0)));
    const gxv = arr4(gx)[0];
    const gyv = arr4(gy)[0];
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 4; j++) {
        expect(gyv[i][j][0]).toBeCloseTo(i === 2 || i === 3 ? 0.5 : 0, 6);
        expect(gxv[i][j][0]).toBeCloseTo(0, 6);
      }
    }
  });

  it('works per channel and per case (batch 2, 2 channels keep their own derivatives)', () => {
    // case 0: ch0 = j (gx=1 inside), ch1 = 2i (gy=2 inside); case 1: ch0 = -i, ch1 = 3j
    const v: number[] = [];
    const f = [
      [(_i: number, j: number) => j, (i: number) => 2 * i],
      [(i: number) => -i, (_i: number, j: number) => 3 * j],
    ];
    for (let n = 0; n < 2; n++)
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 4; j++) for (let c = 0; c < 2; c++) v.push(f[n][c](i, j));
    const x = tf.tensor4d(v, [2, 4, 4, 2]);
    const { gx, gy } = sobel(x);
    const gxv = arr4(gx);
    const gyv = arr4(gy);
    // interior pixel (1, 2)
    expect(gxv[0][1][2]).toEqual([expect.closeTo(1, 6), expect.closeTo(0, 6)]);
    expect(gyv[0][1][2]).toEqual([expect.closeTo(0, 6), expect.closeTo(2, 6)]);
    expect(gxv[1][1][2]).toEqual([expect.closeTo(0, 6), expect.closeTo(3, 6)]);
    expect(gyv[1][1][2]).toEqual([expect.closeTo(-1, 6), expect.closeTo(0, 6)]);
    x.dispose();
  });

  it('Laplacian of x = j^2 along one row (replicate padding) and the Laplacian MSE loss', () => {
    // padded row [0,0,1,4,9,9]; H = 1 so up = down = centre: lap = (2c - l - r) / 4
    const x = img(1, 4, (_i, j) => j * j);
    expect(arr4(laplacian(x))[0][0].map((c) => c[0])).toEqual([
      expect.closeTo(-0.25, 6),
      expect.closeTo(-0.5, 6),
      expect.closeTo(-0.5, 6),
      expect.closeTo(1.25, 6),
    ]);
    const zero = tf.zerosLike(x);
    expect(num(laplacianLoss(x, zero))).toBeCloseTo((0.0625 + 0.25 + 0.25 + 1.5625) / 4, 6);
    tf.dispose([x, zero]);
  });

  it('gradientLoss l1 and mse on a ramp against a flat image', () => {
    const a = 0.4;
    const fake = img(4, 4, (_i, j) => a * j);
    const real = tf.zerosLike(fake);
    // gx per row: a/2, a, a, a/2 ; gy = 0
    expect(num(gradientLoss(fake, real, 'l1'))).toBeCloseTo(0.75 * a, 6);
    expect(num(gradientLoss(fake, real, 'mse'))).toBeCloseTo(0.625 * a * a, 6);
    tf.dispose([fake, real]);
  });

  it('pyramid averages 2x2 blocks; multiScale averages over levels', () => {
    const x = img(4, 4, (i, j) => 4 * i + j);
    const levels = pyramid(x, 3);
    expect(levels.map((l) => l.shape)).toEqual([
      [1, 4, 4, 1],
      [1, 2, 2, 1],
      [1, 1, 1, 1],
    ]);
    expect(Array.from(levels[1].dataSync())).toEqual([2.5, 4.5, 10.5, 12.5]);
    expect(levels[2].dataSync()[0]).toBeCloseTo(7.5, 6);
    tf.dispose(levels);
    // checkerboard +-1 vs 0: L1 = 1 at full res, 0 after 2x2 averaging
    const cb = img(4, 4, (i, j) => ((i + j) % 2 === 0 ? 1 : -1));
    const zero = tf.zerosLike(cb);
    expect(num(multiScale(l1Loss, cb, zero, 1))).toBeCloseTo(1, 6);
    expect(num(multiScale(l1Loss, cb, zero, 2))).toBeCloseTo(0.5, 6);
    expect(() => pyramid(cb, 0)).toThrow(/ms_levels/);
    expect(() => pyramid(cb, 4)).toThrow(/at least 8 px/);
    tf.dispose([cb, zero]);
  });
});

describe('feature matching', () => {
  it('is the mean over layers then scales of L1, with no gradient into the real features', () => {
    const c = (v: number, s: [number, number, number, number] = [1, 2, 2, 1]) => tf.fill(s, v) as tf.Tensor4D;
    const fake = [[c(1), c(2)], [c(0.5, [1, 1, 1, 3])]];
    const real = [[c(0), c(-1)], [c(1.5, [1, 1, 1, 3])]];
    // scale 0: (1 + 3) / 2 = 2 ; scale 1: 1 -> mean 1.5
    expect(num(featureMatchingLoss(fake, real))).toBeCloseTo(1.5, 6);
    const r0 = real[0][0];
    const gReal = tf.grad((r: tf.Tensor) => featureMatchingLoss([[fake[0][0]]], [[r as tf.Tensor4D]]))(r0);
    expect(Array.from(gReal.dataSync())).toEqual([0, 0, 0, 0]);
    const gFake = tf.grad((f: tf.Tensor) => featureMatchingLoss([[f as tf.Tensor4D]], [[r0]]))(fake[0][0]);
    for (const v of gFake.dataSync()) expect(v).toBeCloseTo(0.25, 6); // sign(1 - 0) / 4 elements
    tf.dispose([gReal, gFake, ...fake.flat(), ...real.flat()]);
    expect(() => featureMatchingLoss([[c(1)]], [])).toThrow(/scales/);
  });
});

/** Direct SSIM with a 2D Gaussian window, VALID, per channel, in float64 (independent of losses.ts). */
function ssimDirect(
  a: number[][][],
  b: number[][][],
  opts: { L: number; win: number; sigma?: number },
): number {
  const sigma = opts.sigma ?? 1.5;
  const H = a.length;
  const W = a[0].length;
  const C = a[0][0].length;
  const w = opts.win;
  const c0 = (w - 1) / 2;
  const g: number[][] = [];
  let gs = 0;
  for (let u = 0; u < w; u++) {
    g.push([]);
    for (let v = 0; v < w; v++) {
      const e = Math.exp(-((u - c0) ** 2 + (v - c0) ** 2) / (2 * sigma * sigma));
      g[u].push(e);
      gs += e;
    }
  }
  const C1 = (0.01 * opts.L) ** 2;
  const C2 = (0.03 * opts.L) ** 2;
  let sum = 0;
  let count = 0;
  for (let ch = 0; ch < C; ch++) {
    for (let i = 0; i + w <= H; i++) {
      for (let j = 0; j + w <= W; j++) {
        let mx = 0, my = 0, xx = 0, yy = 0, xy = 0; // prettier-ignore
        for (let u = 0; u < w; u++) {
          for (let v = 0; v < w; v++) {
            const k = g[u][v] / gs;
            const x = a[i + u][j + v][ch];
            const y = b[i + u][j + v][ch];
            mx += k * x;
            my += k * y;
            xx += k * x * x;
            yy += k * y * y;
            xy += k * x * y;
          }
        }
        const sx = xx - mx * mx;
        const sy = yy - my * my;
        const sxy = xy - mx * my;
        sum += ((2 * mx * my + C1) * (2 * sxy + C2)) / ((mx * mx + my * my + C1) * (sx + sy + C2));
        count++;
      }
    }
  }
  return sum / count;
}

describe('SSIM', () => {
  it('identical images give 1 and ssimLoss 0', () => {
    const x = tf.randomUniform([2, 16, 16, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
    expect(num(ssim(x, x))).toBeCloseTo(1, 5);
    expect(num(ssimLoss(x, x))).toBeCloseTo(0, 5);
    x.dispose();
  });

  it('constant images reduce to the luminance term (2 c1 c2 + C1) / (c1^2 + c2^2 + C1)', () => {
    const a = tf.fill([1, 12, 12, 1], 0.2) as tf.Tensor4D;
    const b = tf.fill([1, 12, 12, 1], -0.4) as tf.Tensor4D;
    const C1 = (0.01 * 2) ** 2;
    const expected = (2 * 0.2 * -0.4 + C1) / (0.04 + 0.16 + C1);
    expect(num(ssim(a, b))).toBeCloseTo(expected, 5);
    tf.dispose([a, b]);
  });

  it('matches a direct float64 implementation on random images (11x11 window and clipped 8x8)', () => {
    const a = tf.randomUniform([2, 14, 13, 2], -1, 1, 'float32', 7) as tf.Tensor4D;
    const b = tf.tidy(
      () => tf.clipByValue(tf.add(a, tf.randomNormal(a.shape, 0, 0.3, 'float32', 8)), -1, 1) as tf.Tensor4D,
    );
    const av = a.arraySync();
    const bv = b.arraySync();
    const per = ssimPerCase(a, b).arraySync();
    for (let n = 0; n < 2; n++) {
      expect(per[n]).toBeCloseTo(ssimDirect(av[n], bv[n], { L: 2, win: 11 }), 4);
    }
    // small images: the window shrinks to min(H, W) = 8 taps
    const a8 = tf.slice(a, [0, 0, 0, 0], [1, 8, 9, 2]) as tf.Tensor4D;
    const b8 = tf.slice(b, [0, 0, 0, 0], [1, 8, 9, 2]) as tf.Tensor4D;
    const direct8 = ssimDirect(a8.arraySync()[0], b8.arraySync()[0], { L: 1, win: 8 });
    expect(num(ssim(a8, b8, { dataRange: 1 }))).toBeCloseTo(direct8, 4);
    tf.dispose([a, b, a8, b8]);
  });
});

/** A tiny deterministic "discriminator": logits and two feature layers from fixed positive kernels. */
function tinyD(x: tf.Tensor4D): DiscriminatorOutput {
  return tf.tidy(() => {
    const k1 = tf.tensor4d([0.1, 0.2, 0.1, 0.2, 0.4, 0.2, 0.1, 0.2, 0.1], [3, 3, 1, 1]);
    const k2 = tf.tensor4d([0.3, 0.1, 0.05, 0.2], [2, 2, 1, 1]);
    const f1 = tf.conv2d(tf.mean(x, 3, true) as tf.Tensor4D, k1, 1, 'same');
    const f2 = tf.sigmoid(tf.conv2d(f1, k2, 2, 'valid'));
    const logits = tf.sub(tf.conv2d(f2, k2, 1, 'same'), 0.3) as tf.Tensor4D;
    const pooled = tf.avgPool(x, 2, 2, 'valid');
    return { logits: [logits, tf.mul(pooled, 0.7) as tf.Tensor4D], features: [[f1, f2], [pooled]] };
  });
}

function disposeD(d: DiscriminatorOutput): void {
  tf.dispose([...d.logits, ...d.features.flat()]);
}

const ALL_ON: Partial<RunConfig> = {
  lambda_L1: 100,
  lambda_grad: 5,
  grad_loss: 'l1',
  lambda_lap: 2,
  lambda_fm: 10,
  lambda_ssim: 3,
  ms_levels: 2,
};

describe('generatorLoss', () => {
  it('each term equals weight x unweighted term, total is their sum, all > 0 on random inputs', () => {
    const cfg = withDefaults(ALL_ON);
    const real = tf.randomUniform([2, 16, 16, 3], -1, 1, 'float32', 11) as tf.Tensor4D;
    const fake = tf.randomUniform([2, 16, 16, 3], -1, 1, 'float32', 12) as tf.Tensor4D;
    const dFake = tinyD(fake);
    const dReal = tinyD(real);
    const before = tf.memory().numTensors;
    const { total, terms } = generatorLoss(cfg, { fake, real, dFake, dReal });
    // 1 total + 6 terms survive, nothing else
    expect(tf.memory().numTensors - before).toBe(7);
    const v = Object.fromEntries(G_TERMS.map((k) => [k, terms[k].dataSync()[0]])) as Record<GTerm, number>;
    const expected: Record<GTerm, number> = {
      G_GAN: num(ganLossMulti(dFake.logits, true, 'vanilla')),
      G_L1: 100 * num(multiScale(l1Loss, fake, real, 2)),
      G_grad: 5 * num(multiScale((f, r) => gradientLoss(f, r, 'l1'), fake, real, 2)),
      G_lap: 2 * num(laplacianLoss(fake, real)),
      G_fm: 10 * num(featureMatchingLoss(dFake.features, dReal.features)),
      G_ssim: 3 * (1 - num(ssim(fake, real))),
    };
    for (const k of G_TERMS) {
      expect(v[k], k).toBeGreaterThan(0);
      expect(v[k], k).toBeCloseTo(expected[k], 3);
    }
    const sum = G_TERMS.reduce((s, k) => s + v[k], 0);
    expect(num(total)).toBeCloseTo(sum, 3);
    // the multi-scale L1 differs from the full-resolution one (ms_levels is applied)
    expect(Math.abs(v.G_L1 - 100 * num(l1Loss(fake, real)))).toBeGreaterThan(1e-3);
    tf.dispose(Object.values(terms));
    expect(tf.memory().numTensors).toBe(before);
    disposeD(dFake);
    disposeD(dReal);
    tf.dispose([real, fake]);
  });

  it('zero-weight terms are exactly 0; lambda_fm > 0 without dReal is a clear error', () => {
    const cfg = withDefaults({ lambda_L1: 0, lambda_grad: 0, lambda_lap: 0, lambda_fm: 0, lambda_ssim: 0 });
    const real = tf.randomUniform([1, 8, 8, 1], -1, 1, 'float32', 3) as tf.Tensor4D;
    const fake = tf.randomUniform([1, 8, 8, 1], -1, 1, 'float32', 4) as tf.Tensor4D;
    const dFake = tinyD(fake);
    const { total, terms } = generatorLoss(cfg, { fake, real, dFake });
    for (const k of G_TERMS.filter((t) => t !== 'G_GAN')) expect(terms[k].dataSync()[0], k).toBe(0);
    expect(num(total)).toBeCloseTo(terms.G_GAN.dataSync()[0], 6);
    tf.dispose(Object.values(terms));
    expect(() => generatorLoss(withDefaults({ lambda_fm: 1 }), { fake, real, dFake })).toThrow(/dReal/);
    disposeD(dFake);
    tf.dispose([real, fake]);
  });
});

describe('lossBalance', () => {
  it('gradient norms match central finite differences on a 1x8x8x1 image', async () => {
    const cfg = withDefaults({ ...ALL_ON, lambda_L1: 2, lambda_grad: 3, lambda_lap: 4, lambda_fm: 1.5 });
    const H = 8;
    const real = tf.randomUniform([1, H, H, 1], -0.8, 0.5, 'float32', 21) as tf.Tensor4D;
    // fake - real is a positive ramp in both directions: every L1 kink (|d|, |sobel(d)|, |conv(d)|)
    // stays far from zero under the finite-difference step, so the FD estimate is exact up to rounding.
    const ramp = img(H, H, (i, j) => 0.2 + 0.05 * j + 0.03 * i);
    const fake = tf.add(real, ramp) as tf.Tensor4D;
    const dReal = tinyD(real);
    const before = tf.memory().numTensors;
    const rows = await lossBalance(cfg, fake, real, tinyD, dReal);
    expect(tf.memory().numTensors).toBe(before);
    expect(rows.map((r) => r.term)).toEqual(G_TERMS);
    expect(rows.reduce((s, r) => s + r.share, 0)).toBeCloseTo(1, 6);

    // values equal generatorLoss's terms
    const dFake = tinyD(fake);
    const g = generatorLoss(cfg, { fake, real, dFake, dReal });
    for (const r of rows) expect(r.value, r.term).toBeCloseTo(g.terms[r.term].dataSync()[0], 4);
    tf.dispose([g.total, ...Object.values(g.terms)]);
    disposeD(dFake);

    // central finite differences, one pixel at a time
    const eps = 1e-2;
    const base = fake.dataSync();
    const fd: Record<GTerm, number[]> = { G_GAN: [], G_L1: [], G_grad: [], G_lap: [], G_fm: [], G_ssim: [] };
    const evalAt = (vals: Float32Array): Record<GTerm, number> =>
      tf.tidy(() => {
        const f = tf.tensor4d(vals, [1, H, H, 1]);
        const out = generatorLoss(cfg, { fake: f, real, dFake: tinyD(f), dReal });
        return Object.fromEntries(G_TERMS.map((k) => [k, out.terms[k].dataSync()[0]])) as Record<
          GTerm,
          number
        >;
      });
    for (let p = 0; p < base.length; p++) {
      const plus = Float32Array.from(base);
      const minus = Float32Array.from(base);
      plus[p] = base[p] + eps;
      minus[p] = base[p] - eps;
      const step = plus[p] - minus[p]; // the float32 step actually taken
      const lp = evalAt(plus);
      const lm = evalAt(minus);
      for (const k of G_TERMS) fd[k].push((lp[k] - lm[k]) / step);
    }
    for (const r of rows) {
      const fdNorm = Math.hypot(...fd[r.term]);
      expect(fdNorm, r.term).toBeGreaterThan(0);
      expect(Math.abs(r.gradNorm - fdNorm) / fdNorm, `${r.term}: ${r.gradNorm} vs FD ${fdNorm}`).toBeLessThan(
        1e-3,
      );
    }
    disposeD(dReal);
    tf.dispose([real, ramp, fake]);
  });

  it('lists only weighted terms whose inputs are given', async () => {
    const cfg = withDefaults({ lambda_L1: 100, lambda_grad: 0.05 });
    const real = tf.randomUniform([1, 8, 8, 1], -1, 1, 'float32', 5) as tf.Tensor4D;
    const fake = tf.randomUniform([1, 8, 8, 1], -1, 1, 'float32', 6) as tf.Tensor4D;
    const rows = await lossBalance(cfg, fake, real);
    expect(rows.map((r) => r.term)).toEqual(['G_L1', 'G_grad']);
    // the clinic's point: a 0.05 gradient weight pulls far less than lambda_L1 = 100
    expect(rows[1].gradNorm).toBeLessThan(rows[0].gradNorm / 100);
    tf.dispose([real, fake]);
  });
});
