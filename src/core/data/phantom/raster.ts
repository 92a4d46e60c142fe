/**
 * A small float rasteriser for the phantom: exact-area anti-aliased polygon fill (signed-area
 * accumulation, as in font renderers: each edge adds its covered area to a buffer, a running
 * sum along each row gives the winding-weighted coverage), union of several contours (same
 * winding) and holes (opposite winding), additive and alpha painting, separable Gaussian blur,
 * value noise. Float32 planes throughout; quantisation happens once at the end.
 */
import type { Rng } from '../../rng';
import type { Path } from './geometry';

/** A single-channel float image. */
export interface Plane {
  w: number;
  h: number;
  data: Float32Array;
}

export const createPlane = (w: number, h: number, fill = 0): Plane => ({
  w,
  h,
  data: new Float32Array(w * h).fill(fill),
});

// Reusable buffers: the generator renders one image at a time, synchronously, so each named
// buffer can be handed out again for the next case (saves allocating ~20 full-size planes per case).
const pool = new Map<string, Float32Array>();

/** A zero-filled Float32Array of length n that is reused by the next call with the same key. */
export function scratch(key: string, n: number): Float32Array {
  const b = pool.get(key);
  if (b && b.length === n) return b.fill(0);
  const fresh = new Float32Array(n);
  pool.set(key, fresh);
  return fresh;
}

/** A zero-filled plane backed by a reusable buffer (see scratch). */
export const scratchPlane = (key: string, w: number, h: number): Plane => ({
  w,
  h,
  data: scratch(key, w * h),
});

// One shared accumulation buffer (the generator is synchronous, so sharing is safe).
let acc = new Float32Array(0);

function accumulateLine(
  stride: number,
  bw: number,
  bh: number,
  px0: number,
  py0: number,
  px1: number,
  py1: number,
): void {
  if (py0 === py1) return;
  let dirn = 1;
  let x0 = px0;
  let y0 = py0;
  let x1 = px1;
  let y1 = py1;
  if (y0 > y1) {
    dirn = -1;
    x0 = px1;
    y0 = py1;
    x1 = px0;
    y1 = py0;
  }
  if (y1 <= 0 || y0 >= bh) return;
  const dxdy = (x1 - x0) / (y1 - y0);
  let x = x0;
  let ys = y0;
  if (ys < 0) {
    x -= ys * dxdy;
    ys = 0;
  }
  const yEnd = Math.min(bh, Math.ceil(y1));
  for (let y = Math.floor(ys); y < yEnd; y++) {
    const dy = Math.min(y + 1, y1) - Math.max(y, ys);
    const xnext = x + dxdy * dy;
    const d = dy * dirn;
    let xa = x < xnext ? x : xnext;
    let xb = x < xnext ? xnext : x;
    xa = xa < 0 ? 0 : xa > bw ? bw : xa;
    xb = xb < 0 ? 0 : xb > bw ? bw : xb;
    const line = y * stride;
    const xaf = Math.floor(xa);
    const xai = xaf | 0;
    const xbc = Math.ceil(xb);
    const xbi = xbc | 0;
    if (xbi <= xai + 1) {
      const xmf = 0.5 * (xa + xb) - xaf;
      acc[line + xai] += d - d * xmf;
      acc[line + xai + 1] += d * xmf;
    } else {
      const s = 1 / (xb - xa);
      const x0f = xa - xaf;
      const a0 = 0.5 * s * (1 - x0f) * (1 - x0f);
      const x1f = xb - xbc + 1;
      const am = 0.5 * s * x1f * x1f;
      acc[line + xai] += d * a0;
      if (xbi === xai + 2) {
        acc[line + xai + 1] += d * (1 - a0 - am);
      } else {
        const a1 = s * (1.5 - x0f);
        acc[line + xai + 1] += d * (a1 - a0);
        for (let xi = xai + 2; xi < xbi - 1; xi++) acc[line + xi] += d * s;
        const a2 = a1 + (xbi - xai - 3) * s;
        acc[line + xbi - 1] += d * (1 - a2 - am);
      }
      acc[line + xbi] += d * am;
    }
    x = xnext;
  }
}

/**
 * Rasterise contours (pixel coordinates, pixel i covers [i, i+1)) into coverage in [0, 1] and call
 * visit(index, coverage) for every touched pixel of a w x h image. Contours are summed by
 * winding (|winding| clamped to 1): same orientation = union, opposite orientation = hole.
 */
export function rasterize(
  contours: Path[],
  w: number,
  h: number,
  visit: (index: number, coverage: number) => void,
): void {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const c of contours) {
    for (const p of c) {
      if (p[0] < minX) minX = p[0];
      if (p[0] > maxX) maxX = p[0];
      if (p[1] < minY) minY = p[1];
      if (p[1] > maxY) maxY = p[1];
    }
  }
  const bx0 = Math.max(0, Math.floor(minX));
  const by0 = Math.max(0, Math.floor(minY));
  const bx1 = Math.min(w, Math.ceil(maxX));
  const by1 = Math.min(h, Math.ceil(maxY));
  if (bx1 <= bx0 || by1 <= by0) return;
  const bw = bx1 - bx0;
  const bh = by1 - by0;
  const stride = bw + 2;
  const need = stride * bh;
  if (acc.length < need) acc = new Float32Array(Math.max(need, acc.length * 2));
  acc.fill(0, 0, need);
  for (const c of contours) {
    const n = c.length;
    if (n < 3) continue;
    for (let i = 0, j = n - 1; i < n; j = i++) {
      accumulateLine(stride, bw, bh, c[j][0] - bx0, c[j][1] - by0, c[i][0] - bx0, c[i][1] - by0);
    }
  }
  for (let y = 0; y < bh; y++) {
    let s = 0;
    const line = y * stride;
    const row = (y + by0) * w + bx0;
    for (let x = 0; x < bw; x++) {
      s += acc[line + x];
      const c = s < 0 ? -s : s;
      if (c > 1e-4) visit(row + x, c > 1 ? 1 : c);
    }
  }
}

/** plane += value * coverage (* tex[i] when a texture plane of the same size is given). */
export function fillAdd(plane: Plane, contours: Path[], value: number, tex?: Float32Array): void {
  const d = plane.data;
  if (tex) rasterize(contours, plane.w, plane.h, (i, c) => (d[i] += value * c * tex[i]));
  else rasterize(contours, plane.w, plane.h, (i, c) => (d[i] += value * c));
}

/** plane = plane * (1 - a) + value * a with a = alpha * coverage. */
export function fillOver(plane: Plane, contours: Path[], value: number, alpha = 1): void {
  const d = plane.data;
  rasterize(contours, plane.w, plane.h, (i, c) => {
    const a = alpha * c;
    d[i] += (value - d[i]) * a;
  });
}

/** An RGB float image (three planes, 0..1). */
export interface Rgb {
  w: number;
  h: number;
  r: Float32Array;
  g: Float32Array;
  b: Float32Array;
}

export function createRgb(w: number, h: number): Rgb {
  const n = w * h;
  return { w, h, r: new Float32Array(n), g: new Float32Array(n), b: new Float32Array(n) };
}

/**
 * Alpha-paint a colour over an RGB image. `shade` (optional, per pixel) multiplies the colour;
 * `alphaMap` (optional, per pixel) multiplies the alpha.
 */
export function fillRgb(
  img: Rgb,
  contours: Path[],
  color: readonly [number, number, number],
  alpha = 1,
  shade?: Float32Array,
  alphaMap?: Float32Array,
): void {
  const { r, g, b } = img;
  const [cr, cg, cb] = color;
  rasterize(contours, img.w, img.h, (i, c) => {
    const a = alpha * c * (alphaMap ? alphaMap[i] : 1);
    const s = shade ? shade[i] : 1;
    r[i] += (cr * s - r[i]) * a;
    g[i] += (cg * s - g[i]) * a;
    b[i] += (cb * s - b[i]) * a;
  });
}

function gaussKernel(sigma: number): Float32Array {
  const rad = Math.max(1, Math.ceil(sigma * 3));
  const k = new Float32Array(2 * rad + 1);
  let s = 0;
  for (let i = -rad; i <= rad; i++) {
    const v = Math.exp((-i * i) / (2 * sigma * sigma));
    k[i + rad] = v;
    s += v;
  }
  for (let i = 0; i < k.length; i++) k[i] /= s;
  return k;
}

/** Running-sum box blur of radius r along rows, edges clamped. */
function boxRows(src: Float32Array, dst: Float32Array, w: number, h: number, r: number): void {
  const inv = 1 / (2 * r + 1);
  for (let y = 0; y < h; y++) {
    const base = y * w;
    let s = 0;
    for (let i = -r; i <= r; i++) s += src[base + (i < 0 ? 0 : i >= w ? w - 1 : i)];
    for (let x = 0; x < w; x++) {
      dst[base + x] = s * inv;
      const a = x + r + 1;
      const b = x - r;
      s += src[base + (a >= w ? w - 1 : a)] - src[base + (b < 0 ? 0 : b)];
    }
  }
}

/** Running-sum box blur of radius r along columns, row by row (sequential access), edges clamped. */
function boxCols(
  src: Float32Array,
  dst: Float32Array,
  w: number,
  h: number,
  r: number,
  acc: Float32Array,
): void {
  const inv = 1 / (2 * r + 1);
  acc.fill(0, 0, w);
  for (let i = -r; i <= r; i++) {
    const row = (i < 0 ? 0 : i >= h ? h - 1 : i) * w;
    for (let x = 0; x < w; x++) acc[x] += src[row + x];
  }
  for (let y = 0; y < h; y++) {
    const out = y * w;
    const a = y + r + 1;
    const b = y - r;
    const add = (a >= h ? h - 1 : a) * w;
    const rem = (b < 0 ? 0 : b) * w;
    for (let x = 0; x < w; x++) {
      dst[out + x] = acc[x] * inv;
      acc[x] += src[add + x] - src[rem + x];
    }
  }
}

// scratch buffers for blurs (synchronous use only)
let blurTmp = new Float32Array(0);
let blurAcc = new Float32Array(0);

/** Horizontal Gaussian pass (kernel k) from src to dst, edges clamped. */
function kernelRows(src: Float32Array, dst: Float32Array, w: number, h: number, k: Float32Array): void {
  const rad = (k.length - 1) >> 1;
  for (let y = 0; y < h; y++) {
    const base = y * w;
    for (let x = 0; x < w; x++) {
      let acc = 0;
      if (x >= rad && x + rad < w) {
        const o = base + x - rad;
        for (let j = 0; j < k.length; j++) acc += src[o + j] * k[j];
      } else {
        for (let j = -rad; j <= rad; j++) {
          const xx = x + j < 0 ? 0 : x + j >= w ? w - 1 : x + j;
          acc += src[base + xx] * k[j + rad];
        }
      }
      dst[base + x] = acc;
    }
  }
}

/** Vertical Gaussian pass: per output row, the kernel's input rows are read side by side. */
function kernelCols(src: Float32Array, dst: Float32Array, w: number, h: number, k: Float32Array): void {
  const rad = (k.length - 1) >> 1;
  const offs = new Int32Array(k.length);
  for (let y = 0; y < h; y++) {
    for (let j = -rad; j <= rad; j++) offs[j + rad] = (y + j < 0 ? 0 : y + j >= h ? h - 1 : y + j) * w;
    const out = y * w;
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let j = 0; j < k.length; j++) acc += src[offs[j] + x] * k[j];
      dst[out + x] = acc;
    }
  }
}

/**
 * Gaussian blur in place (sigma in px). Exact separable kernel up to sigma 1 px, three box
 * passes per axis beyond (box width matched to sigma), so large blurs stay O(pixels).
 */
export function blur(plane: Plane, sigma: number): void {
  if (sigma < 0.15) return;
  const { w, h, data } = plane;
  if (blurTmp.length < w * h) blurTmp = new Float32Array(w * h);
  if (blurAcc.length < w) blurAcc = new Float32Array(w);
  const tmp = blurTmp;
  if (sigma > 1) {
    // three box blurs of radius r have variance 3 * ((2r+1)^2 - 1) / 12 = sigma^2
    const r = Math.max(1, Math.round((Math.sqrt(4 * sigma * sigma + 1) - 1) / 2));
    for (let k = 0; k < 3; k++) {
      boxRows(data, tmp, w, h, r);
      boxCols(tmp, data, w, h, r, blurAcc);
    }
    return;
  }
  const k = gaussKernel(sigma);
  kernelRows(data, tmp, w, h, k);
  kernelCols(tmp, data, w, h, k);
}

/**
 * Approximately normal noise (sum of four uniforms, unit variance), much cheaper than
 * Box-Muller per pixel and plenty for film grain and sensor noise.
 */
export function noiseField(rng: Rng, n: number, out: Float32Array = new Float32Array(n)): Float32Array {
  const scale = Math.sqrt(3) / 4294967296;
  for (let i = 0; i < n; i++) {
    out[i] = (rng.nextU32() + rng.nextU32() + rng.nextU32() + rng.nextU32() - 2 * 4294967296) * scale;
  }
  return out;
}

/**
 * Smooth value noise in about [-1, 1]: random values on a grid of `cellX` x `cellY` px, smoothstep
 * interpolation, `octaves` halvings of the cell with halved amplitude.
 */
export function valueNoise(
  rng: Rng,
  w: number,
  h: number,
  cellX: number,
  cellY = cellX,
  octaves = 1,
  out: Float32Array = new Float32Array(w * h),
): Float32Array {
  let amp = 1;
  let norm = 0;
  let cx = Math.max(1, cellX);
  let cy = Math.max(1, cellY);
  for (let o = 0; o < octaves; o++) {
    const gw = Math.ceil(w / cx) + 2;
    const gh = Math.ceil(h / cy) + 2;
    const grid = new Float32Array(gw * gh);
    for (let i = 0; i < grid.length; i++) grid[i] = rng.next() * 2 - 1;
    const ox = rng.next();
    const oy = rng.next();
    const ixs = new Int32Array(w);
    const txs = new Float32Array(w);
    for (let x = 0; x < w; x++) {
      const fx = x / cx + ox;
      const ix = Math.floor(fx);
      const tx = fx - ix;
      ixs[x] = ix;
      txs[x] = tx * tx * (3 - 2 * tx);
    }
    for (let y = 0; y < h; y++) {
      const fy = y / cy + oy;
      const iy = Math.floor(fy);
      let ty = fy - iy;
      ty = ty * ty * (3 - 2 * ty);
      const r0 = iy * gw;
      const r1 = r0 + gw;
      const row = y * w;
      for (let x = 0; x < w; x++) {
        const ix = ixs[x];
        const tx = txs[x];
        const g00 = grid[r0 + ix];
        const g01 = grid[r1 + ix];
        const top = g00 + (grid[r0 + ix + 1] - g00) * tx;
        const bot = g01 + (grid[r1 + ix + 1] - g01) * tx;
        out[row + x] += amp * (top + (bot - top) * ty);
      }
    }
    norm += amp;
    amp *= 0.5;
    cx = Math.max(1, cx / 2);
    cy = Math.max(1, cy / 2);
  }
  if (norm !== 1) for (let i = 0; i < out.length; i++) out[i] /= norm;
  return out;
}
