/**
 * The closed-form BatchNorm / InstanceNorm gradients (layers.ts `setNormGradMode('closed')`, the
 * product setting) against TF.js's own autodiff of the old formula (`tf.moments` + `tf.batchNorm`,
 * mode `autodiff`): output, dx, dgamma and dbeta, alone and through a following conv, the running
 * stats, and no leaked tensors, on the cpu backend and on wasm (whose per-channel means run as an
 * average pool).
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {
  batchNorm,
  conv2d,
  instanceNorm,
  leakyRelu,
  setNormGradMode,
  type BatchNormState,
  type NormGradMode,
} from '../../src/core/model/layers';
import { maxAbs, maxAbsDiff } from './numeric';

afterEach(() => {
  setNormGradMode('closed');
});

type Shape = [number, number, number, number];

/** Batch 1 and 2, 1x1 spatial at batch 2, odd sizes, channels 3..64. */
const SHAPES: Shape[] = [
  [1, 4, 4, 3],
  [2, 5, 3, 7],
  [2, 1, 1, 16],
  [1, 7, 9, 64],
  [2, 6, 5, 32],
  [1, 32, 32, 8],
];

/** |a - b| within `rel` of the reference's largest magnitude (float32 sums in different orders). */
async function expectClose(ours: tf.Tensor, ref: tf.Tensor, what: string, rel = 2e-5): Promise<void> {
  expect(ours.shape, what).toEqual(ref.shape);
  const r = await ref.data();
  const d = maxAbsDiff(await ours.data(), r);
  expect(d, `${what}: max |diff| ${d} vs max |ref| ${maxAbs(r)}`).toBeLessThanOrEqual(
    rel * Math.max(1, maxAbs(r)),
  );
}

interface BnInputs {
  x: tf.Tensor4D;
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
  /** Weights of the loss sum(y * r): a random dy (sum(y) alone has dx = 0). */
  r: tf.Tensor4D;
}

function bnInputs(shape: Shape, seed: number): BnInputs {
  const c = shape[3];
  return {
    // an offset and scale per tensor, as conv outputs have: the mean must really be removed
    x: tf.tidy(() => tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), 2.5), 0.7)) as tf.Tensor4D,
    gamma: tf.randomNormal([c], 1, 0.5, 'float32', seed + 1) as tf.Tensor1D,
    beta: tf.randomNormal([c], 0, 0.5, 'float32', seed + 2) as tf.Tensor1D,
    r: tf.randomNormal(shape, 0, 1, 'float32', seed + 3) as tf.Tensor4D,
  };
}

function freshStats(c: number): { rm: tf.Variable; rv: tf.Variable } {
  return tf.tidy(() => ({
    rm: tf.variable(tf.randomNormal([c], 0, 0.3, 'float32', 91), false),
    rv: tf.variable(tf.randomUniform([c], 0.5, 2, 'float32', 92), false),
  }));
}

/** y, dx, dgamma, dbeta of sum(batchNorm(x) * r) and the running stats after one update. */
function bnRun(mode: NormGradMode, inp: BnInputs, updateStats: boolean): tf.Tensor[] {
  setNormGradMode(mode);
  const { rm, rv } = freshStats(inp.x.shape[3]);
  let y: tf.Tensor | undefined;
  const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const s = { gamma: g, beta: b, runningMean: rm, runningVar: rv } as unknown as BatchNormState;
    const out = batchNorm(a as tf.Tensor4D, s, true, updateStats);
    y = tf.keep(out);
    return tf.sum(tf.mul(out, inp.r));
  })([inp.x, inp.gamma, inp.beta]);
  const stats = [rm.clone(), rv.clone()];
  tf.dispose([rm, rv]);
  return [y as tf.Tensor, ...grads, ...stats];
}

describe.each(['cpu', 'wasm'] as const)('closed-form norm gradients on %s', (backend) => {
  it.each(SHAPES)(
    'BatchNorm %ix%ix%ix%i: output, dx, dgamma, dbeta and running stats equal the autodiff path',
    async (...shape) => {
      await tf.setBackend(backend);
      await tf.ready();
      const inp = bnInputs(shape, 7 + shape[3]);
      const before = tf.memory().numTensors;
      const ours = bnRun('closed', inp, true);
      const ref = bnRun('autodiff', inp, true);
      // 6 results each, nothing else left behind
      expect(tf.memory().numTensors - before).toBe(12);
      const names = ['y', 'dx', 'dgamma', 'dbeta', 'running_mean', 'running_var'];
      const results = [ours[0], ours[1], ours[2], ours[3], ours[4], ours[5]];
      for (let i = 0; i < results.length; i++) await expectClose(results[i], ref[i], names[i]);
      // the gradient is not trivially zero (with two values per channel it is, up to eps)
      if (shape[0] * shape[1] * shape[2] > 2) expect(maxAbs(await ours[1].data())).toBeGreaterThan(1e-3);
      tf.dispose([...ours, ...ref, ...Object.values(inp)]);
    },
  );

  it('BatchNorm without updateStats leaves the running stats alone and gives the same gradients', async () => {
    await tf.setBackend(backend);
    await tf.ready();
    const inp = bnInputs([2, 5, 4, 12], 40);
    const ours = bnRun('closed', inp, false);
    const ref = bnRun('autodiff', inp, false);
    for (let i = 0; i < 4; i++) await expectClose(ours[i], ref[i], `result ${i}`);
    const fresh = freshStats(12);
    await expectClose(ours[4], fresh.rm, 'running_mean untouched', 0);
    await expectClose(ours[5], fresh.rv, 'running_var untouched', 0);
    tf.dispose([...ours, ...ref, ...Object.values(inp), fresh.rm, fresh.rv]);
  });

  it('gradients through conv -> BatchNorm -> LeakyReLU -> conv with variables (as the networks train)', async () => {
    await tf.setBackend(backend);
    await tf.ready();
    const x = tf.randomNormal([2, 16, 16, 3], 0, 1, 'float32', 51) as tf.Tensor4D;
    const r = tf.randomNormal([2, 4, 4, 5], 0, 1, 'float32', 52);
    const w1 = tf.variable(tf.randomNormal([4, 4, 3, 24], 0, 0.2, 'float32', 53));
    const w2 = tf.variable(tf.randomNormal([4, 4, 24, 5], 0, 0.2, 'float32', 54));
    const s: BatchNormState = {
      gamma: tf.variable(tf.randomNormal([24], 1, 0.3, 'float32', 55)),
      beta: tf.variable(tf.randomNormal([24], 0, 0.3, 'float32', 56)),
      runningMean: tf.variable(tf.zeros([24]), false),
      runningVar: tf.variable(tf.ones([24]), false),
    };
    const vars = [w1, w2, s.gamma, s.beta];
    const run = (mode: NormGradMode): tf.Tensor[] => {
      setNormGradMode(mode);
      tf.tidy(() => {
        s.runningMean.assign(tf.zeros([24]));
        s.runningVar.assign(tf.ones([24]));
      });
      const { value, grads } = tf.variableGrads(() => {
        const h = leakyRelu(batchNorm(conv2d(x, w1 as tf.Tensor4D, 2, 1), s, true, true));
        return tf.sum(tf.mul(conv2d(h, w2 as tf.Tensor4D, 2, 1), r));
      }, vars);
      return [value, ...vars.map((v) => grads[v.name]), s.runningMean.clone(), s.runningVar.clone()];
    };
    const before = tf.memory().numTensors;
    const ours = run('closed');
    const ref = run('autodiff');
    expect(tf.memory().numTensors - before).toBe(14);
    const names = ['loss', 'dW1', 'dW2', 'dgamma', 'dbeta', 'running_mean', 'running_var'];
    for (let i = 0; i < names.length; i++) await expectClose(ours[i], ref[i], names[i], 5e-5);
    expect(maxAbs(await ours[1].data())).toBeGreaterThan(1e-3);
    tf.dispose([...ours, ...ref, x, r, ...vars, s.runningMean, s.runningVar]);
  });

  it.each(SHAPES)('InstanceNorm %ix%ix%ix%i: output and dx equal the autodiff path', async (...shape) => {
    await tf.setBackend(backend);
    await tf.ready();
    const inp = bnInputs(shape, 70 + shape[3]);
    const run = (mode: NormGradMode): tf.Tensor[] => {
      setNormGradMode(mode);
      const { value, grad } = tf.valueAndGrad((a: tf.Tensor) =>
        tf.sum(tf.mul(instanceNorm(a as tf.Tensor4D), inp.r)),
      )(inp.x);
      return [instanceNorm(inp.x), grad, value];
    };
    const before = tf.memory().numTensors;
    const ours = run('closed');
    const ref = run('autodiff');
    expect(tf.memory().numTensors - before).toBe(6);
    await expectClose(ours[0], ref[0], 'y');
    await expectClose(ours[1], ref[1], 'dx');
    if (shape[1] * shape[2] > 1) expect(maxAbs(await ours[1].data())).toBeGreaterThan(1e-3);
    tf.dispose([...ours, ...ref, ...Object.values(inp)]);
  });
});
