import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { generatePhantomCase } from '../../src/core/data/phantom';
import type { Point } from '../../src/core/image';
import { Rng } from '../../src/core/rng';
import {
  applyAffine,
  applyAugment,
  DEFAULT_AUGMENT,
  drawAugment,
  invertAffine,
  makeAffine,
  NO_AUGMENT,
  type AugmentParams,
} from '../../src/core/detector/augment';
import {
  assertLandmarkSet,
  decodeDetector,
  encodeDetector,
  landmarkSetMismatch,
  LandmarkSetMismatchError,
  parseDetectorMeta,
  toHalf,
} from '../../src/core/detector/checkpoint';
import { decodeHeatmaps, gaussianTargets, sigmaPx, softArgmax2d } from '../../src/core/detector/heatmap';
import { createDetectorNet, detectorForward, paramCount } from '../../src/core/detector/model';
import { DetectorTrainer, evaluateDetector, makeSample, predictSample } from '../../src/core/detector/train';
import { ISBI_LANDMARKS } from '../../src/core/data/landmarkSet';

const ISBI = ISBI_LANDMARKS.map((l) => l.id);

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('heatmap encode -> decode', () => {
  const W = 96;
  const H = 80;
  const rng = new Rng(7);
  // away from the border by more than the decoders' window (3 sigma)
  const pts: Point[] = Array.from({ length: 12 }, () => [rng.uniform(14, W - 14), rng.uniform(14, H - 14)]);

  it.each([1.2, 2, 3.5])('round-trips within 0.1 px at sigma %f px (DARK and local soft-argmax)', (sigma) => {
    const h = gaussianTargets(pts, W, H, sigma);
    const dark = decodeHeatmaps(h, W, H, pts.length, { decoder: 'dark', sigma, smooth: false });
    const darkSmoothed = decodeHeatmaps(h, W, H, pts.length, { decoder: 'dark', sigma });
    const local = decodeHeatmaps(h, W, H, pts.length, { decoder: 'local', sigma });
    const argmax = decodeHeatmaps(h, W, H, pts.length, { decoder: 'argmax', sigma });
    let argmaxWorst = 0;
    pts.forEach((p, i) => {
      for (const d of [dark, darkSmoothed, local]) {
        expect(Math.hypot(d[i].point[0] - p[0], d[i].point[1] - p[1])).toBeLessThanOrEqual(0.1);
      }
      expect(dark[i].peak).toBeGreaterThan(0.5);
      argmaxWorst = Math.max(argmaxWorst, Math.hypot(argmax[i].point[0] - p[0], argmax[i].point[1] - p[1]));
    });
    // the test can fail: plain argmax is off by up to half a pixel per axis
    expect(argmaxWorst).toBeGreaterThan(0.1);
  });

  it('sigma in px follows the mm spacing and the letterbox scale', () => {
    // 2 mm on a 0.1 mm/px film letterboxed 2400 -> 256 px
    expect(sigmaPx(2, 0.1, 256 / 2400)).toBeCloseTo(20 * (256 / 2400), 10);
    expect(() => sigmaPx(0, 0.1, 1)).toThrow(/positive/);
  });

  it('missing and out-of-image points give empty maps', () => {
    const h = gaussianTargets([null, [-5, 3], [10, 10]], 32, 32, 2);
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < 32 * 32; i++) {
      s0 += h[i * 3];
      s1 += h[i * 3 + 1];
      s2 += h[i * 3 + 2];
    }
    expect(s0).toBe(0);
    expect(s1).toBe(0);
    expect(s2).toBeGreaterThan(10);
  });
});

describe('soft-argmax', () => {
  it('locates peaks and has finite gradients, even for large logits', () => {
    const W = 24;
    const pts: Point[] = [
      [5.5, 7.5],
      [16.25, 9.75],
    ];
    const h = tf.tensor4d(gaussianTargets(pts, W, W, 1.5), [1, W, W, 2]);
    for (const [beta, scale] of [
      [50, 1],
      [1, 1000],
    ] as const) {
      const g = tf.grad((x: tf.Tensor) =>
        tf.sum(tf.square(softArgmax2d(tf.mul(x, scale) as tf.Tensor4D, beta))),
      )(h);
      const v = g.dataSync();
      expect(v.every(Number.isFinite)).toBe(true);
      expect(v.some((x) => x !== 0)).toBe(true);
      g.dispose();
    }
    const c = softArgmax2d(h, 20).arraySync()[0];
    expect(Math.hypot(c[0][0] - 5.5, c[0][1] - 7.5)).toBeLessThan(0.2);
    expect(Math.hypot(c[1][0] - 16.25, c[1][1] - 9.75)).toBeLessThan(0.2);
    h.dispose();
  });
});

/** Bilinear sample of a grey image (pixel centres at +0.5), NaN outside. */
function at(img: Float32Array, w: number, h: number, x: number, y: number): number {
  const fx = x - 0.5;
  const fy = y - 0.5;
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  if (x0 < 0 || y0 < 0 || x0 + 1 >= w || y0 + 1 >= h) return NaN;
  const ax = fx - x0;
  const ay = fy - y0;
  const g = (xx: number, yy: number): number => img[yy * w + xx];
  return (
    (1 - ay) * ((1 - ax) * g(x0, y0) + ax * g(x0 + 1, y0)) +
    ay * ((1 - ax) * g(x0, y0 + 1) + ax * g(x0 + 1, y0 + 1))
  );
}

/** Mean |difference| between the neighbourhood of p in img and of q (its image under m) in aug. */
function neighbourhoodDiff(
  img: Float32Array,
  aug: Float32Array,
  w: number,
  h: number,
  p: Point,
  q: Point,
  m: ReturnType<typeof makeAffine>,
): number {
  let s = 0;
  let n = 0;
  for (let dy = -4; dy <= 4; dy += 2) {
    for (let dx = -4; dx <= 4; dx += 2) {
      const src: Point = [p[0] + dx, p[1] + dy];
      // where that neighbour lands: linear part of m applied to the offset
      const off = applyAffine([m[0], m[1], 0, m[3], m[4], 0], [dx, dy]);
      const a = at(img, w, h, src[0], src[1]);
      const b = at(aug, w, h, q[0] + off[0], q[1] + off[1]);
      if (Number.isFinite(a) && Number.isFinite(b)) {
        s += Math.abs(a - b);
        n++;
      }
    }
  }
  return n ? s / n : NaN;
}

describe('landmark-consistent augmentation (phantom X-rays)', () => {
  const S = 128;
  const cases = [0, 1, 2].map((i) => generatePhantomCase(3, i, { width: 256, height: 320 }));
  const samples = cases.map((c) => makeSample(c.id, c.xray, c.landmarks, S, c.mmPerPx));

  it('moves each landmark with the image: the augmented point sits on the same drawn anatomy', () => {
    let right = 0;
    let wrong = 0;
    let count = 0;
    for (const [k, s] of samples.entries()) {
      const m = makeAffine(S / 2, S / 2, [8, -10, 6][k], [1.08, 0.92, 1.0][k], [5, -4, 7][k], [-6, 3, 4][k]);
      const a: AugmentParams = { affine: m, gain: 1, offset: 0, gamma: 1, noiseSd: 0, noiseSeed: null };
      const r = applyAugment(s.image, S, S, s.points, a);
      s.points.forEach((p, l) => {
        const q = r.points[l]!;
        expect(q).toEqual(applyAffine(m, p!));
        const good = neighbourhoodDiff(s.image, r.image, S, S, p!, q, m);
        // control: the landmark left where it was (what an augmentation that forgot the points does)
        const bad = neighbourhoodDiff(s.image, r.image, S, S, p!, p!, m);
        if (!Number.isFinite(good) || !Number.isFinite(bad)) return;
        right += good;
        wrong += bad;
        count++;
        expect(good).toBeLessThan(0.06);
      });
    }
    expect(count).toBeGreaterThan(40);
    // the comparison can tell: untransformed points land on different anatomy
    expect(wrong / count).toBeGreaterThan(4 * (right / count));
  });

  it('intensity changes move no landmark and the inverse affine undoes the forward one', () => {
    const rng = new Rng(11);
    const a = drawAugment(
      rng,
      { ...NO_AUGMENT, contrast: 0.3, brightness: 0.1, gamma: 2, noise: 0.02 },
      S,
      S,
    );
    const s = samples[0];
    const r = applyAugment(s.image, S, S, s.points, a);
    expect(r.points).toEqual(s.points);
    expect(r.image).not.toEqual(s.image);
    const m = drawAugment(rng, DEFAULT_AUGMENT, S, S).affine;
    const p: Point = [37.2, 90.1];
    const back = applyAffine(invertAffine(m), applyAffine(m, p));
    expect(back[0]).toBeCloseTo(p[0], 9);
    expect(back[1]).toBeCloseTo(p[1], 9);
  });
});

describe('detector model and training', () => {
  const arch = { size: 32, channels: [4, 8, 8], landmarks: 3 };
  const symbols = ['S', 'N', 'Me'];

  afterAll(() => undefined);

  it('outputs one heatmap per landmark at the input size and counts its parameters', () => {
    const net = createDetectorNet(arch, 1);
    const y = tf.tidy(() => detectorForward(net, tf.zeros([2, 32, 32, 1]) as tf.Tensor4D));
    expect(y.shape).toEqual([2, 32, 32, 3]);
    let n = 0;
    for (const v of net.params.values()) n += v.size;
    expect(n).toBe(paramCount(arch));
    y.dispose();
    net.dispose();
  });

  it.each([
    { head: 'heatmap' as const, outStride: 1 },
    { head: 'softmax' as const, outStride: 2 },
  ])(
    'leaks no tensor over training steps and evaluation, and the loss falls ($head, stride $outStride)',
    async (v) => {
      const c = generatePhantomCase(5, 0, { width: 64, height: 80 });
      const s = makeSample(c.id, c.xray, [c.landmarks[0], c.landmarks[1], c.landmarks[7]], 32, c.mmPerPx);
      const t = new DetectorTrainer({
        arch: { ...arch, ...v },
        symbols,
        sigmaMm: 8,
        lr: 3e-3,
        batchSize: 1,
        seed: 2,
        augment: DEFAULT_AUGMENT,
      });
      const first = await t.trainStep([s], false);
      await t.trainStep([s, s], true);
      const before = tf.memory().numTensors;
      let last = first;
      for (let i = 0; i < 12; i++) last = await t.trainStep([s], false);
      await evaluateDetector(t.net, [s], symbols, 8);
      expect(tf.memory().numTensors).toBe(before);
      expect(Number.isFinite(last)).toBe(true);
      expect(last).toBeLessThan(first);
      // predictions come back in original X-ray pixels
      const pred = await predictSample(t.net, s, 8);
      for (const p of pred.byDecoder.dark) {
        expect(p[0]).toBeGreaterThan(-1);
        expect(p[0]).toBeLessThan(c.xray.width * 1.3);
        expect(p[1]).toBeGreaterThan(-1);
        expect(p[1]).toBeLessThan(c.xray.height + 1);
      }
      const n0 = tf.memory().numTensors;
      t.dispose();
      expect(tf.memory().numTensors).toBeLessThan(n0);
    },
  );
});

describe('wasm gradients of the detector (custom conv gradients)', () => {
  it('equal the cpu backend’s native gradients', async () => {
    const arch = { size: 16, channels: [3, 5, 6], landmarks: 2, outStride: 2 };
    const grads = async (backend: 'cpu' | 'wasm'): Promise<Map<string, Float32Array>> => {
      await tf.setBackend(backend);
      await tf.ready();
      const net = createDetectorNet(arch, 9);
      const x = tf.tensor4d(
        Float32Array.from({ length: 256 }, (_, i) => Math.sin(i * 0.37)),
        [1, 16, 16, 1],
      );
      const w = tf.tensor4d(
        Float32Array.from({ length: 8 * 8 * 2 }, (_, i) => Math.cos(i * 0.11)),
        [1, 8, 8, 2],
      );
      const g = tf.variableGrads(
        () => tf.sum(tf.mul(detectorForward(net, x), w)) as tf.Scalar,
        [...net.params.values()],
      );
      const out = new Map<string, Float32Array>();
      for (const k of net.keys) out.set(k, g.grads[net.params.get(k)!.name].dataSync() as Float32Array);
      tf.dispose([x, w, g.value, ...Object.values(g.grads)]);
      net.dispose();
      return out;
    };
    try {
      const cpu = await grads('cpu');
      const wasm = await grads('wasm');
      expect(tf.getBackend()).toBe('wasm');
      // relative to the largest gradient of the net (biases before instance norm have ~0 gradient)
      let scale = 0;
      for (const a of cpu.values()) for (const v of a) scale = Math.max(scale, Math.abs(v));
      expect(scale).toBeGreaterThan(0);
      for (const [k, a] of cpu) {
        const b = wasm.get(k)!;
        const err = Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
        expect(err / scale, k).toBeLessThan(1e-4);
      }
    } finally {
      await tf.setBackend('cpu');
    }
  });
});

describe('detector checkpoints and landmark sets', () => {
  it('float16 conversion rounds like IEEE half', () => {
    expect(toHalf(1)).toBe(0x3c00);
    expect(toHalf(-2)).toBe(0xc000);
    expect(toHalf(65504)).toBe(0x7bff);
    expect(toHalf(1e6)).toBe(0x7c00);
    expect(toHalf(0)).toBe(0);
    expect(toHalf(5.960464477539063e-8)).toBe(1);
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00); // tie to even
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  it('saves and loads (float16 and float32) with its landmark set, size, sigma and mm/px', async () => {
    const arch = { size: 32, channels: [4, 8, 8], landmarks: 3 };
    const net = createDetectorNet(arch, 4);
    const x = tf.randomUniform([1, 32, 32, 1], -1, 1, 'float32', 3) as tf.Tensor4D;
    const y0 = tf.tidy(() => detectorForward(net, x));
    for (const dtype of ['float16', 'float32'] as const) {
      const enc = await encodeDetector(
        net,
        { symbols: ['S', 'N', 'Me'], preprocess: 'letterbox', sigmaMm: 2, mmPerPx: 0.1, decoder: 'dark' },
        dtype,
      );
      const meta = parseDetectorMeta(new TextDecoder().decode(enc.files['detector.json']));
      expect(meta).toMatchObject({ symbols: ['S', 'N', 'Me'], sigmaMm: 2, mmPerPx: 0.1, arch, dtype });
      const back = decodeDetector(meta, enc.files['weights.safetensors']);
      const y1 = tf.tidy(() => detectorForward(back, x));
      const err = tf.tidy(() => tf.max(tf.abs(tf.sub(y0, y1))).dataSync()[0]);
      expect(err).toBeLessThan(dtype === 'float16' ? 0.05 : 1e-5);
      y1.dispose();
      back.dispose();
    }
    const enc = await encodeDetector(
      net,
      { symbols: ['S', 'N', 'Me'], preprocess: 'letterbox', sigmaMm: 2, mmPerPx: 0.1, decoder: 'dark' },
      'float16',
    );
    const wrong = {
      ...parseDetectorMeta(new TextDecoder().decode(enc.files['detector.json'])),
      arch: { ...arch, channels: [4, 8, 16] },
    };
    expect(() => decodeDetector(wrong, enc.files['weights.safetensors'], 'w.safetensors')).toThrow(
      /w\.safetensors.*\[/,
    );
    expect(() => parseDetectorMeta('{"format":"x"}', 'a/detector.json')).toThrow(
      /a\/detector\.json.*not a landmark detector/,
    );
    tf.dispose([x, y0]);
    net.dispose();
  });

  it('refuses a detector whose landmark set differs from the dataset, naming both sets', () => {
    expect(landmarkSetMismatch(ISBI, [...ISBI])).toBeNull();
    const aariz = Array.from({ length: 29 }, (_, i) => `A${i + 1}`);
    const msg = landmarkSetMismatch(ISBI, aariz)!;
    expect(msg).toContain('19 landmarks [S, N, Or, Po');
    expect(msg).toContain('29 landmarks [A1, A2');
    expect(() => assertLandmarkSet(ISBI, aariz)).toThrow(LandmarkSetMismatchError);
    // same symbols in another order are a different set too
    const swapped = [...ISBI];
    [swapped[0], swapped[1]] = [swapped[1], swapped[0]];
    expect(landmarkSetMismatch(ISBI, swapped)).toMatch(/differ/);
  });
});
