/**
 * What a run configuration costs, computed analytically from the networks' state_dict specs
 * (no tensors are allocated, so it is instant even for unet_256 at ngf 64):
 *  - parameters and buffers of G and D (PyTorch's counts: parameters = weights and biases,
 *    buffers = BatchNorm running stats and num_batches_tracked);
 *  - multiply-accumulates (MACs) of every convolution. A k x k conv with C_in -> C_out channels
 *    producing H x W outputs costs k*k*C_in*C_out*H*W MACs; a stride-2 transposed conv is counted
 *    over its H_in x W_in inputs (each input pixel scatters a k x k x C_out patch). Norms,
 *    activations and losses are left out (a few % at most). FLOPs = 2 x MACs;
 *  - FLOPs per training step = 3 x (one G forward + every D forward of the step), using the usual
 *    rule that a backward pass costs about twice its forward. A step runs D three times, like the
 *    server (D step on fake and real, G step on fake), four times with feature matching;
 *  - a memory estimate of the peak during a training step, as TF.js counts it (tf.memory()):
 *    weights + buffers, Adam's two moments, gradients plus the update's and gradient tape's
 *    parameter-sized temporaries (WORKSPACE_PER_PARAM x the parameter bytes), and the activations
 *    the tape keeps (ACTIVATION_FACTOR x the conv output elements of one G forward and every D
 *    forward of the step). The two factors were fitted to tf.profile peaks of real steps on the
 *    wasm backend (unet_32/64/128 at 64-256 px, ngf 4-16: within 15 %); the cli unit test re-checks
 *    one configuration. Other backends pool memory differently (WebGPU's numBytesAllocatedInGPU
 *    includes its buffer pool), so treat it as an estimate.
 */
import type { RunConfig } from '../config';
import { expectedEntries, type EntryInfo } from '../model';

export interface LayerCost {
  net: 'G' | 'D';
  /** state_dict key of the weight. */
  key: string;
  /** Multiply-accumulates for one image. */
  macs: number;
  /** Output elements for one image (activation size). */
  outElements: number;
}

export interface MemoryEstimate {
  /** Weights and buffers of G and D, float32. */
  weightsBytes: number;
  /** Adam first and second moments of G and D. */
  adamBytes: number;
  /** Gradients and the parameter-sized temporaries of the backward pass and the update. */
  gradientBytes: number;
  /** Activations kept by the gradient tape during one step (whole batch). */
  activationBytes: number;
  /** Peak during a training step. */
  totalBytes: number;
}

/** Parameter-sized temporaries at the peak of a step, in units of the parameter bytes (fitted). */
export const WORKSPACE_PER_PARAM = 3;
/** Bytes held per conv output element of a step's forwards, in float32 units (fitted). */
export const ACTIVATION_FACTOR = 11;

export interface ConfigInfo {
  paramsG: number;
  paramsD: number;
  buffersG: number;
  buffersD: number;
  /** MACs of one G forward for one image at cfg.size. */
  macsG: number;
  /** MACs of one D forward (all scales) for one image. */
  macsD: number;
  /** D forwards per training step (3, or 4 with lambda_fm > 0). */
  dForwardsPerStep: number;
  /** FLOPs of one training step for the whole batch (2 x MACs x 3 for forward + backward). */
  flopsPerStep: number;
  /** FLOPs of one inference (G forward, one image). */
  flopsInference: number;
  memory: MemoryEstimate;
  layers: LayerCost[];
}

const BUFFER_SUFFIXES = ['.running_mean', '.running_var', '.num_batches_tracked'];

function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function isBuffer(e: EntryInfo): boolean {
  return BUFFER_SUFFIXES.some((s) => e.key.endsWith(s));
}

/**
 * G conv costs. Keys: level L (0 = outermost) has L + 2 `model` segments. The level's down conv
 * maps S/2^L -> S/2^(L+1) and its transposed conv S/2^(L+1) -> S/2^L, so both are counted over
 * (S/2^(L+1))^2 positions (down: its outputs, up: its inputs). Weight shapes are PyTorch's, whose
 * first two dims are the channel counts either way.
 */
function generatorLayers(cfg: RunConfig): LayerCost[] {
  const out: LayerCost[] = [];
  for (const e of expectedEntries(cfg, 'G')) {
    if (e.shape.length !== 4 || !e.key.endsWith('.weight')) continue;
    const parts = e.key.split('.');
    const level = parts.filter((p) => p === 'model').length - 2;
    const idx = Number(parts[parts.length - 2]);
    const [a, b, kh, kw] = e.shape;
    const inner = cfg.size / 2 ** (level + 1);
    const isUp = level === 0 ? idx === 3 : idx !== 1;
    // PyTorch conv (out, in, k, k); convT (in, out, k, k)
    const outC = isUp ? b : a;
    const outSide = isUp ? cfg.size / 2 ** level : inner;
    out.push({
      net: 'G',
      key: e.key,
      macs: kh * kw * a * b * inner * inner,
      outElements: outC * outSide * outSide,
    });
  }
  return out;
}

/** Output side of a k4 conv with padding 1 at `stride`. */
function convOut(side: number, stride: number): number {
  return Math.floor((side + 2 - 4) / stride) + 1;
}

/** D conv costs per scale: stride 2 for the first n_layers_D convs, 1 for the last two. */
function discriminatorLayers(cfg: RunConfig): LayerCost[] {
  const out: LayerCost[] = [];
  const n = cfg.n_layers_D;
  const byScale = new Map<number, EntryInfo[]>();
  for (const e of expectedEntries(cfg, 'D')) {
    if (e.shape.length !== 4) continue;
    const m = /^(?:scale(\d+)\.)?model\.(\d+)\.weight$/.exec(e.key);
    if (!m) continue;
    const s = m[1] ? Number(m[1]) : 0;
    const list = byScale.get(s) ?? [];
    list.push(e);
    byScale.set(s, list);
  }
  for (const [s, convs] of byScale) {
    // each extra scale sees the input pooled by AvgPool(3, stride 2, padding 1): ceil(side / 2)
    let side = cfg.size;
    for (let i = 0; i < s; i++) side = Math.floor((side + 2 - 3) / 2) + 1;
    convs.forEach((e, i) => {
      const stride = i < n ? 2 : 1;
      const o = convOut(side, stride);
      const [outC, inC, kh, kw] = e.shape;
      out.push({ net: 'D', key: e.key, macs: kh * kw * inC * outC * o * o, outElements: outC * o * o });
      side = o;
    });
  }
  return out;
}

/** Parameters, FLOPs and a memory estimate for a run configuration. */
export function describeConfig(cfg: RunConfig): ConfigInfo {
  const gEntries = expectedEntries(cfg, 'G');
  const dEntries = expectedEntries(cfg, 'D');
  const count = (es: EntryInfo[], buffers: boolean): number =>
    es.filter((e) => isBuffer(e) === buffers).reduce((a, e) => a + numel(e.shape), 0);
  const paramsG = count(gEntries, false);
  const paramsD = count(dEntries, false);
  const buffersG = count(gEntries, true);
  const buffersD = count(dEntries, true);
  const gLayers = generatorLayers(cfg);
  const dLayers = discriminatorLayers(cfg);
  const macsG = gLayers.reduce((a, l) => a + l.macs, 0);
  const macsD = dLayers.reduce((a, l) => a + l.macs, 0);
  const dForwardsPerStep = cfg.lambda_fm > 0 ? 4 : 3;
  const B = cfg.batch_size;
  const flopsPerStep = 2 * 3 * (macsG + dForwardsPerStep * macsD) * B;
  const F32 = 4;
  const params = paramsG + paramsD;
  const gAct = gLayers.reduce((a, l) => a + l.outElements, 0);
  const dAct = dLayers.reduce((a, l) => a + l.outElements, 0);
  const activationElements = ACTIVATION_FACTOR * (gAct + dForwardsPerStep * dAct) * B;
  const memory: MemoryEstimate = {
    weightsBytes: (params + buffersG + buffersD) * F32,
    adamBytes: 2 * params * F32,
    gradientBytes: WORKSPACE_PER_PARAM * params * F32,
    activationBytes: activationElements * F32,
    totalBytes: 0,
  };
  memory.totalBytes = memory.weightsBytes + memory.adamBytes + memory.gradientBytes + memory.activationBytes;
  return {
    paramsG,
    paramsD,
    buffersG,
    buffersD,
    macsG,
    macsD,
    dForwardsPerStep,
    flopsPerStep,
    flopsInference: 2 * macsG,
    memory,
    layers: [...gLayers, ...dLayers],
  };
}
