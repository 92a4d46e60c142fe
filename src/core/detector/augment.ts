/**
 * Landmark-consistent augmentation for the detector: one affine map (rotation about the image
 * centre, isotropic scale, translation) applied to the image by inverse bilinear sampling and to
 * the landmarks by the same forward map, then intensity changes (gain/offset, gamma, noise) that
 * move no pixel. Works on one grey float image (values 0..1, row-major, pixel centres at +0.5).
 */
import type { Point } from '../image';
import type { Rng } from '../rng';

export interface AugmentRanges {
  /** Max rotation in degrees (uniform in ±). */
  rotateDeg: number;
  /** Max relative scale change (uniform in 1 ± scale). */
  scale: number;
  /** Max translation as a fraction of the side (uniform in ±). */
  translate: number;
  /** Max relative contrast gain change (1 ± contrast) and brightness offset (± brightness). */
  contrast: number;
  brightness: number;
  /** Gamma drawn log-uniformly in [1/gamma, gamma]. */
  gamma: number;
  /** Gaussian noise sd (0..1 units) drawn uniformly in [0, noise]. */
  noise: number;
}

export const DEFAULT_AUGMENT: AugmentRanges = {
  rotateDeg: 10,
  scale: 0.1,
  translate: 0.05,
  contrast: 0.25,
  brightness: 0.1,
  gamma: 1.5,
  noise: 0.02,
};

export const NO_AUGMENT: AugmentRanges = {
  rotateDeg: 0,
  scale: 0,
  translate: 0,
  contrast: 0,
  brightness: 0,
  gamma: 1,
  noise: 0,
};

/** Forward affine map [a, b, c, d, e, f]: x' = a x + b y + c, y' = d x + e y + f. */
export type Affine = [number, number, number, number, number, number];

export interface AugmentParams {
  affine: Affine;
  gain: number;
  offset: number;
  gamma: number;
  noiseSd: number;
  noiseSeed: Rng | null;
}

/** The affine map rotating by `deg`, scaling by `s` about the centre (cx, cy), then translating. */
export function makeAffine(cx: number, cy: number, deg: number, s: number, tx: number, ty: number): Affine {
  const t = (deg * Math.PI) / 180;
  const a = s * Math.cos(t);
  const b = -s * Math.sin(t);
  const d = s * Math.sin(t);
  const e = s * Math.cos(t);
  return [a, b, cx + tx - a * cx - b * cy, d, e, cy + ty - d * cx - e * cy];
}

export function applyAffine(m: Affine, p: Point): Point {
  return [m[0] * p[0] + m[1] * p[1] + m[2], m[3] * p[0] + m[4] * p[1] + m[5]];
}

export function invertAffine(m: Affine): Affine {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  const ia = e / det;
  const ib = -b / det;
  const id = -d / det;
  const ie = a / det;
  return [ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)];
}

/** Draw augmentation parameters for a width × height image. */
export function drawAugment(rng: Rng, r: AugmentRanges, width: number, height: number): AugmentParams {
  const deg = rng.uniform(-r.rotateDeg, r.rotateDeg);
  const s = 1 + rng.uniform(-r.scale, r.scale);
  const tx = rng.uniform(-r.translate, r.translate) * width;
  const ty = rng.uniform(-r.translate, r.translate) * height;
  const lg = Math.log(Math.max(1, r.gamma));
  return {
    affine: makeAffine(width / 2, height / 2, deg, s, tx, ty),
    gain: 1 + rng.uniform(-r.contrast, r.contrast),
    offset: rng.uniform(-r.brightness, r.brightness),
    gamma: Math.exp(rng.uniform(-lg, lg)),
    noiseSd: rng.uniform(0, r.noise),
    noiseSeed: r.noise > 0 ? rng.fork() : null,
  };
}

/** Bilinear sample of a grey image at continuous (x, y) (pixel centres at +0.5); 0 outside. */
function sample(img: Float32Array, w: number, h: number, x: number, y: number): number {
  const fx = x - 0.5;
  const fy = y - 0.5;
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const ax = fx - x0;
  const ay = fy - y0;
  const at = (xx: number, yy: number): number =>
    xx < 0 || yy < 0 || xx >= w || yy >= h ? 0 : img[yy * w + xx];
  return (
    (1 - ay) * ((1 - ax) * at(x0, y0) + ax * at(x0 + 1, y0)) +
    ay * ((1 - ax) * at(x0, y0 + 1) + ax * at(x0 + 1, y0 + 1))
  );
}

/** Apply drawn parameters: returns the new image and the landmarks mapped with it (null stays null). */
export function applyAugment(
  img: Float32Array,
  width: number,
  height: number,
  points: readonly (Point | null)[],
  a: AugmentParams,
  out?: Float32Array,
): { image: Float32Array; points: (Point | null)[] } {
  const res = out ?? new Float32Array(width * height);
  const inv = invertAffine(a.affine);
  const identity = a.affine.every((v, i) => v === [1, 0, 0, 0, 1, 0][i]);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v: number;
      if (identity) v = img[y * width + x];
      else {
        const [sx, sy] = applyAffine(inv, [x + 0.5, y + 0.5]);
        v = sample(img, width, height, sx, sy);
      }
      v = v * a.gain + a.offset;
      v = v <= 0 ? 0 : v >= 1 ? 1 : v;
      if (a.gamma !== 1) v = Math.pow(v, a.gamma);
      if (a.noiseSeed && a.noiseSd > 0) v += a.noiseSeed.normal(0, a.noiseSd);
      res[y * width + x] = v;
    }
  }
  return { image: res, points: points.map((p) => (p ? applyAffine(a.affine, p) : null)) };
}
