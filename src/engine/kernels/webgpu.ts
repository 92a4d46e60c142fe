/**
 * The studio's WebGPU kernel choices, applied once the webgpu backend is registered
 * (`selectBackend` in engine/backend.ts; the kernel benchmark and e2e test call it too):
 *  - `Conv2DBackpropFilter`: the tiled split-K kernel of webgpuConvFilterGrad.ts instead of
 *    TF.js 4.22's one-thread-per-weight loop.
 *  - `Conv2DBackpropInput` (every transposed conv and conv input gradient): TF.js's flag
 *    `WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE` picks its per-thread kernel (true, TF.js's default) or its
 *    tiled matmul kernel (false). The default here is the measured one below; it was measured on
 *    SwiftShader, a CPU rasteriser, so re-measure it on a real GPU (the in-app benchmark records
 *    which path ran: `webGpuKernelChoices`).
 */
import * as tf from '@tensorflow/tfjs';
import {
  getWebGpuFilterGradPath,
  registerWebGpuConvFilterGrad,
  webGpuFilterGradRegistered,
} from './webgpuConvFilterGrad';

/**
 * The per-thread kernel (TF.js's default, kept). Measured with
 * `npx tsx test/bench/kernels.ts --backend webgpu --configs 128,256 --reps 3` (headless Chromium,
 * SwiftShader, CPU time of the GPU process): all 19 Conv2DBackpropInput shapes of unet_128 ngf16
 * @128 once, naive 1,730 ms vs matmul 12,343 ms; the matmul kernel was slower on every shape
 * (decoder convT forwards up2/up1/up0: 100/137/420 ms vs 570/1,210/1,983 ms). SwiftShader is a CPU
 * rasteriser: on a real GPU the tiled matmul kernel may win, so the benchmark records the path.
 */
export const CONV2D_TRANSPOSE_NAIVE_DEFAULT = true;

let applied = false;

/**
 * Register the studio's WebGPU kernels and set the transposed-conv path. Idempotent. Returns false
 * when the webgpu backend's kernels are not registered (the package was not imported).
 */
export function setupWebGpuKernels(): boolean {
  if (!registerWebGpuConvFilterGrad()) return false;
  if (!applied) {
    tf.env().set('WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE', CONV2D_TRANSPOSE_NAIVE_DEFAULT);
    applied = true;
  }
  return true;
}

/** Which WebGPU conv-gradient paths run now, for benchmark records and environment reports. */
export interface WebGpuKernelChoices {
  /** 'tiled' (the studio's split-K kernel where it is faster) or 'tfjs' */
  filterGrad: 'tiled' | 'tfjs';
  /** TF.js's Conv2DBackpropInput variant: 'naive' (per-thread) or 'matmul' (tiled) */
  convTranspose: 'naive' | 'matmul';
}

export function webGpuKernelChoices(): WebGpuKernelChoices {
  let naive = true;
  try {
    naive = tf.env().getBool('WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE');
  } catch {
    // the flag is registered by the webgpu package; without it TF.js's default (naive) applies
  }
  return {
    filterGrad: webGpuFilterGradRegistered() && getWebGpuFilterGradPath() !== 'tfjs' ? 'tiled' : 'tfjs',
    convTranspose: naive ? 'naive' : 'matmul',
  };
}
