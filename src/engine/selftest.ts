/**
 * Numerical self-test of a TF.js backend against the cpu backend (exact, pure JS).
 *
 * A small block of the studio's own network maths (src/core/model/layers.ts, so wasm gets the
 * studio's conv filter gradient exactly as training does):
 *   x [2,16,16,3] → conv 4x4 stride 2 pad 1 (3→8) → BatchNorm (batch statistics) → LeakyReLU 0.2
 *     → convTranspose 4x4 stride 2 pad 1 (8→3) → tanh → y [2,16,16,3];  loss = Σ y·r
 * forward (y) and backward (dLoss/dx, dLoss/dW for both convs, dLoss/dγ, dLoss/dβ) are computed on
 * the backend under test and on cpu from the same seeded inputs and compared element-wise.
 *
 * A quantity passes when max|a − b| ≤ tolerance · max(1, max|b|) (b = cpu). Tolerance 1e-3 for
 * float32 backends (measured differences are ~1e-6), 3e-2 for 16-bit WebGL.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/rng';
import { batchNorm, conv2d, convTranspose2d, leakyRelu } from '../core/model/layers';
import { withBackendLock, type BackendName } from './backend';
import { engineMessage, type EngineMessage } from './messages';
import { errorText } from '../core/errors';

export type SelfTestQuantity = 'forward' | 'dInput' | 'dConvFilter' | 'dConvTFilter' | 'dGamma' | 'dBeta';

export const SELFTEST_QUANTITIES: readonly SelfTestQuantity[] = [
  'forward',
  'dInput',
  'dConvFilter',
  'dConvTFilter',
  'dGamma',
  'dBeta',
];

export interface SelfTestCheck {
  quantity: SelfTestQuantity;
  /** max |backend − cpu| over all elements */
  maxAbsDiff: number;
  /** max |cpu| over all elements (the scale the tolerance is relative to) */
  maxAbsRef: number;
  /** the allowed max |backend − cpu| for this quantity */
  allowed: number;
  passed: boolean;
}

export interface SelfTestResult {
  backend: BackendName;
  reference: 'cpu';
  passed: boolean;
  /** relative tolerance (see file header) */
  tolerance: number;
  /** largest difference over all quantities */
  maxAbsDiff: number;
  checks: SelfTestCheck[];
  /** wall time on the backend under test, ms (includes shader compilation on the first run) */
  durationMs: number;
  /** wall time of the cpu reference, ms */
  referenceDurationMs: number;
  /** the verdict in words (passed / failed / could not run) */
  message: EngineMessage;
  /** set when the test could not run at all */
  error?: string;
}

const X_SHAPE: [number, number, number, number] = [2, 16, 16, 3];
const W1_SHAPE: [number, number, number, number] = [4, 4, 3, 8]; // conv [kH,kW,in,out]
const W2_SHAPE: [number, number, number, number] = [4, 4, 3, 8]; // convT [kH,kW,out,in]
const C_MID = 8;

export function selfTestTolerance(floatPrecision: 16 | 32): number {
  return floatPrecision === 16 ? 3e-2 : 1e-3;
}

interface Inputs {
  x: Float32Array;
  w1: Float32Array;
  w2: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
  r: Float32Array;
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function makeInputs(seed: number): Inputs {
  const rng = new Rng(seed);
  const uniform = (n: number, lo: number, hi: number): Float32Array => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = rng.uniform(lo, hi);
    return a;
  };
  return {
    x: uniform(size(X_SHAPE), -1, 1),
    w1: rng.fillNormal(new Float32Array(size(W1_SHAPE)), 0, 0.2),
    w2: rng.fillNormal(new Float32Array(size(W2_SHAPE)), 0, 0.2),
    gamma: uniform(C_MID, 0.5, 1.5),
    beta: uniform(C_MID, -0.2, 0.2),
    r: uniform(size(X_SHAPE), -1, 1),
  };
}

type Outputs = Record<SelfTestQuantity, Float32Array>;

/** Forward + backward on the active backend. Creates and disposes all its tensors. */
async function computeOnActiveBackend(inp: Inputs): Promise<Outputs> {
  // tidy disposes the initial-value tensors; the variables survive it.
  const [x, w1, w2, gamma, beta, runningMean, runningVar] = tf.tidy(() => [
    tf.variable(tf.tensor4d(inp.x, X_SHAPE), true),
    tf.variable(tf.tensor4d(inp.w1, W1_SHAPE), true),
    tf.variable(tf.tensor4d(inp.w2, W2_SHAPE), true),
    tf.variable(tf.tensor1d(inp.gamma), true),
    tf.variable(tf.tensor1d(inp.beta), true),
    tf.variable(tf.zeros([C_MID]), false),
    tf.variable(tf.ones([C_MID]), false),
  ]);
  const r = tf.tensor4d(inp.r, X_SHAPE);
  let y: tf.Tensor | undefined;
  let result: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
  try {
    result = tf.variableGrads(() => {
      const h = conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 2, 1);
      const n = batchNorm(h, { gamma, beta, runningMean, runningVar }, true, false, 'self-test BatchNorm');
      const a = leakyRelu(n);
      const out = tf.tanh(convTranspose2d(a, w2 as tf.Tensor4D, 2, 1));
      y = tf.keep(out);
      return tf.sum(tf.mul(out, r));
    }, [x, w1, w2, gamma, beta]);
    const g = result.grads;
    const read = async (t: tf.Tensor | undefined): Promise<Float32Array> => {
      if (!t) throw new Error('self-test: a gradient is missing');
      return (await t.data()) as Float32Array;
    };
    return {
      forward: await read(y),
      dInput: await read(g[x.name]),
      dConvFilter: await read(g[w1.name]),
      dConvTFilter: await read(g[w2.name]),
      dGamma: await read(g[gamma.name]),
      dBeta: await read(g[beta.name]),
    };
  } finally {
    y?.dispose();
    if (result) {
      result.value.dispose();
      tf.dispose(Object.values(result.grads));
    }
    tf.dispose([x, w1, w2, gamma, beta, runningMean, runningVar, r]);
  }
}

/** Element-wise comparison; `tolerance` is relative to max(1, max|reference|). */
export function compareArrays(
  quantity: SelfTestQuantity,
  actual: ArrayLike<number>,
  reference: ArrayLike<number>,
  tolerance: number,
): SelfTestCheck {
  if (actual.length !== reference.length) {
    throw new Error(`self-test ${quantity}: ${actual.length} values vs ${reference.length} on cpu`);
  }
  let maxAbsDiff = 0;
  let maxAbsRef = 0;
  let finite = true;
  for (let i = 0; i < reference.length; i++) {
    const a = actual[i];
    const b = reference[i];
    if (!Number.isFinite(a) || !Number.isFinite(b)) finite = false;
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a - b));
    maxAbsRef = Math.max(maxAbsRef, Math.abs(b));
  }
  if (!finite) maxAbsDiff = Number.POSITIVE_INFINITY;
  const allowed = tolerance * Math.max(1, maxAbsRef);
  return { quantity, maxAbsDiff, maxAbsRef, allowed, passed: maxAbsDiff <= allowed };
}

/**
 * Run the self-test on `backend` (default: the active one) against cpu, then make the previous
 * backend active again. Serialised with backend selection. Never throws: a failure to run is a
 * result with `passed: false` and `error` set.
 */
export function runSelfTest(backend?: BackendName, options: { seed?: number } = {}): Promise<SelfTestResult> {
  return withBackendLock(async () => {
    const previous = tf.getBackend();
    const target = (backend ?? previous) as BackendName;
    const floatPrecision = await (async () => {
      try {
        await tf.setBackend(target);
        return tf.backend().floatPrecision();
      } catch {
        return 32 as const;
      }
    })();
    const tolerance = selfTestTolerance(floatPrecision);
    const inputs = makeInputs(options.seed ?? 20260101);
    const base = { backend: target, reference: 'cpu' as const, tolerance };
    try {
      if (tf.getBackend() !== target) throw new Error(`the ${target} backend is not available`);
      const t0 = performance.now();
      const actual = await computeOnActiveBackend(inputs);
      const durationMs = performance.now() - t0;
      await tf.setBackend('cpu');
      const t1 = performance.now();
      const reference = await computeOnActiveBackend(inputs);
      const referenceDurationMs = performance.now() - t1;
      const checks = SELFTEST_QUANTITIES.map((q) => compareArrays(q, actual[q], reference[q], tolerance));
      const passed = checks.every((c) => c.passed);
      const maxAbsDiff = Math.max(...checks.map((c) => c.maxAbsDiff));
      const worst = checks.reduce((a, b) => (b.maxAbsDiff / b.allowed > a.maxAbsDiff / a.allowed ? b : a));
      const message = passed
        ? engineMessage('selftest.passed', { backend: target, tolerance: tolerance.toExponential(0) })
        : engineMessage('selftest.failed', {
            backend: target,
            diff: worst.maxAbsDiff.toExponential(2),
            tolerance: worst.allowed.toExponential(2),
          });
      return { ...base, passed, maxAbsDiff, checks, durationMs, referenceDurationMs, message };
    } catch (e) {
      const text = errorText(e);
      const kernel = /Kernel '(\w+)' not registered/.exec(text)?.[1];
      const message = kernel
        ? engineMessage('selftest.missingKernel', { backend: target, kernel })
        : engineMessage('selftest.error', { backend: target, error: text });
      return {
        ...base,
        passed: false,
        maxAbsDiff: Number.NaN,
        checks: [],
        durationMs: 0,
        referenceDurationMs: 0,
        message,
        error: text,
      };
    } finally {
      if (tf.getBackend() !== previous) await tf.setBackend(previous);
    }
  });
}
