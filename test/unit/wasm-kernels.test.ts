/**
 * The wasm backend's replacement kernels (core/model/layers.ts) against the cpu backend's own
 * kernels, at the geometry of every conv layer of the U-Net G and the PatchGAN D of
 * `unet_128 @128` (ngf8 ndf8, half the benchmark's channels) and `unet_256 @256` (every spatial
 * size, odd channel counts), batch 1 and 2: forward values, input gradients and filter gradients.
 * On wasm `conv2d` / `convTranspose2d` run the custom-gradient path: XNNPACK forms of the
 * transposed conv (`subPixelConvT`, `stride1ConvInputGrad`), the dilated-conv filter gradient, and
 * large filters convolved through a short-lived copy so XNNPACK's operator cache is freed at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {
  conv2d,
  convTranspose2d,
  setConvGradMode,
  PARITY_MIN_CHANNEL_PRODUCT,
  PARITY_MIN_POSITIONS,
  setParityThresholds,
  setReleaseXnnCache,
  setXnnPathMinPositions,
  XNN_PATH_MIN_POSITIONS,
} from '../../src/core/model/layers';
import { withDefaults, type RunConfig } from '../../src/core/config';
import { describeConfig } from '../../src/core/train/info';
import { checkMemory, wasmFit, wasmHeapNeed, WASM_HEAP_BYTES } from '../../src/engine/memoryEstimate';
import { trainMessageText } from '../../src/engine/trainMessages';

afterEach(async () => {
  setConvGradMode('auto');
  setXnnPathMinPositions(XNN_PATH_MIN_POSITIONS);
  setReleaseXnnCache(true);
  setParityThresholds(PARITY_MIN_POSITIONS, PARITY_MIN_CHANNEL_PRODUCT);
  await tf.setBackend('wasm');
});

interface Layer {
  name: string;
  kind: 'conv' | 'convT';
  hw: number;
  cin: number;
  cout: number;
  stride: number;
}

/** Conv layers of the server's U-Net G (`downs` down-steps) and 3-layer PatchGAN D. */
function layersOf(size: number, downs: number, ngf: number, ndf: number, inC = 3, outC = 3): Layer[] {
  const out: Layer[] = [];
  const downIn = (i: number): number => (i === 0 ? inC : Math.min(8, 2 ** (i - 1)) * ngf);
  const downOut = (i: number): number => Math.min(8, 2 ** i) * ngf;
  for (let i = 0; i < downs; i++) {
    out.push({
      name: `G down${i}`,
      kind: 'conv',
      hw: size >> i,
      cin: downIn(i),
      cout: downOut(i),
      stride: 2,
    });
  }
  for (let i = downs - 1; i >= 0; i--) {
    out.push({
      name: `G up${i}`,
      kind: 'convT',
      hw: size >> (i + 1),
      cin: i === downs - 1 ? downOut(i) : 2 * downOut(i),
      cout: i === 0 ? outC : downIn(i),
      stride: 2,
    });
  }
  const dIn = [inC + outC, ndf, 2 * ndf, 4 * ndf, 8 * ndf];
  const dOut = [ndf, 2 * ndf, 4 * ndf, 8 * ndf, 1];
  const dHw = [size, size / 2, size / 4, size / 8, size / 8 - 1];
  for (let k = 0; k < 5; k++) {
    out.push({
      name: `D layer${k}`,
      kind: 'conv',
      hw: dHw[k],
      cin: dIn[k],
      cout: dOut[k],
      stride: k < 3 ? 2 : 1,
    });
  }
  return out;
}

interface Result {
  y: Float32Array;
  dx: Float32Array;
  dw: Float32Array;
}

/** Forward and both gradients of the layer under a non-uniform upstream gradient (same seeds everywhere). */
async function run(l: Layer, batch: number): Promise<Result> {
  const x = tf.randomUniform([batch, l.hw, l.hw, l.cin], -1, 1, 'float32', 11) as tf.Tensor4D;
  const w = tf.randomUniform(
    l.kind === 'conv' ? [4, 4, l.cin, l.cout] : [4, 4, l.cout, l.cin],
    -0.2,
    0.2,
    'float32',
    12,
  ) as tf.Tensor4D;
  const f = (a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D =>
    l.kind === 'conv' ? conv2d(a, b, l.stride, 1) : convTranspose2d(a, b, l.stride, 1);
  const y = f(x, w);
  const probe = tf.tidy(() => tf.cos(tf.mul(tf.reshape(tf.range(0, y.size), y.shape), 0.37)));
  const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(f(a as tf.Tensor4D, b as tf.Tensor4D), probe)),
  )([x, w]);
  const out = {
    y: (await y.data()) as Float32Array,
    dx: (await dx.data()) as Float32Array,
    dw: (await dw.data()) as Float32Array,
  };
  tf.dispose([x, w, y, probe, dx, dw]);
  return out;
}

/** Largest difference relative to the reference's largest magnitude. */
function relErr(got: Float32Array, ref: Float32Array): number {
  expect(got.length).toBe(ref.length);
  let d = 0;
  let m = 0;
  for (let i = 0; i < ref.length; i++) {
    d = Math.max(d, Math.abs(got[i] - ref[i]));
    m = Math.max(m, Math.abs(ref[i]));
  }
  return m === 0 ? d : d / m;
}

async function compare(l: Layer, batch: number): Promise<void> {
  await tf.setBackend('cpu');
  setConvGradMode('native'); // the cpu backend's Conv2D / Conv2DBackpropInput / Conv2DBackpropFilter
  const ref = await run(l, batch);
  await tf.setBackend('wasm');
  setConvGradMode('auto'); // wasm lacks Conv2DBackpropFilter: the custom path
  const before = tf.memory().numTensors;
  const got = await run(l, batch);
  expect(tf.memory().numTensors, 'tensors leaked').toBe(before);
  expect(relErr(got.y, ref.y), 'forward').toBeLessThan(1e-5);
  expect(relErr(got.dx, ref.dx), 'input gradient').toBeLessThan(1e-5);
  expect(relErr(got.dw, ref.dw), 'filter gradient').toBeLessThan(1e-5);
}

describe('wasm conv layers equal the cpu backend at every layer geometry', () => {
  // unet_128's geometry at half its channels (ngf8 ndf8: the cpu reference stays fast)
  it.each(layersOf(128, 7, 8, 8).map((l) => [l.name, l] as const))(
    'unet_128 ngf8 ndf8 @128, batch 1: %s',
    async (_name, l) => {
      await compare(l, 1);
    },
  );

  // unet_256's spatial sizes (256 .. 1 px) with odd channel counts (ngf 3, ndf 5), batch 2
  it.each(layersOf(256, 8, 3, 5, 1, 1).map((l) => [l.name, l] as const))(
    'unet_256 ngf3 ndf5 1->1 channel @256, batch 2: %s',
    async (_name, l) => {
      await compare(l, 2);
    },
  );

  it('every form (3x3 sub-pixel, four 2x2 parity convs, TF.js) gives the cpu values, odd shapes, batch 3', async () => {
    const l: Layer = { name: 'odd', kind: 'convT', hw: 5, cin: 7, cout: 9, stride: 2 };
    const conv: Layer = { name: 'odd conv', kind: 'conv', hw: 10, cin: 9, cout: 7, stride: 2 };
    const conv1: Layer = { name: 'odd conv s1', kind: 'conv', hw: 9, cin: 5, cout: 3, stride: 1 };
    for (const [threshold, parity] of [
      [0, 0],
      [0, Infinity],
      [Infinity, Infinity],
    ]) {
      setXnnPathMinPositions(threshold);
      setParityThresholds(parity, parity);
      for (const c of [l, conv, conv1]) await compare(c, 3);
    }
  });

  it('unet_256 ngf64 up-path geometry in the parity form (16x16x96 -> 80, batch 1)', async () => {
    setParityThresholds(256, 1);
    await compare({ name: 'up', kind: 'convT', hw: 16, cin: 96, cout: 80, stride: 2 }, 1);
    await compare({ name: 'down', kind: 'conv', hw: 32, cin: 80, cout: 96, stride: 2 }, 1);
  });
});

describe('XNNPACK operator cache of layer weights', () => {
  interface WasmModule {
    HEAPU8: Uint8Array;
  }
  const heap = (): number => (tf.backend() as unknown as { wasm: WasmModule }).wasm.HEAPU8.buffer.byteLength;

  /**
   * Convolve with `count` weights that stay alive (like a network's weights through a step) and
   * return how much the wasm heap grew. TF.js keeps a transposed and a packed copy of each
   * filter while the filter tensor lives; the studio convolves through a disposable copy.
   */
  function growth(count: number, release: boolean): number {
    setReleaseXnnCache(release);
    const x = tf.randomUniform([1, 4, 4, 256], -1, 1, 'float32', 3) as tf.Tensor4D;
    const start = heap();
    const weights: tf.Tensor4D[] = [];
    for (let i = 0; i < count; i++) {
      const w = tf.randomUniform([4, 4, 256, 256], -1, 1, 'float32', 100 + i) as tf.Tensor4D; // 4 MiB
      weights.push(w);
      tf.dispose(conv2d(x, w, 2, 1));
    }
    const grown = heap() - start;
    tf.dispose([x, ...weights]);
    return grown;
  }

  it('a layer weight does not keep its operator (heap grows by the weights, not three times them)', async () => {
    await tf.setBackend('wasm');
    const weightBytes = 16 * 256 * 256 * 4;
    // warm the allocator so the heap has room for one weight's transient copies
    growth(2, true);
    const released = growth(12, true);
    expect(released).toBeLessThan(12 * weightBytes * 1.6);
    const kept = growth(12, false); // TF.js's behaviour: reaches well above the weights alone
    expect(kept).toBeGreaterThan(12 * weightBytes * 2);
  });
});

describe('the wasm heap check before Start', () => {
  const totalBytesOf = (c: RunConfig): number => describeConfig(c).memory.totalBytes;
  const check = (partial: Partial<RunConfig>) => {
    const cfg = withDefaults(partial);
    return checkMemory(
      { totalBytes: totalBytesOf(cfg), largestTensorBytes: 0 },
      { backend: 'wasm' },
      { cfg, totalBytesOf },
    );
  };

  it('unet_256 ngf64 fits at 256 and 512 px (measured heap 1.8 and 2.8 GiB), not at 768 px: says 512 px or a smaller ngf', () => {
    expect(check({ netG: 'unet_256', ngf: 64, ndf: 64, size: 256 }).fits).toBe(true);
    expect(check({ netG: 'unet_256', ngf: 64, ndf: 64, size: 512 }).fits).toBe(true);
    const big = check({ netG: 'unet_256', ngf: 64, ndf: 64, size: 768 });
    expect(big.fits).toBe(false);
    expect(big.problems).toHaveLength(1);
    const p = big.problems[0];
    expect(p.code).toBe('engine.memory.wasmHeapFit');
    expect(p.params.fitSize).toBe(512);
    const ngf = Number(p.params.ngf);
    expect(ngf).toBeGreaterThan(8);
    expect(ngf).toBeLessThan(64);
    // the suggestion fits and one more filter would not
    const at = (g: number) =>
      wasmHeapNeed(totalBytesOf(withDefaults({ netG: 'unet_256', ngf: g, ndf: 64, size: 768 })));
    expect(at(ngf)).toBeLessThanOrEqual(WASM_HEAP_BYTES);
    expect(at(ngf + 1)).toBeGreaterThan(WASM_HEAP_BYTES);
    expect(p.text).toContain('largest size that fits with these networks is 512 px');
    expect(p.text).toContain(`at 768 px, ngf ${ngf} or less fits`);
    const zh = trainMessageText(p, 'zh');
    expect(zh).toContain('512 px');
    expect(zh).toContain(`ngf 不超过 ${ngf}`);
  });

  it('no smaller size when the smallest size is the configured one: only the ngf suggestion', () => {
    const cfg = withDefaults({ netG: 'unet_256', ngf: 64, ndf: 64, size: 256, batch_size: 12 });
    const fit = wasmFit({ cfg, totalBytesOf });
    expect(fit.size).toBeNull();
    const r = check({ netG: 'unet_256', ngf: 64, ndf: 64, size: 256, batch_size: 12 });
    expect(r.fits).toBe(false);
    expect(r.problems[0].code).toBe(
      fit.ngf === null ? 'engine.memory.wasmHeap' : 'engine.memory.wasmHeapFitNgf',
    );
  });
});
