/**
 * Contracts between the model, the trainer, checkpoint I/O and the engine.
 * Variables are keyed by the server's PyTorch state_dict key (`model.model.1.model.2.weight`),
 * so export/import is a 1:1 mapping plus a layout transpose (see weights.ts).
 */
import type * as tf from '@tensorflow/tfjs';

/** One entry of a PyTorch-style state_dict, in PyTorch layout (conv: out,in,kH,kW; convT: in,out,kH,kW). */
export interface TensorEntry {
  key: string;
  dtype: 'float32' | 'int64';
  shape: number[];
  data: Float32Array | BigInt64Array;
}

/** Ordered like PyTorch's state_dict (registration order). */
export type StateDict = TensorEntry[];

export interface ForwardMode {
  /** BatchNorm uses batch statistics (and updates running stats when `updateStats`). */
  training: boolean;
  /** Dropout active (server: on in train mode and at test time unless `--eval`). */
  dropout: boolean;
  /** Update BatchNorm running statistics (only meaningful when training). Default false. */
  updateStats?: boolean;
  /**
   * Seed of the dropout masks for this forward pass (each Dropout layer derives its own stream
   * from it and its key). Same seed = same masks on every backend; undefined = fresh random masks.
   */
  dropoutSeed?: number;
}

export interface Net {
  /** Trainable variables keyed by state_dict key, TF layout (conv [kH,kW,in,out], convT [kH,kW,out,in]). */
  readonly params: Map<string, tf.Variable>;
  /** Non-trainable BatchNorm buffers keyed by state_dict key (running_mean / running_var). */
  readonly buffers: Map<string, tf.Variable>;
  /** num_batches_tracked per BatchNorm, keyed by state_dict key. */
  readonly batchesTracked: Map<string, number>;
  /** State_dict keys in PyTorch registration order (params, buffers and num_batches_tracked interleaved). */
  readonly keyOrder: string[];
  dispose(): void;
}

export interface Generator extends Net {
  /** photo NHWC in [-1,1] -> xray NHWC in [-1,1] (tanh). */
  apply(photo: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D;
}

export interface DiscriminatorOutput {
  /** Patch logits, one per scale (scale 0 = full resolution). */
  logits: tf.Tensor4D[];
  /** Intermediate activations per scale (after each LeakyReLU), for feature matching. */
  features: tf.Tensor4D[][];
}

export interface Discriminator extends Net {
  /** Input = concat(photo, xray) on channels (photo first, like the server). */
  apply(photo: tf.Tensor4D, xray: tf.Tensor4D, mode: ForwardMode): DiscriminatorOutput;
}
