/**
 * Device questions, answered by the engine in the home that trains (issue 11 item 3): the
 * numerical self-test of the selected backend, the environment report, and the training-step
 * benchmark (issue 16). Each runs under the engine's GPU lock, so a self-test's switch to the cpu
 * reference never happens while a training step is using the backend, and the page never loads
 * TF.js to ask.
 *
 * The benchmark trains a fresh G + D (core Trainer, the same step the studio trains with) on two
 * seeded synthetic pairs: warm-up steps (the first one's time includes kernel compilation), then
 * `steps` timed steps (each ends with `await drainMetrics()`, which waits for the GPU's queue),
 * G inference on one image, and optionally one step under tf.profile (time per kernel type).
 */
import * as tf from '@tensorflow/tfjs';
import { version as appVersion } from '../../package.json';
import type { RgbaImage } from '../core/image';
import { Rng } from '../core/rng';
import { createInMemoryDataSource, type ImagePair } from '../core/train/data';
import { Trainer } from '../core/train/trainer';
import { detectRuntime } from './adapter';
import type { BackendSelection } from './backend';
import { withDefaults, type RunConfig } from '../core/config';
import { describeConfig } from '../core/train/info';
import {
  benchConfig,
  kernelTable,
  theoreticalTrainingBytes,
  median,
  type BenchConfig,
  type BenchConfigId,
  type BenchmarkOptions,
  type BenchmarkRecord,
  type EngineEnvReport,
  type PeakBytesKind,
  type BenchVariant,
  variantLabel,
} from './benchmark';
import { getNormGradMode, setNormGradMode } from '../core/model/layers';
import { buildEnvReport, collectBrowserInfo, collectStorage } from './envReport';
import type { EngineEvent, EngineHome } from './protocol';
import { runSelfTest, type SelfTestResult } from './selftest';
import { warmUpShaders } from './shaderWarmup';
import { webGpuKernelChoices } from './kernels/webgpu';
import {
  dryRun,
  gpuMemoryPolicy,
  gpuMemoryStats,
  resetGpuMemoryPeaks,
  setGpuMemoryPolicy,
  trimGpuPool,
} from './kernels/webgpuMemory';
import { errorText } from '../core/errors';

/** What the engine lends the device questions. */
export interface DeviceHost {
  home(): EngineHome;
  /** The engine's backend selection (throws when the engine is not initialised). */
  selection(): BackendSelection;
  /** Run `fn` holding the GPU lock (the training loop takes it per step). */
  gpu<T>(fn: () => Promise<T>): Promise<T>;
  /** Throws when a run or a detector is training (the benchmark would measure both badly). */
  assertIdle(): void;
  emit(event: EngineEvent): void;
  yieldNow(): Promise<void>;
}

export type { EngineEnvReport };

/** The run config a benchmark configuration trains with. */
export function benchRunConfig(c: BenchConfig): RunConfig {
  return withDefaults({
    netG: c.netG,
    ngf: c.ngf,
    ndf: c.ndf,
    size: c.size,
    batch_size: 1,
    gan_mode: 'vanilla',
    lambda_L1: 100,
    lambda_grad: 5,
    jitter: false,
    flip: false,
    seed: 1,
    log_every: 1,
  });
}

/**
 * GFLOP of one training step and of one inference (G forward, one image), from the layer shapes,
 * and the bytes training needs in theory (benchmark.ts theoreticalTrainingBytes).
 */
export function benchArithmetic(c: BenchConfig): {
  gflopPerStep: number;
  gflopInference: number;
  theoreticalBytes: number;
} {
  const cfg = benchRunConfig(c);
  const info = describeConfig(cfg);
  const act = (net: 'G' | 'D'): number =>
    info.layers.filter((l) => l.net === net).reduce((a, l) => a + l.outElements, 0);
  return {
    gflopPerStep: info.flopsPerStep / 1e9,
    gflopInference: info.flopsInference / 1e9,
    theoreticalBytes: theoreticalTrainingBytes({
      params: info.paramsG + info.paramsD,
      buffers: info.buffersG + info.buffersD,
      activationElements: (act('G') + info.dForwardsPerStep * act('D')) * cfg.batch_size,
    }),
  };
}

const now = (): number => performance.now();

/** The wasm backend's thread count (1 when single-threaded), null on other backends. */
async function wasmThreads(): Promise<number | null> {
  if (tf.getBackend() !== 'wasm') return null;
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    return wasm.getThreadsCount();
  } catch {
    return 1;
  }
}

/** Seeded smooth-plus-noise images (content does not change the cost; it keeps the losses finite). */
export function syntheticPairs(size: number, n: number): ImagePair[] {
  const rng = new Rng(20261206);
  const image = (phase: number): RgbaImage => {
    const data = new Uint8ClampedArray(size * size * 4);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const i = (y * size + x) * 4;
        const v = 128 + 90 * Math.sin((x + phase) / 9) * Math.cos((y - phase) / 13) + rng.uniform(-20, 20);
        data[i] = v;
        data[i + 1] = v * 0.9;
        data[i + 2] = v * 0.8;
        data[i + 3] = 255;
      }
    return { width: size, height: size, data };
  };
  return Array.from({ length: n }, (_, k) => ({
    id: `bench-${k}`,
    photo: image(k * 7),
    xray: image(k * 7 + 3),
  }));
}

/** Peak memory as the backend can tell it. */
class PeakMemory {
  readonly kind: PeakBytesKind;
  peak = 0;
  constructor(private readonly backend: string) {
    this.kind =
      backend === 'webgpu' || backend === 'webgl'
        ? 'gpuAllocated'
        : backend === 'wasm'
          ? 'wasmHeap'
          : 'tensorBytes';
  }
  sample(): void {
    const m = tf.memory() as tf.MemoryInfo & {
      numBytesAllocatedInGPU?: number;
      numBytesInGPUAllocated?: number;
    };
    let v = m.numBytes;
    if (this.backend === 'webgpu') v = m.numBytesAllocatedInGPU ?? v;
    else if (this.backend === 'webgl') v = m.numBytesInGPUAllocated ?? v;
    else if (this.backend === 'wasm') {
      const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
      if (heap) v = heap.byteLength;
    }
    this.peak = Math.max(this.peak, v);
  }
}

interface MeasureOptions {
  steps: number;
  warmup: number;
  inferRuns: number;
  profile: boolean;
  budgetSec: number;
  /** BenchmarkOptions.webgpuDeferredSubmitBatch */
  webgpuBatch?: number;
  /** BenchmarkOptions.variantCycle */
  variantCycle?: BenchVariant[];
  /** BenchmarkOptions.warmShaders (default true) */
  warmShaders?: boolean;
  /** BenchmarkOptions.memoryOnly */
  memoryOnly?: boolean;
  /** BenchmarkOptions.gpuPoolTrim */
  gpuPoolTrim?: boolean;
  /** BenchmarkOptions.gpuPoolSlackBytes */
  gpuPoolSlackBytes?: number;
}

/**
 * GPU memory of a run's start without running it (BenchmarkOptions.memoryOnly; WebGPU): the shader
 * warm-up's compile-only step on throw-away networks (releases at once, as warmUpShaders does) and
 * its pool trim, then a fresh G + D and two dry steps (releases wait for the emulated submits).
 * Peaks come from webgpuMemory.ts's accounting at every buffer acquire.
 */
function dryMemory(
  cfg: RunConfig,
  rec: BenchmarkRecord,
  data: ReturnType<typeof createInMemoryDataSource>,
): void {
  const warm = createInMemoryDataSource(syntheticPairs(cfg.size, 1), { size: cfg.size });
  try {
    dryRun(
      () => {
        const w = Trainer.create({ ...cfg, log_every: 1 }, warm, { gradNorms: false });
        try {
          w.step();
        } finally {
          w.dispose();
        }
      },
      { deferRelease: false },
    );
  } finally {
    warm.dispose();
  }
  rec.warmup_peak_bytes = gpuMemoryStats()?.peakAllocated ?? null;
  trimGpuPool(); // what warmUpShaders does after its step
  resetGpuMemoryPeaks();
  const t = dryRun(() => {
    const tr = Trainer.create(cfg, data, { gradNorms: false });
    tr.step();
    tr.step();
    return tr;
  });
  t.dispose();
}

const SUBMIT_FLAG = 'WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE';

/** Measure one configuration on the active backend (never throws: a failure is a skipped record). */
export async function measureConfig(
  c: BenchConfig,
  o: MeasureOptions,
  host: Pick<DeviceHost, 'emit' | 'yieldNow'> & { where: BenchmarkRecord['where'] },
): Promise<BenchmarkRecord> {
  const backend = tf.getBackend();
  const { gflopPerStep, gflopInference, theoreticalBytes } = benchArithmetic(c);
  const peak = new PeakMemory(backend);
  const rec: BenchmarkRecord = {
    config: c.label,
    config_id: c.id,
    backend,
    where: host.where,
    threads: (await wasmThreads()) ?? 1,
    steps: 0,
    step_ms_median: null,
    step_ms_min: null,
    infer_ms_median: null,
    first_step_ms: null,
    warmup_ms: null,
    gflops_per_step: gflopPerStep,
    gflops_inference: gflopInference,
    gflops_per_s: null,
    peak_bytes: null,
    peak_bytes_kind: peak.kind,
    theoretical_bytes: theoreticalBytes,
    peak_vs_theoretical: null,
    shader_warmup_ms: null,
    tensors_leaked_per_step: null,
    pytorch_step_ms_median: null,
    ratio_vs_pytorch: null,
  };
  const cfg = benchRunConfig(c);
  const submitBefore = backend === 'webgpu' ? tf.env().getNumber(SUBMIT_FLAG) : null;
  if (submitBefore !== null && o.webgpuBatch !== undefined) tf.env().set(SUBMIT_FLAG, o.webgpuBatch);
  if (submitBefore !== null) rec.webgpu_deferred_submit_batch = tf.env().getNumber(SUBMIT_FLAG);
  if (backend === 'webgpu') rec.webgpu_kernels = webGpuKernelChoices();
  const policyBefore = gpuMemoryPolicy();
  if (policyBefore) {
    // peaks from an empty pool, with the trimming this measurement asks for
    if (o.gpuPoolTrim !== undefined) setGpuMemoryPolicy({ trim: o.gpuPoolTrim });
    if (o.gpuPoolSlackBytes !== undefined) setGpuMemoryPolicy({ slackBytes: o.gpuPoolSlackBytes });
    trimGpuPool(0);
    resetGpuMemoryPeaks();
    const p = gpuMemoryPolicy();
    rec.gpu_pool_trim = p?.trim;
    rec.gpu_pool_slack_bytes = p?.slackBytes;
    rec.gpu_pool_slack_fraction = p?.slackFraction;
    rec.memory_kind = o.memoryOnly ? 'dryStep' : 'measuredStep';
  }
  const done = (r: BenchmarkRecord): BenchmarkRecord => {
    const g = gpuMemoryStats();
    if (g) {
      // peaks since the warm-up (reset after it); the warm-up's own peak counts in peak_bytes too
      r.step_peak_bytes = g.peakAllocated || null;
      peak.peak = Math.max(peak.peak, g.peakAllocated, r.warmup_peak_bytes ?? 0);
      r.peak_in_use_bytes = g.peakInUse || null;
      r.in_use_vs_theoretical = r.peak_in_use_bytes === null ? null : r.peak_in_use_bytes / theoreticalBytes;
    }
    r.peak_bytes = peak.peak || null;
    r.peak_vs_theoretical = r.peak_bytes === null ? null : r.peak_bytes / theoreticalBytes;
    return r;
  };
  const data = createInMemoryDataSource(syntheticPairs(cfg.size, 2), { size: cfg.size });
  let trainer: Trainer | null = null;
  const total = o.warmup + o.steps;
  const progress = (done: number): void =>
    host.emit({ type: 'benchmarkProgress', config: c.label, done, total });
  try {
    if (o.memoryOnly) {
      if (!policyBefore) {
        rec.skipped = `the memory-only measurement needs WebGPU (backend ${backend})`;
        return done(rec);
      }
      progress(0);
      dryMemory(cfg, rec, data);
      progress(total);
      return done(rec);
    }
    if (o.warmShaders !== false) {
      const w = await warmUpShaders(cfg, { gradNorms: false });
      rec.shader_warmup_ms = w ? w.ms : null;
      if (policyBefore) {
        rec.warmup_peak_bytes = gpuMemoryStats()?.peakAllocated ?? null;
        resetGpuMemoryPeaks();
      }
    }
    const t = Trainer.create(cfg, data, { gradNorms: false });
    trainer = t;
    const step = async (): Promise<number> => {
      const t0 = now();
      t.step();
      await t.drainMetrics();
      const ms = now() - t0;
      peak.sample();
      return ms;
    };
    progress(0);
    rec.first_step_ms = await step();
    let last = rec.first_step_ms;
    for (let i = 1; i < o.warmup; i++) {
      last = await step();
      progress(i + 1);
      await host.yieldNow();
    }
    const estimateSec = (last * o.steps) / 1000;
    if (estimateSec > o.budgetSec) {
      rec.skipped =
        `one step takes ${(last / 1000).toFixed(1)} s, ${o.steps} steps would take ` +
        `${Math.round(estimateSec)} s (budget ${o.budgetSec} s)`;
      return done(rec);
    }
    const tensorsBefore = tf.memory().numTensors;
    const times: number[] = [];
    const cycle = o.variantCycle?.length ? o.variantCycle : null;
    const normBefore = getNormGradMode();
    const trimBefore = gpuMemoryPolicy()?.trim;
    const byVariant = new Map<string, number[]>();
    for (let i = 0; i < o.steps; i++) {
      const v = cycle ? cycle[i % cycle.length] : null;
      if (v) {
        if (v.submitBatch !== undefined && submitBefore !== null) tf.env().set(SUBMIT_FLAG, v.submitBatch);
        if (v.poolTrim !== undefined) setGpuMemoryPolicy({ trim: v.poolTrim });
        setNormGradMode(v.normGrad ?? normBefore);
      }
      times.push(await step());
      if (v)
        byVariant.set(variantLabel(v), [...(byVariant.get(variantLabel(v)) ?? []), times[times.length - 1]]);
      progress(o.warmup + i + 1);
      await host.yieldNow();
    }
    rec.tensors_leaked_per_step = (tf.memory().numTensors - tensorsBefore) / o.steps;
    rec.steps = times.length;
    if (cycle) {
      rec.variant_cycle = [...byVariant].map(([variant, ms]) => ({
        variant,
        steps: ms.length,
        step_ms_median: median(ms),
      }));
      // inference runs with the measurement's own settings
      const own = o.webgpuBatch ?? submitBefore;
      if (own !== null) tf.env().set(SUBMIT_FLAG, own);
      if (trimBefore !== undefined) setGpuMemoryPolicy({ trim: o.gpuPoolTrim ?? trimBefore });
      setNormGradMode(normBefore);
    }
    rec.step_ms_median = median(times);
    rec.step_ms_min = Math.min(...times);
    rec.warmup_ms = rec.step_ms_median === null ? null : Math.max(0, rec.first_step_ms - rec.step_ms_median);
    rec.gflops_per_s = rec.step_ms_median ? gflopPerStep / (rec.step_ms_median / 1000) : null;

    // inference: G forward on one image (batch statistics, like the server without --eval)
    const photo = tf.randomUniform([1, cfg.size, cfg.size, cfg.input_nc], -1, 1, 'float32', 7) as tf.Tensor4D;
    try {
      const inferTimes: number[] = [];
      for (let i = 0; i <= o.inferRuns; i++) {
        const t0 = now();
        const y = t.predict(photo, { evalMode: false });
        await y.data();
        y.dispose();
        if (i > 0) inferTimes.push(now() - t0); // the first run compiles inference-only kernels
        peak.sample();
        await host.yieldNow();
      }
      rec.infer_ms_median = median(inferTimes);
    } finally {
      photo.dispose();
    }

    if (o.profile) {
      const info = await tf.profile(async () => {
        t.step();
        await t.drainMetrics();
      });
      rec.profile = kernelTable(
        info.kernels.map((k) => ({
          name: k.name,
          ms: typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : Number.NaN,
        })),
      );
      peak.sample();
    }
    return done(rec);
  } catch (e) {
    rec.skipped = `failed: ${errorText(e)}`;
    return done(rec);
  } finally {
    trainer?.dispose();
    data.dispose();
    if (submitBefore !== null) tf.env().set(SUBMIT_FLAG, submitBefore);
    if (policyBefore) {
      setGpuMemoryPolicy(policyBefore);
      trimGpuPool();
    }
  }
}

export class DeviceQueries {
  private lastSelfTest: SelfTestResult | undefined;

  constructor(private readonly host: DeviceHost) {}

  /** Self-test the engine's backend against cpu, holding the GPU lock (never between a step's kernels). */
  async selfTest(): Promise<SelfTestResult> {
    const sel = this.host.selection();
    const result = await this.host.gpu(() => runSelfTest(sel.backend));
    this.lastSelfTest = result;
    return result;
  }

  async environmentReport(): Promise<EngineEnvReport> {
    const selection = this.host.selection();
    const node = detectRuntime() === 'node';
    const base = buildEnvReport({
      appVersion,
      selection,
      browser: node ? undefined : collectBrowserInfo(),
      node: node ? { version: process.version, platform: process.platform, arch: process.arch } : undefined,
      selfTest: this.lastSelfTest,
      storage: node ? undefined : await collectStorage(),
    });
    return {
      ...base,
      engine: {
        home: this.host.home(),
        wasmThreads: selection.backend === 'wasm' ? await wasmThreads() : null,
        crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
      },
    };
  }

  /** The training-step benchmark on the engine's backend, one configuration at a time under the GPU lock. */
  async benchmark(params: BenchmarkOptions): Promise<BenchmarkRecord[]> {
    this.host.selection();
    this.host.assertIdle();
    const ids: BenchConfigId[] = params.configs?.length ? params.configs : ['unet_128-ngf16-128'];
    const configs = ids.map(benchConfig);
    const o: MeasureOptions = {
      steps: Math.max(1, Math.floor(params.steps ?? 10)),
      warmup: Math.max(1, Math.floor(params.warmup ?? 2)),
      inferRuns: Math.max(1, Math.floor(params.inferRuns ?? 5)),
      profile: params.profile === true,
      budgetSec: params.budgetSec ?? 300,
      webgpuBatch: params.webgpuDeferredSubmitBatch,
      variantCycle: params.variantCycle,
      warmShaders: params.warmShaders,
      memoryOnly: params.memoryOnly === true,
      gpuPoolTrim: params.gpuPoolTrim,
      gpuPoolSlackBytes: params.gpuPoolSlackBytes,
    };
    const where: BenchmarkRecord['where'] = detectRuntime() === 'node' ? 'node' : 'browser';
    const out: BenchmarkRecord[] = [];
    for (const c of configs) {
      this.host.assertIdle();
      out.push(
        await this.host.gpu(() =>
          measureConfig(c, o, {
            where,
            emit: (e) => this.host.emit(e),
            yieldNow: () => this.host.yieldNow(),
          }),
        ),
      );
    }
    return out;
  }
}
