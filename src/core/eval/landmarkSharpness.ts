/**
 * Landmark-region sharpness (issue 12, item 6) on tensors: "bone edges are blurred" as a number
 * per landmark. For each ground-truth landmark, the prediction's mean Sobel gradient magnitude ÷
 * the X-ray's inside a square window of `windowMm` mm around it (definition, window geometry and
 * the TF.js-free summaries: landmarkSharpnessSummary.ts). Gradients exactly as diagnostics.ts
 * (`greyAndGradient_255`: grey in 0-255 units, Sobel / 8, replicate padding).
 *
 * Tensors: every function disposes what it creates; the caller keeps its inputs.
 */
import * as tf from '@tensorflow/tfjs';
import type { Point } from '../image';
import { greyAndGradient_255 } from './diagnostics';
import {
  DEFAULT_LM_WINDOW_MM,
  landmarkWindow,
  summarizeLandmarkSharpness,
  windowMeans,
  windowRatios,
  windowSidePx,
  type CaseLandmarkSharpness,
  type LandmarkSharpnessSummary,
  type PixelSpacing,
} from './landmarkSharpnessSummary';

export * from './landmarkSharpnessSummary';

/**
 * Window means and ratios of one case from gradient maps already computed (row-major H × W,
 * 0-255 units): what `evaluateModel` uses, since it has the maps of every case at hand.
 */
export function caseLandmarkSharpnessFromMaps(
  id: string,
  predGrad: ArrayLike<number>,
  targetGrad: ArrayLike<number>,
  width: number,
  height: number,
  points: readonly (Point | null)[],
  spacing: PixelSpacing,
  windowMm = DEFAULT_LM_WINDOW_MM,
): CaseLandmarkSharpness {
  const boxes = points.map((p) => landmarkWindow(p, spacing, windowMm, width, height));
  const pred_255 = windowMeans(predGrad, width, height, boxes);
  const target_255 = windowMeans(targetGrad, width, height, boxes);
  return {
    id,
    pred_255,
    target_255,
    ratio: windowRatios(pred_255, target_255),
    windowPx: [windowSidePx(windowMm, spacing.x), windowSidePx(windowMm, spacing.y)],
  };
}

/** Gradient magnitude of a [1,H,W,C] image in [-1,1] as a row-major array (0-255 units). */
async function gradientMap(image: tf.Tensor4D): Promise<Float32Array> {
  const { grey, grad } = greyAndGradient_255(image);
  try {
    return Float32Array.from(await grad.data());
  } finally {
    tf.dispose([grey, grad]);
  }
}

/** One case from tensors: `pred` and `target` are [1,H,W,C] in [-1,1]; points in their pixel frame. */
export async function caseLandmarkSharpness(
  id: string,
  pred: tf.Tensor4D,
  target: tf.Tensor4D,
  points: readonly (Point | null)[],
  spacing: PixelSpacing,
  windowMm = DEFAULT_LM_WINDOW_MM,
): Promise<CaseLandmarkSharpness> {
  const [n, h, w] = pred.shape;
  if (n !== 1 || pred.shape.join('x') !== target.shape.join('x')) {
    throw new Error(
      `landmark sharpness, case ${id}: need one prediction and one X-ray of the same shape (got ${pred.shape.join('x')} and ${target.shape.join('x')})`,
    );
  }
  const p = await gradientMap(pred);
  const t = await gradientMap(target);
  return caseLandmarkSharpnessFromMaps(id, p, t, w, h, points, spacing, windowMm);
}

export interface LandmarkSharpnessCase {
  id: string;
  pred: tf.Tensor4D;
  target: tf.Tensor4D;
  points: readonly (Point | null)[];
  spacing: PixelSpacing;
}

/** Every case, then per landmark across cases and the overall mean. */
export async function landmarkSharpness(
  cases: readonly LandmarkSharpnessCase[],
  symbols: readonly string[],
  names: readonly string[] = [],
  windowMm = DEFAULT_LM_WINDOW_MM,
): Promise<LandmarkSharpnessSummary> {
  const out: CaseLandmarkSharpness[] = [];
  for (const c of cases) {
    out.push(await caseLandmarkSharpness(c.id, c.pred, c.target, c.points, c.spacing, windowMm));
  }
  return summarizeLandmarkSharpness(out, symbols, names, windowMm);
}
