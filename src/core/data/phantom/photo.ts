/**
 * The phantom's profile photograph, pixel-aligned with its cephalogram: the skin silhouette is
 * the same soft-tissue outline the X-ray shows, so the face carries the profile (nose, lips,
 * chin) exactly, while the bones must be inferred from it (and from the weak cues a real photo
 * has: ear over the porion, eye in the orbit, jaw-line shadow along the mandible). Varied skin
 * tone, hair, background, clothing and lighting; faces look to the right.
 */
import type { Rng } from '../../rng';
import type { Anatomy } from './anatomy';
import type { HeadMask } from './mask';
import {
  affineScale,
  mapPath,
  offset,
  spline,
  strokeOutline,
  type Affine,
  type Path,
  type V2,
} from './geometry';
import {
  blur,
  createPlane,
  noiseField,
  rasterize,
  scratch,
  valueNoise,
  type Plane,
  type Rgb,
} from './raster';

export type Color = [r: number, g: number, b: number];

/** Appearance of one photo (colours in 0..1 sRGB). */
export interface PhotoStyle {
  skin: Color;
  hair: Color;
  background: Color;
  /** Second background colour (vertical gradient to it). */
  background2: Color;
  clothing: Color;
  /** Hair volume above the scalp, mm. */
  hairVolumeMm: number;
  /** Hairline recession: 0 = low hairline, 1 = bald-ish temples. */
  hairRecession: number;
  /** Light direction: 1 = from the front (face side), -1 = from behind. */
  lightSide: number;
  /** Overall brightness factor. */
  exposure: number;
  /** Camera noise sd, 0..1 units. */
  noiseSd: number;
  /** Stubble / beard shadow strength (0 = none). */
  beard: number;
  iris: Color;
}

const SKIN: Color[] = [
  [0.96, 0.84, 0.74],
  [0.92, 0.75, 0.62],
  [0.84, 0.64, 0.5],
  [0.7, 0.5, 0.37],
  [0.55, 0.38, 0.27],
  [0.4, 0.27, 0.19],
  [0.3, 0.2, 0.15],
];
const HAIR: Color[] = [
  [0.06, 0.05, 0.05],
  [0.16, 0.11, 0.08],
  [0.32, 0.22, 0.14],
  [0.5, 0.37, 0.24],
  [0.74, 0.62, 0.42],
  [0.55, 0.54, 0.53],
  [0.8, 0.79, 0.77],
  [0.45, 0.2, 0.1],
];
const BACKGROUND: Color[] = [
  [0.86, 0.87, 0.88],
  [0.95, 0.95, 0.94],
  [0.55, 0.56, 0.58],
  [0.22, 0.23, 0.25],
  [0.35, 0.5, 0.7],
  [0.7, 0.8, 0.9],
  [0.3, 0.55, 0.55],
  [0.86, 0.8, 0.7],
  [0.45, 0.6, 0.45],
  [0.12, 0.18, 0.3],
];
const IRIS: Color[] = [
  [0.25, 0.15, 0.08],
  [0.12, 0.08, 0.05],
  [0.3, 0.4, 0.55],
  [0.35, 0.4, 0.25],
];

const mix = (a: Color, b: Color, t: number): Color => [
  a[0] + (b[0] - a[0]) * t,
  a[1] + (b[1] - a[1]) * t,
  a[2] + (b[2] - a[2]) * t,
];
const jitter = (rng: Rng, c: Color, amount: number): Color =>
  c.map((x) => Math.min(1, Math.max(0, x + amount * (rng.next() - 0.5)))) as Color;
const cdist = (a: Color, b: Color): number => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

export function samplePhotoStyle(rng: Rng): PhotoStyle {
  const t = rng.next() * (SKIN.length - 1);
  const i = Math.min(SKIN.length - 2, Math.floor(t));
  const skin = jitter(rng, mix(SKIN[i], SKIN[i + 1], t - i), 0.05);
  // darker skin: darker hair more likely
  const hi = t > 3 && rng.next() < 0.8 ? rng.int(2) : rng.int(HAIR.length);
  const hair = jitter(rng, HAIR[hi], 0.05);
  let background = jitter(rng, BACKGROUND[rng.int(BACKGROUND.length)], 0.08);
  for (let k = 0; k < 20 && cdist(background, skin) < 0.35; k++) {
    background = jitter(rng, BACKGROUND[rng.int(BACKGROUND.length)], 0.08);
  }
  const background2 = jitter(rng, mix(background, [0.5, 0.5, 0.5], 0.3 * rng.next()), 0.06);
  return {
    skin,
    hair,
    background,
    background2,
    clothing: [rng.next(), rng.next(), rng.next()].map((x) => 0.1 + 0.75 * x) as Color,
    hairVolumeMm: 2 + 18 * rng.next() ** 1.5,
    hairRecession: rng.next() < 0.25 ? 0.5 + 0.5 * rng.next() : 0.3 * rng.next(),
    lightSide: 0.3 + 0.7 * rng.next(),
    exposure: 1 + 0.1 * rng.normal(),
    noiseSd: 0.006 + 0.012 * rng.next(),
    beard: rng.next() < 0.18 ? 0.15 + 0.3 * rng.next() : 0,
    iris: IRIS[rng.int(IRIS.length)],
  };
}

/** A coverage mask blurred by sigma px, restricted to the contours' bounding box. */
interface SoftMask {
  x0: number;
  y0: number;
  bw: number;
  bh: number;
  a: Float32Array;
}

function softMask(contours: Path[], w: number, h: number, sigma: number): SoftMask | null {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const c of contours)
    for (const p of c) {
      minX = Math.min(minX, p[0]);
      maxX = Math.max(maxX, p[0]);
      minY = Math.min(minY, p[1]);
      maxY = Math.max(maxY, p[1]);
    }
  const m = Math.ceil(3 * sigma) + 1;
  const x0 = Math.max(0, Math.floor(minX) - m);
  const y0 = Math.max(0, Math.floor(minY) - m);
  const x1 = Math.min(w, Math.ceil(maxX) + m);
  const y1 = Math.min(h, Math.ceil(maxY) + m);
  if (x1 <= x0 || y1 <= y0) return null;
  const bw = x1 - x0;
  const bh = y1 - y0;
  const plane: Plane = createPlane(bw, bh);
  const shifted = contours.map((c) => c.map((p): V2 => [p[0] - x0, p[1] - y0]));
  rasterize(shifted, bw, bh, (i, c) => {
    plane.data[i] = Math.max(plane.data[i], c);
  });
  blur(plane, sigma);
  return { x0, y0, bw, bh, a: plane.data };
}

/**
 * Composite a colour through a soft mask with opacity alpha. `brightness` (optional, per pixel)
 * multiplies the colour (hair strands, cloth weave).
 */
function paint(
  img: Rgb,
  m: SoftMask | null,
  c: Color,
  alpha: number,
  brightness?: (i: number) => number,
): void {
  if (!m) return;
  for (let y = 0; y < m.bh; y++) {
    for (let x = 0; x < m.bw; x++) {
      const a = m.a[y * m.bw + x] * alpha;
      if (a <= 1e-3) continue;
      const i = (y + m.y0) * img.w + x + m.x0;
      const f = brightness ? brightness(i) : 1;
      img.r[i] += (Math.min(1, c[0] * f) - img.r[i]) * a;
      img.g[i] += (Math.min(1, c[1] * f) - img.g[i]) * a;
      img.b[i] += (Math.min(1, c[2] * f) - img.b[i]) * a;
    }
  }
}

/** Multiply the image by (1 + amount * mask) inside a soft mask (shadows < 0 < highlights). */
function shadeBy(img: Rgb, m: SoftMask | null, amount: number): void {
  if (!m) return;
  for (let y = 0; y < m.bh; y++) {
    for (let x = 0; x < m.bw; x++) {
      const a = m.a[y * m.bw + x];
      if (a <= 1e-3) continue;
      const i = (y + m.y0) * img.w + x + m.x0;
      const f = 1 + amount * a;
      img.r[i] *= f;
      img.g[i] *= f;
      img.b[i] *= f;
    }
  }
}

/**
 * Render the profile photo (float RGB, 0..1). `toPx` maps head-frame mm to pixels. The returned
 * planes are reusable buffers: quantise them before the next call.
 */
export function renderPhoto(
  anat: Anatomy,
  headM: HeadMask,
  style: PhotoStyle,
  toPx: Affine,
  w: number,
  h: number,
  rng: Rng,
): Rgb {
  const s = affineScale(toPx);
  const px = (p: Path): Path => mapPath(toPx, p);
  const img: Rgb = {
    w,
    h,
    r: scratch('photo.r', w * h),
    g: scratch('photo.g', w * h),
    b: scratch('photo.b', w * h),
  };
  const mask = (p: Path | Path[], blurMm: number): SoftMask | null =>
    softMask(Array.isArray(p[0][0]) ? (p as Path[]).map(px) : [px(p as Path)], w, h, blurMm * s);
  const strokeMask = (p: Path, wMm: number, blurMm: number, wMm1 = wMm): SoftMask | null =>
    p.length < 2
      ? null
      : softMask([strokeOutline(px(p), Math.max(0.8, wMm * s), Math.max(0.8, wMm1 * s))], w, h, blurMm * s);

  // ---- background: vertical gradient, a soft light spot behind the head, a little noise
  const bgNoise = valueNoise(
    rng,
    w,
    h,
    Math.max(2, 30 * s),
    Math.max(2, 30 * s),
    1,
    scratch('photo.bg', w * h),
  );
  const spotX = w * (0.3 + 0.4 * rng.next());
  const spotY = h * (0.2 + 0.3 * rng.next());
  const spotR = Math.max(w, h) * 0.7;
  // the light spot is separable: exp(-(dx^2 + dy^2) / R^2) = gx(x) * gy(y)
  const gx = new Float32Array(w);
  for (let x = 0; x < w; x++) gx[x] = Math.exp(-((x - spotX) ** 2) / (spotR * spotR));
  for (let y = 0; y < h; y++) {
    const gy = Math.exp(-((y - spotY) ** 2) / (spotR * spotR));
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const t = y / h;
      const spot = 1 + 0.12 * gx[x] * gy;
      const n = 1 + 0.03 * bgNoise[i];
      img.r[i] = (style.background[0] + (style.background2[0] - style.background[0]) * t) * spot * n;
      img.g[i] = (style.background[1] + (style.background2[1] - style.background[1]) * t) * spot * n;
      img.b[i] = (style.background[2] + (style.background2[2] - style.background[2]) * t) * spot * n;
    }
  }

  // ---- skin: the head silhouette, shaded for roundness and by the key light
  const headCov = headM.coverage;
  const round = headM.thickness;
  const skinTex = valueNoise(
    rng,
    w,
    h,
    Math.max(1, 1.2 * s),
    Math.max(1, 1.2 * s),
    2,
    scratch('photo.skin', w * h),
  );
  const front = px([anat.pronasale])[0];
  const back = px([anat.scalpKnots[0]])[0];
  const span = Math.max(1, front[0] - back[0]);
  const skin = style.skin;
  for (let i = 0; i < w * h; i++) {
    const a = headCov.data[i];
    if (a <= 0) continue;
    const x = i % w;
    const side = (x - back[0]) / span - 0.5; // -0.5 back .. 0.5 front
    const light = 1 + 0.22 * style.lightSide * side;
    const shade = (0.7 + 0.3 * Math.min(1, round.data[i] * 1.25)) * light * (1 + 0.025 * skinTex[i]);
    img.r[i] += (skin[0] * shade - img.r[i]) * a;
    img.g[i] += (skin[1] * shade - img.g[i]) * a;
    img.b[i] += (skin[2] * shade - img.b[i]) * a;
  }
  // shadows and highlights that follow the bones
  const jaw = anat.jawline;
  const under: Path = jaw.concat([
    anat.cervicalPoint,
    [anat.cervicalPoint[0] - 12, anat.cervicalPoint[1] + 25],
    [jaw[jaw.length - 1][0] - 6, jaw[jaw.length - 1][1] + 30],
  ]);
  shadeBy(img, mask(under, 3.5), -0.2);
  shadeBy(img, mask(spline([{ p: anat.cheek }, { p: [anat.cheek[0] + 10, anat.cheek[1] + 3] }], 1), 6), 0.1);
  const eyeC: V2 = [anat.eye.front[0] - 7, anat.eye.front[1] - 1];
  shadeBy(img, mask(spline([{ p: [eyeC[0] - 4, eyeC[1]] }, { p: [eyeC[0] + 4, eyeC[1] - 1] }], 1), 5), -0.12);
  shadeBy(img, strokeMask(anat.nasolabialFold, 1.6, 1.4), -0.18);
  shadeBy(img, strokeMask(anat.ala, 1.1, 0.6), -0.3);
  const nose: Path = [anat.pronasale, [anat.pronasale[0] - 6, anat.pronasale[1] - 8]];
  shadeBy(img, strokeMask(nose, 2.5, 2.5), 0.1);
  // under the nose, the temple, and a forehead highlight
  const sub: V2 = [anat.subnasale[0] - 4, anat.subnasale[1] - 1];
  shadeBy(img, strokeMask([sub, [sub[0] - 6, sub[1] + 1]], 2.5, 1.5), -0.15);
  const temple: V2 = [anat.eye.front[0] - 26, anat.eye.front[1] - 10];
  shadeBy(img, strokeMask([temple, [temple[0] - 6, temple[1] + 8]], 8, 6), -0.08);
  const fh = anat.foreheadHairline;
  shadeBy(
    img,
    strokeMask(
      [
        [fh[0] - 4, fh[1] + 12],
        [fh[0] - 10, fh[1] + 24],
      ],
      8,
      6,
    ),
    0.07,
  );

  // ---- lips
  const lip: Color = [skin[0] * 0.84 + 0.05, skin[1] * 0.6, skin[2] * 0.62];
  paint(img, mask(anat.upperVermilion, 0.8), lip, 0.5);
  paint(img, mask(anat.lowerVermilion, 0.8), lip, 0.45);
  shadeBy(img, strokeMask(anat.mouthLine, 0.9, 0.4, 0.5), -0.45);

  // ---- beard shadow
  if (style.beard > 0) {
    const beardPath: Path = jaw
      .slice(Math.floor(jaw.length * 0.3))
      .concat([anat.cervicalPoint, anat.softMenton])
      .concat(anat.profile.filter((p) => p[1] > anat.stomion[1] + 4 && p[1] < anat.softMenton[1]).reverse());
    paint(img, mask(beardPath, 1.5), style.hair, style.beard);
  }

  // ---- eye and brow
  paint(img, mask(anat.eye.opening, 0.25), [0.86, 0.84, 0.8], 0.9);
  paint(img, mask(anat.eye.iris, 0.25), style.iris, 0.95);
  shadeBy(img, strokeMask(anat.eye.upperLid, 0.8, 0.3), -0.6);
  shadeBy(img, strokeMask(anat.eye.lowerLid, 0.5, 0.3), -0.25);
  paint(img, strokeMask(anat.eye.brow, 4.2, 0.7, 1.8), mix(style.hair, [0.1, 0.08, 0.06], 0.3), 0.85);

  // ---- clothing at the bottom
  const cp = anat.cervicalPoint;
  const nape = anat.scalpKnots[0];
  const shirt: Path = [
    [cp[0] + 20, 270],
    [cp[0] - 2, cp[1] + 34],
    [cp[0] - 30, cp[1] + 26],
    [nape[0] + 4, nape[1] + 48],
    [-60, nape[1] + 42],
    [-60, 270],
  ];
  const cloth = style.clothing;
  paint(img, mask(shirt, 0.6), cloth, 1, (i) => 0.88 + 0.08 * skinTex[i] + 0.08 * bgNoise[i]);

  // ---- hair: from the nape over the vertex to the forehead hairline, fuzzy edge, strands
  const k = anat.scalpKnots;
  const vol = style.hairVolumeMm;
  // the scalp runs from the nape up over the vertex: outward is to the left of travel (negative offset)
  const outer = spline(
    k.map((p) => ({ p })),
    1,
  );
  const outerVol = offset(outer, (t) => -(vol * Math.sin(Math.PI * Math.min(1, 0.15 + t)) ** 0.6 + 1));
  const rec = style.hairRecession;
  const ear = anat.ear.outline;
  let earTop: V2 = ear[0];
  let earBack: V2 = ear[0];
  for (const p of ear) {
    if (p[1] < earTop[1]) earTop = p;
    if (p[0] < earBack[0]) earBack = p;
  }
  const hairline: Path = spline(
    [
      { p: [fh[0] - 3 - 10 * rec, fh[1] - 12 * rec] },
      { p: [fh[0] - 14 - 14 * rec, fh[1] + 10 - 6 * rec] },
      { p: [earTop[0] + 16, earTop[1] - 4] },
      { p: [earTop[0] + 11, earTop[1] + 14] },
      { p: [earTop[0] + 5, earTop[1] - 3] },
      { p: [earBack[0] - 4, earTop[1] + 8] },
      { p: [earBack[0] - 8, earBack[1] + 22] },
      { p: [nape[0] + 6, nape[1] + 6] },
    ],
    1,
  );
  const hairPoly: Path = outerVol.concat(hairline);
  const strands = valueNoise(
    rng,
    w,
    h,
    Math.max(1, 6 * s),
    Math.max(1, 0.7 * s),
    1,
    scratch('photo.strands', w * h),
  );
  const hairM = mask(hairPoly, 0.5);
  const hc = style.hair;
  const hcl: Color = [hc[0] + 0.02, hc[1] + 0.02, hc[2] + 0.02];
  paint(img, hairM, hcl, 1, (i) => {
    const y = Math.floor(i / w);
    const top = 1 + 0.25 * Math.max(0, 1 - y / (h * 0.35)); // sheen from above
    return (0.85 + 0.25 * strands[i]) * top;
  });

  // ---- ear (over the hair)
  const earSkin: Color = [skin[0] * 0.96, skin[1] * 0.9, skin[2] * 0.88];
  paint(img, mask(ear, 0.4), earSkin, 1);
  shadeBy(img, strokeMask(anat.ear.helixInner, 1.6, 0.8), -0.25);
  shadeBy(img, mask(anat.ear.concha, 1.2), -0.22);
  shadeBy(img, mask(anat.ear.tragus, 0.6), 0.06);

  // ---- camera: exposure, slight blur, noise
  if (0.35 * s >= 0.5) {
    for (const ch of [img.r, img.g, img.b]) {
      const pl: Plane = { w, h, data: ch };
      blur(pl, 0.35 * s);
    }
  }
  const ex = style.exposure;
  const n = style.noiseSd;
  const noise = noiseField(rng, w * h, scratch('photo.noise', w * h));
  for (let i = 0; i < w * h; i++) {
    // luminance noise plus a little chroma noise
    const l = n * noise[i];
    const c = 0.4 * n * noise[w * h - 1 - i];
    img.r[i] = Math.min(1, Math.max(0, img.r[i] * ex + l + c));
    img.g[i] = Math.min(1, Math.max(0, img.g[i] * ex + l));
    img.b[i] = Math.min(1, Math.max(0, img.b[i] * ex + l - c));
  }
  return img;
}
