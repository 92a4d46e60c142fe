/**
 * The layer maths of the server's pix2pix networks, as pure functions of tensors (NHWC).
 *
 * - `conv2d` / `convTranspose2d` follow PyTorch semantics exactly (explicit symmetric padding,
 *   output size floor((H + 2p - k) / s) + 1 and (H - 1) * s - 2p + k), with TF.js weight layouts
 *   (conv [kH,kW,in,out], convT [kH,kW,out,in]).
 * - On backends without a `Conv2DBackpropFilter` kernel (TF.js 4.22 wasm) both are wrapped in a
 *   `tf.customGrad` whose filter gradient is a dilated conv2d with batch and channel axes swapped
 *   (the fastest form measured on wasm); the input gradient uses the ordinary ops.
 * - Norms: BatchNorm (affine, biased batch variance to normalise, running stats updated with the
 *   unbiased variance, momentum 0.1, eps 1e-5) and InstanceNorm (not affine, no running stats);
 *   in training each is one `tf.customGrad` with the closed-form gradient (`setNormGradMode`).
 *
 * Every function returns a new tensor owned by the caller and leaks no intermediates when called
 * inside `tf.tidy` (the networks call them inside one tidy per forward pass).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, deriveSeed } from '../rng';

export const NORM_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;
export const LEAKY_SLOPE = 0.2;

type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];

function explicitPad(pad: number): ExplicitPad {
  return [
    [0, 0],
    [pad, pad],
    [pad, pad],
    [0, 0],
  ];
}

/** How conv layers get their filter gradient: `auto` = custom only where the backend lacks the kernel. */
export type ConvGradMode = 'auto' | 'custom' | 'native';

let convGradMode: ConvGradMode = 'auto';

/** Force the conv filter-gradient path (tests and benchmarks); `auto` is the product setting. */
export function setConvGradMode(mode: ConvGradMode): void {
  convGradMode = mode;
}

export function getConvGradMode(): ConvGradMode {
  return convGradMode;
}

/** True when `backend` (default: the active one) registers a `Conv2DBackpropFilter` kernel. */
export function hasNativeFilterGrad(backend: string = tf.getBackend()): boolean {
  return tf.getKernel('Conv2DBackpropFilter', backend) != null;
}

function useCustomGrad(): boolean {
  if (convGradMode === 'custom') return true;
  if (convGradMode === 'native') return false;
  return !hasNativeFilterGrad();
}

/**
 * Filter gradient of a conv2d (PyTorch semantics) computed as one dilated conv2d:
 *   dW[kh,kw,c,o] = sum_{n,i,j} xp[n, i*s+kh, j*s+kw, c] * dy[n,i,j,o]
 * = conv2d(transpose(xp,[3,1,2,0]) as [C,Hp,Wp,N], transpose(dy,[1,2,0,3]) as [Ho,Wo,N,O],
 *          stride 1, dilation s, 'valid'), cropped to kH x kW, transposed to [kH,kW,C,O].
 * Also serves convTranspose2d with x and dy swapped (see `convTranspose2dFilterGrad`).
 * Uses only Pad, Transpose, Conv2D and (when the conv leaves rows unused) Slice.
 */
export function conv2dFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  kH: number,
  kW: number,
  stride: number,
  pad: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const xp = pad > 0 ? tf.pad(x, explicitPad(pad)) : x;
    const xT = tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D; // [C, Hp, Wp, N]
    const [n, ho, wo, o] = dy.shape;
    // [Ho, Wo, N, O]; batch 1: the same values in the same order, a reshape (no copy)
    const dyT = (n === 1 ? tf.reshape(dy, [ho, wo, 1, o]) : tf.transpose(dy, [1, 2, 0, 3])) as tf.Tensor4D;
    let r = tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', stride); // [C, >=kH, >=kW, O]
    if (r.shape[1] !== kH || r.shape[2] !== kW) {
      r = tf.slice(r, [0, 0, 0, 0], [r.shape[0], kH, kW, r.shape[3]]);
    }
    return tf.transpose(r, [1, 2, 0, 3]) as tf.Tensor4D; // [kH, kW, C, O]
  });
}

/**
 * Filter gradient of convTranspose2d (filter [kH,kW,out,in]): the convT is the adjoint of a
 * conv2d from its output space to its input space, so dW = conv2dFilterGrad(dy, x).
 */
export function convTranspose2dFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  kH: number,
  kW: number,
  stride: number,
  pad: number,
): tf.Tensor4D {
  return conv2dFilterGrad(dy, x, kH, kW, stride, pad);
}

function convOutSize(size: number, k: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - k) / stride) + 1;
}

function convTOutSize(size: number, k: number, stride: number, pad: number): number {
  return (size - 1) * stride - 2 * pad + k;
}

function plainConv2d(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, pad: number): tf.Tensor4D {
  return tf.conv2d(x, w, stride, explicitPad(pad));
}

/**
 * Filters from this many values up are convolved through a short-lived copy on wasm (see
 * `convReleasingCache`); below it the copy is not worth a kernel call.
 */
export const WEIGHT_COPY_MIN_VALUES = 16384;

let releaseXnnCache = true;

/** Turn `convReleasingCache` off (benchmarks: the memory before/after comparison). */
export function setReleaseXnnCache(on: boolean): void {
  releaseXnnCache = on;
}

/**
 * conv2d with explicit padding whose filter is a layer weight used once per training step.
 * TF.js wasm keeps an XNNPACK operator per filter tensor — with a transposed copy and a packed
 * copy of the filter, about twice its bytes — until that tensor is disposed. A layer weight lives
 * until Adam replaces it, so at the peak of a step every conv weight of G and D was held three
 * times (at unet_256 ngf64 about 430 MiB of extra wasm heap). Convolving with a copy that is
 * disposed right away frees the operator at once; the weight is repacked once per step either
 * way, since it changes every step.
 */
function convReleasingCache(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, pad: number): tf.Tensor4D {
  if (!releaseXnnCache || w.size < WEIGHT_COPY_MIN_VALUES || tf.getBackend() !== 'wasm') {
    return plainConv2d(x, w, stride, pad);
  }
  const copy = tf.clone(w); // wasm's Identity kernel copies the values: a new tensor id
  const y = plainConv2d(x, copy, stride, pad);
  copy.dispose();
  return y;
}

function plainConvT(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, pad: number): tf.Tensor4D {
  const [n, h, wd] = x.shape;
  const [kH, kW, outC] = w.shape;
  const outShape: [number, number, number, number] = [
    n,
    convTOutSize(h, kH, stride, pad),
    convTOutSize(wd, kW, stride, pad),
    outC,
  ];
  return tf.conv2dTranspose(x, w, outShape, stride, explicitPad(pad));
}

/**
 * The custom-gradient path replaces wasm's naive Conv2DBackpropInput by XNNPACK conv2d forms
 * (`subPixelConvT`, `stride1ConvInputGrad`) when the input has at least this many positions
 * (N*H*W); below it, rebuilding their weight costs more than it saves (measured on wasm: 8x8
 * wins ~2.5x, 4x4 with 512 channels loses).
 */
export const XNN_PATH_MIN_POSITIONS = 64;

let xnnPathMinPositions = XNN_PATH_MIN_POSITIONS;

/** Set that threshold (benchmarks and tests; `Infinity` disables both XNNPACK forms). */
export function setXnnPathMinPositions(positions: number): void {
  xnnPathMinPositions = positions;
}

function enoughPositions(x: tf.Tensor4D): boolean {
  return x.shape[0] * x.shape[1] * x.shape[2] >= xnnPathMinPositions;
}

/**
 * The 4x4 tap (kh*4+kw) of a k4 s2 p1 ConvTranspose that each 3x3 tap (a,b) of each output parity
 * (r,s) takes, 16 = none (a zero row): output row 2m+r takes padded input rows m+a with
 * kh = 3,1,- (r=0) or -,2,0 (r=1) for a = 0,1,2. Ordered (a,b,r,s).
 */
const SUBPIXEL_TAPS: number[] = (() => {
  const tap = [
    [3, 1, -1],
    [-1, 2, 0],
  ];
  const taps: number[] = [];
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 3; b++) {
      for (let r = 0; r < 2; r++) {
        for (let c = 0; c < 2; c++) {
          const kh = tap[r][a];
          const kw = tap[c][b];
          taps.push(kh >= 0 && kw >= 0 ? kh * 4 + kw : 16);
        }
      }
    }
  }
  return taps;
})();

/**
 * `parityConvT` (four 2x2 convs) instead of `subPixelConvT` (one 3x3 conv with 2.25x the
 * multiply-adds) from this many input positions and this product of input and output channels.
 * Measured on wasm with the studio's copy kernels (engine/kernels/wasmCopies.ts: its four tap
 * gathers are memcpys), the fastest of 5-9 alternating runs per form
 * (`npx tsx test/bench/convTForms.ts 9 --layers 128|256`, load 8-11): it wins at every stride-2
 * layer of unet_128 ngf16 @128 and unet_256 ngf64 @256 from 512 channel pairs up, 8x8 positions
 * included (8x8x1024 -> 512: 193 vs 420 ms; 8x8x512 -> 512: 96 vs 187 ms; 32x32x32 -> 16:
 * 0.8-1.0 vs 1.3 ms), and loses or ties on the 3- and 6-channel layers (products 48-384, e.g.
 * 128x128x128 -> 3: 21.9 vs 18.4 ms). Below `XNN_PATH_MIN_POSITIONS` neither form runs.
 */
export const PARITY_MIN_POSITIONS = 64;
export const PARITY_MIN_CHANNEL_PRODUCT = 512;

let parityMinPositions = PARITY_MIN_POSITIONS;
let parityMinChannelProduct = PARITY_MIN_CHANNEL_PRODUCT;

/** Set those thresholds (tests and benchmarks; `Infinity` never uses `parityConvT`). */
export function setParityThresholds(positions: number, channelProduct: number): void {
  parityMinPositions = positions;
  parityMinChannelProduct = channelProduct;
}

/** The k4 s2 p1 transposed conv of `x` by the convT filter `w` [4,4,out,in] in its fastest XNNPACK form. */
function xnnConvT(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  const positions = x.shape[0] * x.shape[1] * x.shape[2];
  return positions >= parityMinPositions && w.shape[2] * w.shape[3] >= parityMinChannelProduct
    ? parityConvT(x, w)
    : subPixelConvT(x, w);
}

/** Whether `subPixelConvT` applies: k4 s2 p1 and enough positions to pay for the weight rebuild. */
function subPixelApplies(x: tf.Tensor4D, kH: number, kW: number, stride: number, pad: number): boolean {
  return kH === 4 && kW === 4 && stride === 2 && pad === 1 && enoughPositions(x);
}

/**
 * ConvTranspose2d(k4, s2, p1) as one stride-1 3x3 conv2d producing the four output parities as
 * channel groups, then a depth-to-space (reshape/transpose). Same values as tf.conv2dTranspose,
 * but runs on XNNPACK's conv instead of wasm's naive Conv2DBackpropInput (~3x faster at
 * 16x16 and up). `w` is [4,4,out,in]. Used only inside the custom-gradient path (forward of
 * convT, input gradient of stride-2 conv2d); its own ops are not differentiated.
 */
export function subPixelConvT(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, wd, inC] = x.shape;
    const outC = w.shape[2];
    const wt = tf.reshape(tf.transpose(w, [0, 1, 3, 2]), [16, inC * outC]); // [(kh,kw), (in,out)]
    const taps = tf.pad(wt, [
      [0, 1],
      [0, 0],
    ]); // row 16: zeros
    const picked = tf.gather(taps, tf.tensor1d(SUBPIXEL_TAPS, 'int32'), 0); // [(a,b,r,s), (in,out)]
    const sub = tf.reshape(tf.transpose(tf.reshape(picked, [9, 4, inC, outC]), [0, 2, 1, 3]), [
      3,
      3,
      inC,
      4 * outC,
    ]);
    const y = tf.conv2d(tf.pad(x, explicitPad(1)), sub as tf.Tensor4D, 1, 'valid'); // [n,h,w,(r,s,out)]
    const rows = tf.transpose(tf.reshape(y, [n * h, wd, 2, 2 * outC]), [0, 2, 1, 3]); // [n*h, r, w, (s,out)]
    return tf.reshape(rows, [n, 2 * h, 2 * wd, outC]) as tf.Tensor4D;
  });
}

/** 4x4 taps of each output parity of a k4 s2 p1 ConvTranspose: row/col parity r -> (kh for window row 0, 1). */
const PARITY_TAPS = [
  [3, 1],
  [2, 0],
];

/**
 * ConvTranspose2d(k4, s2, p1) as four stride-1 2x2 conv2d (one per output parity (r,s), XNNPACK)
 * and an interleave: output pixel (2m+r, 2k+s) = conv over input rows m-1+r .. m+r and columns
 * k-1+s .. k+s with the taps PARITY_TAPS[r] x PARITY_TAPS[s]; parity 0 pads the top/left by one,
 * parity 1 the bottom/right. 16 multiply-adds per input pixel and channel pair — the convT's own
 * count, 2.25x fewer than `subPixelConvT`'s 3x3 form — and the four filters are plain gathers of
 * the weight. The interleave is two channel concats and one row concat (memcpy-like on wasm).
 * `w` is [4,4,out,in]; same values as tf.conv2dTranspose.
 */
export function parityConvT(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, wd, inC] = x.shape;
    const outC = w.shape[2];
    const taps = tf.reshape(tf.transpose(w, [0, 1, 3, 2]), [16, inC, outC]); // [(kh,kw), in, out]
    const rows: tf.Tensor4D[] = [];
    for (let r = 0; r < 2; r++) {
      const cols: tf.Tensor4D[] = [];
      for (let c = 0; c < 2; c++) {
        const [kh0, kh1] = PARITY_TAPS[r];
        const [kw0, kw1] = PARITY_TAPS[c];
        const idx = tf.tensor1d([kh0 * 4 + kw0, kh0 * 4 + kw1, kh1 * 4 + kw0, kh1 * 4 + kw1], 'int32');
        const f = tf.reshape(tf.gather(taps, idx, 0), [2, 2, inC, outC]) as tf.Tensor4D;
        cols.push(
          tf.conv2d(x, f, 1, [
            [0, 0],
            [1 - r, r],
            [1 - c, c],
            [0, 0],
          ]),
        );
      }
      rows.push(tf.reshape(tf.concat(cols, 3), [n, h, 1, wd * 2 * outC]) as tf.Tensor4D);
    }
    return tf.reshape(tf.concat(rows, 2), [n, 2 * h, 2 * wd, outC]) as tf.Tensor4D;
  });
}

/** The 4x4 taps reversed: tap (kh,kw) takes tap (3-kh, 3-kw). */
const FLIPPED_TAPS: number[] = Array.from({ length: 16 }, (_, t) => 15 - t);

/**
 * Input gradient of a stride-1 k4 conv2d (filter [4,4,in,out], padding `pad` <= 3) as a plain
 * conv2d: dx = conv2d(pad(dy, 3 - pad), rot180(w) with in/out swapped, 'valid'). The rotation is
 * a gather of the 16 taps in reverse order (wasm's Reverse is slow). Same values as tf.conv2dTranspose
 * (stride 1), on XNNPACK's conv instead of wasm's naive Conv2DBackpropInput.
 */
export function stride1ConvInputGrad(dy: tf.Tensor4D, w: tf.Tensor4D, pad: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [, , inC, outC] = w.shape;
    const wt = tf.reshape(tf.transpose(w, [0, 1, 3, 2]), [16, outC * inC]); // [(kh,kw), (out,in)]
    const flipped = tf.reshape(tf.gather(wt, tf.tensor1d(FLIPPED_TAPS, 'int32'), 0), [
      4,
      4,
      outC,
      inC,
    ]) as tf.Tensor4D;
    const q = 3 - pad;
    return tf.conv2d(tf.pad(dy, explicitPad(q)), flipped, 1, 'valid');
  });
}

function customConv2d(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, pad: number): tf.Tensor4D {
  const f = tf.customGrad((...args) => {
    const [xi, wi, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([xi, wi]);
    return {
      value: convReleasingCache(xi, wi, stride, pad),
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        const evenUp = xs.shape[1] === 2 * dy.shape[1] && xs.shape[2] === 2 * dy.shape[2];
        const dx =
          evenUp && subPixelApplies(dy, ws.shape[0], ws.shape[1], stride, pad)
            ? xnnConvT(dy, ws) // conv filter [4,4,in,out] read as convT filter [4,4,out'=in,in'=out]
            : stride === 1 && ws.shape[0] === 4 && ws.shape[1] === 4 && pad <= 3 && enoughPositions(dy)
              ? stride1ConvInputGrad(dy, ws, pad)
              : tf.conv2dTranspose(dy, ws, xs.shape, stride, explicitPad(pad));
        const dw = conv2dFilterGrad(xs, dy, ws.shape[0], ws.shape[1], stride, pad);
        return [dx, dw];
      },
    };
  });
  return f(x, w) as tf.Tensor4D;
}

function customConvT(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, pad: number): tf.Tensor4D {
  const f = tf.customGrad((...args) => {
    const [xi, wi, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([xi, wi]);
    return {
      value: subPixelApplies(xi, wi.shape[0], wi.shape[1], stride, pad)
        ? xnnConvT(xi, wi)
        : plainConvT(xi, wi, stride, pad),
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        const dx = convReleasingCache(dy, ws, stride, pad);
        const dw = convTranspose2dFilterGrad(xs, dy, ws.shape[0], ws.shape[1], stride, pad);
        return [dx, dw];
      },
    };
  });
  return f(x, w) as tf.Tensor4D;
}

/**
 * PyTorch `Conv2d(in, out, k, stride, padding=pad)` on NHWC input; `w` is [kH,kW,in,out].
 * Output spatial size floor((H + 2*pad - k) / stride) + 1.
 */
export function conv2d(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  stride: number,
  pad: number,
  bias?: tf.Tensor1D,
): tf.Tensor4D {
  return tf.tidy(() => {
    if (x.shape[3] !== w.shape[2]) {
      throw new Error(`conv2d: input has ${x.shape[3]} channels, the filter expects ${w.shape[2]}`);
    }
    const y = useCustomGrad() ? customConv2d(x, w, stride, pad) : plainConv2d(x, w, stride, pad);
    return bias ? tf.add(y, bias) : y;
  });
}

/**
 * PyTorch `ConvTranspose2d(in, out, k, stride, padding=pad)` on NHWC input; `w` is [kH,kW,out,in]
 * (PyTorch (in,out,kH,kW) transposed by (2,3,1,0), no kernel flip).
 * Output spatial size (H - 1) * stride - 2*pad + k.
 */
export function convTranspose2d(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  stride: number,
  pad: number,
  bias?: tf.Tensor1D,
): tf.Tensor4D {
  return tf.tidy(() => {
    if (x.shape[3] !== w.shape[3]) {
      throw new Error(`convTranspose2d: input has ${x.shape[3]} channels, the filter expects ${w.shape[3]}`);
    }
    const y = useCustomGrad() ? customConvT(x, w, stride, pad) : plainConvT(x, w, stride, pad);
    return bias ? tf.add(y, bias) : y;
  });
}

/** Output size helpers (PyTorch formulas), exported for shape planning and tests. */
export const outSize = { conv: convOutSize, convT: convTOutSize };

export interface BatchNormState {
  gamma: tf.Variable;
  beta: tf.Variable;
  runningMean: tf.Variable;
  runningVar: tf.Variable;
}

/**
 * BatchNorm2d forward. `training`: normalise with the batch mean and the biased batch variance
 * (gradients flow through both); when `updateStats` also set
 *   running_mean = (1 - 0.1) * running_mean + 0.1 * mean
 *   running_var  = (1 - 0.1) * running_var  + 0.1 * var * n / (n - 1)   (n = N*H*W)
 * (the caller increments num_batches_tracked). Not training: normalise with the running stats.
 * Throws when training sees one value per channel (PyTorch refuses that too).
 */
export function batchNorm(
  x: tf.Tensor4D,
  s: BatchNormState,
  training: boolean,
  updateStats: boolean,
  what = 'BatchNorm',
): tf.Tensor4D {
  return tf.tidy(() => {
    if (!training) {
      return tf.batchNorm(x, s.runningMean, s.runningVar, s.beta, s.gamma, NORM_EPS) as tf.Tensor4D;
    }
    const [n, h, w] = x.shape;
    const count = n * h * w;
    if (count < 2) {
      throw new Error(
        `${what}: only one value per channel in training mode (batch ${n}, ${h}x${w} px). ` +
          `Use a larger image, a larger batch, or instance norm.`,
      );
    }
    if (normGradMode === 'closed') return batchNormClosedForm(x, s, updateStats, count);
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    if (updateStats) updateRunningStats(s, mean, variance, count);
    return tf.batchNorm(x, mean, variance, s.beta, s.gamma, NORM_EPS) as tf.Tensor4D;
  });
}

/**
 * How the training-mode norms are differentiated: `closed` (the product setting) = one
 * `tf.customGrad` per norm with the closed-form gradient (`batchNormClosedForm`,
 * `instanceNormClosedForm`); `autodiff` = TF.js's autodiff of `tf.moments` + `tf.batchNorm` (the
 * old path: FusedBatchNorm's gradient with its Tile calls plus dozens of small kernels through the
 * moments). Tests and benchmarks compare the two. Measured on Node wasm, 1 thread (process CPU
 * per training step, both modes alternating in one process, load ~13): unet_128 ngf16 @128
 * 285 -> 233 ms, unet_256 ngf64 @256 7.85 -> 7.05 s; peak wasm heap at 256 px 1983 -> 1838 MiB.
 */
export type NormGradMode = 'closed' | 'autodiff';

let normGradMode: NormGradMode = 'closed';

export function setNormGradMode(mode: NormGradMode): void {
  normGradMode = mode;
}

export function getNormGradMode(): NormGradMode {
  return normGradMode;
}

/** running = (1 - 0.1) * running + 0.1 * batch stat, with the unbiased variance (count = N*H*W). */
function updateRunningStats(s: BatchNormState, mean: tf.Tensor, variance: tf.Tensor, count: number): void {
  const m = BN_MOMENTUM;
  const unbiased = tf.mul(variance, count / (count - 1));
  s.runningMean.assign(tf.add(tf.mul(s.runningMean, 1 - m), tf.mul(mean, m)));
  s.runningVar.assign(tf.add(tf.mul(s.runningVar, 1 - m), tf.mul(unbiased, m)));
}

/**
 * Per-channel mean of `x` over H x W (`perSample`, shape [N,1,1,C]) or over N x H x W ([1,1,1,C]).
 * On wasm an average pool over the whole image (XNNPACK, NHWC as stored; the batch folds into the
 * rows by a free reshape): wasm's Mean and Sum transpose the input to channels-first before
 * reducing (measured at 1x128x128x128: ~1-2 ms against ~16 ms). Elsewhere `tf.mean`.
 */
function channelMean(x: tf.Tensor4D, perSample: boolean): tf.Tensor4D {
  if (tf.getBackend() !== 'wasm') return tf.mean(x, perSample ? [1, 2] : [0, 1, 2], true) as tf.Tensor4D;
  const [n, h, w, c] = x.shape;
  const rows = perSample ? x : (tf.reshape(x, [1, n * h, w, c]) as tf.Tensor4D);
  return tf.avgPool(rows, [rows.shape[1], w], 1, 'valid');
}

/** Batch (or per-sample) statistics of `x`: mean, biased variance, 1/sqrt(var + eps) and xhat. */
function normStats(
  x: tf.Tensor4D,
  perSample: boolean,
): { mean: tf.Tensor4D; variance: tf.Tensor4D; invStd: tf.Tensor4D; xhat: tf.Tensor4D } {
  const mean = channelMean(x, perSample);
  const d = tf.sub(x, mean);
  const variance = channelMean(tf.mul(d, d), perSample);
  const invStd = tf.rsqrt(tf.add(variance, NORM_EPS)) as tf.Tensor4D;
  return { mean, variance, invStd, xhat: tf.mul(d, invStd) };
}

/**
 * Input gradient of a normalisation xhat = (x - mean) * invStd whose statistics are taken over
 * the same axes as `channelMean(·, perSample)` (M values each), given g = dL/dxhat:
 *   dx = invStd * (g - mean(g) - xhat * mean(g * xhat)).
 * For BatchNorm g = gamma * dy, so mean(g) = gamma * dbeta / M and mean(g * xhat) =
 * gamma * dgamma / M; `scale` = gamma * invStd (or invStd alone) multiplies last.
 */
function normInputGrad(
  dy: tf.Tensor4D,
  xhat: tf.Tensor4D,
  dyMean: tf.Tensor4D,
  dyXhatMean: tf.Tensor4D,
  scale: tf.Tensor,
): tf.Tensor4D {
  return tf.mul(tf.sub(tf.sub(dy, dyMean), tf.mul(xhat, dyXhatMean)), scale) as tf.Tensor4D;
}

/**
 * Training-mode BatchNorm as one `tf.customGrad` with the closed-form gradient (sums over N,H,W
 * per channel, M = N*H*W):
 *   dbeta = Σ dy,  dgamma = Σ dy * xhat,  dx = gamma * invStd / M * (M dy - dbeta - xhat * dgamma).
 * Saves xhat and invStd (and gamma) for the backward pass; the running stats are updated as in
 * the autodiff path.
 */
function batchNormClosedForm(
  x: tf.Tensor4D,
  s: BatchNormState,
  updateStats: boolean,
  count: number,
): tf.Tensor4D {
  const f = tf.customGrad((...args) => {
    const [xi, gamma, beta, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const c = xi.shape[3];
    const { mean, variance, invStd, xhat } = normStats(xi, false);
    if (updateStats) updateRunningStats(s, tf.reshape(mean, [c]), tf.reshape(variance, [c]), count);
    save([xhat, invStd, gamma]);
    return {
      value: tf.add(tf.mul(xhat, gamma), beta) as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [xh, inv, g] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D];
          const dyMean = channelMean(dy, false); // dbeta / M
          const dyXhatMean = channelMean(tf.mul(dy, xh), false); // dgamma / M
          const dx = normInputGrad(dy, xh, dyMean, dyXhatMean, tf.mul(inv, g));
          return [dx, tf.reshape(tf.mul(dyXhatMean, count), [c]), tf.reshape(tf.mul(dyMean, count), [c])];
        }),
    };
  });
  return f(x, s.gamma, s.beta) as tf.Tensor4D;
}

/** InstanceNorm (not affine) as one `tf.customGrad`: statistics per sample and channel over H x W. */
function instanceNormClosedForm(x: tf.Tensor4D): tf.Tensor4D {
  const f = tf.customGrad((...args) => {
    const [xi, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    const { invStd, xhat } = normStats(xi, true);
    save([xhat, invStd]);
    return {
      value: xhat,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [xh, inv] = saved as [tf.Tensor4D, tf.Tensor4D];
          return normInputGrad(dy, xh, channelMean(dy, true), channelMean(tf.mul(dy, xh), true), inv);
        }),
    };
  });
  return f(x) as tf.Tensor4D;
}

/** InstanceNorm2d (not affine, no running stats): per sample, per channel over H x W. */
export function instanceNorm(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    if (normGradMode === 'closed') return instanceNormClosedForm(x);
    const { mean, variance } = tf.moments(x, [1, 2], true);
    return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, NORM_EPS))) as tf.Tensor4D;
  });
}

export function leakyRelu(x: tf.Tensor4D): tf.Tensor4D {
  return tf.leakyRelu(x, LEAKY_SLOPE);
}

export function relu(x: tf.Tensor4D): tf.Tensor4D {
  return tf.relu(x);
}

/**
 * Dropout(p) as PyTorch applies it in training: zero each element with probability p and scale
 * the survivors by 1/(1-p). The mask is drawn from the studio's seeded Rng (same mask for the
 * same seed on every backend); `seed` undefined draws a fresh one.
 */
export function dropout(x: tf.Tensor4D, rate: number, seed?: number): tf.Tensor4D {
  return tf.tidy(() => {
    const rng = new Rng(seed ?? Math.floor(Math.random() * 4294967296));
    const size = x.size;
    const mask = new Float32Array(size);
    const keep = 1 / (1 - rate);
    for (let i = 0; i < size; i++) mask[i] = rng.next() < rate ? 0 : keep;
    return tf.mul(x, tf.tensor4d(mask, x.shape));
  });
}

/** Per-output-window count of in-image pixels along one axis for a 3-wide, stride-2, pad-1 window. */
function windowCounts(size: number): number[] {
  const out = convOutSize(size, 3, 2, 1);
  const counts: number[] = [];
  for (let i = 0; i < out; i++) {
    const lo = Math.max(0, 2 * i - 1);
    const hi = Math.min(size - 1, 2 * i + 1);
    counts.push(hi - lo + 1);
  }
  return counts;
}

/**
 * Halve the resolution for the next discriminator scale like pix2pixHD:
 * AvgPool2d(3, stride 2, padding 1, count_include_pad=False).
 * Computed as a 'valid' 3x3 average over the zero-padded input (= count_include_pad=True) times
 * 9 / (in-image pixels per window). TF.js's own padded avgPool has the right forward values
 * but its gradient divides by 9 everywhere (wrong at the border), hence this form.
 */
export function downsample(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const rows = windowCounts(x.shape[1]);
    const cols = windowCounts(x.shape[2]);
    const scale = new Float32Array(rows.length * cols.length);
    for (let i = 0; i < rows.length; i++) {
      for (let j = 0; j < cols.length; j++) scale[i * cols.length + j] = 9 / (rows[i] * cols[j]);
    }
    const pooled = tf.avgPool(tf.pad(x, explicitPad(1)), 3, 2, 'valid');
    return tf.mul(pooled, tf.tensor4d(scale, [1, rows.length, cols.length, 1]));
  });
}

// ---------------------------------------------------------------------------------------------
// Parameters: one spec list per network (PyTorch registration order), allocated as TF variables.
// ---------------------------------------------------------------------------------------------

/** What a state_dict entry is; decides init, TF layout and dtype. */
export type ParamRole =
  | 'convWeight'
  | 'convTWeight'
  | 'bias'
  | 'normWeight'
  | 'normBias'
  | 'runningMean'
  | 'runningVar'
  | 'numBatchesTracked';

/** One state_dict entry of a network, shape in PyTorch layout. */
export interface ParamSpec {
  key: string;
  role: ParamRole;
  shape: number[];
}

export function dtypeOf(role: ParamRole): 'float32' | 'int64' {
  return role === 'numBatchesTracked' ? 'int64' : 'float32';
}

export function isTrainable(role: ParamRole): boolean {
  return (
    role === 'convWeight' ||
    role === 'convTWeight' ||
    role === 'bias' ||
    role === 'normWeight' ||
    role === 'normBias'
  );
}

/** PyTorch conv (out,in,kH,kW) / convT (in,out,kH,kW) -> TF [kH,kW,in,out] / [kH,kW,out,in]. */
export const TORCH_TO_TF_AXES = [2, 3, 1, 0];
/** Inverse of TORCH_TO_TF_AXES. */
export const TF_TO_TORCH_AXES = [3, 2, 0, 1];

/** PyTorch-layout shape -> TF-layout shape (rank-4 weights transposed, others unchanged). */
export function tfShapeOf(torchShape: number[]): number[] {
  return torchShape.length === 4 ? TORCH_TO_TF_AXES.map((a) => torchShape[a]) : torchShape.slice();
}

/** TF-layout shape -> PyTorch-layout shape. */
export function torchShapeOf(tfShape: number[]): number[] {
  return tfShape.length === 4 ? TF_TO_TORCH_AXES.map((a) => tfShape[a]) : tfShape.slice();
}

/**
 * Reorder rank-4 weight values from PyTorch layout (A,B,kH,kW) to TF layout [kH,kW,B,A]
 * (conv: A=out, B=in; convT: A=in, B=out). Plain JS (the cpu backend's transpose is ~20x slower).
 */
export function torchToTfData(src: Float32Array, torchShape: number[]): Float32Array {
  const [a, b, kh, kw] = torchShape;
  const dst = new Float32Array(src.length);
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < b; j++) {
      const s0 = (i * b + j) * kh * kw;
      for (let h = 0; h < kh; h++) {
        for (let w = 0; w < kw; w++) dst[((h * kw + w) * b + j) * a + i] = src[s0 + h * kw + w];
      }
    }
  }
  return dst;
}

/** Inverse of `torchToTfData`: TF layout [kH,kW,B,A] values to PyTorch (A,B,kH,kW). */
export function tfToTorchData(src: Float32Array, tfShape: number[]): Float32Array {
  const [kh, kw, b, a] = tfShape;
  const dst = new Float32Array(src.length);
  for (let h = 0; h < kh; h++) {
    for (let w = 0; w < kw; w++) {
      for (let j = 0; j < b; j++) {
        const s0 = ((h * kw + w) * b + j) * a;
        for (let i = 0; i < a; i++) dst[((i * b + j) * kh + h) * kw + w] = src[s0 + i];
      }
    }
  }
  return dst;
}

/**
 * A TF tensor (TF layout) from PyTorch-layout values; never shares `data` with the backend.
 * The caller owns the result.
 */
export function tensorFromTorch(data: Float32Array, torchShape: number[]): tf.Tensor {
  const values = torchShape.length === 4 ? torchToTfData(data, torchShape) : data.slice();
  return tf.tensor(values, tfShapeOf(torchShape), 'float32');
}

/** Initial value of one entry in PyTorch layout (server init: conv N(0, gain), bias 0, BN weight N(1, gain)). */
function initialValues(spec: ParamSpec, gain: number, rng: Rng): Float32Array {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  switch (spec.role) {
    case 'convWeight':
    case 'convTWeight':
      return rng.fillNormal(out, 0, gain);
    case 'normWeight':
      return rng.fillNormal(out, 1, gain);
    case 'runningVar':
      return out.fill(1);
    default:
      return out;
  }
}

export interface NetState {
  params: Map<string, tf.Variable>;
  buffers: Map<string, tf.Variable>;
  batchesTracked: Map<string, number>;
  keyOrder: string[];
  dispose(): void;
}

let netCounter = 0;

/**
 * Allocate the variables of a network from its specs. Each weight is drawn from its own stream
 * `Rng(deriveSeed(seed, label, key))`, in PyTorch layout, so a (seed, key) pair gives the same
 * values on every backend and whatever other layers the network has.
 */
export function allocateNet(specs: ParamSpec[], gain: number, seed: number, label: string): NetState {
  const id = ++netCounter;
  const params = new Map<string, tf.Variable>();
  const buffers = new Map<string, tf.Variable>();
  const batchesTracked = new Map<string, number>();
  const keyOrder: string[] = [];
  for (const spec of specs) {
    keyOrder.push(spec.key);
    if (spec.role === 'numBatchesTracked') {
      batchesTracked.set(spec.key, 0);
      continue;
    }
    const rng = new Rng(deriveSeed(seed, label, spec.key));
    const init = tensorFromTorch(initialValues(spec, gain, rng), spec.shape);
    const v = tf.variable(init, isTrainable(spec.role), `${label}${id}/${spec.key}`);
    init.dispose();
    (isTrainable(spec.role) ? params : buffers).set(spec.key, v);
  }
  let disposed = false;
  return {
    params,
    buffers,
    batchesTracked,
    keyOrder,
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const v of params.values()) v.dispose();
      for (const v of buffers.values()) v.dispose();
    },
  };
}

/** Look up a variable by key; a missing key is a programming error in the network code. */
export function need(map: Map<string, tf.Variable>, key: string): tf.Variable {
  const v = map.get(key);
  if (!v) throw new Error(`internal: no variable "${key}"`);
  return v;
}

/** BatchNorm state of the norm layer at `prefix` (keys prefix.weight/bias/running_mean/running_var). */
export function batchNormState(net: NetState, prefix: string): BatchNormState {
  return {
    gamma: need(net.params, `${prefix}.weight`),
    beta: need(net.params, `${prefix}.bias`),
    runningMean: need(net.buffers, `${prefix}.running_mean`),
    runningVar: need(net.buffers, `${prefix}.running_var`),
  };
}

/** Specs of a conv layer (Conv2d or ConvTranspose2d, k4) at `prefix`. */
export function convSpecs(
  prefix: string,
  kind: 'conv' | 'convT',
  inC: number,
  outC: number,
  bias: boolean,
): ParamSpec[] {
  const shape = kind === 'conv' ? [outC, inC, 4, 4] : [inC, outC, 4, 4];
  const specs: ParamSpec[] = [
    { key: `${prefix}.weight`, role: kind === 'conv' ? 'convWeight' : 'convTWeight', shape },
  ];
  if (bias) specs.push({ key: `${prefix}.bias`, role: 'bias', shape: [outC] });
  return specs;
}

/** Specs of a norm layer at `prefix` (BatchNorm2d: 5 entries; InstanceNorm2d: none). */
export function normSpecs(prefix: string, norm: 'batch' | 'instance', channels: number): ParamSpec[] {
  if (norm === 'instance') return [];
  return [
    { key: `${prefix}.weight`, role: 'normWeight', shape: [channels] },
    { key: `${prefix}.bias`, role: 'normBias', shape: [channels] },
    { key: `${prefix}.running_mean`, role: 'runningMean', shape: [channels] },
    { key: `${prefix}.running_var`, role: 'runningVar', shape: [channels] },
    { key: `${prefix}.num_batches_tracked`, role: 'numBatchesTracked', shape: [] },
  ];
}

/**
 * Apply the norm layer at `prefix` (batch or instance); for BatchNorm in training with
 * `updateStats`, also counts the batch in num_batches_tracked.
 */
export function applyNorm(
  net: NetState,
  prefix: string,
  norm: 'batch' | 'instance',
  x: tf.Tensor4D,
  training: boolean,
  updateStats: boolean,
): tf.Tensor4D {
  if (norm === 'instance') return instanceNorm(x);
  const y = batchNorm(
    x,
    batchNormState(net, prefix),
    training,
    training && updateStats,
    `BatchNorm ${prefix}`,
  );
  if (training && updateStats) {
    const k = `${prefix}.num_batches_tracked`;
    net.batchesTracked.set(k, (net.batchesTracked.get(k) ?? 0) + 1);
  }
  return y;
}

/** What weights.ts needs to know about a network built here. */
export interface NetMeta {
  kind: 'G' | 'D';
  norm: 'batch' | 'instance';
  specs: ParamSpec[];
}

const netMetas = new WeakMap<object, NetMeta>();

/** Remember how a network was built (read back by `netMetaOf`). */
export function registerNet<T extends object>(net: T, meta: NetMeta): T {
  netMetas.set(net, meta);
  return net;
}

/** Build information of a network made by createGenerator / createDiscriminator, else undefined. */
export function netMetaOf(net: object): NetMeta | undefined {
  return netMetas.get(net);
}
