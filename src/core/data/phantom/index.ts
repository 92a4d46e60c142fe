/**
 * The built-in demo dataset: a deterministic "phantom" of paired profile photos and lateral
 * cephalograms with the 19 ISBI landmarks, generated in pure TypeScript (no DOM) from a seed.
 *
 * - Geometry: a latent-factor head model around the ISBI 2015 landmark statistics (head.ts);
 *   the anatomy is drawn FROM the landmarks (anatomy.ts), so each landmark is exactly where its
 *   definition puts it on the drawn contours. Population: mean SNA ≈ 83°, SNB ≈ 81° (sd ≈ 4°).
 * - X-ray (xray.ts): additive radiographic density, film response, blur, noise, processing.
 * - Photo (photo.ts): the same soft-tissue silhouette with skin, hair, ear, eye, lighting; it is
 *   pixel-aligned with the X-ray (same field of view and pose).
 * - Artefacts for the data audit (artefacts.ts): ~15 % device border, ~15 % ruler, ~15 % label,
 *   ~3 % mirrored X-rays (landmarks mirrored with them; `flags` tells the truth).
 *
 * Field of view: the ISBI film (193.5 x 240 mm at 0.1 mm/px) fitted into the requested size with
 * one scale (`mmPerPx` = max(193.5 / width, 240 / height)) and centred; a size with another aspect
 * ratio shows more of the surroundings (never stretched). The default 256 x 320 px is portrait
 * like the ISBI films (0.756 mm/px). Any size from about 32 px works (64x80, 512x640, square).
 */
import { createImage, type Point, type RgbaImage } from '../../image';
import { Rng, deriveSeed } from '../../rng';
import { buildAnatomy } from './anatomy';
import { drawBorder, drawLabel, drawRuler, mirrorPlane, sampleFlags, type PhantomFlags } from './artefacts';
import { applyAffine, compose, type Affine } from './geometry';
import { FILM_MM, headPose, sampleHead, type HeadParams } from './head';
import { headMask } from './mask';
import { renderPhoto, samplePhotoStyle, type PhotoStyle } from './photo';
import { renderXray, sampleXrayStyle, type XrayStyle } from './xray';

export { PHANTOM_FLAG_RATES, type PhantomFlags } from './artefacts';
export type { HeadParams } from './head';
export type { PhotoStyle } from './photo';
export type { XrayStyle } from './xray';

export type PhantomSplit = 'train' | 'val';

/** Everything sampled for one case (serialisable). */
export interface PhantomParams {
  head: HeadParams;
  xray: XrayStyle;
  photo: PhotoStyle;
}

export interface PhantomCase {
  id: string;
  split: PhantomSplit;
  photo: RgbaImage;
  xray: RgbaImage;
  /** The 19 ISBI landmarks in X-ray pixels (mirrored with the X-ray when flags.mirrored). */
  landmarks: Point[];
  /** Pixel spacing of both images, mm per px. */
  mmPerPx: number;
  flags: PhantomFlags;
  params: PhantomParams;
}

export interface PhantomDataset {
  seed: number;
  width: number;
  height: number;
  mmPerPx: number;
  cases: PhantomCase[];
}

export const PHANTOM_DEFAULTS = { n: 100, valCount: 20, seed: 1, width: 256, height: 320 } as const;

export interface PhantomCaseOptions {
  width?: number;
  height?: number;
  /** The split recorded on the case (generatePhantomDataset decides it; default 'train'). */
  split?: PhantomSplit;
}

export interface PhantomDatasetOptions {
  n?: number;
  seed?: number;
  width?: number;
  height?: number;
  valCount?: number;
}

/** Pixel spacing of the phantom at a given size (the ISBI film fitted with one scale), mm/px. */
export function phantomMmPerPx(width: number, height: number): number {
  return Math.max(FILM_MM[0] / width, FILM_MM[1] / height);
}

function checkSize(width: number, height: number): void {
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < 16 ||
    height < 16 ||
    width * height > 4096 * 4096
  ) {
    throw new Error(
      `phantom size ${width}x${height} px is not usable: give whole numbers of at least 16 px per side (and at most 4096x4096)`,
    );
  }
}

/**
 * The deterministic split of n cases: valCount of them (chosen by a seeded permutation) are
 * 'val', the rest 'train'.
 */
export function phantomSplits(n: number, valCount: number, seed: number): PhantomSplit[] {
  const v = Math.max(0, Math.min(n, Math.floor(valCount)));
  const order = new Rng(deriveSeed(seed, 'phantom', 'split', n)).permutation(n);
  const out: PhantomSplit[] = new Array(n).fill('train');
  for (let k = 0; k < v; k++) out[order[k]] = 'val';
  return out;
}

function toRgbaGrey(data: Float32Array, w: number, h: number): RgbaImage {
  const img = createImage(w, h);
  for (let i = 0; i < w * h; i++) {
    const g = (Math.min(1, Math.max(0, data[i])) * 255 + 0.5) | 0;
    img.data[4 * i] = g;
    img.data[4 * i + 1] = g;
    img.data[4 * i + 2] = g;
  }
  return img;
}

/** Generate case `index` of the phantom population `seed` (independent of any other case). */
export function generatePhantomCase(seed: number, index: number, opts: PhantomCaseOptions = {}): PhantomCase {
  const width = opts.width ?? PHANTOM_DEFAULTS.width;
  const height = opts.height ?? PHANTOM_DEFAULTS.height;
  checkSize(width, height);
  const stream = (label: string): Rng => new Rng(deriveSeed(seed, 'phantom', index, label));

  const head = sampleHead(stream('head'));
  const mmPerPx = phantomMmPerPx(width, height);
  const offX = (width * mmPerPx - FILM_MM[0]) / 2;
  const offY = (height * mmPerPx - FILM_MM[1]) / 2;
  const film: Affine = [1 / mmPerPx, 0, 0, 1 / mmPerPx, offX / mmPerPx, offY / mmPerPx];
  const toPx = compose(film, headPose(head));
  const step = Math.min(2, Math.max(0.2, mmPerPx * 0.8));
  const anatomy = buildAnatomy(head, step, stream('detail'));

  const xrayRng = stream('xray');
  const xrayStyle = sampleXrayStyle(xrayRng, anatomy.teeth.length);
  const mask = headMask(anatomy, toPx, width, height);
  const xrayPlane = renderXray(anatomy, mask, xrayStyle, toPx, width, height, xrayRng);
  const photoRng = stream('photo');
  const photoStyle = samplePhotoStyle(photoRng);
  const photoRgb = renderPhoto(anatomy, mask, photoStyle, toPx, width, height, photoRng);

  const flagRng = stream('flags');
  const flags = sampleFlags(flagRng);
  const pxPerMm = 1 / mmPerPx;
  if (flags.border) drawBorder(xrayPlane, flagRng);
  if (flags.ruler) drawRuler(xrayPlane, flagRng, pxPerMm);
  if (flags.label) drawLabel(xrayPlane, flagRng, pxPerMm, flags.border);
  let landmarks: Point[] = head.lm.map((p) => {
    const q = applyAffine(toPx, p);
    return [q[0], q[1]];
  });
  if (flags.mirrored) {
    mirrorPlane(xrayPlane);
    landmarks = landmarks.map(([x, y]) => [width - x, y]);
  }

  const photo = createImage(width, height);
  for (let i = 0; i < width * height; i++) {
    photo.data[4 * i] = (photoRgb.r[i] * 255 + 0.5) | 0;
    photo.data[4 * i + 1] = (photoRgb.g[i] * 255 + 0.5) | 0;
    photo.data[4 * i + 2] = (photoRgb.b[i] * 255 + 0.5) | 0;
  }
  return {
    id: `phantom-${seed}-${String(index).padStart(3, '0')}`,
    split: opts.split ?? 'train',
    photo,
    xray: toRgbaGrey(xrayPlane.data, width, height),
    landmarks,
    mmPerPx,
    flags,
    params: { head: head.params, xray: xrayStyle, photo: photoStyle },
  };
}

/**
 * Generate the demo dataset: n cases (default 100) of population `seed` (default 1), valCount of
 * them in 'val' by a seeded permutation (default 20, or 20 % of n when n < 100), the rest
 * 'train', at width x height px (default 256x320). Case i is generatePhantomCase(seed, i).
 */
export function generatePhantomDataset(opts: PhantomDatasetOptions = {}): PhantomDataset {
  const n = opts.n ?? PHANTOM_DEFAULTS.n;
  const seed = opts.seed ?? PHANTOM_DEFAULTS.seed;
  const width = opts.width ?? PHANTOM_DEFAULTS.width;
  const height = opts.height ?? PHANTOM_DEFAULTS.height;
  const valCount = opts.valCount ?? Math.min(PHANTOM_DEFAULTS.valCount, Math.round(n * 0.2));
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`phantom case count ${n} is not usable: give a whole number ≥ 0`);
  if (!Number.isFinite(valCount) || valCount < 0 || valCount > n) {
    throw new Error(
      `phantom valCount ${valCount} is not usable: give a number between 0 and the case count ${n}`,
    );
  }
  checkSize(width, height);
  const splits = phantomSplits(n, valCount, seed);
  const cases = splits.map((split, i) => generatePhantomCase(seed, i, { width, height, split }));
  return { seed, width, height, mmPerPx: phantomMmPerPx(width, height), cases };
}
