/**
 * Trainer: determinism, gradients of every loss, no synchronous readback, no tensor leaks,
 * augmentation geometry, Adam equal to TF.js's, evaluation.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDefaults, type RunConfig } from '../../src/core/config';
import type { Point, RgbaImage } from '../../src/core/image';
import { unetSpecs } from '../../src/core/model';
import { Rng } from '../../src/core/rng';
import { Adam } from '../../src/core/train/adam';
import {
  augmentationDefaults,
  createInMemoryDataSource,
  imageToTensor,
  jitterLoadSize,
  tensorToImages,
  type ImagePair,
} from '../../src/core/train/data';
import {
  epochOrder,
  gradNormGroup,
  gradNormPointValues,
  LOSS_NAMES,
  Trainer,
  type StepMetrics,
} from '../../src/core/train/trainer';
import { lossBalance } from '../../src/core/losses';
import {
  ganToL1Ratio,
  GRAD_FAKE_SERIES,
  GRAD_GROUP_SERIES,
  GRAD_NORM_SERIES,
  SeriesSet,
} from '../../src/ui/train/chartData';

/** A tiny server-structured config that trains fast on the cpu backend. */
function tinyConfig(over: Partial<RunConfig> = {}): RunConfig {
  return withDefaults({ netG: 'unet_32', size: 32, ngf: 4, ndf: 4, log_every: 1, seed: 7, ...over });
}

function noiseImage(size: number, rng: Rng, grey: boolean): RgbaImage {
  const data = new Uint8ClampedArray(size * size * 4);
  for (let i = 0; i < size * size; i++) {
    const g = rng.int(256);
    data[i * 4] = g;
    data[i * 4 + 1] = grey ? g : rng.int(256);
    data[i * 4 + 2] = grey ? g : rng.int(256);
    data[i * 4 + 3] = 255;
  }
  return { width: size, height: size, data };
}

function noisePairs(n: number, size: number, seed = 1): ImagePair[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => ({
    id: `case${i}`,
    photo: noiseImage(size, rng, false),
    xray: noiseImage(size, rng, true),
  }));
}

async function runSteps(cfg: RunConfig, pairs: ImagePair[], steps: number): Promise<StepMetrics[]> {
  const data = createInMemoryDataSource(pairs, { size: cfg.size });
  const trainer = Trainer.create(cfg, data);
  try {
    const out: StepMetrics[] = [];
    for (let i = 0; i < steps; i++) {
      trainer.step();
      out.push(await trainer.readMetrics());
    }
    return out;
  } finally {
    trainer.dispose();
    data.dispose();
  }
}

let savedBackend = '';
beforeAll(async () => {
  savedBackend = tf.getBackend();
  await tf.setBackend('cpu');
});
afterAll(async () => {
  if (savedBackend) await tf.setBackend(savedBackend);
});

describe('Adam', () => {
  it('equals tf.train.adam bit for bit (cpu, 4 steps, changing gradients)', () => {
    const init = tf.tensor2d([
      [0.3, -1.2, 2.5],
      [1e-3, 0, -7],
    ]);
    const a = tf.variable(init.clone(), true, 'adamTestA');
    const b = tf.variable(init.clone(), true, 'adamTestB');
    const ours = new Adam(new Map([['w', a]]), { beta1: 0.5, beta2: 0.999, epsilon: 1e-7 });
    const ref = tf.train.adam(2e-4, 0.5, 0.999, 1e-7);
    for (let s = 0; s < 4; s++) {
      const g = tf.tensor2d([
        [0.1 * (s + 1), -0.5, 3],
        [-2e-5, 0.25 * s, 1],
      ]);
      ours.apply(new Map([['w', g]]), 2e-4);
      ref.applyGradients([{ name: 'adamTestB', tensor: g }]);
      g.dispose();
    }
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(ours.iterations).toBe(4);
    ours.dispose();
    ref.dispose();
    tf.dispose([a, b, init]);
  });
});

describe('Trainer (cpu backend)', () => {
  it('two runs with the same seed give identical losses for 5 steps; another seed differs', async () => {
    const pairs = noisePairs(3, 32);
    const cfg = tinyConfig({ jitter: true, flip: true });
    const a = await runSteps(cfg, pairs, 5);
    const b = await runSteps(cfg, pairs, 5);
    expect(a.map((m) => m.losses)).toEqual(b.map((m) => m.losses));
    expect(a.map((m) => m.gradNorms)).toEqual(b.map((m) => m.gradNorms));
    for (const m of a) {
      expect(m.finite).toBe(true);
      expect(m.losses.G_L1).toBeGreaterThan(0);
      expect(m.losses.D_real).toBeGreaterThan(0);
    }
    const c = await runSteps({ ...cfg, seed: 8 }, pairs, 2);
    expect(c[0].losses.G_L1).not.toBe(a[0].losses.G_L1);
  });

  it('with every loss enabled, one step gives every trainable variable a finite non-zero gradient', async () => {
    const cfg = tinyConfig({
      num_D: 2,
      n_layers_D: 2,
      lambda_grad: 5,
      lambda_lap: 2,
      lambda_fm: 10,
      lambda_ssim: 1,
      ms_levels: 2,
      gan_mode: 'lsgan',
    });
    const data = createInMemoryDataSource(noisePairs(2, 32), { size: 32 });
    const stats: { net: 'G' | 'D'; key: string; maxAbs: tf.Scalar; finite: tf.Scalar }[] = [];
    const trainer = Trainer.create(cfg, data, {
      onGradients: (net, grads) => {
        for (const [key, g] of grads) {
          stats.push({
            net,
            key,
            maxAbs: tf.keep(tf.max(tf.abs(g)) as tf.Scalar),
            finite: tf.keep(tf.all(tf.isFinite(g)) as tf.Scalar),
          });
        }
      },
    });
    try {
      trainer.step();
      const m = await trainer.readMetrics();
      for (const name of LOSS_NAMES) expect(m.losses[name], name).toBeGreaterThan(0);
      const gKeys = new Set(stats.filter((s) => s.net === 'G').map((s) => s.key));
      const dKeys = new Set(stats.filter((s) => s.net === 'D').map((s) => s.key));
      expect([...gKeys].sort()).toEqual([...trainer.G.params.keys()].sort());
      expect([...dKeys].sort()).toEqual([...trainer.D.params.keys()].sort());
      expect([...dKeys].some((k) => k.startsWith('scale1.'))).toBe(true);
      for (const s of stats) {
        expect((await s.finite.data())[0], `${s.net} ${s.key} finite`).toBe(1);
        expect((await s.maxAbs.data())[0], `${s.net} ${s.key} non-zero`).toBeGreaterThan(0);
      }
      expect(Object.keys(m.gradNorms).sort()).toEqual(
        [
          'D/layer1',
          'D/layer2',
          'D/layer3',
          'D/layer4',
          'D/scale1/layer1',
          'D/scale1/layer2',
          'D/scale1/layer3',
          'D/scale1/layer4',
          'G/down',
          'G/innermost',
          'G/outermost',
          'G/up',
        ].sort(),
      );
    } finally {
      tf.dispose(stats.flatMap((s) => [s.maxAbs, s.finite]));
      trainer.dispose();
      data.dispose();
    }
  });
});

describe('Trainer (wasm backend)', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('running the D step with G’s tape paused changes nothing (bit-equal losses and weights)', async () => {
    const pairs = noisePairs(2, 32);
    const cfg = tinyConfig({ lambda_fm: 2, lambda_grad: 1 });
    const run = async (detachDStep: boolean) => {
      const data = createInMemoryDataSource(pairs, { size: 32 });
      const trainer = Trainer.create(cfg, data, { detachDStep });
      try {
        const ms: StepMetrics[] = [];
        for (let i = 0; i < 3; i++) {
          trainer.step();
          ms.push(await trainer.readMetrics());
        }
        const state = await trainer.getState();
        return { ms, G: state.G, D: state.D };
      } finally {
        trainer.dispose();
        data.dispose();
      }
    };
    const paused = await run(true);
    const recorded = await run(false);
    expect(paused.ms).toEqual(recorded.ms);
    expect(paused.G).toEqual(recorded.G);
    expect(paused.D).toEqual(recorded.D);
  });

  it('epochs, partial batches and learning rate follow the schedule', async () => {
    // 3 cases, batch 2 -> 2 steps per epoch (the last one a batch of 1)
    const cfg = tinyConfig({ batch_size: 2, n_epochs: 1, n_epochs_decay: 3, lr: 1e-3, log_every: 1 });
    const data = createInMemoryDataSource(noisePairs(3, 32), { size: 32 });
    const trainer = Trainer.create(cfg, data, { gradNorms: false });
    try {
      const infos = [];
      for (let i = 0; i < 5; i++) {
        infos.push(trainer.step());
        await trainer.readMetrics();
      }
      expect(infos.map((i) => [i.epoch, i.iterInEpoch, i.epochEnded])).toEqual([
        [1, 1, false],
        [1, 2, true],
        [2, 1, false],
        [2, 2, true],
        [3, 1, false],
      ]);
      // lr_step_at epoch_end (the default): factor(E) = 1 - max(0, E - 1) / 4
      expect(infos.map((i) => i.lr)).toEqual(
        [1e-3, 1e-3, 0.75e-3, 0.75e-3, 0.5e-3].map((x) => expect.closeTo(x, 15)),
      );
    } finally {
      trainer.dispose();
      data.dispose();
    }
  });

  it('step() reads nothing back synchronously; metrics are read at log steps only', async () => {
    const cfg = tinyConfig({ log_every: 3, jitter: true, flip: true, lambda_grad: 5 });
    const data = createInMemoryDataSource(noisePairs(2, 32), { size: 32 });
    const trainer = Trainer.create(cfg, data);
    const proto = tf.Tensor.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
    const names = ['dataSync', 'arraySync', 'bufferSync'];
    const originals = names.map((n) => proto[n]);
    let syncReads = 0;
    names.forEach((n, i) => {
      proto[n] = function (this: unknown, ...args: unknown[]) {
        syncReads++;
        return originals[i].apply(this, args);
      };
    });
    try {
      const logged = [];
      for (let i = 0; i < 6; i++) logged.push(trainer.step().logged);
      expect(syncReads).toBe(0);
      expect(logged).toEqual([true, false, true, false, false, true]);
      expect(trainer.pendingMetrics).toBe(3);
      // the three records come back in ONE device read (the engine drains at metric-event time)
      const asyncRead = proto.data;
      let reads = 0;
      proto.data = function (this: unknown, ...args: unknown[]) {
        reads++;
        return asyncRead.apply(this, args);
      };
      let ms: StepMetrics[];
      try {
        ms = await trainer.drainMetrics();
      } finally {
        proto.data = asyncRead;
      }
      expect(reads).toBe(1);
      expect(ms.map((m) => m.step)).toEqual([1, 3, 6]);
      expect(ms.every((m) => m.finite && m.losses.G_L1 > 0 && m.gradNorms['G/outermost'] > 0)).toBe(true);
      expect(ms[0].losses).not.toEqual(ms[2].losses);
    } finally {
      names.forEach((n, i) => (proto[n] = originals[i]));
      trainer.dispose();
      data.dispose();
    }
  });

  it('tf.memory().numTensors is the same at step 10 and step 50', async () => {
    const cfg = tinyConfig({ log_every: 5, jitter: true, flip: true });
    const data = createInMemoryDataSource(noisePairs(3, 32), { size: 32 });
    const trainer = Trainer.create(cfg, data);
    try {
      let at10 = -1;
      for (let i = 1; i <= 50; i++) {
        const info = trainer.step();
        if (info.logged) await trainer.readMetrics();
        if (i === 10) at10 = tf.memory().numTensors;
      }
      expect(tf.memory().numTensors).toBe(at10);
      // evaluation and prediction leak nothing either
      const before = tf.memory().numTensors;
      await trainer.evaluate(noisePairs(2, 32, 5), { evalMode: true });
      const p = trainer.predict(imageToTensor(noisePairs(1, 32, 6)[0].photo, 3));
      p.dispose();
      // imageToTensor's input above is the only tensor not disposed by the call
      expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 1);
    } finally {
      trainer.dispose();
      data.dispose();
    }
  });

  it('evaluate: eval mode is deterministic, returns clinic-named aggregates and predictions', async () => {
    const cfg = tinyConfig();
    const data = createInMemoryDataSource(noisePairs(2, 32), { size: 32 });
    const trainer = Trainer.create(cfg, data);
    try {
      const val = noisePairs(3, 32, 9);
      const a = await trainer.evaluate(val, { evalMode: true, keepPredictions: true });
      const b = await trainer.evaluate(val, { evalMode: true });
      const c = await trainer.evaluate(val, { evalMode: false });
      const d = await trainer.evaluate(val, { evalMode: false });
      expect(a.cases.map((x) => x.id)).toEqual(['case0', 'case1', 'case2']);
      expect(a.cases).toEqual(b.cases);
      expect(c.cases).toEqual(d.cases); // seeded dropout: reproducible
      expect(c.aggregate.mean_l1).not.toBe(a.aggregate.mean_l1); // train-mode BN differs from running stats
      expect(a.aggregate.n_cases).toBe(3);
      expect(a.aggregate.mean_l1).toBeCloseTo(
        (a.cases[0].l1_01 + a.cases[1].l1_01 + a.cases[2].l1_01) / 3,
        12,
      );
      expect(a.predictions?.shape).toEqual([3, 32, 32, 3]);
      a.predictions?.dispose();
    } finally {
      trainer.dispose();
      data.dispose();
    }
  });
});

describe('augmentation', () => {
  /** An image with one bright 2x2 block whose centre is the landmark. */
  function dotImage(size: number, x0: number, y0: number): RgbaImage {
    const data = new Uint8ClampedArray(size * size * 4);
    for (let i = 0; i < size * size; i++) data[i * 4 + 3] = 255;
    for (const [x, y] of [
      [x0, y0],
      [x0 + 1, y0],
      [x0, y0 + 1],
      [x0 + 1, y0 + 1],
    ]) {
      for (let c = 0; c < 3; c++) data[(y * size + x) * 4 + c] = 255;
    }
    return { width: size, height: size, data };
  }

  /** Intensity-weighted centroid of channel 0 (continuous coordinates, pixel centres at +0.5). */
  async function centroid(t: tf.Tensor4D, b: number): Promise<Point> {
    const [, h, w, c] = t.shape;
    const v = await t.data();
    let sx = 0;
    let sy = 0;
    let s = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const val = v[((b * h + y) * w + x) * c] + 1;
        sx += val * (x + 0.5);
        sy += val * (y + 0.5);
        s += val;
      }
    }
    return [sx / s, sy / s];
  }

  it('jitter and flip move photo, xray and landmarks identically', async () => {
    const size = 32;
    const img = dotImage(size, 6, 20); // block covers [6, 8) x [20, 22): centre (7, 21)
    const pairs: ImagePair[] = [{ photo: img, xray: img, landmarks: [[7, 21]] }];
    const data = createInMemoryDataSource(pairs, { size });
    expect(data.hasLandmarks).toBe(true);
    let flips = 0;
    let moved = 0;
    for (let seed = 0; seed < 8; seed++) {
      const batch = data.batch([0, 0], new Rng(seed), { jitter: true, flip: true });
      try {
        expect(batch.photo.shape).toEqual([2, size, size, 3]);
        // identical content in, identical transform out
        const [p, x] = await Promise.all([batch.photo.data(), batch.xray.data()]);
        expect(Array.from(p)).toEqual(Array.from(x));
        for (let b = 0; b < 2; b++) {
          const lm = (batch.landmarks as Point[][])[b][0];
          const c = await centroid(batch.photo, b);
          expect(Math.abs(c[0] - lm[0])).toBeLessThan(0.35);
          expect(Math.abs(c[1] - lm[1])).toBeLessThan(0.35);
          if (lm[0] > size / 2) flips++;
          if (Math.abs(lm[1] - 21) > 0.01) moved++;
        }
      } finally {
        tf.dispose([batch.photo, batch.xray]);
      }
    }
    expect(flips).toBeGreaterThan(0);
    expect(flips).toBeLessThan(16);
    expect(moved).toBeGreaterThan(0);
    expect(jitterLoadSize(256)).toBe(286);
    data.dispose();
  });

  it('without augmentation a batch is the images as they are', async () => {
    const pairs = noisePairs(2, 32);
    const data = createInMemoryDataSource(pairs, { size: 32 });
    const batch = data.batch([1], new Rng(0), { jitter: false, flip: false });
    const [img] = await tensorToImages(batch.xray);
    expect(Array.from(img.data)).toEqual(Array.from(pairs[1].xray.data));
    tf.dispose([batch.photo, batch.xray]);
    data.dispose();
  });

  it('is off by default for landmark data, with the reason', () => {
    const lm = augmentationDefaults(true);
    expect(lm.flip).toBe(false);
    expect(lm.jitter).toBe(false);
    expect(lm.reason).toMatch(/mirror/);
    expect(lm.reason).toMatch(/landmarks/);
    const plain = augmentationDefaults(false);
    expect(plain.flip && plain.jitter).toBe(true);
  });

  it('refuses images that are not at the training size', () => {
    const pairs = noisePairs(1, 16);
    expect(() => createInMemoryDataSource(pairs, { size: 32 })).toThrow(/16x16 px but training needs 32x32/);
  });
});

describe('gradient-norm groups', () => {
  it('names the U-Net and PatchGAN layer groups from state_dict keys', () => {
    const cfg = withDefaults({ netG: 'unet_256' });
    const keys = unetSpecs(cfg).map((s) => s.key);
    const level = 7;
    const groups = new Map<string, string>();
    for (const k of keys) groups.set(k, gradNormGroup('G', k, level));
    expect(groups.get('model.model.0.weight')).toBe('G/outermost');
    expect(groups.get('model.model.3.bias')).toBe('G/outermost');
    expect(groups.get('model.model.1.model.1.weight')).toBe('G/down');
    expect(groups.get('model.model.1.model.2.weight')).toBe('G/down');
    expect(groups.get('model.model.1.model.5.weight')).toBe('G/up');
    expect(groups.get('model.model.1.model.6.bias')).toBe('G/up');
    const inner = 'model.model.1.model.3.model.3.model.3.model.3.model.3.model.3.model.1.weight';
    expect(groups.get(inner)).toBe('G/innermost');
    expect(gradNormGroup('D', 'model.0.weight', 0)).toBe('D/layer1');
    expect(gradNormGroup('D', 'model.2.weight', 0)).toBe('D/layer2');
    expect(gradNormGroup('D', 'model.3.bias', 0)).toBe('D/layer2');
    expect(gradNormGroup('D', 'model.11.weight', 0)).toBe('D/layer5');
    expect(gradNormGroup('D', 'scale2.model.9.weight', 0)).toBe('D/scale2/layer4');
  });
});

describe('gradient norms per loss term (pull on G’s output)', () => {
  it('G_L1’s is lambda_L1/√N by hand; every term equals lossBalance on the step’s fake and D', async () => {
    // lr 0: the step moves no weight, so G and D after the step are the ones the step used
    const cfg = tinyConfig({
      lr: 0,
      no_dropout: true,
      flip: false,
      lambda_grad: 5,
      lambda_lap: 2,
      lambda_fm: 10,
      lambda_ssim: 1,
    });
    const pairs = noisePairs(2, 32);
    const data = createInMemoryDataSource(pairs, { size: 32 });
    const trainer = Trainer.create(cfg, data);
    try {
      trainer.step();
      const m = await trainer.readMetrics();
      expect(Object.keys(m.termGradNorms).sort()).toEqual(
        ['G_GAN', 'G_L1', 'G_fm', 'G_grad', 'G_lap', 'G_ssim'].sort(),
      );
      // d(λ·mean|f − r|)/df = λ·sign(f − r)/N: norm λ/√N with N = 1·32·32·3 (no exact ties in noise)
      expect(m.termGradNorms.G_L1).toBeCloseTo(100 / Math.sqrt(32 * 32 * 3), 5);
      const pair = pairs[epochOrder(cfg.seed, 1, 2)[0]];
      const photo = imageToTensor(pair.photo, 3);
      const xray = imageToTensor(pair.xray, 3);
      const noStats = { training: true, dropout: false, updateStats: false };
      const fake = trainer.G.apply(photo, noStats);
      const dReal = trainer.D.apply(photo, xray, noStats);
      const rows = await lossBalance(cfg, fake, xray, (x) => trainer.D.apply(photo, x, noStats), dReal);
      expect(rows.map((r) => r.term).sort()).toEqual(Object.keys(m.termGradNorms).sort());
      for (const r of rows) {
        const ours = m.termGradNorms[r.term] ?? NaN;
        expect(Math.abs(ours - r.gradNorm) / r.gradNorm, `${r.term}: ${ours} vs ${r.gradNorm}`).toBeLessThan(
          1e-5,
        );
      }
      // the weighted loss values are the step's own (same fake, same D)
      for (const r of rows) expect(m.losses[r.term]).toBeCloseTo(r.value, 5);
      tf.dispose([photo, xray, fake, ...dReal.logits, ...dReal.features.flat()]);
    } finally {
      trainer.dispose();
      data.dispose();
    }
  });

  it('only active terms get a norm; gradNorms: false computes none; the norms change no training result', async () => {
    const cfg = tinyConfig({ lambda_grad: 5 });
    const data = createInMemoryDataSource(noisePairs(2, 32), { size: 32 });
    const on = Trainer.create(cfg, data);
    const off = Trainer.create(cfg, data, { gradNorms: false });
    try {
      const a: StepMetrics[] = [];
      const b: StepMetrics[] = [];
      for (let i = 0; i < 3; i++) {
        on.step();
        off.step();
        a.push(await on.readMetrics());
        b.push(await off.readMetrics());
      }
      expect(Object.keys(a[2].termGradNorms).sort()).toEqual(['G_GAN', 'G_L1', 'G_grad']);
      expect(a[2].termGradNorms.G_GAN).toBeGreaterThan(0);
      expect(b[2].termGradNorms).toEqual({});
      expect(b[2].gradNorms).toEqual({});
      // G's gradient passes the tap unchanged: losses after two updates and the weights are bit-equal
      expect(b.map((m) => m.losses)).toEqual(a.map((m) => m.losses));
      const [sa, sb] = [await on.getState(), await off.getState()];
      expect(sb.G).toEqual(sa.G);
    } finally {
      on.dispose();
      off.dispose();
      data.dispose();
    }
  });

  it('gradNormPointValues names the metric-point keys the Train view charts', () => {
    const values = gradNormPointValues({
      gradNorms: { 'G/outermost': 0.5, 'G/down': 2, 'G/innermost': 0.1, 'G/up': 3, 'D/layer1': Infinity },
      termGradNorms: { G_GAN: 0.02, G_L1: 1.8, G_grad: NaN },
    });
    expect(values).toEqual({
      'grad:G/outermost': 0.5,
      'grad:G/down': 2,
      'grad:G/innermost': 0.1,
      'grad:G/up': 3,
      'grad:D/layer1': null,
      'grad:fake/G_GAN': 0.02,
      'grad:fake/G_L1': 1.8,
      'grad:fake/G_grad': null,
    });
    // every G key the trainer can produce has a series in the chart, and nothing else
    const gKeys = Object.keys(values).filter((k) => !k.startsWith('grad:D/'));
    const charted = [...GRAD_GROUP_SERIES, ...GRAD_FAKE_SERIES];
    for (const k of gKeys) expect(charted).toContain(k);
    expect(GRAD_FAKE_SERIES).toHaveLength(6);
    expect(GRAD_GROUP_SERIES).toHaveLength(4);
  });

  it('the chart columns: `only` picks series in order, log turns values ≤ 0 into gaps; the GAN/L1 ratio', () => {
    const set = new SeriesSet(GRAD_NORM_SERIES);
    set.append([
      { step: 1, values: { 'grad:fake/G_GAN': 0.05, 'grad:fake/G_L1': 2, 'grad:G/down': 0 } },
      { step: 2, values: { 'grad:fake/G_GAN': 0.04, 'grad:fake/G_L1': 1.6, 'grad:G/down': 3 } },
    ]);
    const [x, l1, gan, missing] = set.data({
      smoothed: false,
      log: false,
      only: ['grad:fake/G_L1', 'grad:fake/G_GAN', 'not-a-series'],
    });
    expect(x).toEqual([1, 2]);
    expect(l1).toEqual([2, 1.6]);
    expect(gan).toEqual([0.05, 0.04]);
    expect(missing).toEqual([null, null]);
    expect(set.data({ smoothed: false, log: true, only: ['grad:G/down'] })[1]).toEqual([null, 3]);
    expect(ganToL1Ratio(set.last())).toBeCloseTo(0.025, 12);
    expect(ganToL1Ratio({ 'grad:fake/G_GAN': 0.1 })).toBeNull();
    expect(ganToL1Ratio({ 'grad:fake/G_GAN': 0.1, 'grad:fake/G_L1': 0 })).toBeNull();
  });
});
