/**
 * Every loss term of the studio's pix2pix, as pure functions of tensors.
 *
 * Conventions
 * - Images are NHWC tensors on the server's [-1, 1] scale.
 * - Every function returns NEW tensors that the caller disposes; intermediates live in `tf.tidy`.
 * - Only ops whose gradients exist on every backend the studio uses (webgpu, wasm, cpu) are used:
 *   convolutions with constant filters run as `conv2d` on channels folded into the batch (wasm has
 *   no DepthwiseConv2dNativeBackpropInput kernel); edge padding is built from slices + concat
 *   because TF.js 4.22's MirrorPad gradient is wrong (it slices like a zero pad and drops the
 *   contributions of the mirrored border pixels).
 * - Logged term names follow the server (`G_GAN`, `G_L1`, `D_real`, `D_fake`); every `G_*` term is
 *   already multiplied by its weight, so `G_L1 = lambda_L1 * L1` like the server's `loss_G_L1`.
 */
import * as tf from '@tensorflow/tfjs';
import { sumTensors } from './tensorOps';
import { G_TERMS, termWeight, type GanMode, type GTerm, type RunConfig } from './config';
import type { DiscriminatorOutput } from './model/types';

// the term list and weights live in config.ts (TF.js-free, for the page); re-exported for the core
export { G_TERMS, termWeight, type GTerm };

// ---------------------------------------------------------------------------------------------
// GAN losses
// ---------------------------------------------------------------------------------------------

/**
 * GAN loss of one logit tensor (mean over all elements).
 * - `vanilla`: binary cross-entropy with logits in the stable form
 *   `max(x, 0) - x*z + log(1 + exp(-|x|))` (z = 1 for real, 0 for fake), i.e. PyTorch's
 *   BCEWithLogitsLoss used by the server.
 * - `lsgan`: mean squared error to 1 (real) or 0 (fake), i.e. the server's MSELoss.
 */
export function ganLoss(logits: tf.Tensor, targetIsReal: boolean, mode: GanMode): tf.Scalar {
  return tf.tidy(() => {
    const z = targetIsReal ? 1 : 0;
    if (mode === 'lsgan') return tf.mean(tf.square(tf.sub(logits, z))) as tf.Scalar;
    if (mode !== 'vanilla')
      throw new Error(`ganLoss: unknown gan_mode "${String(mode)}" (use vanilla or lsgan)`);
    const relu = tf.relu(logits);
    const xz = targetIsReal ? logits : tf.zerosLike(logits);
    const softplusNegAbs = tf.log1p(tf.exp(tf.neg(tf.abs(logits))));
    return tf.mean(tf.add(tf.sub(relu, xz), softplusNegAbs)) as tf.Scalar;
  });
}

/** GAN loss of a multi-scale discriminator: mean of {@link ganLoss} over scales. */
export function ganLossMulti(logits: tf.Tensor[], targetIsReal: boolean, mode: GanMode): tf.Scalar {
  if (logits.length === 0) throw new Error('ganLossMulti: the discriminator returned no logits');
  return tf.tidy(() => {
    const per = logits.map((l) => ganLoss(l, targetIsReal, mode));
    return tf.div(sumTensors(per), per.length) as tf.Scalar;
  });
}

// ---------------------------------------------------------------------------------------------
// Pixel and structure losses
// ---------------------------------------------------------------------------------------------

/** Mean absolute error over all elements (the server's `L1Loss`). */
export function l1Loss(fake: tf.Tensor, real: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(fake, real))) as tf.Scalar);
}

/** [N,H,W,C] -> [N*C,H,W,1] (channel-major per case), so constant filters run as a plain conv2d. */
function foldChannels(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (c === 1) return x;
  return tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [n * c, h, w, 1]);
}

/** Inverse of {@link foldChannels} for a single-channel result: [N*C,H,W,1] -> [N,H,W,C]. */
function unfoldChannels(y: tf.Tensor4D, n: number, c: number): tf.Tensor4D {
  const [, h, w] = y.shape;
  if (c === 1) return y;
  return tf.transpose(tf.reshape(y, [n, c, h, w]), [0, 2, 3, 1]);
}

/**
 * Replicate (edge) padding by one pixel on H and W, from slices + concat so the gradient is exact
 * on every backend. For a 1-pixel pad this equals numpy's `mode='edge'` and TF's 'SYMMETRIC'.
 */
function padEdge1(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const top = tf.slice(x, [0, 0, 0, 0], [n, 1, w, c]);
  const bottom = tf.slice(x, [0, h - 1, 0, 0], [n, 1, w, c]);
  const rows = tf.concat([top, x, bottom], 1);
  const left = tf.slice(rows, [0, 0, 0, 0], [n, h + 2, 1, c]);
  const right = tf.slice(rows, [0, 0, w - 1, 0], [n, h + 2, 1, c]);
  return tf.concat([left, rows, right], 2);
}

/** Sobel x then y, divided by 8 so a ramp of slope a (per pixel) gives exactly a. Layout [3,3,1,2]. */
const SOBEL_TAPS: number[] = (() => {
  const gx = [-1, 0, 1, -2, 0, 2, -1, 0, 1];
  const gy = [-1, -2, -1, 0, 0, 0, 1, 2, 1];
  const out: number[] = [];
  for (let i = 0; i < 9; i++) out.push(gx[i] / 8, gy[i] / 8);
  return out;
})();

const LAPLACIAN_TAPS: number[] = [0, -1, 0, -1, 4, -1, 0, -1, 0].map((v) => v / 4);

/**
 * Per-channel 3x3 Sobel derivatives, normalised by 1/8 so each is a per-pixel derivative
 * (a horizontal ramp x[i,j] = a*j gives gx = a, gy = 0 in the interior). Padding: REPLICATE
 * (edge) by one pixel, so the image border is not an edge; at the first/last column a ramp
 * therefore reads a/2. Cross-correlation like PyTorch's `F.conv2d`: gx > 0 when intensity rises
 * to the right (+W), gy > 0 when it rises downwards (+H). Output shapes equal the input shape.
 */
export function sobel(x: tf.Tensor4D): { gx: tf.Tensor4D; gy: tf.Tensor4D } {
  return tf.tidy(() => {
    const [n, , , c] = x.shape;
    const filter = tf.tensor4d(SOBEL_TAPS, [3, 3, 1, 2]);
    const g = tf.conv2d(padEdge1(foldChannels(x)), filter, 1, 'valid');
    const [gxF, gyF] = tf.split(g, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
    return { gx: unfoldChannels(gxF, n, c), gy: unfoldChannels(gyF, n, c) };
  });
}

/**
 * Per-channel Laplacian with kernel [[0,-1,0],[-1,4,-1],[0,-1,0]] / 4 (the clinic's plan 002),
 * replicate padding (the clinic's code zero-padded; replicate keeps the image border from
 * reading as an edge). Output shape equals the input shape.
 */
export function laplacian(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, , , c] = x.shape;
    const filter = tf.tensor4d(LAPLACIAN_TAPS, [3, 3, 1, 1]);
    return unfoldChannels(tf.conv2d(padEdge1(foldChannels(x)), filter, 1, 'valid'), n, c);
  });
}

/**
 * Sobel gradient loss between fake and real:
 * `kind='l1'`: mean|gx(f)-gx(r)| + mean|gy(f)-gy(r)|; `kind='mse'`: mean(..)^2 + mean(..)^2
 * (the clinic's PerceptualGradientLoss form: one mean per direction, summed).
 * Sobel is linear, so it is evaluated once on (fake - real).
 */
export function gradientLoss(fake: tf.Tensor4D, real: tf.Tensor4D, kind: 'l1' | 'mse'): tf.Scalar {
  return tf.tidy(() => {
    const { gx, gy } = sobel(tf.sub(fake, real));
    const f = kind === 'mse' ? tf.square : tf.abs;
    return tf.add(tf.mean(f(gx)), tf.mean(f(gy))) as tf.Scalar;
  });
}

/** Laplacian loss: MSE between the Laplacians of fake and real (evaluated once on fake - real). */
export function laplacianLoss(fake: tf.Tensor4D, real: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.square(laplacian(tf.sub(fake, real)))) as tf.Scalar);
}

/**
 * Image pyramid: `[x, avgpool2(x), avgpool2(avgpool2(x)), ...]`, `levels` entries (levels >= 1).
 * Each level is a 2x2 average pooling with stride 2 ('valid': an odd last row/column is dropped).
 * Level 0 is `x` itself (not a copy) — dispose only the levels you own (index >= 1), or call it
 * inside tf.tidy.
 */
export function pyramid(x: tf.Tensor4D, levels: number): tf.Tensor4D[] {
  if (!Number.isInteger(levels) || levels < 1) {
    throw new Error(`pyramid: levels must be an integer >= 1 (ms_levels in the run config), got ${levels}`);
  }
  const out: tf.Tensor4D[] = [x];
  for (let i = 1; i < levels; i++) {
    const prev = out[i - 1];
    if (prev.shape[1] < 2 || prev.shape[2] < 2) {
      throw new Error(
        `pyramid: ${levels} levels need an image of at least ${2 ** (levels - 1)} px per side, got ` +
          `${x.shape[1]}x${x.shape[2]} (lower ms_levels in the run config)`,
      );
    }
    out.push(tf.avgPool(prev, 2, 2, 'valid'));
  }
  return out;
}

/** Mean of `fn(fake_l, real_l)` over pyramid levels l = 0..levels-1 (levels 1 = full resolution). */
export function multiScale(
  fn: (fake: tf.Tensor4D, real: tf.Tensor4D) => tf.Scalar,
  fake: tf.Tensor4D,
  real: tf.Tensor4D,
  levels: number,
): tf.Scalar {
  return tf.tidy(() => {
    if (levels === 1) return fn(fake, real);
    const pf = pyramid(fake, levels);
    const pr = pyramid(real, levels);
    const per = pf.map((f, i) => fn(f, pr[i]));
    return tf.div(sumTensors(per), per.length) as tf.Scalar;
  });
}

/** Identity in the forward pass, zero gradient (TF.js has no public stop_gradient). */
const stopGradient = tf.customGrad((x: tf.Tensor | tf.GradSaveFunc) => {
  const t = x as tf.Tensor; // customGrad passes the tensor first, the save function last
  return { value: tf.clone(t), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
});

/**
 * pix2pixHD-style feature matching: L1 between the discriminator's intermediate features for the
 * fake and the real pair (real features detached: no gradient flows into them), mean over the
 * layers of each scale, then mean over scales. Features are `[scale][layer]`.
 */
export function featureMatchingLoss(fakeFeats: tf.Tensor4D[][], realFeats: tf.Tensor4D[][]): tf.Scalar {
  if (fakeFeats.length === 0 || fakeFeats.length !== realFeats.length) {
    throw new Error(
      `featureMatchingLoss: fake has ${fakeFeats.length} discriminator scales, real has ${realFeats.length}`,
    );
  }
  return tf.tidy(() => {
    const perScale = fakeFeats.map((layers, s) => {
      const realLayers = realFeats[s];
      if (layers.length === 0 || layers.length !== realLayers.length) {
        throw new Error(
          `featureMatchingLoss: scale ${s}: fake has ${layers.length} feature layers, real has ${realLayers.length}`,
        );
      }
      const per = layers.map((f, j) => l1Loss(f, stopGradient(realLayers[j])));
      return tf.div(sumTensors(per), per.length);
    });
    return tf.div(sumTensors(perScale), perScale.length) as tf.Scalar;
  });
}

// ---------------------------------------------------------------------------------------------
// SSIM
// ---------------------------------------------------------------------------------------------

export interface SsimOptions {
  /** Dynamic range L of the pixel values: 2 on the [-1,1] scale (default), 1 on [0,1]. */
  dataRange?: number;
  /** Gaussian window size (default 11; clipped to min(H, W) for smaller images). */
  windowSize?: number;
  /** Gaussian sigma in pixels (default 1.5). */
  sigma?: number;
  k1?: number;
  k2?: number;
}

function gaussian1d(size: number, sigma: number): number[] {
  const c = (size - 1) / 2;
  const g = Array.from({ length: size }, (_, i) => Math.exp(-((i - c) ** 2) / (2 * sigma * sigma)));
  const s = g.reduce((a, b) => a + b, 0);
  return g.map((v) => v / s);
}

/**
 * Per-case mean SSIM, shape [N]. Definition of Wang et al. 2004 as in `tf.image.ssim` /
 * pytorch-msssim: separable Gaussian window (11 taps, sigma 1.5) applied with VALID padding,
 * C1 = (k1 L)^2, C2 = (k2 L)^2, computed per channel and averaged over positions and channels.
 * If H or W < 11 the window shrinks to min(H, W) taps (same sigma, renormalised). Differentiable.
 */
export function ssimPerCase(a: tf.Tensor4D, b: tf.Tensor4D, opts: SsimOptions = {}): tf.Tensor1D {
  const L = opts.dataRange ?? 2;
  const sigma = opts.sigma ?? 1.5;
  const k1 = opts.k1 ?? 0.01;
  const k2 = opts.k2 ?? 0.03;
  const [n, h, w] = a.shape;
  const win = Math.max(1, Math.min(opts.windowSize ?? 11, h, w));
  return tf.tidy(() => {
    const g = gaussian1d(win, sigma);
    const fy = tf.tensor4d(g, [win, 1, 1, 1]);
    const fx = tf.tensor4d(g, [1, win, 1, 1]);
    const x = foldChannels(a);
    const y = foldChannels(b);
    const m = x.shape[0];
    const stacked = tf.concat([x, y, tf.mul(x, x), tf.mul(y, y), tf.mul(x, y)], 0) as tf.Tensor4D;
    const blurred = tf.conv2d(tf.conv2d(stacked, fy, 1, 'valid'), fx, 1, 'valid');
    const [muX, muY, exx, eyy, exy] = tf.split(blurred, [m, m, m, m, m], 0);
    const c1 = (k1 * L) ** 2;
    const c2 = (k2 * L) ** 2;
    const muXY = tf.mul(muX, muY);
    const muX2 = tf.square(muX);
    const muY2 = tf.square(muY);
    const sigX2 = tf.sub(exx, muX2);
    const sigY2 = tf.sub(eyy, muY2);
    const sigXY = tf.sub(exy, muXY);
    const num = tf.mul(tf.add(tf.mul(muXY, 2), c1), tf.add(tf.mul(sigXY, 2), c2));
    const den = tf.mul(tf.add(tf.add(muX2, muY2), c1), tf.add(tf.add(sigX2, sigY2), c2));
    const map = tf.div(num, den); // [N*C, H', W', 1], case-major
    return tf.mean(tf.reshape(map, [n, -1]), 1) as tf.Tensor1D;
  });
}

/** Mean SSIM over the batch as a differentiable scalar (see {@link ssimPerCase}; default L = 2). */
export function ssim(a: tf.Tensor4D, b: tf.Tensor4D, opts: SsimOptions = {}): tf.Scalar {
  return tf.tidy(() => tf.mean(ssimPerCase(a, b, opts)) as tf.Scalar);
}

/** SSIM loss = 1 - mean SSIM (0 for identical images). */
export function ssimLoss(a: tf.Tensor4D, b: tf.Tensor4D, opts: SsimOptions = {}): tf.Scalar {
  return tf.tidy(() => tf.sub(1, ssim(a, b, opts)) as tf.Scalar);
}

// ---------------------------------------------------------------------------------------------
// Generator / discriminator objectives
// ---------------------------------------------------------------------------------------------

/** One weighted generator term (weight must be non-zero; G_GAN/G_fm need D outputs). */
function weightedTerm(
  cfg: RunConfig,
  term: GTerm,
  fake: tf.Tensor4D,
  real: tf.Tensor4D,
  dFake: DiscriminatorOutput | undefined,
  dReal: DiscriminatorOutput | undefined,
): tf.Scalar {
  return tf.tidy(() => {
    const w = termWeight(cfg, term);
    let raw: tf.Scalar;
    switch (term) {
      case 'G_GAN':
        if (!dFake) throw new Error('generator loss G_GAN needs the discriminator output for the fake pair');
        raw = ganLossMulti(dFake.logits, true, cfg.gan_mode);
        break;
      case 'G_L1':
        raw = multiScale(l1Loss, fake, real, cfg.ms_levels);
        break;
      case 'G_grad':
        raw = multiScale((f, r) => gradientLoss(f, r, cfg.grad_loss), fake, real, cfg.ms_levels);
        break;
      case 'G_lap':
        raw = laplacianLoss(fake, real);
        break;
      case 'G_fm':
        if (!dFake || !dReal) {
          throw new Error(
            'generator loss G_fm (lambda_fm > 0) needs the discriminator features of both the fake and ' +
              'the real pair; pass dReal, or set lambda_fm to 0 in the run config',
          );
        }
        raw = featureMatchingLoss(dFake.features, dReal.features);
        break;
      case 'G_ssim':
        raw = ssimLoss(fake, real);
        break;
    }
    return w === 1 ? raw : (tf.mul(raw, w) as tf.Scalar);
  });
}

/**
 * Full generator objective. Every entry of `terms` is already multiplied by its weight
 * (G_L1 = lambda_L1 * L1, like the server's log); terms with weight 0 are a zero scalar and are not
 * computed. `ms_levels` applies to G_L1 and G_grad. `total` = sum of terms. Caller disposes all
 * returned tensors (`total` and each entry of `terms` are distinct tensors).
 */
export function generatorLoss(
  cfg: RunConfig,
  t: { fake: tf.Tensor4D; real: tf.Tensor4D; dFake: DiscriminatorOutput; dReal?: DiscriminatorOutput },
): { total: tf.Scalar; terms: Record<GTerm, tf.Scalar> } {
  return tf.tidy(() => {
    const terms = {} as Record<GTerm, tf.Scalar>;
    for (const term of G_TERMS) {
      terms[term] =
        termWeight(cfg, term) === 0
          ? tf.scalar(0)
          : weightedTerm(cfg, term, t.fake, t.real, t.dFake, t.dReal);
    }
    const total = sumTensors(G_TERMS.map((k) => terms[k])) as tf.Scalar;
    return { total, terms };
  });
}

/**
 * Discriminator objective like the server: D_real = GAN(D(real), real), D_fake = GAN(D(fake), fake),
 * total = 0.5 * (D_real + D_fake). Multi-scale: each is the mean over scales. Caller disposes.
 */
export function discriminatorLoss(
  cfg: RunConfig,
  dReal: DiscriminatorOutput,
  dFake: DiscriminatorOutput,
): { total: tf.Scalar; D_real: tf.Scalar; D_fake: tf.Scalar } {
  return tf.tidy(() => {
    const D_real = ganLossMulti(dReal.logits, true, cfg.gan_mode);
    const D_fake = ganLossMulti(dFake.logits, false, cfg.gan_mode);
    const total = tf.mul(tf.add(D_real, D_fake), 0.5) as tf.Scalar;
    return { total, D_real, D_fake };
  });
}

export interface TermBalance {
  term: GTerm;
  /** Weighted value λᵢLᵢ (what the loss chart shows). */
  value: number;
  /** value / Σ values of the listed terms (0 when the sum is 0). */
  share: number;
  /** L2 norm of ∂(λᵢLᵢ)/∂fake over the whole batch: how hard this term pulls on the generator output. */
  gradNorm: number;
}

/**
 * Loss balance: for each term with a non-zero weight, its weighted value, its share of the total,
 * and the L2 norm of its gradient with respect to the generator output `fake`. A term whose
 * gradient norm is orders of magnitude below G_L1's cannot steer training, whatever its value.
 *
 * G_GAN is listed only when `dFakeFn` is given; G_fm only when both `dFakeFn` and `dReal` are given
 * (other terms need only fake/real). `dFakeFn(fake)` must run the discriminator on (photo, fake)
 * without side effects (no BatchNorm running-stat update). All tensors are disposed before return.
 */
export async function lossBalance(
  cfg: RunConfig,
  fake: tf.Tensor4D,
  real: tf.Tensor4D,
  dFakeFn?: (fake: tf.Tensor4D) => DiscriminatorOutput,
  dReal?: DiscriminatorOutput,
): Promise<TermBalance[]> {
  const terms = G_TERMS.filter((term) => {
    if (termWeight(cfg, term) === 0) return false;
    if (term === 'G_GAN') return dFakeFn !== undefined;
    if (term === 'G_fm') return dFakeFn !== undefined && dReal !== undefined;
    return true;
  });
  const rows: { term: GTerm; value: number; gradNorm: number }[] = [];
  for (const term of terms) {
    const [valueT, normT] = tf.tidy(() => {
      const f = (x: tf.Tensor) => {
        const x4 = x as tf.Tensor4D;
        const dF = dFakeFn && (term === 'G_GAN' || term === 'G_fm') ? dFakeFn(x4) : undefined;
        return weightedTerm(cfg, term, x4, real, dF, dReal);
      };
      const { value, grad } = tf.valueAndGrad(f)(fake);
      return [value, tf.norm(grad)];
    });
    const [value] = await valueT.data();
    const [gradNorm] = await normT.data();
    valueT.dispose();
    normT.dispose();
    rows.push({ term, value, gradNorm });
  }
  const sum = rows.reduce((s, r) => s + r.value, 0);
  return rows.map((r) => ({ ...r, share: sum === 0 ? 0 : r.value / sum }));
}
