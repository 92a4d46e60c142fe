import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sumTensors } from '../../src/core/tensorOps';

describe('sumTensors (pairwise replacement for tf.addN)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('adds 1..9 scalars exactly and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const xs = Array.from({ length: 9 }, (_, i) => tf.scalar(i + 1));
    const s = sumTensors(xs);
    expect(await s.data()).toEqual(new Float32Array([45]));
    s.dispose();
    xs.forEach((x) => x.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is differentiable: d(sum)/dx_i = 1 for each input', () => {
    const xs = Array.from({ length: 8 }, (_, i) => tf.tensor1d([i, -i]));
    const grads = tf.grads((...a: tf.Tensor[]) => tf.sum(sumTensors(a)))(xs);
    for (const g of grads) expect(Array.from(g.dataSync())).toEqual([1, 1]);
  });

  it('refuses an empty list', () => {
    expect(() => sumTensors([])).toThrow(/no tensors/);
  });
});
