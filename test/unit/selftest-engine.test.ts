/**
 * Device questions go through the engine (issue 11 item 3, deviceQueries.ts), tested with the
 * in-page home in Node on wasm:
 *  - the self-test run while a demo run trains in the same home no longer changes the run's
 *    backend: afterwards the backend is wasm, every live tensor (the run's weights and Adam moments
 *    included) is still on wasm, and the run goes on stepping. The backend switch is made to take a
 *    macrotask here, as in a browser, so a self-test outside the engine's GPU lock would let a step
 *    run on its cpu reference (and move the weights there);
 *  - the environment report comes from the engine (selection, the last self-test, Node, threads);
 *  - the benchmark is refused while a run trains, and measures the smallest configuration on wasm
 *    (steps, inference, GFLOP/s from the layer arithmetic, wasm heap, leaked tensors, kernel profile).
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../src/core/config';
import { Rng } from '../../src/core/rng';
import {
  benchConfig,
  benchmarkMarkdown,
  kernelTable,
  median,
  theoreticalTrainingBytes,
} from '../../src/engine/benchmark';
import { benchArithmetic } from '../../src/engine/deviceQueries';
import { demoValCount, type DemoGenerator, type SourceCase } from '../../src/engine/datasetIds';
import { EngineCore } from '../../src/engine/engineCore';
import { engineFromCore } from '../../src/engine/inPage';
import type { EngineEvent } from '../../src/engine/protocol';

const toyDemo: DemoGenerator = async (n, seed, size) => {
  const val = demoValCount(n);
  const rng = new Rng(seed);
  const img = (): { width: number; height: number; data: Uint8ClampedArray } => {
    const data = new Uint8ClampedArray(size * size * 4);
    for (let i = 0; i < data.length; i++) data[i] = i % 4 === 3 ? 255 : rng.int(256);
    return { width: size, height: size, data };
  };
  const cases: SourceCase[] = Array.from({ length: n }, (_, i) => ({
    id: `toy${i}`,
    split: i < n - val ? 'train' : 'val',
    landmarks: null,
    photo: img(),
    xray: img(),
  }));
  return { cases };
};

const CONFIG: Partial<RunConfig> = {
  netG: 'unet_32',
  size: 32,
  ngf: 4,
  ndf: 4,
  n_epochs: 200,
  n_epochs_decay: 0,
  log_every: 1,
  val_every: 100_000,
  save_every: 100_000,
  seed: 3,
};

function until(pred: () => boolean, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (pred()) resolve();
      else if (Date.now() - t0 > timeoutMs) reject(new Error('timed out'));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

/** Backends that hold the registered variables (the run's weights and Adam moments), by name. */
function variableBackends(): Set<string> {
  const engine = tf.engine() as unknown as {
    state: {
      tensorInfo: WeakMap<object, { backend: unknown }>;
      registeredVariables: Record<string, tf.Variable>;
    };
    registry: Record<string, unknown>;
  };
  const names = new Map<unknown, string>(Object.entries(engine.registry).map(([k, v]) => [v, k]));
  const out = new Set<string>();
  for (const v of Object.values(engine.state.registeredVariables))
    out.add(names.get(engine.state.tensorInfo.get(v.dataId)?.backend) ?? '?');
  return out;
}

/** Data the cpu backend holds (the self-test's reference frees all of its own). */
const cpuData = (): number => tf.findBackend('cpu')?.numDataIds() ?? 0;

const realSetBackend = tf.engine().setBackend.bind(tf.engine());
afterAll(async () => {
  (tf.engine() as unknown as { setBackend: typeof realSetBackend }).setBackend = realSetBackend;
  await tf.setBackend('cpu');
});

describe('device questions through the engine (in-page home, wasm)', () => {
  it('the self-test during a training run leaves the run on wasm and the run goes on', async () => {
    // a browser's backend switch takes a macrotask (async init, GPU reads): model it
    (tf.engine() as unknown as { setBackend: typeof realSetBackend }).setBackend = async (name: string) => {
      await new Promise((r) => setTimeout(r, 5));
      return realSetBackend(name);
    };
    const core = new EngineCore({ home: 'page', demo: toyDemo, eventEveryMs: 0, historyEveryMs: 0 });
    const engine = engineFromCore(core, 'page');
    const events: EngineEvent[] = [];
    engine.onEvent((e) => events.push(e));
    const steps = (): number => {
      const p = events.filter((e) => e.type === 'progress').at(-1);
      return p?.type === 'progress' ? p.progress.step : 0;
    };
    const info = await engine.init({ backend: 'wasm', storagePrefix: `selftest-${crypto.randomUUID()}` });
    expect(info.selection.backend).toBe('wasm');
    await engine.loadDataset({ kind: 'demo', cases: 5, seed: 2 });
    await engine.start({ config: CONFIG as RunConfig, name: 'selftest-during-run' });
    await until(() => steps() >= 3);

    for (let k = 0; k < 3; k++) {
      const before = steps();
      const result = await engine.selfTest();
      expect(result.backend).toBe('wasm');
      expect(result.passed).toBe(true);
      expect(tf.getBackend()).toBe('wasm');
      expect([...variableBackends()]).toEqual(['wasm']);
      expect(cpuData()).toBe(0);
      await until(() => steps() > before + 1);
    }
    expect((await engine.getStatus()).backend).toBe('wasm');
    expect((await engine.getStatus()).phase).toBe('running');

    // the report is the engine's: its selection, the last self-test, Node, wasm threads
    const report = await engine.environmentReport();
    expect(report.selection.backend).toBe('wasm');
    expect(report.selfTest?.passed).toBe(true);
    expect(report.node?.version).toBe(process.version);
    expect(report.engine).toMatchObject({ home: 'page', wasmThreads: 1 });

    // no benchmark while a run trains
    await expect(engine.benchmark({ steps: 1 })).rejects.toThrow(/run|training/i);
    await engine.stop();
    expect([...variableBackends()]).toEqual(['wasm']);
    (tf.engine() as unknown as { setBackend: typeof realSetBackend }).setBackend = realSetBackend;

    // the benchmark of the smallest configuration on wasm
    const progress: number[] = [];
    engine.onEvent((e) => {
      if (e.type === 'benchmarkProgress') progress.push(e.done);
    });
    const tensorsBefore = tf.memory().numTensors;
    const [r] = await engine.benchmark({ steps: 2, warmup: 1, inferRuns: 1, profile: true });
    expect(r.skipped).toBeUndefined();
    expect(r).toMatchObject({ config: 'unet_128 ngf16 @128', backend: 'wasm', where: 'node', steps: 2 });
    const { gflopPerStep } = benchArithmetic(benchConfig('unet_128-ngf16-128'));
    expect(r.gflops_per_step).toBeCloseTo(gflopPerStep, 9);
    expect(gflopPerStep).toBeGreaterThan(1.4);
    expect(gflopPerStep).toBeLessThan(1.7);
    expect(r.step_ms_median).toBeGreaterThan(0);
    expect(r.infer_ms_median).toBeGreaterThan(0);
    expect(r.gflops_per_s).toBeCloseTo(gflopPerStep / (r.step_ms_median! / 1000), 6);
    expect(r.peak_bytes_kind).toBe('wasmHeap');
    expect(r.peak_bytes).toBeGreaterThan(16 * 1024 ** 2);
    expect(r.tensors_leaked_per_step).toBe(0);
    expect(r.profile?.some((k) => k.kernel === 'Conv2D' && k.calls > 0)).toBe(true);
    expect(progress.at(-1)).toBe(3);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    await engine.dispose();
  });
});

describe('benchmark arithmetic and table', () => {
  it("GFLOP per step from the layer shapes: the issue's ≈ 87 / 352 GFLOP at 256 / 512 px, ×4 per doubling", () => {
    const g256 = benchArithmetic(benchConfig('unet_256-ngf64-256')).gflopPerStep;
    const g512 = benchArithmetic(benchConfig('unet_256-ngf64-512')).gflopPerStep;
    // the hand count left out the D forward of the G step's backward; ours is 3 × (G + 3 D)
    expect(g256).toBeGreaterThan(85);
    expect(g256).toBeLessThan(100);
    expect(g512 / g256).toBeGreaterThan(3.9);
    expect(g512 / g256).toBeLessThan(4.1);
    expect(benchArithmetic(benchConfig('unet_256-ngf64-256')).gflopInference).toBeCloseTo(12.1, 1);
  });
  it("theoretical training memory: weights + grads + Adam moments (16 B per parameter) + one float32 copy of the step's conv outputs", () => {
    expect(theoreticalTrainingBytes({ params: 1, buffers: 0, activationElements: 0 })).toBe(16);
    expect(theoreticalTrainingBytes({ params: 0, buffers: 3, activationElements: 5 })).toBe(32);
    const t256 = benchArithmetic(benchConfig('unet_256-ngf64-256')).theoreticalBytes;
    const t512 = benchArithmetic(benchConfig('unet_256-ngf64-512')).theoreticalBytes;
    // the issue's ≈ 0.92 GB of weights, gradients and moments, plus tens of MB of activations at 256 px
    expect(t256).toBeGreaterThan(0.92e9);
    expect(t256).toBeLessThan(1.0e9);
    // activations grow 4× with the image area, the parameters do not: t512 - t256 = 3 × act256
    const act256 = t256 - 16 * (54_413_955 + 2_768_705);
    expect(t512 - t256).toBeGreaterThan(2.9 * (act256 - 1e6));
    expect(t512 - t256).toBeLessThan(3.1 * act256);
    const md = benchmarkMarkdown([
      {
        config: 'c',
        config_id: 'unet_128-ngf16-128',
        backend: 'webgpu',
        where: 'browser',
        threads: 1,
        steps: 10,
        step_ms_median: 100,
        step_ms_min: 90,
        infer_ms_median: 10,
        first_step_ms: 500,
        warmup_ms: 400,
        gflops_per_step: 1.5,
        gflops_inference: 0.2,
        gflops_per_s: 15,
        peak_bytes: 3 * 2 ** 20,
        peak_bytes_kind: 'gpuAllocated',
        theoretical_bytes: 2 * 2 ** 20,
        peak_vs_theoretical: 1.5,
        tensors_leaked_per_step: 0,
        pytorch_step_ms_median: null,
        ratio_vs_pytorch: null,
      },
    ]);
    expect(md).toContain('| peak | theoretical | peak ÷ theoretical |');
    expect(md).toContain('| 3 MiB (gpuAllocated) | 2 MiB | 1.50× |');
  });
  it('median, kernel table and Markdown', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
    const k = kernelTable([
      { name: 'Conv2D', ms: 2 },
      { name: 'Add', ms: 1 },
      { name: 'Conv2D', ms: 3 },
      { name: 'Add', ms: Number.NaN },
    ]);
    expect(k).toEqual([
      { kernel: 'Conv2D', calls: 2, ms: 5 },
      { kernel: 'Add', calls: 2, ms: 1 },
    ]);
    expect(() => benchConfig('unet_999' as never)).toThrow(/unknown benchmark configuration/);
  });
});
