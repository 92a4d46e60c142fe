/**
 * The one inference path of a generator: image → tensor → G.apply → image, one image at a time,
 * every tensor disposed. The forward mode is core's `inferenceMode`: eval mode, or (like the server's
 * test.py without --eval) dropout on with batch statistics frozen, the dropout seed derived from
 * (cfg.seed, seedTag, index) so a preview, a prediction or an evaluation is reproducible.
 */
import type { RunConfig } from '../config';
import type { RgbaImage } from '../image';
import type { Generator } from '../model/types';
import { deriveSeed } from '../rng';
import { imageToTensor, tensorToImages } from './data';
import { inferenceMode } from './trainer';

export interface PredictImagesOptions {
  /** Inference mode (server `--eval`). */
  evalMode: boolean;
  /** Names the dropout seeds ('preview', 'predict', 'evaluate' …): image i uses deriveSeed(seed, tag, i). */
  seedTag: string;
}

export async function predictImages(
  G: Generator,
  cfg: Pick<RunConfig, 'input_nc' | 'no_dropout' | 'seed'>,
  photos: readonly RgbaImage[],
  opts: PredictImagesOptions,
): Promise<RgbaImage[]> {
  const out: RgbaImage[] = [];
  for (let i = 0; i < photos.length; i++) {
    const photo = imageToTensor(photos[i], cfg.input_nc);
    try {
      const pred = G.apply(photo, inferenceMode(cfg, opts.evalMode, deriveSeed(cfg.seed, opts.seedTag, i)));
      try {
        out.push(...(await tensorToImages(pred)));
      } finally {
        pred.dispose();
      }
    } finally {
      photo.dispose();
    }
  }
  return out;
}
