/**
 * The training-step benchmark's configurations, record and arithmetic (TF.js-free: the page, the
 * CLI bench script and the engine all import it). The measurement itself runs in the engine
 * (deviceQueries.ts, which also holds the run config and the GFLOP arithmetic: they need core's
 * model code) under its GPU lock; `npm run bench -- steps` (test/bench/steps.ts) runs the same
 * measurement in Node and in Chromium and adds PyTorch CPU beside it.
 *
 * Every configuration is batch 1, G + D full step (the server's order: D on fake and real, then G),
 * losses GAN (vanilla) + L1 (λ 100) + Sobel gradient (λ 5), no augmentation. GFLOP per step comes
 * from the layer shapes (core/train/info.ts describeConfig, in deviceQueries.ts benchArithmetic: 2 × MACs × 3 for forward + backward,
 * three D forwards per step); achieved GFLOP/s = that ÷ the median step time.
 */
import type { EnvReport } from './envReport';

export type BenchConfigId = 'unet_128-ngf16-128' | 'unet_256-ngf64-256' | 'unet_256-ngf64-512';

export interface BenchConfig {
  id: BenchConfigId;
  /** e.g. `unet_128 ngf16 @128` */
  label: string;
  netG: 'unet_128' | 'unet_256';
  ngf: number;
  ndf: number;
  size: number;
}

export const BENCH_CONFIGS: readonly BenchConfig[] = [
  { id: 'unet_128-ngf16-128', label: 'unet_128 ngf16 @128', netG: 'unet_128', ngf: 16, ndf: 16, size: 128 },
  { id: 'unet_256-ngf64-256', label: 'unet_256 ngf64 @256', netG: 'unet_256', ngf: 64, ndf: 64, size: 256 },
  { id: 'unet_256-ngf64-512', label: 'unet_256 ngf64 @512', netG: 'unet_256', ngf: 64, ndf: 64, size: 512 },
];

export function benchConfig(id: BenchConfigId): BenchConfig {
  const c = BENCH_CONFIGS.find((x) => x.id === id);
  if (!c)
    throw new Error(
      `unknown benchmark configuration "${String(id)}" (${BENCH_CONFIGS.map((x) => x.id).join(', ')})`,
    );
  return c;
}

export function isBenchConfigId(s: string): s is BenchConfigId {
  return BENCH_CONFIGS.some((c) => c.id === s);
}

/** One variant of a `variantCycle` measurement (unset fields: as the run would have them). */
export interface BenchVariant {
  /** WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE (WebGPU only). */
  submitBatch?: number;
  /** Trim the WebGPU buffer pool (WebGPU only). */
  poolTrim?: boolean;
  /** The training-mode norms' gradient. */
  normGrad?: 'closed' | 'autodiff';
}

/** A variant as a short label: "batch 15", "pool trim off", "norm autodiff". */
export function variantLabel(v: BenchVariant): string {
  const parts: string[] = [];
  if (v.submitBatch !== undefined) parts.push(`batch ${v.submitBatch}`);
  if (v.poolTrim !== undefined) parts.push(`pool trim ${v.poolTrim ? 'on' : 'off'}`);
  if (v.normGrad !== undefined) parts.push(`norm ${v.normGrad}`);
  return parts.join(', ') || 'default';
}

export interface BenchmarkOptions {
  /** Configurations to measure, in order (default: the smallest only). */
  configs?: BenchConfigId[];
  /** Measured steps after warm-up (default 10). */
  steps?: number;
  /** Warm-up steps (default 2; the first one's time is the shader / kernel warm-up). */
  warmup?: number;
  /** Inference runs measured (default 5). */
  inferRuns?: number;
  /** Also profile one step per kernel type (tf.profile). */
  profile?: boolean;
  /** A configuration whose measurement would take longer than this is skipped (default 300 s). */
  budgetSec?: number;
  /**
   * WebGPU only: TF.js's `WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE` (kernels recorded per queue submit)
   * for this measurement, restored afterwards (the measurement of issue 16 item 5).
   */
  webgpuDeferredSubmitBatch?: number;
  /**
   * Measure several variants in ONE run, the variant changing at every measured step (step i runs
   * `variantCycle[i % n]`), so a machine whose load drifts affects every variant alike; per-variant
   * medians in `variant_cycle`. A variant sets any of: WebGPU's deferred-submit batch size, the
   * WebGPU buffer-pool trimming (kernels/webgpuMemory.ts), the norms' gradient (core/model/layers.ts
   * setNormGradMode: the closed form or TF.js's autodiff).
   */
  variantCycle?: BenchVariant[];
  /**
   * Compile the step's shaders before the first step (one compile-only step on throw-away networks,
   * engine/shaderWarmup.ts, what a run's start does while its dataset is prepared). Default true;
   * false measures the first step with compilation inside it.
   */
  warmShaders?: boolean;
  /**
   * WebGPU only: measure GPU memory without training (engine/kernels/webgpuMemory.ts dryRun): the
   * shader warm-up's throw-away step, then two steps of a fresh G + D, each op allocating its
   * output as in a real step but nothing compiled or dispatched — seconds where SwiftShader needs
   * an hour per 512-px step. The record's `memory_kind` is 'dryStep'; no times.
   */
  memoryOnly?: boolean;
  /**
   * WebGPU only: the studio's buffer-pool trimming (webgpuMemory.ts) on or off for this
   * measurement, restored afterwards (default: as installed, on) — before/after in one sitting.
   */
  gpuPoolTrim?: boolean;
  /** WebGPU only: the free bytes the trimmed pool keeps, for this measurement (default: as installed). */
  gpuPoolSlackBytes?: number;
}

export interface KernelTime {
  /** TF.js kernel name, e.g. Conv2DBackpropFilter */
  kernel: string;
  calls: number;
  ms: number;
}

/** How `peak_bytes` was measured. */
export type PeakBytesKind = 'gpuAllocated' | 'wasmHeap' | 'tensorBytes';

/** One (configuration, backend) measurement; snake_case fields are the JSON record of issue 16. */
export interface BenchmarkRecord {
  config: string;
  config_id: BenchConfigId;
  backend: string;
  where: 'node' | 'chromium' | 'browser';
  /** wasm threads (1 for the other backends' host work). */
  threads: number;
  steps: number;
  step_ms_median: number | null;
  step_ms_min: number | null;
  infer_ms_median: number | null;
  /** The first step (kernel compilation / shader warm-up included), ms. */
  first_step_ms: number | null;
  /** first step − median step: the one-off warm-up cost, ms. */
  warmup_ms: number | null;
  gflops_per_step: number;
  gflops_inference: number;
  /** Achieved GFLOP/s of the median step. */
  gflops_per_s: number | null;
  peak_bytes: number | null;
  peak_bytes_kind: PeakBytesKind;
  /**
   * What training needs in theory (issue 16's arithmetic): weights, gradients and Adam's two
   * moments (4 × parameters × 4 B) plus BatchNorm buffers and one float32 copy of every conv output
   * of the step (one G forward, three D forwards), bytes.
   */
  theoretical_bytes?: number;
  /** peak_bytes ÷ theoretical_bytes (the goal is ≤ 1.5 on WebGPU). */
  peak_vs_theoretical?: number | null;
  /**
   * WebGPU: how the GPU peaks were measured — 'measuredStep' (real steps) or 'dryStep' (an
   * estimate: the same ops allocating without running, BenchmarkOptions.memoryOnly).
   */
  memory_kind?: 'measuredStep' | 'dryStep';
  /** WebGPU: highest bytes held by live tensors at once (`numBytesInGPU`, no free pool), bytes. */
  peak_in_use_bytes?: number | null;
  /** peak_in_use_bytes ÷ theoretical_bytes. */
  in_use_vs_theoretical?: number | null;
  /** WebGPU: highest bytes allocated during the shader warm-up's throw-away step (pool included). */
  warmup_peak_bytes?: number | null;
  /** WebGPU: highest bytes allocated after the warm-up (the steps; peak_bytes is the larger of both). */
  step_peak_bytes?: number | null;
  /** WebGPU: the studio's pool trimming was on (webgpuMemory.ts) and its slack (bytes, fraction of in use). */
  gpu_pool_trim?: boolean;
  gpu_pool_slack_bytes?: number;
  gpu_pool_slack_fraction?: number;
  /** The compile-only warm-up before the first step, ms (null: not run — off, or not WebGPU). */
  shader_warmup_ms?: number | null;
  /** WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE during the measurement (WebGPU only). */
  webgpu_deferred_submit_batch?: number;
  /** Per variant of `variantCycle`: its measured steps and their median, ms. */
  variant_cycle?: { variant: string; steps: number; step_ms_median: number | null }[];
  /**
   * The WebGPU conv-gradient paths the step ran (engine/kernels/webgpu.ts: the studio's tiled
   * filter gradient or TF.js's; TF.js's naive or matmul Conv2DBackpropInput). The defaults were
   * measured on SwiftShader; a real GPU's record shows which ran. WebGPU only.
   */
  webgpu_kernels?: { filterGrad: 'tiled' | 'tfjs'; convTranspose: 'naive' | 'matmul' };
  tensors_leaked_per_step: number | null;
  pytorch_step_ms_median: number | null;
  ratio_vs_pytorch: number | null;
  /** Time per kernel type of one profiled step, slowest first. */
  profile?: KernelTime[];
  /** Why the configuration was not measured (too slow for the budget, out of memory, ...). */
  skipped?: string;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Sum tf.profile kernel entries by name, slowest first. */
export function kernelTable(kernels: readonly { name: string; ms: number }[]): KernelTime[] {
  const by = new Map<string, KernelTime>();
  for (const k of kernels) {
    const e = by.get(k.name) ?? { kernel: k.name, calls: 0, ms: 0 };
    e.calls++;
    e.ms += Number.isFinite(k.ms) ? k.ms : 0;
    by.set(k.name, e);
  }
  return [...by.values()].sort((a, b) => b.ms - a.ms);
}

const fmt = (v: number | null, digits = 0): string => (v === null ? '–' : v.toFixed(digits));
const mib = (b: number | null): string => (b === null ? '–' : `${(b / 1024 ** 2).toFixed(0)} MiB`);
const ratio = (r: BenchmarkRecord): string =>
  r.peak_vs_theoretical === null || r.peak_vs_theoretical === undefined
    ? '–'
    : `${r.peak_vs_theoretical.toFixed(2)}×`;

/**
 * What training a configuration needs in theory (issue 16's arithmetic), bytes: weights, gradients
 * and Adam's two moments (4 × parameters), BatchNorm buffers, and one float32 copy of every conv
 * output of the step's forwards (`activationElements`: one G forward and every D forward).
 */
export function theoreticalTrainingBytes(a: {
  params: number;
  buffers: number;
  activationElements: number;
}): number {
  return 4 * (4 * a.params + a.buffers + a.activationElements);
}

/** The table as Markdown (English column names with units; used by the CLI and the page's export). */
export function benchmarkMarkdown(records: readonly BenchmarkRecord[]): string {
  const head =
    '| config | backend | where | threads | step ms (median) | infer ms | GFLOP/step | GFLOP/s | ' +
    'first step ms | peak | theoretical | peak ÷ theoretical | tensors leaked/step | PyTorch ms | ratio |';
  const rule = '|' + ' --- |'.repeat(15);
  const rows = records.map((r) =>
    r.skipped
      ? `| ${r.config} | ${r.backend} | ${r.where} | ${r.threads} | skipped: ${r.skipped} | | ${r.gflops_per_step.toFixed(1)} | | | ` +
        `${r.peak_bytes === null ? '' : `${mib(r.peak_bytes)} (${r.peak_bytes_kind})`} | ${mib(r.theoretical_bytes ?? null)} | ${ratio(r)} | | ${fmt(r.pytorch_step_ms_median)} | |`
      : `| ${r.config} | ${r.backend} | ${r.where} | ${r.threads} | ${fmt(r.step_ms_median)} | ${fmt(r.infer_ms_median, 1)} | ` +
        `${r.gflops_per_step.toFixed(1)} | ${fmt(r.gflops_per_s, 2)} | ${fmt(r.first_step_ms)} | ` +
        `${r.peak_bytes === null ? '–' : `${mib(r.peak_bytes)} (${r.peak_bytes_kind})`} | ` +
        `${mib(r.theoretical_bytes ?? null)} | ${ratio(r)} | ${fmt(r.tensors_leaked_per_step, 1)} | ` +
        `${fmt(r.pytorch_step_ms_median)} | ${r.ratio_vs_pytorch === null ? '–' : `${r.ratio_vs_pytorch.toFixed(2)}×`} |`,
  );
  return [head, rule, ...rows].join('\n') + '\n';
}

/**
 * The WebGPU memory of the records that measured it (memory_kind set) as Markdown: allocated
 * (free pool included) and in-use peaks against the theoretical need, and the pool policy.
 */
export function memoryMarkdown(records: readonly BenchmarkRecord[]): string {
  const rows = records.filter((r) => r.memory_kind !== undefined);
  if (rows.length === 0) return '';
  const x = (v: number | null | undefined): string =>
    v === null || v === undefined ? '–' : `${v.toFixed(2)}×`;
  return (
    [
      '| config | measured by | pool trim | allocated peak | in-use peak | warm-up peak | steps peak | theoretical | allocated ÷ theoretical | in use ÷ theoretical |',
      '|' + ' --- |'.repeat(10),
      ...rows.map(
        (r) =>
          `| ${r.config} | ${r.memory_kind === 'dryStep' ? 'dry step (estimate)' : `${r.steps + 2} real steps`} | ` +
          `${r.gpu_pool_trim ? `on (slack ≤ ${mib(r.gpu_pool_slack_bytes ?? null)}, ≤ ${Math.round(100 * (r.gpu_pool_slack_fraction ?? 1))} % of in use)` : 'off (TF.js pool)'} | ` +
          `${mib(r.peak_bytes)} | ${mib(r.peak_in_use_bytes ?? null)} | ${mib(r.warmup_peak_bytes ?? null)} | ` +
          `${mib(r.step_peak_bytes ?? null)} | ` +
          `${mib(r.theoretical_bytes ?? null)} | ${x(r.peak_vs_theoretical)} | ${x(r.in_use_vs_theoretical)} |` +
          (r.skipped ? ` skipped: ${r.skipped}` : ''),
      ),
    ].join('\n') + '\n'
  );
}

/** The per-kernel profile of one record as Markdown (top `n` kernel types). */
export function profileMarkdown(r: BenchmarkRecord, n = 12): string {
  if (!r.profile?.length) return '';
  const total = r.profile.reduce((a, k) => a + k.ms, 0);
  const lines = [
    `Per-kernel profile of one step: ${r.config} on ${r.backend} (${r.where}), ${total.toFixed(0)} ms in kernels`,
    '',
    '| kernel | calls | ms | share |',
    '| --- | --- | --- | --- |',
    ...r.profile
      .slice(0, n)
      .map(
        (k) =>
          `| ${k.kernel} | ${k.calls} | ${k.ms.toFixed(1)} | ${((100 * k.ms) / (total || 1)).toFixed(1)} % |`,
      ),
  ];
  return lines.join('\n') + '\n';
}

/** The environment report with what only the engine's home knows (the `environmentReport` command). */
export interface EngineEnvReport extends EnvReport {
  engine: {
    home: 'worker' | 'page' | 'node';
    /** Threads of the wasm backend (null: wasm is not the backend in use). */
    wasmThreads: number | null;
    /** The engine's global scope is cross-origin isolated (needed for wasm threads). */
    crossOriginIsolated: boolean;
  };
}
