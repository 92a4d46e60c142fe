/**
 * The content region of a preprocessed image: the pixels that show the film (or photo), not the
 * letterbox / ROI padding. Validation metrics (L1, PSNR, SSIM, the 0-255 gradient/extremum
 * diagnostics, the sharpness ratios) are computed on this region only, so runs that differ in
 * preprocessing (stretch / letterbox / roi) are compared on the film's pixels: a letterboxed run
 * no longer gets credit for predicting its black margin, which any model does trivially.
 *
 * The region comes from the exact preprocess transform (preprocess.ts `contentBox`), rounded
 * INWARD to whole pixels: the resampler blends padding into a pixel that straddles the content
 * edge, so only pixels lying wholly inside the content box are kept. The images are cropped to
 * this rectangle before any metric is computed, so the Sobel filter (replicate padding) and the
 * SSIM window (valid convolution) never read a padding pixel either.
 *
 * Stretch and the demo phantom have no padding: their region is the whole image and the figures
 * equal the whole-image ones. A pair without a known region is evaluated on the whole image.
 * TF.js-free (the page and the CLI use it too).
 */
import type { Transform } from '../data/preprocess';
import { contentBox } from '../data/preprocess';
import type { ImagePair } from '../train/data';

/** A rectangle of whole pixels: columns [x, x + w), rows [y, y + h). */
export interface PixelRect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * An image pair with the content region of its TARGET image (pair.xray, the one predictions are
 * scored against) in pixels at the training size. Absent or null: the whole image.
 */
export type RegionPair = ImagePair & { content?: PixelRect | null };

/**
 * Where a round's metrics were computed. `content`: over each case's content region (padding
 * excluded; this module). `whole`: over the whole image, padding included — what validation
 * rounds stored before content-region metrics existed (and the server's test.py) compute.
 */
export type MetricsRegion = 'content' | 'whole';

/** Tolerance for float round-off in the transform (a box edge at 51.9999999 is 52). */
const EPS = 1e-6;

/** The whole image as a rectangle. */
export function wholeRect(width: number, height: number): PixelRect {
  return { x: 0, y: 0, w: width, h: height };
}

/**
 * The content region of a preprocessed image, in its pixels: the pixels wholly inside the
 * transform's content box. Falls back to the pixels whose centre lies inside the box when that
 * is empty (a content area thinner than one pixel), and to the whole image when even that is.
 */
export function contentRect(t: Transform): PixelRect {
  const b = contentBox(t);
  const inner = rectOf(
    Math.ceil(b.x - EPS),
    Math.ceil(b.y - EPS),
    Math.floor(b.x + b.w + EPS),
    Math.floor(b.y + b.h + EPS),
  );
  if (inner) return clampRect(inner, t.outWidth, t.outHeight);
  const centres = rectOf(Math.round(b.x), Math.round(b.y), Math.round(b.x + b.w), Math.round(b.y + b.h));
  return centres ? clampRect(centres, t.outWidth, t.outHeight) : wholeRect(t.outWidth, t.outHeight);
}

function rectOf(x0: number, y0: number, x1: number, y1: number): PixelRect | null {
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, w: x1 - x0, h: y1 - y0 } : null;
}

function clampRect(r: PixelRect, width: number, height: number): PixelRect {
  const x0 = Math.max(0, Math.min(width - 1, r.x));
  const y0 = Math.max(0, Math.min(height - 1, r.y));
  const x1 = Math.max(x0 + 1, Math.min(width, r.x + r.w));
  const y1 = Math.max(y0 + 1, Math.min(height, r.y + r.h));
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/**
 * The region a pair's metrics use at `width` × `height`: its recorded content region (checked to
 * be a non-empty whole-pixel rectangle inside the image) or the whole image.
 */
export function regionOf(pair: RegionPair, width: number, height: number): PixelRect {
  const r = pair.content;
  if (!r) return wholeRect(width, height);
  const ok =
    [r.x, r.y, r.w, r.h].every(Number.isInteger) &&
    r.x >= 0 &&
    r.y >= 0 &&
    r.w >= 1 &&
    r.h >= 1 &&
    r.x + r.w <= width &&
    r.y + r.h <= height;
  if (!ok) {
    throw new Error(
      `case ${pair.id ?? '?'}: its content region ${r.w} × ${r.h} px at (${r.x}, ${r.y}) is not a whole-pixel ` +
        `rectangle inside the ${width} × ${height} px image (the preprocessing changed: prepare the data again)`,
    );
  }
  return r;
}

/** Whether the rectangle covers the whole image. */
export function isWhole(r: PixelRect, width: number, height: number): boolean {
  return r.x === 0 && r.y === 0 && r.w === width && r.h === height;
}

/** Fraction of the image's pixels inside the rectangle (1 = no padding excluded). */
export function rectFraction(r: PixelRect, width: number, height: number): number {
  return (r.w * r.h) / (width * height);
}

/**
 * The rectangle's values of an interleaved image (row-major, `channels` values per pixel,
 * `width` pixels per row), copied into a new Float32Array (pure TS twin of the tensor crop).
 */
export function cropValues(
  data: ArrayLike<number>,
  width: number,
  channels: number,
  r: PixelRect,
): Float32Array {
  const out = new Float32Array(r.w * r.h * channels);
  let k = 0;
  for (let y = r.y; y < r.y + r.h; y++) {
    const row = (y * width + r.x) * channels;
    for (let i = 0; i < r.w * channels; i++) out[k++] = data[row + i];
  }
  return out;
}
