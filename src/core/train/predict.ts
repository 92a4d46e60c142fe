/**
 * The one inference path of a generator: image → tensor → G.apply → image, one image at a time
 * (batch of one, like the server's test.py), every tensor disposed. The forward mode is core's
 * `inferenceMode`: eval mode, or (like the server's test.py without --eval) dropout on with batch
 * statistics frozen, the dropout seed derived from (cfg.seed, seedTag, index) so a preview, a
 * prediction or an evaluation is reproducible. Used by the engine's preview, predict and
 * evaluation (engineCore.ts evaluateGenerator), the validation round (core/eval/round.ts: metrics,
 * diagnostics, the gap's training subset, the loss balance) and `cli infer`.
 */
import type * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../config';
import type { RgbaImage } from '../image';
import type { Generator } from '../model/types';
import { deriveSeed } from '../rng';
import { imageToTensor, tensorToImages } from './data';
import { inferenceMode } from './trainer';

/** One prediction, while its tensors live: [1, H, W, C] in [-1, 1]. */
export interface Prediction {
  /** Index of the photo in the list given. */
  index: number;
  photo: tf.Tensor4D;
  pred: tf.Tensor4D;
}

export interface PredictImagesOptions {
  /** Inference mode (server `--eval`). */
  evalMode: boolean;
  /** Names the dropout seeds ('preview', 'predict', 'evaluate' …): image i uses deriveSeed(seed, tag, i). */
  seedTag: string;
  /**
   * The index in image i's dropout seed (default i: a subset of cases keeps the seeds of its place
   * in the full list); null: deriveSeed(seed, tag) without an index (`cli infer`'s one photo, as
   * Trainer.predict).
   */
  seedIndex?: (i: number) => number | null;
  /**
   * Called with each prediction before its tensors are disposed (metrics, diagnostics, raw values);
   * a tensor to keep longer is cloned (`tf.clone`). Awaited before the next image.
   */
  onPrediction?: (p: Prediction) => Promise<void> | void;
  /** Return the predicted images (default true); false: only `onPrediction` sees the predictions. */
  images?: boolean;
}

export async function predictImages(
  G: Generator,
  cfg: Pick<RunConfig, 'input_nc' | 'no_dropout' | 'seed'>,
  photos: readonly RgbaImage[],
  opts: PredictImagesOptions,
): Promise<RgbaImage[]> {
  const out: RgbaImage[] = [];
  for (let i = 0; i < photos.length; i++) {
    const k = opts.seedIndex ? opts.seedIndex(i) : i;
    const seed = k === null ? deriveSeed(cfg.seed, opts.seedTag) : deriveSeed(cfg.seed, opts.seedTag, k);
    const photo = imageToTensor(photos[i], cfg.input_nc);
    try {
      const pred = G.apply(photo, inferenceMode(cfg, opts.evalMode, seed));
      try {
        if (opts.onPrediction) await opts.onPrediction({ index: i, photo, pred });
        if (opts.images !== false) out.push(...(await tensorToImages(pred)));
      } finally {
        pred.dispose();
      }
    } finally {
      photo.dispose();
    }
  }
  return out;
}
