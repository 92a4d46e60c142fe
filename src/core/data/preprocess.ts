/**
 * Preprocessing of a case's images to the square training size, with an exact, invertible
 * coordinate transform so that every derived coordinate maps back to original pixels (and mm).
 *
 * Modes (RunConfig.preprocess):
 * - `letterbox` (default): keep the aspect ratio, scale the longer side to `size`, centre the
 *   image (offset rounded to whole pixels) and pad the rest with a constant colour or by
 *   replicating the edge pixels. No geometric distortion.
 * - `stretch`: the clinic's old squash of the whole image to size × size (1520×1236 -> 512×512
 *   distorts by 23 %); kept for comparison with the server's results.
 * - `roi`: a crop box drawn once on a sample image (original pixels) is applied to every image
 *   (scaled proportionally when an image's size differs from the sample's), then letterboxed.
 *   The box may extend past the image; the outside is padded like the letterbox margin.
 *
 * Pixel-centre convention (the one convention of the whole studio, see image.ts `Point`):
 * pixel i covers the continuous interval [i, i + 1) and its centre is at i + 0.5. A point at the
 * continuous coordinate u maps to
 *
 *     u' = (u - crop0) * scale + pad            (toPreprocessed)
 *     u  = (u' - pad) / scale + crop0           (toOriginal)
 *
 * per axis, where crop0 is the crop box's left/top edge (0 without a crop), scale the output
 * pixels per original pixel and pad the output coordinate where the crop's edge lands (the
 * letterbox margin). The image resampling (resize.ts) uses exactly this map, so a structure at u
 * in the original appears at u' in the preprocessed image. Landmark files store pixel
 * coordinates; their numbers are used as continuous coordinates unchanged (the ±0.5 px
 * ambiguity of annotation tools is far below the 1-2 mm inter-observer spread).
 */
import type { Preprocess } from '../config';
import type { Point, RgbaImage } from '../image';
import type { Box, PadMode, ResampleGeometry } from './resize';
import { cropRgba, resampleRgba } from './resize';

export type { Box, PadMode } from './resize';

/** A crop box in original pixels of the sample image it was drawn on. */
export interface RoiBox extends Box {
  /** Size of the image the box was drawn on; other sizes get the box scaled proportionally. */
  refWidth: number;
  refHeight: number;
}

/** Preprocessing as stored with a dataset and recorded with every run. */
export interface PreprocessSpec {
  mode: Preprocess;
  /** Output side in px (square): 256, 512, 768 or 1024 in the UI; any positive integer works. */
  size: number;
  pad: PadMode;
  /** Constant padding colour, RGB 0-255 (ignored with pad = 'edge'). */
  padColor: [number, number, number];
  /** Required for mode 'roi'. */
  roi: RoiBox | null;
}

export const PREPROCESS_SIZES = [256, 512, 768, 1024] as const;

export const DEFAULT_PREPROCESS: PreprocessSpec = {
  mode: 'letterbox',
  size: 512,
  pad: 'constant',
  padColor: [0, 0, 0],
  roi: null,
};

/**
 * The exact affine map between original pixels and preprocessed pixels (plain data: it can be
 * stored and posted to a worker). Use toPreprocessed / toOriginal below.
 */
export interface Transform {
  mode: Preprocess;
  /** Original image size. */
  srcWidth: number;
  srcHeight: number;
  /** The original-pixel region mapped onto the content area (the whole image unless 'roi'). */
  crop: Box;
  /** Output pixels per original pixel. */
  scaleX: number;
  scaleY: number;
  /** Output coordinate of the crop's left / top edge (the padding). */
  offsetX: number;
  offsetY: number;
  outWidth: number;
  outHeight: number;
}

/** Problems with a spec, as sentences (empty when valid). */
export function validatePreprocessSpec(spec: PreprocessSpec): string[] {
  const p: string[] = [];
  if (!Number.isInteger(spec.size) || spec.size < 8 || spec.size > 8192) {
    p.push(`Output size must be a whole number of pixels between 8 and 8192 (got ${spec.size}).`);
  }
  if (spec.mode !== 'letterbox' && spec.mode !== 'stretch' && spec.mode !== 'roi') {
    p.push(`Unknown preprocessing "${String(spec.mode)}": use letterbox, stretch or roi.`);
  }
  if (spec.pad !== 'constant' && spec.pad !== 'edge')
    p.push(`Unknown padding "${String(spec.pad)}": use constant or edge.`);
  if (spec.padColor.length !== 3 || spec.padColor.some((c) => !(c >= 0 && c <= 255))) {
    p.push('Padding colour must be three numbers 0-255 (R, G, B).');
  }
  if (spec.mode === 'roi') {
    const r = spec.roi;
    if (!r) p.push('ROI preprocessing needs a crop box: draw one on a sample image.');
    else if (
      !(r.w > 0 && r.h > 0 && r.refWidth > 0 && r.refHeight > 0) ||
      ![r.x, r.y].every(Number.isFinite)
    ) {
      p.push(`The crop box ${r.w} × ${r.h} px at (${r.x}, ${r.y}) is empty or invalid: draw it again.`);
    }
  }
  return p;
}

/** The ROI box in the pixels of an image of the given size (proportional to the sample's). */
export function roiForImage(roi: RoiBox, width: number, height: number): Box {
  const sx = width / roi.refWidth;
  const sy = height / roi.refHeight;
  return { x: roi.x * sx, y: roi.y * sy, w: roi.w * sx, h: roi.h * sy };
}

/** The transform of a width × height image under `spec` (throws on an invalid spec). */
export function computeTransform(width: number, height: number, spec: PreprocessSpec): Transform {
  const problems = validatePreprocessSpec(spec);
  if (problems.length) throw new Error(`Invalid preprocessing: ${problems.join(' ')}`);
  if (!(width > 0 && height > 0))
    throw new Error(`Cannot preprocess an empty image (${width} × ${height} px).`);
  const size = spec.size;
  const base = { mode: spec.mode, srcWidth: width, srcHeight: height, outWidth: size, outHeight: size };
  if (spec.mode === 'stretch') {
    return {
      ...base,
      crop: { x: 0, y: 0, w: width, h: height },
      scaleX: size / width,
      scaleY: size / height,
      offsetX: 0,
      offsetY: 0,
    };
  }
  const crop =
    spec.mode === 'roi' && spec.roi
      ? roiForImage(spec.roi, width, height)
      : { x: 0, y: 0, w: width, h: height };
  const s = size / Math.max(crop.w, crop.h);
  return {
    ...base,
    crop,
    scaleX: s,
    scaleY: s,
    offsetX: Math.round((size - crop.w * s) / 2),
    offsetY: Math.round((size - crop.h * s) / 2),
  };
}

/** Original pixels -> preprocessed pixels. */
export function toPreprocessed(t: Transform, p: Point): Point {
  return [(p[0] - t.crop.x) * t.scaleX + t.offsetX, (p[1] - t.crop.y) * t.scaleY + t.offsetY];
}

/** Preprocessed pixels -> original pixels (exact inverse of toPreprocessed). */
export function toOriginal(t: Transform, p: Point): Point {
  return [(p[0] - t.offsetX) / t.scaleX + t.crop.x, (p[1] - t.offsetY) / t.scaleY + t.crop.y];
}

export function pointsToPreprocessed(t: Transform, points: readonly Point[]): Point[] {
  return points.map((p) => toPreprocessed(t, p));
}

export function pointsToOriginal(t: Transform, points: readonly Point[]): Point[] {
  return points.map((p) => toOriginal(t, p));
}

/** The two maps as closures bound to one transform. */
export function transformFns(t: Transform): {
  toPreprocessed: (p: Point) => Point;
  toOriginal: (p: Point) => Point;
} {
  return { toPreprocessed: (p) => toPreprocessed(t, p), toOriginal: (p) => toOriginal(t, p) };
}

/** The content area (the image, not the padding) in preprocessed pixels, clipped to the output. */
export function contentBox(t: Transform): Box {
  const x0 = Math.max(0, (Math.max(0, t.crop.x) - t.crop.x) * t.scaleX + t.offsetX);
  const y0 = Math.max(0, (Math.max(0, t.crop.y) - t.crop.y) * t.scaleY + t.offsetY);
  const x1 = Math.min(
    t.outWidth,
    (Math.min(t.srcWidth, t.crop.x + t.crop.w) - t.crop.x) * t.scaleX + t.offsetX,
  );
  const y1 = Math.min(
    t.outHeight,
    (Math.min(t.srcHeight, t.crop.y + t.crop.h) - t.crop.y) * t.scaleY + t.offsetY,
  );
  return { x: x0, y: y0, w: Math.max(0, x1 - x0), h: Math.max(0, y1 - y0) };
}

/** Original pixel coordinates -> mm (origin at the image's top-left corner). */
export function toMm(pointOriginal: Point, mmPerPx: number): Point {
  return [pointOriginal[0] * mmPerPx, pointOriginal[1] * mmPerPx];
}

/** Distance in mm between two points in original pixels. */
export function distanceMm(a: Point, b: Point, mmPerPx: number): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]) * mmPerPx;
}

/** Distance in mm between two points given in preprocessed pixels of the same transform. */
export function preprocessedDistanceMm(t: Transform, a: Point, b: Point, mmPerPx: number): number {
  return distanceMm(toOriginal(t, a), toOriginal(t, b), mmPerPx);
}

/** Preprocess one image: resample under its transform. Alpha of the padding is 255. */
export function preprocessImage(
  img: RgbaImage,
  spec: PreprocessSpec,
): { image: RgbaImage; transform: Transform } {
  const transform = computeTransform(img.width, img.height, spec);
  const g: ResampleGeometry = transform;
  const [r, gr, b] = spec.padColor;
  const image = resampleRgba(img, g, spec.pad, [r, gr, b, 255]);
  return { image, transform };
}

/**
 * Preprocess a case: photo and X-ray each get their own transform (their sizes may differ);
 * landmarks (original X-ray pixels) are mapped with the X-ray's transform.
 */
export function preprocessCase(
  photo: RgbaImage,
  xray: RgbaImage,
  landmarks: readonly Point[] | null,
  spec: PreprocessSpec,
): {
  photo: RgbaImage;
  xray: RgbaImage;
  photoTransform: Transform;
  xrayTransform: Transform;
  landmarks: Point[] | null;
} {
  const p = preprocessImage(photo, spec);
  const x = preprocessImage(xray, spec);
  return {
    photo: p.image,
    xray: x.image,
    photoTransform: p.transform,
    xrayTransform: x.transform,
    landmarks: landmarks ? pointsToPreprocessed(x.transform, landmarks) : null,
  };
}

/**
 * Split an image of the server's aligned layout into its halves exactly as the server's
 * AlignedDataset does: w2 = floor(w / 2), photo = columns [0, w2), X-ray = columns [w2, w).
 * Throws a RangeError (the one error it raises) for an image that cannot be split.
 */
export function splitAlignedImage(img: RgbaImage): { photo: RgbaImage; xray: RgbaImage } {
  const { width, height } = img;
  if (!Number.isSafeInteger(width) || width < 2)
    throw new RangeError(`An aligned image must be at least 2 px wide (got ${width} px).`);
  if (!Number.isSafeInteger(height) || height < 1)
    throw new RangeError(`An aligned image must be at least 1 px high (got ${height} px).`);
  if (img.data.length !== width * height * 4)
    throw new RangeError(
      `An aligned image of ${width} × ${height} px needs ${width * height * 4} RGBA bytes, got ${img.data.length}.`,
    );
  const w2 = Math.floor(width / 2);
  return {
    photo: cropRgba(img, 0, 0, w2, img.height),
    xray: cropRgba(img, w2, 0, img.width - w2, img.height),
  };
}
