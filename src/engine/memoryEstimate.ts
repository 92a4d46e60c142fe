/**
 * Will a run fit? The estimate itself is core's (`core/train/info.ts` `describeConfig`, computed
 * in the engine so the page never loads TF.js for it); this module only compares it with what
 * the backend can give (pure, no TF.js):
 *  - WebGPU: one tensor lives in one GPU buffer, so the largest tensor must fit the adapter's
 *    `maxStorageBufferBindingSize` and `maxBufferSize`. WebGPU does not say how much device
 *    memory exists; the total is shown for the user to compare with the GPU's.
 *  - wasm: everything lives in one WebAssembly heap of at most 4 GiB.
 */
import type { ConfigInfo } from '../core/train/info';
import { trainMessage, type TrainMessage } from './trainMessages';

/** The WebAssembly heap ceiling (wasm32). */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3;
const F32 = 4;

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

export function checkMemory(
  need: { totalBytes: number; largestTensorBytes: number },
  limits: MemoryLimits,
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
  if (limits.backend === 'wasm' && need.totalBytes > WASM_HEAP_BYTES) {
    problems.push(trainMessage('engine.memory.wasmHeap', { need: formatBinaryBytes(need.totalBytes) }));
  }
  return { fits: problems.length === 0, problems };
}
