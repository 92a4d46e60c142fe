/**
 * Shader compilation overlapped with a run's start-up (issue 16 item 5).
 *
 * On WebGPU the first training step compiles every kernel's shader (hundreds of pipelines for a
 * U-Net step) one after the other, synchronously, inside that step. TF.js 4.22 has a compile-only
 * mode (`WEBGPU_ENGINE_COMPILE_ONLY`, tfjs-backend-webgpu `runWebGPUProgram`): ops create their
 * pipelines with `createComputePipelineAsync` and dispatch nothing. `warmUpShaders` runs one
 * compile-only step of the run's configuration on THROW-AWAY networks (same shapes, so the same
 * shader keys; their weights are never written, so nothing of the real run is touched) and then
 * waits for the compilations, which the GPU process does in parallel while the caller prepares
 * the dataset.
 *
 * The pipelines compiled this way are taken out of the backend's cache while they compile and put
 * back when done (unless an op compiled the same key meanwhile): TF.js throws when an op meets a
 * still-pending pipeline, and the caller's dataset preparation may run ops of the same shapes.
 * Elsewhere than WebGPU (and if the backend does not look like 4.22's) it does nothing.
 */
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../core/config';
import type { RgbaImage } from '../core/image';
import { createInMemoryDataSource } from '../core/train/data';
import { Trainer } from '../core/train/trainer';
import { trimGpuPool } from './kernels/webgpuMemory';

const FLAG = 'WEBGPU_ENGINE_COMPILE_ONLY';

interface WebGPUBackendLike {
  pipelineCache: Record<string, unknown>;
}

function webgpuBackend(): WebGPUBackendLike | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const b = tf.backend() as unknown as Partial<WebGPUBackendLike>;
  if (!b.pipelineCache || typeof b.pipelineCache !== 'object') return null;
  try {
    tf.env().getBool(FLAG);
  } catch {
    return null; // the flag is not registered: another TF.js version
  }
  return b as WebGPUBackendLike;
}

export interface ShaderWarmup {
  /** Pipelines compiled ahead of the first step. */
  pipelines: number;
  /** Time from the start to the last compiled pipeline, ms. */
  ms: number;
}

/**
 * Compile the shaders of one training step of `cfg` ahead of time (see the module comment).
 * Resolves to null when not on WebGPU; never rejects (a failed warm-up only means the first step
 * compiles its shaders itself).
 */
export async function warmUpShaders(
  cfg: RunConfig,
  opts: { gradNorms?: boolean } = {},
): Promise<ShaderWarmup | null> {
  const backend = webgpuBackend();
  if (!backend) return null;
  const t0 = performance.now();
  const cache = backend.pipelineCache;
  const before = new Set(Object.keys(cache));
  const blank = (): RgbaImage => ({
    width: cfg.size,
    height: cfg.size,
    data: new Uint8ClampedArray(cfg.size * cfg.size * 4),
  });
  const pairs = Array.from({ length: Math.max(1, cfg.batch_size) }, (_, i) => ({
    id: `warmup-${i}`,
    photo: blank(),
    xray: blank(),
  }));
  const previous = tf.env().getBool(FLAG);
  let pending: [string, unknown][] = [];
  try {
    // synchronous from here to the flag's reset: no other op can run in compile-only mode
    tf.env().set(FLAG, true);
    const data = createInMemoryDataSource(pairs, {
      size: cfg.size,
      photoChannels: cfg.input_nc,
      xrayChannels: cfg.output_nc,
    });
    try {
      const trainer = Trainer.create({ ...cfg, log_every: 1 }, data, { gradNorms: opts.gradNorms ?? true });
      try {
        trainer.step();
      } finally {
        trainer.dispose();
      }
    } finally {
      data.dispose();
    }
  } catch {
    // a failed warm-up only means the first step compiles its own shaders
  } finally {
    tf.env().set(FLAG, previous);
    // the throw-away networks' buffers leave the pool (webgpuMemory.ts policy) before the real run allocates
    trimGpuPool();
    pending = Object.entries(cache).filter(([k]) => !before.has(k));
    for (const [k] of pending) delete cache[k];
  }
  const settled = await Promise.allSettled(pending.map(([, p]) => Promise.resolve(p)));
  let pipelines = 0;
  settled.forEach((r, i) => {
    const key = pending[i][0];
    if (r.status === 'fulfilled' && !(key in cache)) {
      cache[key] = r.value;
      pipelines++;
    }
  });
  return { pipelines, ms: performance.now() - t0 };
}
