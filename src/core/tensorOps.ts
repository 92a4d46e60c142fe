/**
 * Small tensor helpers shared by the core.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Sum of tensors of the same shape, as a tree of pairwise `tf.add`.
 * Use this instead of `tf.addN`: on TF.js 4.22's WebGPU backend `addN` with 8 or more inputs
 * silently returns stale values ("Invalid CommandBuffer" in the console) — measured in headless
 * Chromium on SwiftShader, where an 8-input addN returned 21 instead of 36.
 * Differentiable; the caller disposes the result (intermediates are tidied).
 */
export function sumTensors<T extends tf.Tensor>(tensors: readonly T[]): T {
  if (tensors.length === 0) throw new Error('sumTensors: no tensors to add');
  if (tensors.length === 1) return tf.clone(tensors[0]) as T;
  return tf.tidy(() => {
    let level: tf.Tensor[] = [...tensors];
    while (level.length > 1) {
      const next: tf.Tensor[] = [];
      for (let i = 0; i < level.length; i += 2)
        next.push(i + 1 < level.length ? tf.add(level[i], level[i + 1]) : level[i]);
      level = next;
    }
    return level[0] as T;
  });
}
