/**
 * The landmark detector's network: a small U-Net-like encoder–decoder (NHWC, one grey input
 * channel) that outputs one heatmap per landmark of its set at the input resolution.
 *
 *   stem   : conv3 1->c0, IN, ReLU                      (S)
 *   down k : conv4 s2 (layers.conv2d), IN, ReLU, conv3, IN, ReLU   (S/2 .. S/2^depth)
 *   bottom : two extra conv3 blocks at S/2^depth (global context)
 *   up k   : convT4 s2 (layers.convTranspose2d), IN, ReLU, concat skip, conv3, IN, ReLU
 *   head   : conv1 c0 -> L heatmaps (linear)
 *
 * Built from the core's layers (src/core/model/layers.ts: conv2d / convTranspose2d with the
 * wasm-fast custom gradients, instanceNorm). The 3x3 stride-1 convs have their own custom
 * gradient here: the input gradient is a conv2d with the flipped, transposed filter (XNNPACK) rather
 * than wasm's naive Conv2DBackpropInput; the filter gradient reuses layers.conv2dFilterGrad.
 * Instance norm (no running statistics) keeps batch 1 training and inference identical.
 */
import * as tf from '@tensorflow/tfjs';
import {
  conv2d,
  conv2dFilterGrad,
  convTranspose2d,
  hasNativeFilterGrad,
  instanceNorm,
} from '../model/layers';
import { deriveSeed, Rng } from '../rng';

export interface DetectorArch {
  /** Square input side in px (a multiple of 2^depth). */
  size: number;
  /** Channels at each level, finest first; depth = channels.length - 1 down-steps. */
  channels: number[];
  /** Number of landmarks (output heatmaps). */
  landmarks: number;
  /**
   * What the output maps are: `heatmap` = regressed Gaussians (MSE loss, peak ~1); `softmax` =
   * spatial logits, a distribution per landmark after a softmax over the image (cross-entropy
   * loss to the normalised Gaussian). Default `heatmap`.
   */
  head?: 'heatmap' | 'softmax';
  /**
   * Heatmap stride: 1 = heatmaps at the input size; 2^k = the decoder stops k levels early and
   * the maps are size / 2^k (heatmap cell k covers input px [s k, s k + s): map coordinate =
   * input coordinate / s). Default 1.
   */
  outStride?: number;
}

/** Heatmap stride of an architecture (1 when unset). */
export function strideOf(a: DetectorArch): number {
  return a.outStride ?? 1;
}

/** Number of decoder levels skipped for the stride. */
function skipLevels(a: DetectorArch): number {
  return Math.round(Math.log2(strideOf(a)));
}

let netCounter = 0;

export const DEFAULT_CHANNELS = [8, 16, 32, 64, 128];

export interface DetectorNet {
  arch: DetectorArch;
  /** Trainable variables by key, TF layout ([kH,kW,in,out] for conv, [kH,kW,out,in] for convT). */
  params: Map<string, tf.Variable>;
  /** Keys in creation order (the checkpoint's order). */
  keys: string[];
  dispose(): void;
}

interface ParamDef {
  key: string;
  shape: number[];
  /** fan-in for He init; 0 = zeros (bias). */
  fanIn: number;
}

function paramDefs(a: DetectorArch): ParamDef[] {
  const defs: ParamDef[] = [];
  const conv = (key: string, k: number, cin: number, cout: number): void => {
    defs.push({ key: `${key}.w`, shape: [k, k, cin, cout], fanIn: k * k * cin });
    defs.push({ key: `${key}.b`, shape: [cout], fanIn: 0 });
  };
  const ch = a.channels;
  conv('stem', 3, 1, ch[0]);
  for (let i = 1; i < ch.length; i++) {
    conv(`down${i}.a`, 4, ch[i - 1], ch[i]);
    conv(`down${i}.b`, 3, ch[i], ch[i]);
  }
  const d = ch.length - 1;
  conv('bottom.a', 3, ch[d], ch[d]);
  conv('bottom.b', 3, ch[d], ch[d]);
  const k0 = skipLevels(a);
  for (let i = d; i >= 1 + k0; i--) {
    // convT weight [k,k,out,in]
    defs.push({ key: `up${i}.t.w`, shape: [4, 4, ch[i - 1], ch[i]], fanIn: 4 * ch[i] });
    defs.push({ key: `up${i}.t.b`, shape: [ch[i - 1]], fanIn: 0 });
    conv(`up${i}.c`, 3, 2 * ch[i - 1], ch[i - 1]);
  }
  conv('head', 1, ch[k0], a.landmarks);
  return defs;
}

export function checkArch(a: DetectorArch): void {
  const depth = a.channels.length - 1;
  if (!(a.landmarks >= 1)) throw new Error('A detector needs at least one landmark.');
  if (depth < 1) throw new Error('A detector needs at least two channel levels.');
  const st = strideOf(a);
  if (![1, 2, 4, 8].includes(st) || Math.log2(st) >= depth)
    throw new Error(`Heatmap stride ${st} must be 1, 2, 4 or 8 and below 2^${depth}.`);
  if (!Number.isInteger(a.size) || a.size % 2 ** depth !== 0 || a.size < 2 ** (depth + 1)) {
    throw new Error(
      `Detector input size ${a.size} px must be a multiple of ${2 ** depth} (2^${depth} down-steps) and at least ${2 ** (depth + 1)}.`,
    );
  }
}

/** Number of trainable values of an architecture. */
export function paramCount(a: DetectorArch): number {
  return paramDefs(a).reduce((n, d) => n + d.shape.reduce((x, y) => x * y, 1), 0);
}

/** Create a network with He-normal weights drawn from `seed` (same seed, same weights). */
export function createDetectorNet(arch: DetectorArch, seed: number): DetectorNet {
  checkArch(arch);
  const params = new Map<string, tf.Variable>();
  const keys: string[] = [];
  const id = ++netCounter;
  for (const d of paramDefs(arch)) {
    const size = d.shape.reduce((x, y) => x * y, 1);
    const v = new Float32Array(size);
    if (d.fanIn > 0) new Rng(deriveSeed(seed, 'detector', d.key)).fillNormal(v, 0, Math.sqrt(2 / d.fanIn));
    // the head starts small so the first heatmaps are near zero
    if (d.key === 'head.w') for (let i = 0; i < size; i++) v[i] *= 0.1;
    params.set(d.key, variableOf(v, d.shape, `detector${id}/${d.key}`));
    keys.push(d.key);
  }
  return {
    arch,
    params,
    keys,
    dispose() {
      for (const v of params.values()) v.dispose();
      params.clear();
    },
  };
}

/** Expected shapes by key (checkpoint loading checks them). */
export function expectedShapes(arch: DetectorArch): Map<string, number[]> {
  return new Map(paramDefs(arch).map((d) => [d.key, d.shape]));
}

/** A trainable variable holding `v` (the initial tensor is freed: the variable keeps its data). */
function variableOf(v: Float32Array, shape: number[], name: string): tf.Variable {
  const init = tf.tensor(v, shape);
  const out = tf.variable(init, true, name);
  init.dispose();
  return out;
}

/** Create a network from stored values (keys and shapes must match the architecture). */
export function netFromValues(arch: DetectorArch, values: Map<string, Float32Array>): DetectorNet {
  checkArch(arch);
  const params = new Map<string, tf.Variable>();
  const keys: string[] = [];
  const id = ++netCounter;
  try {
    for (const d of paramDefs(arch)) {
      const v = values.get(d.key);
      const size = d.shape.reduce((x, y) => x * y, 1);
      if (!v) throw new Error(`the checkpoint has no weight "${d.key}"`);
      if (v.length !== size)
        throw new Error(
          `weight "${d.key}" has ${v.length} values, the architecture needs ${size} [${d.shape}]`,
        );
      params.set(d.key, variableOf(v, d.shape, `detector${id}/${d.key}`));
      keys.push(d.key);
    }
  } catch (e) {
    for (const p of params.values()) p.dispose();
    throw e;
  }
  return {
    arch,
    params,
    keys,
    dispose() {
      for (const p of params.values()) p.dispose();
      params.clear();
    },
  };
}

function flipTranspose3(w: tf.Tensor4D): tf.Tensor4D {
  // rot180 over (kH,kW) and swap in/out: [k,k,in,out] -> [k,k,out,in]
  return tf.tidy(() => tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D);
}

/** Stride-1 'same' conv (odd k) with an XNNPACK input gradient on backends without a filter-grad kernel. */
function convSame(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  const k = w.shape[0];
  const pad = (k - 1) / 2;
  if (hasNativeFilterGrad()) return tf.conv2d(x, w, 1, 'same');
  if (k === 1) return conv2d(x, w, 1, 0);
  const f = tf.customGrad((...args) => {
    const [xi, wi, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([xi, wi]);
    return {
      value: tf.conv2d(xi, wi, 1, 'same'),
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        const dx = tf.conv2d(dy, flipTranspose3(ws), 1, 'same');
        const dw = conv2dFilterGrad(xs, dy, k, k, 1, pad);
        return [dx, dw];
      },
    };
  });
  return f(x, w) as tf.Tensor4D;
}

function p(net: DetectorNet, key: string): tf.Variable {
  const v = net.params.get(key);
  if (!v) throw new Error(`internal: detector has no parameter ${key}`);
  return v;
}

function block3(net: DetectorNet, key: string, x: tf.Tensor4D): tf.Tensor4D {
  const y = tf.add(convSame(x, p(net, `${key}.w`) as tf.Tensor4D), p(net, `${key}.b`)) as tf.Tensor4D;
  return tf.relu(instanceNorm(y));
}

/**
 * Forward pass: x [N,S,S,1] (grey, normalised) -> heatmaps [N,S,S,L] (linear). Call inside
 * tf.tidy (or a gradient tape); returns a tensor owned by the caller.
 */
export function detectorForward(net: DetectorNet, x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const ch = net.arch.channels;
    const d = ch.length - 1;
    const skips: tf.Tensor4D[] = [];
    let h = block3(net, 'stem', x);
    for (let i = 1; i <= d; i++) {
      skips.push(h);
      h = tf.relu(
        instanceNorm(
          conv2d(h, p(net, `down${i}.a.w`) as tf.Tensor4D, 2, 1, p(net, `down${i}.a.b`) as tf.Tensor1D),
        ),
      );
      h = block3(net, `down${i}.b`, h);
    }
    h = block3(net, 'bottom.a', h);
    h = block3(net, 'bottom.b', h);
    for (let i = d; i >= 1 + skipLevels(net.arch); i--) {
      const up = tf.relu(
        instanceNorm(
          convTranspose2d(h, p(net, `up${i}.t.w`) as tf.Tensor4D, 2, 1, p(net, `up${i}.t.b`) as tf.Tensor1D),
        ),
      );
      h = block3(net, `up${i}.c`, tf.concat([up, skips[i - 1]], 3) as tf.Tensor4D);
    }
    return tf.add(conv2d(h, p(net, 'head.w') as tf.Tensor4D, 1, 0), p(net, 'head.b')) as tf.Tensor4D;
  });
}
