import { afterEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {
  batchNorm,
  conv2d,
  convTranspose2d,
  downsample,
  dropout,
  hasNativeFilterGrad,
  instanceNorm,
  leakyRelu,
  setConvGradMode,
  setXnnPathMinPositions,
  stride1ConvInputGrad,
  subPixelConvT,
  XNN_PATH_MIN_POSITIONS,
  tensorFromTorch,
  tfToTorchData,
  torchToTfData,
  type BatchNormState,
} from '../../src/core/model/layers';
import { maxAbs, maxAbsDiff } from './numeric';

async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  await tf.setBackend(name);
  await tf.ready();
}

afterEach(() => {
  setConvGradMode('auto');
  setXnnPathMinPositions(XNN_PATH_MIN_POSITIONS);
});

/** NCHW values -> NHWC tensor. */
function nchw(values: number[], shape: [number, number, number, number]): tf.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.tensor4d(values, shape), [0, 2, 3, 1]) as tf.Tensor4D);
}

function seq(n: number, f: (i: number) => number): number[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

// Reference values computed with torch 1.13 (F.conv2d / F.conv_transpose2d), output in NHWC order.
const X = seq(32, (i) => ((i % 7) - 3) / 4); // (1,2,4,4)
const W = seq(96, (i) => ((i % 5) - 2) / 8); // Conv2d weight (3,2,4,4)
const TORCH_CONV_S2P1 = [
  -0.1875, -0.15625, 0.34375, 0.34375, -0.15625, -0.1875, 0.34375, 0.03125, 0.03125, -0.40625, 0.03125,
  -0.3125,
];
const TORCH_CONV_S1P1 = [
  -0.1875, -0.15625, 0.34375, 0.34375, -0.4375, 0.34375, 0.34375, -0.15625, -0.1875, 0.15625, 0.09375,
  -0.4375, -0.25, 0.15625, -0.0625, -0.09375, 0.34375, 0.15625, 0.34375, 0.03125, 0.03125, 0.03125, 0.375,
  -0.6875, -0.40625, 0.03125, -0.3125,
];
const XT = seq(8, (i) => ((i % 3) - 1) / 2); // (1,2,2,2)
const WT = seq(96, (i) => ((i % 7) - 3) / 8); // ConvTranspose2d weight (in 2, out 3, 4, 4)
const TORCH_CONVT_S2P1 = [
  -0.125, 0.1875, 0.0625, -0.1875, 0.25, -0.1875, 0.25, 0.25, -0.1875, 0.125, -0.1875, -0.0625, 0.125, 0.0,
  -0.125, 0.0625, -0.0625, 0.25, 0.0, -0.125, -0.25, 0.0, 0.0, 0.0, -0.125, -0.25, 0.0625, 0.25, 0.125, 0.0,
  -0.25, 0.0625, -0.0625, 0.0, 0.0, 0.0, 0.0625, 0.0625, 0.0625, 0.1875, 0.0625, -0.5, 0.125, 0.0, -0.125,
  0.0, -0.125, 0.1875,
];

describe.each(['cpu', 'wasm'] as const)('layers on %s', (backend) => {
  it('conv2d and convTranspose2d reproduce PyTorch (layout, padding, no kernel flip)', async () => {
    await useBackend(backend);
    const x = nchw(X, [1, 2, 4, 4]);
    const w = tensorFromTorch(Float32Array.from(W), [3, 2, 4, 4]) as tf.Tensor4D;
    const y2 = conv2d(x, w, 2, 1);
    const y1 = conv2d(x, w, 1, 1);
    expect(y2.shape).toEqual([1, 2, 2, 3]);
    expect(y1.shape).toEqual([1, 3, 3, 3]);
    expect(maxAbsDiff(await y2.data(), TORCH_CONV_S2P1)).toBeLessThan(1e-6);
    expect(maxAbsDiff(await y1.data(), TORCH_CONV_S1P1)).toBeLessThan(1e-6);
    const xt = nchw(XT, [1, 2, 2, 2]);
    const wt = tensorFromTorch(Float32Array.from(WT), [2, 3, 4, 4]) as tf.Tensor4D;
    expect(wt.shape).toEqual([4, 4, 3, 2]);
    const yt = convTranspose2d(xt, wt, 2, 1);
    expect(yt.shape).toEqual([1, 4, 4, 3]);
    expect(maxAbsDiff(await yt.data(), TORCH_CONVT_S2P1)).toBeLessThan(1e-6);
    const b = tf.tensor1d([1, 2, 3]);
    const yb = conv2d(x, w, 2, 1, b);
    const expected = TORCH_CONV_S2P1.map((v, i) => v + [1, 2, 3][i % 3]);
    expect(maxAbsDiff(await yb.data(), expected)).toBeLessThan(1e-6);
    tf.dispose([x, w, y2, y1, xt, wt, yt, b, yb]);
  });

  it('odd sizes follow PyTorch output-size formulas', async () => {
    await useBackend(backend);
    const x = tf.zeros([1, 15, 9, 2]) as tf.Tensor4D;
    const w = tf.zeros([4, 4, 2, 3]) as tf.Tensor4D;
    const y = conv2d(x, w, 2, 1); // floor((15 + 2 - 4) / 2) + 1 = 7, floor((9 - 2) / 2) + 1 = 4
    expect(y.shape).toEqual([1, 7, 4, 3]);
    const wt = tf.zeros([4, 4, 5, 3]) as tf.Tensor4D;
    const yt = convTranspose2d(y, wt, 2, 1); // (7 - 1) * 2 - 2 + 4 = 14, (4 - 1) * 2 - 2 + 4 = 8
    expect(yt.shape).toEqual([1, 14, 8, 5]);
    tf.dispose([x, w, y, wt, yt]);
  });

  it('BatchNorm training: batch stats (biased) to normalise, running stats with momentum 0.1 and unbiased variance', async () => {
    await useBackend(backend);
    // x [N=2, H=1, W=2, C=2]; channel 0 = 1,2,3,6 (mean 3, biased var 3.5, unbiased 14/3);
    // channel 1 = 0,0,2,2 (mean 1, biased var 1, unbiased 4/3).
    const x = tf.tensor4d([1, 0, 2, 0, 3, 2, 6, 2], [2, 1, 2, 2]);
    const s: BatchNormState = {
      gamma: tf.variable(tf.tensor1d([2, 0.5])),
      beta: tf.variable(tf.tensor1d([0.25, -1])),
      runningMean: tf.variable(tf.zeros([2]), false),
      runningVar: tf.variable(tf.ones([2]), false),
    };
    const y = batchNorm(x, s, true, true);
    const ch0 = [1, 2, 3, 6].map((v) => ((v - 3) / Math.sqrt(3.5 + 1e-5)) * 2 + 0.25);
    const ch1 = [0, 0, 2, 2].map((v) => ((v - 1) / Math.sqrt(1 + 1e-5)) * 0.5 - 1);
    const expected = [ch0[0], ch1[0], ch0[1], ch1[1], ch0[2], ch1[2], ch0[3], ch1[3]];
    expect(maxAbsDiff(await y.data(), expected)).toBeLessThan(1e-5);
    expect(maxAbsDiff(await s.runningMean.data(), [0.3, 0.1])).toBeLessThan(1e-6);
    expect(maxAbsDiff(await s.runningVar.data(), [0.9 + 0.1 * (14 / 3), 0.9 + 0.1 * (4 / 3)])).toBeLessThan(
      1e-6,
    );
    // updateStats false leaves the running stats alone
    const y2 = batchNorm(x, s, true, false);
    expect(maxAbsDiff(await s.runningMean.data(), [0.3, 0.1])).toBeLessThan(1e-6);
    // eval mode normalises with the running stats
    s.runningMean.assign(tf.tensor1d([0.5, -2]));
    s.runningVar.assign(tf.tensor1d([4, 0.25]));
    const ye = batchNorm(x, s, false, true);
    const e0 = [1, 2, 3, 6].map((v) => ((v - 0.5) / Math.sqrt(4 + 1e-5)) * 2 + 0.25);
    const e1 = [0, 0, 2, 2].map((v) => ((v + 2) / Math.sqrt(0.25 + 1e-5)) * 0.5 - 1);
    expect(
      maxAbsDiff(await ye.data(), [e0[0], e1[0], e0[1], e1[1], e0[2], e1[2], e0[3], e1[3]]),
    ).toBeLessThan(1e-5);
    expect(maxAbsDiff(await s.runningMean.data(), [0.5, -2])).toBeLessThan(1e-6);
    expect(() => batchNorm(tf.ones([1, 1, 1, 2]) as tf.Tensor4D, s, true, false)).toThrow(
      /one value per channel/,
    );
    tf.dispose([x, y, y2, ye, s.gamma, s.beta, s.runningMean, s.runningVar]);
  });

  it('BatchNorm training gradients equal the textbook formula (through mean and variance)', async () => {
    await useBackend(backend);
    const x = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 11) as tf.Tensor4D;
    const gamma = tf.randomNormal([4], 1, 0.5, 'float32', 12);
    const beta = tf.randomNormal([4], 0, 0.5, 'float32', 13);
    const weightsOut = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 14);
    const rm = tf.variable(tf.zeros([4]), false);
    const rv = tf.variable(tf.ones([4]), false);
    const ours = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const s = { gamma: g, beta: b, runningMean: rm, runningVar: rv } as unknown as BatchNormState;
      return tf.sum(tf.mul(batchNorm(a as tf.Tensor4D, s, true, false), weightsOut));
    })([x, gamma, beta]);
    const textbook = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const mean = tf.mean(a, [0, 1, 2]);
      const variance = tf.mean(tf.square(tf.sub(a, mean)), [0, 1, 2]);
      const y = tf.add(tf.mul(tf.div(tf.sub(a, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
      return tf.sum(tf.mul(y, weightsOut));
    })([x, gamma, beta]);
    for (let i = 0; i < 3; i++) {
      const ref = await textbook[i].data();
      expect(maxAbsDiff(await ours[i].data(), ref)).toBeLessThan(1e-4 * Math.max(1, maxAbs(ref)));
    }
    expect(maxAbs(await ours[0].data())).toBeGreaterThan(1e-3);
    tf.dispose([x, gamma, beta, weightsOut, rm, rv, ...ours, ...textbook]);
  });

  it('InstanceNorm: per sample and channel, eps 1e-5, not affine', async () => {
    await useBackend(backend);
    // sample 0 channel 0: 1,3 (mean 2, var 1); channel 1: 5,5 (var 0); sample 1 channel 0: 0,4 (mean 2, var 4)
    const x = tf.tensor4d([1, 5, 3, 5, 0, -1, 4, 1], [2, 1, 2, 2]);
    const y = instanceNorm(x);
    const a = 1 / Math.sqrt(1 + 1e-5);
    const b = 2 / Math.sqrt(4 + 1e-5);
    const c = 1 / Math.sqrt(1 + 1e-5); // sample 1 channel 1: -1, 1
    expect(maxAbsDiff(await y.data(), [-a, 0, a, 0, -b, -c, b, c])).toBeLessThan(1e-5);
    tf.dispose([x, y]);
  });

  it('LeakyReLU slope 0.2', async () => {
    await useBackend(backend);
    const y = leakyRelu(tf.tensor4d([-5, -1, 0, 2], [1, 1, 2, 2]));
    expect(Array.from(await y.data())).toEqual([-1, -0.2, 0, 2].map(Math.fround));
    y.dispose();
  });

  it('downsample = AvgPool2d(3, 2, padding 1, count_include_pad=False): values and gradient equal PyTorch', async () => {
    await useBackend(backend);
    const x = tf.tensor4d(
      seq(30, (i) => i),
      [1, 6, 5, 1],
    );
    const y = downsample(x);
    expect(y.shape).toEqual([1, 3, 3, 1]);
    expect(maxAbsDiff(await y.data(), [3, 4.5, 6, 10.5, 12, 13.5, 20.5, 22, 23.5])).toBeLessThan(1e-5);
    const g = tf.grad((t: tf.Tensor) => tf.sum(downsample(t as tf.Tensor4D)))(x);
    // torch: x.grad after avg_pool2d(x, 3, 2, 1, count_include_pad=False).sum().backward()
    const torchGrad = [
      0.25, 0.4167, 0.1667, 0.4167, 0.25, 0.4167, 0.6944, 0.2778, 0.6944, 0.4167, 0.1667, 0.2778, 0.1111,
      0.2778, 0.1667, 0.3333, 0.5556, 0.2222, 0.5556, 0.3333, 0.1667, 0.2778, 0.1111, 0.2778, 0.1667, 0.1667,
      0.2778, 0.1111, 0.2778, 0.1667,
    ];
    expect(maxAbsDiff(await g.data(), torchGrad)).toBeLessThan(1e-4);
    tf.dispose([x, y, g]);
  });

  it('dropout: seeded masks, p = 0.5, survivors scaled by 2', async () => {
    await useBackend(backend);
    const x = tf.ones([1, 16, 16, 8]) as tf.Tensor4D;
    const a = await dropout(x, 0.5, 123).data();
    const b = await dropout(x, 0.5, 123).data();
    const c = await dropout(x, 0.5, 124).data();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(maxAbsDiff(a, c)).toBe(2);
    const zeros = Array.from(a).filter((v) => v === 0).length;
    expect(Array.from(a).every((v) => v === 0 || v === 2)).toBe(true);
    expect(zeros / a.length).toBeGreaterThan(0.45);
    expect(zeros / a.length).toBeLessThan(0.55);
    x.dispose();
  });
});

describe('layout permutations', () => {
  it('torchToTfData is (2,3,1,0) and tfToTorchData inverts it', () => {
    const shape = [3, 2, 4, 5];
    const src = Float32Array.from(seq(120, (i) => i));
    const tfData = torchToTfData(src, shape);
    // torch[o=2,i=1,h=3,w=4] -> tf[h=3,w=4,i=1,o=2]
    const torchIdx = ((2 * 2 + 1) * 4 + 3) * 5 + 4;
    const tfIdx = ((3 * 5 + 4) * 2 + 1) * 3 + 2;
    expect(tfData[tfIdx]).toBe(src[torchIdx]);
    expect(Array.from(tfToTorchData(tfData, [4, 5, 2, 3]))).toEqual(Array.from(src));
  });
});

describe.each(['cpu', 'wasm'] as const)('XNNPACK-friendly forms of the transposed convs on %s', (backend) => {
  it.each([
    [1, 8, 8, 6, 5],
    [2, 5, 3, 4, 7],
    [1, 1, 1, 3, 2],
  ])(
    'subPixelConvT equals conv2dTranspose k4 s2 p1 (n %i, %ix%i, in %i, out %i)',
    async (n, h, w, inC, outC) => {
      await useBackend(backend);
      const x = tf.randomNormal([n, h, w, inC], 0, 1, 'float32', 3) as tf.Tensor4D;
      const f = tf.randomNormal([4, 4, outC, inC], 0, 1, 'float32', 4) as tf.Tensor4D;
      const ref = tf.conv2dTranspose(x, f, [n, 2 * h, 2 * w, outC], 2, 1);
      const got = subPixelConvT(x, f);
      expect(got.shape).toEqual(ref.shape);
      const r = await ref.data();
      expect(maxAbsDiff(await got.data(), r)).toBeLessThan(1e-5 * maxAbs(r));
      tf.dispose([x, f, ref, got]);
    },
  );

  it('stride1ConvInputGrad equals the stride-1 conv input gradient (pad 1)', async () => {
    await useBackend(backend);
    const dy = tf.randomNormal([2, 6, 5, 3], 0, 1, 'float32', 5) as tf.Tensor4D; // from x 7x6, k4 p1
    const f = tf.randomNormal([4, 4, 4, 3], 0, 1, 'float32', 6) as tf.Tensor4D;
    const ref = tf.conv2dTranspose(dy, f, [2, 7, 6, 4], 1, 1);
    const got = stride1ConvInputGrad(dy, f, 1);
    expect(got.shape).toEqual([2, 7, 6, 4]);
    const r = await ref.data();
    expect(maxAbsDiff(await got.data(), r)).toBeLessThan(1e-5 * maxAbs(r));
    tf.dispose([dy, f, ref, got]);
  });
});

describe('conv filter gradient without Conv2DBackpropFilter', () => {
  type Case = {
    name: string;
    kind: 'conv' | 'convT';
    stride: number;
    hw: [number, number];
    cin: number;
    cout: number;
  };
  const cases: Case[] = [
    { name: 'conv2d stride 2 pad 1', kind: 'conv', stride: 2, hw: [16, 12], cin: 5, cout: 7 },
    { name: 'conv2d stride 2 pad 1, odd size', kind: 'conv', stride: 2, hw: [15, 9], cin: 3, cout: 4 },
    { name: 'conv2d stride 1 explicit pad 1', kind: 'conv', stride: 1, hw: [9, 10], cin: 6, cout: 5 },
    { name: 'conv2dTranspose stride 2 pad 1', kind: 'convT', stride: 2, hw: [8, 6], cin: 7, cout: 5 },
    {
      name: 'conv2dTranspose stride 2 pad 1, 1x1 input',
      kind: 'convT',
      stride: 2,
      hw: [1, 1],
      cin: 6,
      cout: 4,
    },
  ];

  async function gradients(c: Case): Promise<{ dx: Float32Array; dw: Float32Array; y: Float32Array }> {
    const x = tf.randomNormal([2, c.hw[0], c.hw[1], c.cin], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal(
      c.kind === 'conv' ? [4, 4, c.cin, c.cout] : [4, 4, c.cout, c.cin],
      0,
      1,
      'float32',
      2,
    );
    const f = (xx: tf.Tensor4D, ww: tf.Tensor4D) =>
      c.kind === 'conv' ? conv2d(xx, ww, c.stride, 1) : convTranspose2d(xx, ww, c.stride, 1);
    const y = f(x, w as tf.Tensor4D);
    const probe = tf.tidy(() => tf.sin(tf.reshape(tf.range(0, y.size), y.shape))); // non-uniform upstream gradient
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(f(a as tf.Tensor4D, b as tf.Tensor4D), probe)),
    )([x, w]);
    const out = {
      dx: (await dx.data()) as Float32Array,
      dw: (await dw.data()) as Float32Array,
      y: (await y.data()) as Float32Array,
    };
    tf.dispose([x, w, y, probe, dx, dw]);
    return out;
  }

  it('wasm lacks the kernel, cpu has it', async () => {
    expect(hasNativeFilterGrad('wasm')).toBe(false);
    expect(hasNativeFilterGrad('cpu')).toBe(true);
  });

  it.each(cases)('$name: wasm customGrad and cpu custom path equal cpu Conv2DBackpropFilter', async (c) => {
    await useBackend('cpu');
    setConvGradMode('native');
    const ref = await gradients(c);
    setConvGradMode('custom');
    const cpuCustom = await gradients(c);
    await useBackend('wasm');
    setConvGradMode('auto'); // wasm has no Conv2DBackpropFilter: auto = custom
    const scaleW = maxAbs(ref.dw);
    const scaleX = maxAbs(ref.dx);
    expect(scaleW).toBeGreaterThan(1);
    expect(maxAbsDiff(cpuCustom.dw, ref.dw)).toBeLessThan(1e-4 * scaleW);
    expect(maxAbsDiff(cpuCustom.dx, ref.dx)).toBeLessThan(1e-4 * scaleX);
    // XNNPACK forms wherever the geometry allows (0), and never (Infinity)
    for (const threshold of [0, Infinity]) {
      setXnnPathMinPositions(threshold);
      const before = tf.memory().numTensors;
      const wasm = await gradients(c);
      expect(tf.memory().numTensors).toBe(before);
      expect(maxAbsDiff(wasm.dw, ref.dw)).toBeLessThan(1e-4 * scaleW);
      expect(maxAbsDiff(wasm.dx, ref.dx)).toBeLessThan(1e-4 * scaleX);
      expect(maxAbsDiff(wasm.y, ref.y)).toBeLessThan(1e-4 * maxAbs(ref.y));
    }
  });
});
