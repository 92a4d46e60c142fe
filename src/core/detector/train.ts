/**
 * Training and inference of the landmark detector (TF.js, no DOM, no file system).
 *
 * A sample is one X-ray letterboxed to the detector's square size (grey 0..1) with its landmarks
 * in preprocessed px and the exact transform back to original px. Each step draws a
 * landmark-consistent augmentation per sample, builds Gaussian targets (sigma in mm through the
 * sample's mm/px and letterbox scale) and takes one Adam step on the heatmap MSE (sum over
 * pixels, mean over landmarks and batch). Evaluation decodes every held-out heatmap with each
 * decoder and reports radial errors in mm in ORIGINAL pixels.
 */
import * as tf from '@tensorflow/tfjs';
import type { Point, RgbaImage } from '../image';
import {
  computeTransform,
  toOriginal,
  toPreprocessed,
  type PreprocessSpec,
  type Transform,
} from '../data/preprocess';
import { resampleInterleaved, toGrey } from '../data/resize';
import { Rng } from '../rng';
import { applyAugment, DEFAULT_AUGMENT, drawAugment, type AugmentRanges } from './augment';
import { radialErrorsMm, summarizeErrors, type ErrorSummary } from './errors';
import { decodeHeatmaps, DECODERS, gaussianTargets, sigmaPx, type Decoder } from './heatmap';
import { createDetectorNet, detectorForward, strideOf, type DetectorArch, type DetectorNet } from './model';

/** Letterbox with black padding: the detector's one preprocessing. */
export function detectorPreprocess(size: number): PreprocessSpec {
  return { mode: 'letterbox', size, pad: 'constant', padColor: [0, 0, 0], roi: null };
}

export interface DetectorSample {
  id: string;
  /** Grey 0..1, size × size, row-major. */
  image: Float32Array;
  /** Landmarks in preprocessed px (null = missing). */
  points: (Point | null)[];
  /** Landmarks in original px (for errors). */
  original: (Point | null)[];
  transform: Transform;
  mmPerPx: number;
}

/** Letterbox an X-ray to the detector's input (grey 0..1) and map its landmarks. */
export function makeSample(
  id: string,
  img: RgbaImage,
  original: (Point | null)[] | null,
  size: number,
  mmPerPx: number,
): DetectorSample {
  const transform = computeTransform(img.width, img.height, detectorPreprocess(size));
  const grey = toGrey(img);
  const out = new Float32Array(size * size);
  resampleInterleaved(grey, img.width, img.height, 1, transform, 'constant', [0], out);
  for (let i = 0; i < out.length; i++) out[i] = out[i] / 255;
  const orig = original ?? [];
  return {
    id,
    image: out,
    points: orig.map((p) => (p ? toPreprocessed(transform, p) : null)),
    original: orig,
    transform,
    mmPerPx,
  };
}

export interface DetectorTrainConfig {
  arch: DetectorArch;
  symbols: string[];
  sigmaMm: number;
  lr: number;
  batchSize: number;
  seed: number;
  augment: AugmentRanges;
}

export function defaultTrainConfig(arch: DetectorArch, symbols: string[]): DetectorTrainConfig {
  return { arch, symbols, sigmaMm: 2, lr: 1e-3, batchSize: 2, seed: 1, augment: DEFAULT_AUGMENT };
}

/** Network input from a grey 0..1 image: centred to [-1, 1]. */
function inputTensor(images: Float32Array[], size: number): tf.Tensor4D {
  const x = new Float32Array(images.length * size * size);
  images.forEach((im, b) => {
    const o = b * size * size;
    for (let i = 0; i < im.length; i++) x[o + i] = im[i] * 2 - 1;
  });
  return tf.tensor4d(x, [images.length, size, size, 1]);
}

export interface PredictResult {
  /** Landmarks per decoder in ORIGINAL px. */
  byDecoder: Record<Decoder, Point[]>;
  /** Peak heatmap value per landmark (confidence, ~1 at a sure detection). */
  peaks: number[];
}

export class DetectorTrainer {
  readonly net: DetectorNet;
  readonly cfg: DetectorTrainConfig;
  readonly optimizer: tf.AdamOptimizer;
  rng: Rng;
  step = 0;

  constructor(cfg: DetectorTrainConfig, net?: DetectorNet) {
    if (cfg.symbols.length !== cfg.arch.landmarks)
      throw new Error(`${cfg.symbols.length} symbols for ${cfg.arch.landmarks} heatmaps.`);
    this.cfg = cfg;
    this.net = net ?? createDetectorNet(cfg.arch, cfg.seed);
    this.optimizer = tf.train.adam(cfg.lr, 0.9, 0.999, 1e-7);
    this.rng = new Rng(cfg.seed ^ 0x5eed);
  }

  setLearningRate(lr: number): void {
    (this.optimizer as unknown as { learningRate: number }).learningRate = lr;
  }

  get learningRate(): number {
    return (this.optimizer as unknown as { learningRate: number }).learningRate;
  }

  /**
   * One Adam step on a batch of samples; resolves to the loss. The loss is read with `await
   * data()` (never a synchronous read: on WebGPU a sync read goes through a canvas copy per call).
   */
  async trainStep(batch: DetectorSample[], augment = true): Promise<number> {
    const S = this.cfg.arch.size;
    const st = strideOf(this.cfg.arch);
    const M = S / st;
    const L = this.cfg.arch.landmarks;
    const images: Float32Array[] = [];
    const targets = new Float32Array(batch.length * M * M * L);
    batch.forEach((s, b) => {
      const a = drawAugment(this.rng, augment ? this.cfg.augment : { ...DEFAULT_AUGMENT, ...NO_AUG }, S, S);
      const r = applyAugment(s.image, S, S, s.points, a);
      images.push(r.image);
      const sig = sigmaPx(this.cfg.sigmaMm, s.mmPerPx, s.transform.scaleX);
      const pts = r.points.map((p) => (p ? ([p[0] / st, p[1] / st] as Point) : null));
      targets.set(gaussianTargets(pts, M, M, sig / st), b * M * M * L);
    });
    const x = inputTensor(images, S);
    const y = tf.tensor4d(targets, [batch.length, M, M, L]);
    const vars = [...this.net.params.values()];
    const softmax = this.cfg.arch.head === 'softmax';
    const cost = this.optimizer.minimize(
      () => {
        const out = detectorForward(this.net, x);
        if (!softmax) return tf.div(tf.sum(tf.squaredDifference(out, y)), batch.length * L) as tf.Scalar;
        // spatial cross-entropy to the Gaussian normalised to a distribution (maps without a point weigh 0)
        const n = batch.length;
        const logits = tf.reshape(tf.transpose(out, [0, 3, 1, 2]), [n * L, M * M]);
        const t = tf.reshape(tf.transpose(y, [0, 3, 1, 2]), [n * L, M * M]);
        const tn = tf.div(t, tf.maximum(tf.sum(t, 1, true), 1e-12));
        return tf.div(tf.neg(tf.sum(tf.mul(tn, tf.logSoftmax(logits)))), n * L) as tf.Scalar;
      },
      true,
      vars,
    );
    x.dispose();
    y.dispose();
    const loss = cost ? (await cost.data())[0] : NaN;
    cost?.dispose();
    this.step++;
    return loss;
  }

  /** Heatmaps [S,S,L] (HWC) of one preprocessed grey image. */
  heatmaps(image: Float32Array): Promise<Float32Array> {
    return predictHeatmaps(this.net, image);
  }

  dispose(): void {
    this.optimizer.dispose();
    this.net.dispose();
  }
}

const NO_AUG: Partial<AugmentRanges> = {
  rotateDeg: 0,
  scale: 0,
  translate: 0,
  contrast: 0,
  brightness: 0,
  gamma: 1,
  noise: 0,
};

/** Heatmaps [S,S,L] (HWC) of one preprocessed grey image (0..1). */
export async function predictHeatmaps(net: DetectorNet, image: Float32Array): Promise<Float32Array> {
  const S = net.arch.size;
  const out = tf.tidy(() => {
    const h = detectorForward(net, inputTensor([image], S));
    // softmax head: exp(logit - max) per map, the distribution scaled to peak 1
    return net.arch.head === 'softmax' ? tf.exp(tf.sub(h, tf.max(h, [1, 2], true))) : h;
  });
  try {
    return (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
}

/** Landmarks of one sample (original px) under every decoder. */
export async function predictSample(
  net: DetectorNet,
  s: DetectorSample,
  sigmaMm: number,
): Promise<PredictResult> {
  const st = strideOf(net.arch);
  const M = net.arch.size / st;
  const L = net.arch.landmarks;
  const h = await predictHeatmaps(net, s.image);
  const sigma = sigmaPx(sigmaMm, s.mmPerPx, s.transform.scaleX) / st;
  const byDecoder = {} as Record<Decoder, Point[]>;
  let peaks: number[] = [];
  for (const d of DECODERS) {
    const dec = decodeHeatmaps(h, M, M, L, { decoder: d, sigma });
    byDecoder[d] = dec.map((p) => toOriginal(s.transform, [p.point[0] * st, p.point[1] * st]));
    peaks = dec.map((p) => p.peak);
  }
  return { byDecoder, peaks };
}

export interface EvalResult {
  byDecoder: Record<Decoder, ErrorSummary>;
  /** Decoder with the lowest MRE. */
  best: Decoder;
  /** Per case predictions of the best decoder (original px). */
  predictions: { id: string; points: Point[] }[];
}

/** Radial errors of the detector on samples, in mm, for every decoder. */
export async function evaluateDetector(
  net: DetectorNet,
  samples: DetectorSample[],
  symbols: string[],
  sigmaMm: number,
): Promise<EvalResult> {
  const per: Record<Decoder, (number | null)[][]> = { argmax: [], dark: [], local: [] };
  const preds: Record<Decoder, { id: string; points: Point[] }[]> = { argmax: [], dark: [], local: [] };
  for (const s of samples) {
    const r = await predictSample(net, s, sigmaMm);
    for (const d of DECODERS) {
      per[d].push(radialErrorsMm(r.byDecoder[d], s.original, s.mmPerPx));
      preds[d].push({ id: s.id, points: r.byDecoder[d] });
    }
  }
  const byDecoder = {} as Record<Decoder, ErrorSummary>;
  for (const d of DECODERS) byDecoder[d] = summarizeErrors(per[d], symbols);
  let best: Decoder = 'dark';
  for (const d of DECODERS)
    if ((byDecoder[d].mreMm ?? Infinity) < (byDecoder[best].mreMm ?? Infinity)) best = d;
  return { byDecoder, best, predictions: preds[best] };
}
