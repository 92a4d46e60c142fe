/**
 * Will a run fit? The estimate itself is core's (`core/train/info.ts` `describeConfig`, computed
 * in the engine so the page never loads TF.js for it); this module only compares it with what
 * the backend can give (pure, no TF.js):
 *  - WebGPU: one tensor lives in one GPU buffer, so the largest tensor must fit the adapter's
 *    `maxStorageBufferBindingSize` and `maxBufferSize`. WebGPU does not say how much device
 *    memory exists; the total is shown for the user to compare with the GPU's.
 *  - wasm: everything lives in one WebAssembly heap of at most 4 GiB.
 */
import type { RunConfig } from '../core/config';
import type { ConfigInfo } from '../core/train/info';
import { unetDowns } from './configCheck';
import { trainMessage, type TrainMessage } from './trainMessages';

/** The WebAssembly heap ceiling (wasm32). */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3;
const F32 = 4;

/**
 * wasm heap per byte of the step's estimated peak tensor bytes (ConfigInfo.memory.totalBytes):
 * the heap also holds XNNPACK's operators (a packed copy of each filter in use) and what the
 * allocator cannot reuse, and it never shrinks. Measured with `npx tsx test/bench/memory.ts
 * --config <128|256|512>` (wasm, 1 thread, heap flat from the second step), with the layer
 * weights' operator caches released (core/model/layers.ts `convReleasingCache`):
 * unet_128 ngf16 @128 100 MiB for an estimate of 95 MiB (1.05), unet_256 ngf64 @256 1856 MiB for
 * 1779 MiB (1.04), unet_256 ngf64 @512 2828 MiB for 3197 MiB (0.88). 1.15 keeps a margin.
 */
export const WASM_HEAP_FACTOR = 1.15;

/** The wasm heap a run is expected to reach, bytes. */
export function wasmHeapNeed(totalBytes: number): number {
  return totalBytes * WASM_HEAP_FACTOR;
}

/** How to look for a configuration that fits when one does not (the engine passes describeConfig). */
export interface FitSearch {
  cfg: RunConfig;
  /** ConfigInfo.memory.totalBytes of a configuration. */
  totalBytesOf: (cfg: RunConfig) => number;
}

/** What fits in the wasm heap instead: the largest size with the same networks, the largest ngf at this size. */
export interface WasmFit {
  /** Largest multiple of 2^downs (below the configured size) that fits, or null. */
  size: number | null;
  /** Largest ngf (ndf unchanged) below the configured one that fits at the configured size, or null. */
  ngf: number | null;
}

/** Search smaller sizes and ngf values that keep the wasm heap under its ceiling. */
export function wasmFit(search: FitSearch): WasmFit {
  const { cfg, totalBytesOf } = search;
  const fits = (c: RunConfig): boolean => wasmHeapNeed(totalBytesOf(c)) <= WASM_HEAP_BYTES;
  const downs = unetDowns(cfg.netG);
  let size: number | null = null;
  if (downs !== null) {
    const step = 2 ** downs;
    for (let s = Math.floor((cfg.size - 1) / step) * step; s >= step; s -= step) {
      if (fits({ ...cfg, size: s })) {
        size = s;
        break;
      }
    }
  }
  let ngf: number | null = null;
  let lo = 1;
  let hi = cfg.ngf - 1;
  if (hi >= 1 && fits({ ...cfg, ngf: 1 })) {
    // the need grows with ngf: binary search for the largest that fits
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fits({ ...cfg, ngf: mid })) lo = mid;
      else hi = mid - 1;
    }
    ngf = lo;
  }
  return { size, ngf };
}

/**
 * The refusal of a run on the wasm backend whose heap estimate exceeds the 4 GiB ceiling (the app's
 * before-Start message, naming the largest size / ngf that fits), or null when it fits. The CLI's
 * `train` refuses with it unless given `--force`.
 */
export function wasmHeapRefusal(search: FitSearch): TrainMessage | null {
  const { problems } = checkMemory(
    { totalBytes: search.totalBytesOf(search.cfg), largestTensorBytes: 0 },
    { backend: 'wasm' },
    search,
  );
  return problems[0] ?? null;
}

export interface MemoryLimits {
  backend: string;
  /** WebGPU adapter limits, bytes (absent off WebGPU). */
  maxBufferSize?: number;
  maxStorageBufferBindingSize?: number;
}

/** What the config panel shows before Start. */
export interface ConfigEstimate {
  paramsG: number;
  paramsD: number;
  /** FLOPs of one training step (whole batch). */
  flopsPerStep: number;
  weightsBytes: number;
  adamBytes: number;
  gradientBytes: number;
  activationBytes: number;
  totalBytes: number;
  /** Largest single tensor of a step (activation, skip concatenation or weight), bytes. */
  largestTensorBytes: number;
  limits: MemoryLimits;
  /** False when a hard limit of the backend is exceeded. */
  fits: boolean;
  problems: TrainMessage[];
}

/**
 * Largest tensor of a step: the biggest conv output (x2 for G, whose skip concatenation doubles
 * the channels of an up-path output) times the batch, or the biggest weight.
 */
export function largestTensorBytes(
  info: Pick<ConfigInfo, 'layers'>,
  batchSize: number,
  biggestWeightValues: number,
): number {
  let act = 0;
  for (const l of info.layers) act = Math.max(act, l.outElements * (l.net === 'G' ? 2 : 1));
  return F32 * Math.max(act * batchSize, biggestWeightValues);
}

/** Binary units with one decimal: 1.5 GiB, 320.0 MiB, 12.0 KiB, 512 B. */
export function formatBinaryBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(v)} B` : `${v.toFixed(1)} ${units[i]}`;
}

/**
 * Hard limits of the backend. On wasm the heap need is `wasmHeapNeed(totalBytes)`; with `fit`, a
 * run that does not fit also says which size (and which ngf at this size) would.
 */
export function checkMemory(
  need: { totalBytes: number; largestTensorBytes: number },
  limits: MemoryLimits,
  fit?: FitSearch,
): { fits: boolean; problems: TrainMessage[] } {
  const problems: TrainMessage[] = [];
  if (limits.backend === 'webgpu') {
    const checks: [string, number | undefined][] = [
      ['maxStorageBufferBindingSize', limits.maxStorageBufferBindingSize],
      ['maxBufferSize', limits.maxBufferSize],
    ];
    for (const [limitName, limit] of checks) {
      if (limit !== undefined && need.largestTensorBytes > limit) {
        problems.push(
          trainMessage('engine.memory.tooLarge', {
            need: formatBinaryBytes(need.largestTensorBytes),
            limitName,
            limit: formatBinaryBytes(limit),
          }),
        );
        break;
      }
    }
  }
  const heap = wasmHeapNeed(need.totalBytes);
  if (limits.backend === 'wasm' && heap > WASM_HEAP_BYTES) {
    const alt = fit ? wasmFit(fit) : null;
    const base = { need: formatBinaryBytes(heap), size: fit?.cfg.size ?? 0 };
    if (alt && alt.size !== null && alt.ngf !== null) {
      problems.push(trainMessage('engine.memory.wasmHeapFit', { ...base, fitSize: alt.size, ngf: alt.ngf }));
    } else if (alt && alt.size !== null) {
      problems.push(trainMessage('engine.memory.wasmHeapFitSize', { ...base, fitSize: alt.size }));
    } else if (alt && alt.ngf !== null) {
      problems.push(trainMessage('engine.memory.wasmHeapFitNgf', { ...base, ngf: alt.ngf }));
    } else {
      problems.push(trainMessage('engine.memory.wasmHeap', { need: base.need }));
    }
  }
  return { fits: problems.length === 0, problems };
}
