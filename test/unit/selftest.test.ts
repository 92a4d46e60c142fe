import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/engine/backend';
import {
  SELFTEST_QUANTITIES,
  compareArrays,
  runSelfTest,
  selfTestTolerance,
} from '../../src/engine/selftest';

describe('compareArrays', () => {
  it('measures the max abs difference and scales the tolerance by the reference', () => {
    const c = compareArrays('forward', [1, 2, 3.01], [1, 2, 3], 1e-3);
    expect(c.maxAbsDiff).toBeCloseTo(0.01, 6);
    expect(c.maxAbsRef).toBe(3);
    expect(c.allowed).toBeCloseTo(3e-3, 12);
    expect(c.passed).toBe(false);
    expect(compareArrays('forward', [0.0005], [0], 1e-3).passed).toBe(true);
  });
  it('fails on non-finite values', () => {
    const c = compareArrays('dInput', [Number.NaN], [1], 1);
    expect(c.passed).toBe(false);
    expect(c.maxAbsDiff).toBe(Number.POSITIVE_INFINITY);
  });
  it('refuses arrays of different length', () => {
    expect(() => compareArrays('dBeta', [1], [1, 2], 1)).toThrow(/1 values vs 2/);
  });
  it('uses a looser tolerance for 16-bit floats', () => {
    expect(selfTestTolerance(32)).toBe(1e-3);
    expect(selfTestTolerance(16)).toBe(3e-2);
  });
});

describe('runSelfTest in Node', () => {
  it('passes on wasm (studio filter gradient) against cpu, restores the backend and leaks nothing', async () => {
    await selectBackend('wasm');
    const before = tf.memory().numTensors;
    const r = await runSelfTest();
    expect(r.error).toBeUndefined();
    expect(r.backend).toBe('wasm');
    expect(r.checks.map((c) => c.quantity)).toEqual([...SELFTEST_QUANTITIES]);
    for (const c of r.checks) {
      expect(c.maxAbsRef, c.quantity).toBeGreaterThan(0.05); // every quantity carries signal
      expect(c.maxAbsDiff, c.quantity).toBeLessThan(1e-4);
    }
    expect(r.passed).toBe(true);
    expect(r.message.code).toBe('selftest.passed');
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports the missing wasm kernel when the plain tf conv gradient is used', async () => {
    const layers = await import('../../src/core/model/layers');
    layers.setConvGradMode('native');
    try {
      await selectBackend('wasm');
      const r = await runSelfTest('wasm');
      expect(r.passed).toBe(false);
      expect(r.message.code).toBe('selftest.missingKernel');
      expect(r.message.params.kernel).toBe('Conv2DBackpropFilter');
      expect(tf.getBackend()).toBe('wasm');
    } finally {
      layers.setConvGradMode('auto');
    }
  });

  it('cpu against cpu is exact', async () => {
    const r = await runSelfTest('cpu');
    expect(r.passed).toBe(true);
    expect(r.maxAbsDiff).toBe(0);
  });
});
