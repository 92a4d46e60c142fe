/**
 * Planted X-ray artefacts for the data audit to find: a device border (bright or dark frame),
 * a ruler (a scale with tick marks along an edge, like a nasion relator or a calibration scale),
 * a burned-in label (a block of bright text), and left-right mirroring. Each is decided per case
 * from its own seeded stream, so the rates are population rates (see PHANTOM_FLAG_RATES).
 */
import type { Rng } from '../../rng';
import { rasterize, type Plane } from './raster';

export interface PhantomFlags {
  /** A device border (frame) on the X-ray. */
  border: boolean;
  /** A ruler with tick marks along an edge of the X-ray. */
  ruler: boolean;
  /** A burned-in text label on the X-ray. */
  label: boolean;
  /** The X-ray (and its landmarks) is mirrored left-right: its face looks to the left. */
  mirrored: boolean;
}

/** Probability of each artefact per case. */
export const PHANTOM_FLAG_RATES = { border: 0.15, ruler: 0.15, label: 0.15, mirrored: 0.03 } as const;

export function sampleFlags(rng: Rng): PhantomFlags {
  return {
    border: rng.next() < PHANTOM_FLAG_RATES.border,
    ruler: rng.next() < PHANTOM_FLAG_RATES.ruler,
    label: rng.next() < PHANTOM_FLAG_RATES.label,
    mirrored: rng.next() < PHANTOM_FLAG_RATES.mirrored,
  };
}

/** Paint an axis-aligned rectangle (anti-aliased edges) with a value (replace, not add). */
function rect(p: Plane, x0: number, y0: number, x1: number, y1: number, value: number, alpha = 1): void {
  const d = p.data;
  rasterize(
    [
      [
        [x0, y0],
        [x1, y0],
        [x1, y1],
        [x0, y1],
      ],
    ],
    p.w,
    p.h,
    (i, c) => {
      d[i] += (value - d[i]) * c * alpha;
    },
  );
}

/** A device border: a uniform frame on all sides, top and bottom, or left and right. */
export function drawBorder(p: Plane, rng: Rng): void {
  const bright = rng.next() < 0.6;
  const value = bright ? 0.9 + 0.1 * rng.next() : 0.02 * rng.next();
  const kind = rng.next();
  const sides = kind < 0.5 ? 'all' : kind < 0.75 ? 'tb' : 'lr';
  const t = (dim: number): number => Math.max(2, Math.round(dim * (0.02 + 0.03 * rng.next())));
  const { w, h } = p;
  if (sides !== 'lr') {
    rect(p, 0, 0, w, t(h), value);
    rect(p, 0, h - t(h), w, h, value);
  }
  if (sides !== 'tb') {
    rect(p, 0, 0, t(w), h, value);
    rect(p, w - t(w), 0, w, h, value);
  }
  // film-holder tabs along the top and bottom edges, like many cephalostats leave
  if (bright && rng.next() < 0.5) {
    const tw = Math.max(3, Math.round(w * 0.06));
    const th = Math.max(2, Math.round(h * 0.03));
    for (const fx of [0.25, 0.5, 0.75]) {
      const x = Math.round(w * fx - tw / 2);
      rect(p, x, 0, x + tw, th + 2, 1);
      rect(p, x, h - th - 2, x + tw, h, 1);
    }
  }
}

/**
 * A ruler: a faint plastic bar with bright tick marks every 1, 2, 5 or 10 mm (the finest that
 * leaves at least 4 px between ticks), longer every fifth tick. `pxPerMm` = image scale.
 */
export function drawRuler(p: Plane, rng: Rng, pxPerMm: number): void {
  const { w, h } = p;
  const periodMm = [1, 2, 5, 10].find((mm) => mm * pxPerMm >= 4) ?? 10;
  const period = periodMm * pxPerMm;
  const where = rng.next();
  const vertical = where < 0.6;
  const along = vertical ? h : w;
  const across = vertical ? w : h;
  const lengthPx = Math.min(along * 0.8, Math.max(12 * period, along * (0.3 + 0.2 * rng.next())));
  const start = Math.max(1, Math.round((along - lengthPx) * (0.1 + 0.6 * rng.next())));
  const barW = Math.max(4, 4 * pxPerMm);
  // vertical rulers stand near the right edge (in front of the face), horizontal ones at top or bottom
  // inside any device border (at most 5 % of a side)
  const margin = Math.max(2, across * (0.06 + 0.04 * rng.next()));
  const edge = vertical ? across - barW - margin : where < 0.8 ? margin : across - barW - margin;
  const bar = (a0: number, a1: number, c0: number, c1: number, value: number, alpha = 1): void =>
    vertical ? rect(p, c0, a0, c1, a1, value, alpha) : rect(p, a0, c0, a1, c1, value, alpha);
  bar(start, start + lengthPx, edge, edge + barW, 0.25, 0.6);
  const tickW = Math.max(1, 0.35 * pxPerMm);
  const n = Math.floor(lengthPx / period);
  for (let k = 0; k <= n; k++) {
    const a = start + k * period;
    const long = k % 5 === 0;
    const len = long ? barW : barW * 0.55;
    bar(a, a + tickW, edge, edge + len, 0.97);
  }
}

/** A 3x5 pixel font for label text: each glyph is five rows of three bits. */
const FONT: Record<string, string> = {
  '0': '111101101101111',
  '1': '010110010010111',
  '2': '111001111100111',
  '3': '111001111001111',
  '4': '101101111001001',
  '5': '111100111001111',
  '6': '111100111101111',
  '7': '111001010010010',
  '8': '111101111101111',
  '9': '111101111001111',
  A: '010101111101101',
  C: '111100100100111',
  E: '111100111100111',
  H: '101101111101101',
  L: '100100100100111',
  M: '101111111101101',
  N: '110101101101101',
  P: '111101111100100',
  R: '110101110101101',
  S: '111100111001111',
  T: '111010010010010',
  '-': '000000111000000',
  ' ': '000000000000000',
};

/**
 * A burned-in label: an id and a date-like number near a corner, bright on the film (on a dark
 * box when `boxed`, e.g. over a bright device border).
 */
export function drawLabel(p: Plane, rng: Rng, pxPerMm: number, boxed = false): void {
  const { w, h } = p;
  const words = ['SN', 'CEPH', 'PAT', 'LAT', 'R', 'L'];
  const digits = (n: number): string => Array.from({ length: n }, () => String(rng.int(10))).join('');
  const text = `${words[rng.int(words.length)]}${digits(4 + rng.int(3))} ${digits(2)}-${digits(2)}`;
  const g = Math.max(1, Math.round(0.7 * pxPerMm)); // glyph pixel size
  const textW = text.length * 4 * g;
  const textH = 5 * g;
  const corner = rng.int(4);
  // inside any device border (at most 5 % of a side)
  const mx = Math.max(2, Math.round(w * 0.065));
  const my = Math.max(2, Math.round(h * 0.06));
  const x0 = corner % 2 === 0 ? mx : Math.max(0, w - mx - textW);
  const y0 = corner < 2 ? my : Math.max(0, h - my - textH);
  const box = rng.next() < 0.5;
  if (box || boxed) rect(p, x0 - g, y0 - g, x0 + textW + g, y0 + textH + g, 0.02);
  const value = 0.92 + 0.08 * rng.next();
  for (let c = 0; c < text.length; c++) {
    const glyph = FONT[text[c]] ?? FONT[' '];
    for (let r = 0; r < 5; r++) {
      for (let b = 0; b < 3; b++) {
        if (glyph[r * 3 + b] !== '1') continue;
        const x = x0 + (c * 4 + b) * g;
        const y = y0 + r * g;
        for (let yy = y; yy < y + g && yy < h; yy++) {
          for (let xx = x; xx < x + g && xx < w; xx++) p.data[yy * w + xx] = value;
        }
      }
    }
  }
}

/** Mirror a plane left-right in place. */
export function mirrorPlane(p: Plane): void {
  const { w, h, data } = p;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w >> 1; x++) {
      const a = data[row + x];
      data[row + x] = data[row + w - 1 - x];
      data[row + w - 1 - x] = a;
    }
  }
}
