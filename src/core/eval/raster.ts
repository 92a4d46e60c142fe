/**
 * Minimal drawing on RgbaImage for the exported PNGs (the evaluation grid, the report's curves):
 * rectangles, lines, nearest/box resampling, a heat-map colour ramp and a small 5x7 pixel font
 * (printable ASCII; other characters draw as '?'). No DOM, so the same PNGs come out of the page,
 * the worker and Node.
 */
import type { RgbaImage } from '../image';

export type Rgb = readonly [number, number, number];

export function newImage(width: number, height: number, fill: Rgb = [255, 255, 255]): RgbaImage {
  const w = Math.max(1, Math.round(width));
  const h = Math.max(1, Math.round(height));
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < data.length; i += 4) {
    data[i] = fill[0];
    data[i + 1] = fill[1];
    data[i + 2] = fill[2];
    data[i + 3] = 255;
  }
  return { width: w, height: h, data };
}

export function setPixel(img: RgbaImage, x: number, y: number, c: Rgb): void {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
  const k = (y * img.width + x) * 4;
  img.data[k] = c[0];
  img.data[k + 1] = c[1];
  img.data[k + 2] = c[2];
  img.data[k + 3] = 255;
}

export function fillRect(img: RgbaImage, x: number, y: number, w: number, h: number, c: Rgb): void {
  const x0 = Math.max(0, Math.round(x));
  const y0 = Math.max(0, Math.round(y));
  const x1 = Math.min(img.width, Math.round(x + w));
  const y1 = Math.min(img.height, Math.round(y + h));
  for (let yy = y0; yy < y1; yy++) {
    for (let xx = x0; xx < x1; xx++) {
      const k = (yy * img.width + xx) * 4;
      img.data[k] = c[0];
      img.data[k + 1] = c[1];
      img.data[k + 2] = c[2];
      img.data[k + 3] = 255;
    }
  }
}

export function strokeRect(img: RgbaImage, x: number, y: number, w: number, h: number, c: Rgb): void {
  fillRect(img, x, y, w, 1, c);
  fillRect(img, x, y + h - 1, w, 1, c);
  fillRect(img, x, y, 1, h, c);
  fillRect(img, x + w - 1, y, 1, h, c);
}

/** A line of the given width (square brush), Bresenham on rounded endpoints. */
export function drawLine(
  img: RgbaImage,
  xa: number,
  ya: number,
  xb: number,
  yb: number,
  c: Rgb,
  width = 1,
  dash?: readonly [number, number],
): void {
  let x0 = Math.round(xa);
  let y0 = Math.round(ya);
  const x1 = Math.round(xb);
  const y1 = Math.round(yb);
  const dx = Math.abs(x1 - x0);
  const dy = -Math.abs(y1 - y0);
  const sx = x0 < x1 ? 1 : -1;
  const sy = y0 < y1 ? 1 : -1;
  let err = dx + dy;
  const half = Math.floor((width - 1) / 2);
  let n = 0;
  for (;;) {
    const on = !dash || n % (dash[0] + dash[1]) < dash[0];
    if (on) fillRect(img, x0 - half, y0 - half, width, width, c);
    n++;
    if (x0 === x1 && y0 === y1) break;
    const e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}

/**
 * Resample to w x h: box average when shrinking (each output pixel averages the source pixels
 * whose centres fall in its footprint), nearest neighbour when enlarging. Alpha is set to 255.
 */
export function resample(src: RgbaImage, w: number, h: number): RgbaImage {
  if (src.width === w && src.height === h)
    return { width: w, height: h, data: new Uint8ClampedArray(src.data) };
  const out = newImage(w, h);
  const fx = src.width / w;
  const fy = src.height / h;
  for (let y = 0; y < h; y++) {
    const sy0 = Math.floor(y * fy);
    const sy1 = Math.max(sy0 + 1, Math.min(src.height, Math.floor((y + 1) * fy)));
    for (let x = 0; x < w; x++) {
      const sx0 = Math.floor(x * fx);
      const sx1 = Math.max(sx0 + 1, Math.min(src.width, Math.floor((x + 1) * fx)));
      let r = 0;
      let g = 0;
      let b = 0;
      for (let yy = sy0; yy < sy1; yy++) {
        for (let xx = sx0; xx < sx1; xx++) {
          const k = (yy * src.width + xx) * 4;
          r += src.data[k];
          g += src.data[k + 1];
          b += src.data[k + 2];
        }
      }
      const n = (sy1 - sy0) * (sx1 - sx0);
      const k = (y * w + x) * 4;
      out.data[k] = Math.round(r / n);
      out.data[k + 1] = Math.round(g / n);
      out.data[k + 2] = Math.round(b / n);
    }
  }
  return out;
}

/** Copy `src` into `dst` at (x, y), clipped. */
export function blit(dst: RgbaImage, src: RgbaImage, x: number, y: number): void {
  const x0 = Math.round(x);
  const y0 = Math.round(y);
  for (let yy = 0; yy < src.height; yy++) {
    const ty = y0 + yy;
    if (ty < 0 || ty >= dst.height) continue;
    for (let xx = 0; xx < src.width; xx++) {
      const tx = x0 + xx;
      if (tx < 0 || tx >= dst.width) continue;
      const s = (yy * src.width + xx) * 4;
      const d = (ty * dst.width + tx) * 4;
      dst.data[d] = src.data[s];
      dst.data[d + 1] = src.data[s + 1];
      dst.data[d + 2] = src.data[s + 2];
      dst.data[d + 3] = 255;
    }
  }
}

/** Heat-map ramp stops (dark violet -> red -> orange -> pale yellow), position 0..1. */
const HEAT_STOPS: readonly [number, Rgb][] = [
  [0, [0, 0, 4]],
  [0.25, [87, 16, 110]],
  [0.5, [188, 55, 84]],
  [0.75, [249, 142, 9]],
  [1, [252, 255, 164]],
];

/** Colour of t in [0,1] on the heat ramp (clamped). */
export function heatColor(t: number): Rgb {
  const v = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 1;
  for (let i = 1; i < HEAT_STOPS.length; i++) {
    const [p1, c1] = HEAT_STOPS[i];
    if (v <= p1) {
      const [p0, c0] = HEAT_STOPS[i - 1];
      const f = (v - p0) / (p1 - p0);
      return [
        Math.round(c0[0] + (c1[0] - c0[0]) * f),
        Math.round(c0[1] + (c1[1] - c0[1]) * f),
        Math.round(c0[2] + (c1[2] - c0[2]) * f),
      ];
    }
  }
  return HEAT_STOPS[HEAT_STOPS.length - 1][1];
}

// ---------------------------------------------------------------------------------------------
// 5x7 pixel font (drawn for the studio): 7 rows of 5 columns above the baseline, '#' = ink;
// g j p q y , ; use two more rows below it (cell height 9)
// ---------------------------------------------------------------------------------------------

const G: Record<string, string> = {
  ' ': '.....|.....|.....|.....|.....|.....|.....',
  '0': '.###.|#...#|#..##|#.#.#|##..#|#...#|.###.',
  '1': '..#..|.##..|..#..|..#..|..#..|..#..|.###.',
  '2': '.###.|#...#|....#|...#.|..#..|.#...|#####',
  '3': '####.|....#|....#|.###.|....#|....#|####.',
  '4': '...#.|..##.|.#.#.|#..#.|#####|...#.|...#.',
  '5': '#####|#....|####.|....#|....#|#...#|.###.',
  '6': '..##.|.#...|#....|####.|#...#|#...#|.###.',
  '7': '#####|....#|...#.|..#..|.#...|.#...|.#...',
  '8': '.###.|#...#|#...#|.###.|#...#|#...#|.###.',
  '9': '.###.|#...#|#...#|.####|....#|...#.|.##..',
  A: '.###.|#...#|#...#|#####|#...#|#...#|#...#',
  B: '####.|#...#|#...#|####.|#...#|#...#|####.',
  C: '.###.|#...#|#....|#....|#....|#...#|.###.',
  D: '###..|#..#.|#...#|#...#|#...#|#..#.|###..',
  E: '#####|#....|#....|####.|#....|#....|#####',
  F: '#####|#....|#....|####.|#....|#....|#....',
  G: '.###.|#...#|#....|#.###|#...#|#...#|.####',
  H: '#...#|#...#|#...#|#####|#...#|#...#|#...#',
  I: '.###.|..#..|..#..|..#..|..#..|..#..|.###.',
  J: '..###|...#.|...#.|...#.|...#.|#..#.|.##..',
  K: '#...#|#..#.|#.#..|##...|#.#..|#..#.|#...#',
  L: '#....|#....|#....|#....|#....|#....|#####',
  M: '#...#|##.##|#.#.#|#.#.#|#...#|#...#|#...#',
  N: '#...#|#...#|##..#|#.#.#|#..##|#...#|#...#',
  O: '.###.|#...#|#...#|#...#|#...#|#...#|.###.',
  P: '####.|#...#|#...#|####.|#....|#....|#....',
  Q: '.###.|#...#|#...#|#...#|#.#.#|#..#.|.##.#',
  R: '####.|#...#|#...#|####.|#.#..|#..#.|#...#',
  S: '.####|#....|#....|.###.|....#|....#|####.',
  T: '#####|..#..|..#..|..#..|..#..|..#..|..#..',
  U: '#...#|#...#|#...#|#...#|#...#|#...#|.###.',
  V: '#...#|#...#|#...#|#...#|#...#|.#.#.|..#..',
  W: '#...#|#...#|#...#|#.#.#|#.#.#|#.#.#|.#.#.',
  X: '#...#|#...#|.#.#.|..#..|.#.#.|#...#|#...#',
  Y: '#...#|#...#|.#.#.|..#..|..#..|..#..|..#..',
  Z: '#####|....#|...#.|..#..|.#...|#....|#####',
  a: '.....|.....|.###.|....#|.####|#...#|.####',
  b: '#....|#....|#.##.|##..#|#...#|#...#|####.',
  c: '.....|.....|.###.|#....|#....|#...#|.###.',
  d: '....#|....#|.##.#|#..##|#...#|#...#|.####',
  e: '.....|.....|.###.|#...#|#####|#....|.###.',
  f: '..##.|.#..#|.#...|###..|.#...|.#...|.#...',
  g: '.....|.....|.####|#...#|#...#|#...#|.####|....#|.###.',
  h: '#....|#....|#.##.|##..#|#...#|#...#|#...#',
  i: '..#..|.....|.##..|..#..|..#..|..#..|.###.',
  j: '...#.|.....|..##.|...#.|...#.|...#.|...#.|#..#.|.##..',
  k: '#....|#....|#..#.|#.#..|##...|#.#..|#..#.',
  l: '.##..|..#..|..#..|..#..|..#..|..#..|.###.',
  m: '.....|.....|##.#.|#.#.#|#.#.#|#...#|#...#',
  n: '.....|.....|#.##.|##..#|#...#|#...#|#...#',
  o: '.....|.....|.###.|#...#|#...#|#...#|.###.',
  p: '.....|.....|####.|#...#|#...#|#...#|####.|#....|#....',
  q: '.....|.....|.####|#...#|#...#|#...#|.####|....#|....#',
  r: '.....|.....|#.##.|##..#|#....|#....|#....',
  s: '.....|.....|.###.|#....|.###.|....#|####.',
  t: '.#...|.#...|###..|.#...|.#...|.#..#|..##.',
  u: '.....|.....|#...#|#...#|#...#|#..##|.##.#',
  v: '.....|.....|#...#|#...#|#...#|.#.#.|..#..',
  w: '.....|.....|#...#|#...#|#.#.#|#.#.#|.#.#.',
  x: '.....|.....|#...#|.#.#.|..#..|.#.#.|#...#',
  y: '.....|.....|#...#|#...#|#...#|#...#|.####|....#|.###.',
  z: '.....|.....|#####|...#.|..#..|.#...|#####',
  '.': '.....|.....|.....|.....|.....|.##..|.##..',
  ',': '.....|.....|.....|.....|.....|.##..|.##..|..#..|.#...',
  ':': '.....|.##..|.##..|.....|.##..|.##..|.....',
  ';': '.....|.##..|.##..|.....|.....|.##..|.##..|..#..|.#...',
  '-': '.....|.....|.....|.###.|.....|.....|.....',
  _: '.....|.....|.....|.....|.....|.....|#####',
  '+': '.....|..#..|..#..|#####|..#..|..#..|.....',
  '=': '.....|.....|#####|.....|#####|.....|.....',
  '/': '....#|....#|...#.|..#..|.#...|#....|#....',
  '\\': '#....|#....|.#...|..#..|...#.|....#|....#',
  '|': '..#..|..#..|..#..|..#..|..#..|..#..|..#..',
  '(': '...#.|..#..|.#...|.#...|.#...|..#..|...#.',
  ')': '.#...|..#..|...#.|...#.|...#.|..#..|.#...',
  '[': '.###.|.#...|.#...|.#...|.#...|.#...|.###.',
  ']': '.###.|...#.|...#.|...#.|...#.|...#.|.###.',
  '<': '...#.|..#..|.#...|#....|.#...|..#..|...#.',
  '>': '.#...|..#..|...#.|....#|...#.|..#..|.#...',
  '%': '##...|##..#|...#.|..#..|.#...|#..##|...##',
  '#': '.#.#.|.#.#.|#####|.#.#.|#####|.#.#.|.#.#.',
  "'": '..#..|..#..|.#...|.....|.....|.....|.....',
  '"': '.#.#.|.#.#.|.....|.....|.....|.....|.....',
  '!': '..#..|..#..|..#..|..#..|..#..|.....|..#..',
  '?': '.###.|#...#|....#|...#.|..#..|.....|..#..',
  '*': '.....|..#..|#.#.#|.###.|#.#.#|..#..|.....',
  '~': '.....|.....|.#...|#.#.#|...#.|.....|.....',
  '^': '..#..|.#.#.|#...#|.....|.....|.....|.....',
  '@': '.###.|#...#|#.###|#.#.#|#.###|#....|.###.',
  '&': '.##..|#..#.|#.#..|.#...|#.#.#|#..#.|.##.#',
  $: '..#..|.####|#.#..|.###.|..#.#|####.|..#..',
  '`': '.#...|..#..|.....|.....|.....|.....|.....',
  '{': '...##|..#..|..#..|.#...|..#..|..#..|...##',
  '}': '##...|..#..|..#..|...#.|..#..|..#..|##...',
};

const ROWS = 9;
const FONT = new Map<string, Uint8Array>();
for (const [ch, rows] of Object.entries(G)) {
  const bits = new Uint8Array(5 * ROWS);
  rows.split('|').forEach((row, y) => {
    for (let x = 0; x < 5; x++) bits[y * 5 + x] = row[x] === '#' ? 1 : 0;
  });
  FONT.set(ch, bits);
}
/** Look-alikes drawn for common non-ASCII characters. */
const ALIASES: Record<string, string> = {
  '×': 'x',
  '·': '.',
  '–': '-',
  '—': '-',
  '−': '-',
  '‖': '|',
  '’': "'",
  '‘': "'",
  '“': '"',
  '”': '"',
  '∂': 'd',
  λ: 'l',
};

/** Pixel width of text at a scale (6 px per character incl. spacing, minus the last gap). */
export function textWidth(text: string, scale = 1): number {
  return text.length === 0 ? 0 : (text.length * 6 - 1) * scale;
}

/** Line height of the font in px at scale 1 (7 rows above the baseline + 2 for descenders). */
export const TEXT_HEIGHT = ROWS;

/** Draw text with its top-left corner at (x, y). */
export function drawText(img: RgbaImage, x: number, y: number, text: string, c: Rgb, scale = 1): void {
  let cx = Math.round(x);
  const cy = Math.round(y);
  for (const raw of text) {
    const ch = ALIASES[raw] ?? raw;
    const bits = FONT.get(ch) ?? FONT.get('?')!;
    for (let yy = 0; yy < ROWS; yy++) {
      for (let xx = 0; xx < 5; xx++) {
        if (bits[yy * 5 + xx]) fillRect(img, cx + xx * scale, cy + yy * scale, scale, scale, c);
      }
    }
    cx += 6 * scale;
  }
}

/** Draw text clipped to `maxWidth` px (ending in '..' when cut). */
export function drawTextFit(
  img: RgbaImage,
  x: number,
  y: number,
  text: string,
  c: Rgb,
  maxWidth: number,
  scale = 1,
): void {
  let t = text;
  if (textWidth(t, scale) > maxWidth) {
    const n = Math.max(0, Math.floor((maxWidth / scale + 1) / 6) - 2);
    t = `${text.slice(0, n)}..`;
  }
  drawText(img, x, y, t, c, scale);
}
