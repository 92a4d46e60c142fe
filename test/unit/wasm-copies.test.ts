/**
 * The studio's wasm copy kernels (engine/kernels/wasmCopies.ts: Concat, Slice, SplitV, GatherV2)
 * give exactly TF.js's values — they only move elements — on random shapes, every axis, int32 and
 * float32, and fall back to TF.js for bools; and a whole pix2pix step (G and D forward, every
 * gradient) is bit-identical with them and without them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {
  removeWasmKernels,
  setupWasmKernels,
  wasmKernelsRegistered,
} from '../../src/engine/kernels/wasmCopies';
import { Rng } from '../../src/core/rng';
import { withDefaults } from '../../src/core/config';
import { createGenerator } from '../../src/core/model/unet';
import { createDiscriminator } from '../../src/core/model/patchgan';
import {
  PARITY_MIN_CHANNEL_PRODUCT,
  PARITY_MIN_POSITIONS,
  setParityThresholds,
} from '../../src/core/model/layers';

beforeAll(async () => {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await tf.setBackend('wasm');
  await tf.ready();
});

afterAll(() => {
  removeWasmKernels();
});

/** Run `f` with TF.js's kernels and with the studio's; return both results' values. */
async function both(f: () => tf.Tensor | tf.Tensor[]): Promise<[number[][], number[][]]> {
  const values = async (): Promise<number[][]> => {
    const r = f();
    const list = Array.isArray(r) ? r : [r];
    const v = await Promise.all(list.map(async (t) => Array.from(await t.data()) as number[]));
    tf.dispose(list);
    return v;
  };
  removeWasmKernels();
  const ref = await values();
  expect(setupWasmKernels()).toBe(true);
  expect(wasmKernelsRegistered()).toBe(true);
  const before = tf.memory().numTensors;
  const got = await values();
  expect(tf.memory().numTensors, 'tensors leaked').toBe(before);
  return [got, ref];
}

/** "" when both lists hold the same values (NaN equals NaN, -0 differs from 0), else where they first differ. */
function firstDifference(got: number[][], ref: number[][]): string {
  if (got.length !== ref.length) return `${got.length} outputs, expected ${ref.length}`;
  for (let i = 0; i < ref.length; i++) {
    if (got[i].length !== ref[i].length)
      return `output ${i}: ${got[i].length} values, expected ${ref[i].length}`;
    for (let k = 0; k < ref[i].length; k++) {
      if (!Object.is(got[i][k], ref[i][k])) {
        return `output ${i}, value ${k}: ${got[i][k]}, expected ${ref[i][k]}`;
      }
    }
  }
  return '';
}

function randShape(rng: Rng, rank: number, max = 6): number[] {
  return Array.from({ length: rank }, () => 1 + Math.floor(rng.next() * max));
}

function randTensor(rng: Rng, shape: number[], dtype: 'float32' | 'int32' = 'float32'): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, () =>
    dtype === 'int32' ? Math.floor(rng.next() * 2e9) - 1e9 : rng.next() - 0.5,
  );
  return tf.tensor(v, shape, dtype);
}

describe('wasm copy kernels equal TF.js', () => {
  it('concat: 2-4 inputs, ranks 1-5, every axis, float32 and int32, empty inputs', async () => {
    const rng = new Rng(1);
    for (let trial = 0; trial < 60; trial++) {
      const rank = 1 + (trial % 5);
      const base = randShape(rng, rank);
      const axis = Math.floor(rng.next() * rank);
      const count = 2 + (trial % 3);
      const dtype = trial % 4 === 3 ? 'int32' : 'float32';
      const parts = Array.from({ length: count }, (_, i) => {
        const s = base.slice();
        s[axis] = trial % 7 === 0 && i === 1 ? 0 : 1 + Math.floor(rng.next() * 20);
        return randTensor(rng, s, dtype);
      });
      const [got, ref] = await both(() => tf.concat(parts, axis));
      expect(
        firstDifference(got, ref),
        `concat ${parts.map((p) => p.shape.join('x')).join(' + ')} axis ${axis}`,
      ).toBe('');
      tf.dispose(parts);
    }
  });

  it('the U-Net, D-input and parity-interleave concats (channels 3, 16, 64; rows)', async () => {
    const rng = new Rng(2);
    for (const [a, b, axis] of [
      [[1, 32, 32, 3], [1, 32, 32, 3], 3],
      [[2, 16, 16, 16], [2, 16, 16, 48], 3],
      [[1, 8, 1, 128], [1, 8, 1, 128], 2],
    ] as [number[], number[], number][]) {
      const ta = randTensor(rng, a);
      const tb = randTensor(rng, b);
      const [got, ref] = await both(() => tf.concat([ta, tb], axis));
      expect(firstDifference(got, ref)).toBe('');
      tf.dispose([ta, tb]);
    }
  });

  it('slice: random boxes of ranks 1-5, float32 and int32', async () => {
    const rng = new Rng(3);
    for (let trial = 0; trial < 80; trial++) {
      const rank = 1 + (trial % 5);
      const shape = randShape(rng, rank, 7);
      const begin = shape.map((d) => Math.floor(rng.next() * d));
      const size = shape.map((d, i) => (rng.next() < 0.2 ? -1 : Math.floor(rng.next() * (d - begin[i] + 1))));
      const x = randTensor(rng, shape, trial % 3 === 2 ? 'int32' : 'float32');
      const [got, ref] = await both(() => tf.slice(x, begin, size));
      expect(
        firstDifference(got, ref),
        `slice ${shape.join('x')} at ${begin.join(',')} size ${size.join(',')}`,
      ).toBe('');
      tf.dispose(x);
    }
  });

  it('split: equal and uneven parts on every axis (the concat gradients, the Sobel padding slices)', async () => {
    const rng = new Rng(4);
    for (let trial = 0; trial < 40; trial++) {
      const rank = 1 + (trial % 4);
      const shape = randShape(rng, rank, 8);
      const axis = Math.floor(rng.next() * rank);
      const d = shape[axis];
      const x = randTensor(rng, shape, trial % 5 === 4 ? 'int32' : 'float32');
      const cut = Math.floor(rng.next() * (d + 1));
      const [got, ref] = await both(() => tf.split(x, [cut, d - cut], axis));
      expect(firstDifference(got, ref), `split ${shape.join('x')} axis ${axis} at ${cut}`).toBe('');
      if (d % 2 === 0) {
        const [g2, r2] = await both(() => tf.split(x, 2, axis));
        expect(firstDifference(g2, r2)).toBe('');
      }
      tf.dispose(x);
    }
    const x = randTensor(rng, [3, 10, 10, 1]);
    const [got, ref] = await both(() => tf.split(x, [1, 8, 1], 2));
    expect(firstDifference(got, ref)).toBe('');
    tf.dispose(x);
  });

  it('gather: any axis, 1-D and 2-D indices, repeated indices; an index out of range is refused', async () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 40; trial++) {
      const rank = 1 + (trial % 4);
      const shape = randShape(rng, rank, 6);
      const axis = Math.floor(rng.next() * rank);
      const n = 1 + Math.floor(rng.next() * 5);
      const idx = Array.from({ length: n }, () => Math.floor(rng.next() * shape[axis]));
      const indices =
        trial % 2 === 0 ? tf.tensor1d(idx, 'int32') : tf.tensor2d(idx.concat(idx), [2, n], 'int32');
      const x = randTensor(rng, shape, trial % 3 === 1 ? 'int32' : 'float32');
      const [got, ref] = await both(() => tf.gather(x, indices, axis));
      expect(firstDifference(got, ref), `gather ${shape.join('x')} axis ${axis} [${idx.join(',')}]`).toBe('');
      tf.dispose([x, indices]);
    }
    const taps = randTensor(rng, [16, 24, 8]);
    const idx = tf.tensor1d([15, 13, 7, 5], 'int32');
    const [got, ref] = await both(() => tf.gather(taps, idx, 0));
    expect(firstDifference(got, ref)).toBe('');
    const bad = tf.tensor1d([3, 16], 'int32');
    setupWasmKernels();
    expect(() => tf.gather(taps, bad, 0)).toThrow(/index value 16 is not in \[0, 15\]/);
    tf.dispose([taps, idx, bad]);
  });

  it('bool tensors go to TF.js (same values)', async () => {
    const a = tf.tensor([true, false, true, true], [2, 2], 'bool');
    const b = tf.tensor([false, false, true, false, true, true], [2, 3], 'bool');
    const [got, ref] = await both(() => [
      tf.concat([a, b], 1),
      tf.slice(b, [0, 1], [2, 2]),
      ...tf.split(b, [1, 2], 1),
    ]);
    expect(firstDifference(got, ref)).toBe('');
    tf.dispose([a, b]);
  });

  it('a pix2pix G and D step is bit-identical with and without them (forward, every gradient)', async () => {
    setParityThresholds(16, 1); // the four 2x2 parity convs (their tap gathers) where they can apply
    const cfg = withDefaults({ netG: 'unet_64', ngf: 4, ndf: 4, size: 64, num_D: 2 });
    const G = createGenerator(cfg, 7);
    const D = createDiscriminator(cfg, 8);
    const photo = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
    const xray = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
    const vars = [...G.params.values(), ...D.params.values()];
    const mode = { training: true, updateStats: false, dropout: true, dropoutSeed: 5 };
    const [got, ref] = await both(() => {
      const { value, grads } = tf.variableGrads(() => {
        const fake = G.apply(photo, mode);
        const out = D.apply(photo, fake, mode);
        let loss = tf.mean(tf.abs(tf.sub(fake, xray)));
        for (const l of out.logits) loss = tf.add(loss, tf.mean(tf.square(l)));
        return loss as tf.Scalar;
      }, vars);
      return [value, ...vars.map((v) => grads[v.name])];
    });
    expect(got.length).toBe(vars.length + 1);
    expect(firstDifference(got, ref)).toBe('');
    tf.dispose([photo, xray]);
    G.dispose();
    D.dispose();
    setParityThresholds(PARITY_MIN_POSITIONS, PARITY_MIN_CHANNEL_PRODUCT);
  });
});
