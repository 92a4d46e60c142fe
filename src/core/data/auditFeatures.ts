/**
 * The data audit's image features (TF.js-free): what it measures on one decoded image — exposure
 * statistics, device frame depth per side, film-holder edge marks, ruler and burned-in label
 * overlays, a 32×32 thumbnail — and the comparisons of thumbnails across cases (correlation,
 * detail correlation, profile orientation scores). No judgement here: the flags that explain what
 * the numbers mean are audit.ts's.
 */
import type { Point, RgbaImage } from '../image';
import { type PHash, phashFromThumb } from './phash';
import { resampleRgba, resizeGrey, stretchGeometry, toGrey } from './resize';

/** Rounding of the numbers kept in the features and quoted in the flags. */
export const r0 = (v: number): number => Math.round(v);
export const r2 = (v: number): number => Math.round(v * 100) / 100;

export interface ExposureStats {
  /** Mean luma, 0-255. */
  mean_255: number;
  p1_255: number;
  p5_255: number;
  p50_255: number;
  p95_255: number;
  p99_255: number;
  /** p95 - p5. */
  contrast_255: number;
}

export interface BorderInfo {
  /** Thickness of a uniform band distinct from the inside, per side, in original px (0 = none). */
  top_px: number;
  bottom_px: number;
  left_px: number;
  right_px: number;
  /** Bright or dark blocks touching an edge (film-holder / clip marks). */
  edgeMarks: number;
}

export interface OverlayInfo {
  found: boolean;
  /** Number of analysis tiles that look like it. */
  tiles: number;
  /** Centre of the strongest tile in original px. */
  at?: Point;
  /** Ruler only: tick spacing in original px. */
  period_px?: number;
}

/** What the audit keeps of one image (plain data, about 1 KB). */
export interface ImageFeatures {
  width: number;
  height: number;
  phash: PHash;
  /** 32×32 grey thumbnail (stretched), row-major, 0-255. */
  thumb: Uint8Array;
  /** Photos: 32×32 colour-gradient thumbnail, the orientation descriptor (see photoEdges). */
  edges?: Uint8Array;
  exposure: ExposureStats;
  border: BorderInfo;
  ruler: OverlayInfo;
  label: OverlayInfo;
}

// ---------------------------------------------------------------------------------------------
// Per-image features

/** Longest side of the grey working copy the overlay detectors look at. */
const WORK_MAX_SIDE = 2400;

interface Grey {
  g: Float32Array;
  w: number;
  h: number;
  /** original px per working px */
  f: number;
}

function workingGrey(img: RgbaImage): Grey {
  const full = toGrey(img);
  const m = Math.max(img.width, img.height);
  if (m <= WORK_MAX_SIDE) return { g: full, w: img.width, h: img.height, f: 1 };
  const f = m / WORK_MAX_SIDE;
  const w = Math.max(1, Math.round(img.width / f));
  const h = Math.max(1, Math.round(img.height / f));
  return { g: resizeGrey(full, img.width, img.height, w, h), w, h, f: img.width / w };
}

function exposureStats(g: Float32Array): ExposureStats {
  const hist = new Float64Array(256);
  let sum = 0;
  for (let i = 0; i < g.length; i++) {
    const v = g[i];
    sum += v;
    hist[(v + 0.5) & 255]++; // v is luma in [0, 255]
  }
  const q = (p: number): number => {
    const target = p * g.length;
    let acc = 0;
    for (let i = 0; i < 256; i++) {
      acc += hist[i];
      if (acc >= target) return i;
    }
    return 255;
  };
  const p5 = q(0.05);
  const p95 = q(0.95);
  return {
    mean_255: r2(sum / Math.max(1, g.length)),
    p1_255: q(0.01),
    p5_255: p5,
    p50_255: q(0.5),
    p95_255: p95,
    p99_255: q(0.99),
    contrast_255: p95 - p5,
  };
}

type Side = 'top' | 'bottom' | 'left' | 'right';

/** Value at position i along line d (0 = outermost) of a side. */
function lineValue(G: Grey, side: Side, d: number, i: number): number {
  const { g, w, h } = G;
  if (side === 'top') return g[d * w + i];
  if (side === 'bottom') return g[(h - 1 - d) * w + i];
  if (side === 'left') return g[i * w + d];
  return g[i * w + (w - 1 - d)];
}

/**
 * The audit's one median (0 for no values). An even count gives the mean of the two middle values,
 * or with `even: 'upper'` the upper one — what the frame detector below was tuned with, kept so its
 * results do not move.
 */
export function median(values: ArrayLike<number>, even: 'mean' | 'upper' = 'mean'): number {
  const s = Array.from(values).sort((a, b) => a - b);
  if (s.length === 0) return 0;
  const m = s.length >> 1;
  return s.length % 2 || even === 'upper' ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Thickness of a device frame along a side (0 = none): an unexposed (white) or black band whose
 * inner edge is straight. Per position along the side (central 80 %), the depth over which the
 * image stays within 10-25 levels (2.5 noise SD) of the band colour is measured; a frame has a consistent depth
 * (60 % of positions within 15 % of the median) of at least 3 px and at most 7 % of the image.
 * A dark background that ends where the skull or the face begins has no consistent depth; text or
 * marks printed on the frame interrupt only a few positions.
 */
function frameDepth(G: Grey, side: Side): number {
  const across = side === 'top' || side === 'bottom' ? G.h : G.w;
  const along = side === 'top' || side === 'bottom' ? G.w : G.h;
  const maxD = Math.floor(across * 0.1);
  const a = Math.floor(along * 0.1);
  const b = Math.ceil(along * 0.9);
  const step = Math.max(1, Math.floor((b - a) / 400));
  const outer: number[] = [];
  for (let i = a; i < b; i += step) outer.push(lineValue(G, side, 1, i));
  const v0 = median(outer, 'upper');
  if (!(v0 >= 190 || v0 <= 50)) return 0;
  // tolerance from the band's own noise: a black frame on a dark background differs by only 20 levels
  const sd =
    1.4826 *
    median(
      outer.map((v) => Math.abs(v - v0)),
      'upper',
    );
  const tol = Math.min(25, Math.max(10, 2.5 * sd));
  const depths: number[] = [];
  for (let i = a; i < b; i += step) {
    let d = 1;
    while (d < maxD && Math.abs(lineValue(G, side, d, i) - v0) <= tol) d++;
    depths.push(d);
  }
  const med = median(depths, 'upper');
  if (med < 3 || med > across * 0.07) return 0;
  const depthTol = Math.max(2, 0.15 * med);
  const consistent = depths.filter((d) => Math.abs(d - med) <= depthTol).length / depths.length;
  return consistent >= 0.6 ? med : 0;
}

/**
 * Film-holder marks: bright uniform blocks (> 215/255) touching an edge, 1-12 % of its length,
 * with clearly darker film (60+ levels) on both sides along the edge.
 */
function edgeMarks(G: Grey): number {
  const { g, w, h } = G;
  let marks = 0;
  const depth = Math.max(3, Math.round(Math.min(w, h) * 0.012));
  const scan = (len: number, val: (i: number, d: number) => number): void => {
    // per position along the edge: mean and spread over the strip depth (skipping the outer 1 px)
    const m = new Float32Array(len);
    const bright = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      let s = 0;
      let mn = 255;
      let mx = 0;
      for (let d = 1; d <= depth; d++) {
        const v = val(i, d);
        s += v;
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
      m[i] = s / depth;
      bright[i] = mx - mn < 25 && m[i] > 215 ? 1 : 0;
    }
    const minRun = Math.max(3, Math.round(len * 0.01));
    const maxRun = Math.round(len * 0.12);
    const gap = Math.max(2, Math.round(len * 0.005));
    let start = -1;
    for (let i = 0; i <= len; i++) {
      const on = i < len && bright[i] === 1;
      if (on && start < 0) start = i;
      if (!on && start >= 0) {
        const run = i - start;
        if (run >= minRun && run <= maxRun) {
          let inside = 0;
          for (let k = start; k < i; k++) inside += m[k];
          inside /= run;
          const before = start - gap >= 0 ? m[start - gap] : null;
          const after = i - 1 + gap < len ? m[i - 1 + gap] : null;
          const darker = (v: number | null): boolean => v !== null && inside - v >= 60;
          if (
            (darker(before) || before === null) &&
            (darker(after) || after === null) &&
            (before ?? after) !== null
          )
            marks++;
        }
        start = -1;
      }
    }
  };
  scan(w, (x, d) => g[d * w + x]);
  scan(w, (x, d) => g[(h - 1 - d) * w + x]);
  scan(h, (y, d) => g[y * w + d]);
  scan(h, (y, d) => g[y * w + (w - 1 - d)]);
  return marks;
}

/** Strong transitions along one sampled line: positions (centres), signs and magnitudes. */
interface LineTransitions {
  pos: Float32Array;
  sign: Int8Array;
  mag: Float32Array;
}

/**
 * Transitions along a whole row (alongX) or column: runs where the 3-px difference exceeds thr,
 * one transition per run at its centre, with the run's largest |difference|.
 */
function lineTransitions(G: Grey, fixed: number, alongX: boolean, thr: number): LineTransitions {
  const { g, w, h } = G;
  const len = alongX ? w : h;
  const stride = alongX ? 1 : w;
  const base = alongX ? fixed * w : fixed;
  const pos: number[] = [];
  const sign: number[] = [];
  const mag: number[] = [];
  let runStart = -1;
  let runSign = 0;
  let runMag = 0;
  const close = (end: number): void => {
    pos.push((runStart + end) / 2 + 1.5);
    sign.push(runSign);
    mag.push(runMag);
  };
  for (let i = 0; i < len - 3; i++) {
    const d = g[base + (i + 3) * stride] - g[base + i * stride];
    const s = d >= thr ? 1 : d <= -thr ? -1 : 0;
    if (s !== runSign) {
      if (runSign !== 0) close(i - 1);
      runStart = i;
      runSign = s;
      runMag = 0;
    }
    if (s !== 0 && Math.abs(d) > runMag) runMag = Math.abs(d);
  }
  if (runSign !== 0) close(len - 4);
  return { pos: Float32Array.from(pos), sign: Int8Array.from(sign), mag: Float32Array.from(mag) };
}

/** A regular comb of same-sign transitions along one line (ruler ticks). */
interface Comb {
  line: number;
  from: number;
  to: number;
  period: number;
}

/**
 * Runs of >= 7 same-sign transitions (6 gaps), each gap within 12 % of the running mean and 3-60 px:
 * a scale has many identical ticks; anatomy that repeats (cervical vertebrae, teeth) has fewer
 * repetitions and less regular spacing.
 */
function combs(t: LineTransitions, line: number, out: Comb[]): void {
  for (const sgn of [1, -1]) {
    const p: number[] = [];
    for (let i = 0; i < t.pos.length; i++) if (t.sign[i] === sgn) p.push(t.pos[i]);
    let i = 0;
    while (i + 6 < p.length) {
      const g0 = p[i + 1] - p[i];
      if (g0 < 3 || g0 > 60) {
        i++;
        continue;
      }
      let j = i + 1;
      let sum = g0;
      while (j + 1 < p.length) {
        const gap = p[j + 1] - p[j];
        const mean = sum / (j - i);
        if (Math.abs(gap - mean) > 0.12 * mean) break;
        sum += gap;
        j++;
      }
      if (j - i >= 6) {
        out.push({ line, from: p[i], to: p[j], period: sum / (j - i) });
        i = j;
      } else i++;
    }
  }
}

/** Number of transitions of a line within [a, b) with magnitude >= thr. */
function countIn(t: LineTransitions, a: number, b: number, thr: number): number {
  let n = 0;
  for (let i = 0; i < t.pos.length; i++) {
    const p = t.pos[i];
    if (p >= b) break;
    if (p >= a && t.mag[i] >= thr) n++;
  }
  return n;
}

/**
 * Ruler ticks and burned-in text, from strong transitions along sampled rows and columns.
 * A ruler: several neighbouring parallel lines crossing the same regular comb of ticks (3-60 px
 * apart). Text: in a tile, many lines crossing 4+ strong edges in BOTH directions and no comb.
 * Anatomy has softer edges and neither pattern; a straight frame edge or a film-holder mark
 * crosses at most two edges per line.
 */
function overlays(G: Grey, exposure: ExposureStats): { ruler: OverlayInfo; label: OverlayInfo } {
  const { w, h, f } = G;
  const range = Math.max(1, exposure.p99_255 - exposure.p1_255);
  const thrLow = Math.max(20, 0.1 * range);
  const thrText = Math.max(40, 0.3 * range);
  // every line up to 1200 px, every 2nd up to 2400, ...
  const step = Math.max(1, Math.round(Math.max(w, h) / 1200));
  const rows: LineTransitions[] = [];
  const cols: LineTransitions[] = [];
  for (let y = 0; y < h; y += step) rows.push(lineTransitions(G, y, true, thrLow));
  for (let x = 0; x < w; x += step) cols.push(lineTransitions(G, x, false, thrLow));

  const T = Math.max(24, Math.round(Math.max(w, h) / 25));
  // ruler: combs on neighbouring lines (within 6 sampled lines) that overlap and share the period
  const ruler: OverlayInfo = { found: false, tiles: 0 };
  let best = 0;
  for (const [lines, vertical] of [
    [cols, true],
    [rows, false],
  ] as const) {
    const all: Comb[] = [];
    lines.forEach((t, i) => combs(t, i, all));
    all.sort((a, b) => a.line - b.line);
    for (let i = 0; i < all.length; i++) {
      const c = all[i];
      let agree = 1;
      for (let j = i + 1; j < all.length && all[j].line - c.line <= 6; j++) {
        const d = all[j];
        if (Math.abs(d.period - c.period) / c.period < 0.1 && d.from < c.to && c.from < d.to) agree++;
      }
      if (agree >= 3) {
        // text (a row of evenly spaced characters) also makes combs; but lines across a text
        // comb cross many strokes too, lines across ruler ticks only the bar
        const perp = vertical ? rows : cols;
        const a = c.line * step - T / 2;
        const b = c.line * step + T / 2;
        let busyN = 0;
        let n = 0;
        for (let k = Math.ceil(c.from / step); k * step <= c.to; k++, n++)
          if (countIn(perp[k], a, b, thrText) >= 4) busyN++;
        if (busyN / Math.max(1, n) >= 0.3) continue;
        ruler.tiles++;
        if (agree > best) {
          best = agree;
          const along = (c.from + c.to) / 2;
          const across = c.line * step;
          ruler.at = vertical ? [across * f, along * f] : [along * f, across * f];
          ruler.period_px = r2(c.period * f);
        }
      }
    }
  }
  ruler.found = ruler.tiles > 0;

  // text: tiles of ~1/25 of the longer side, half-overlapping
  const label: OverlayInfo = { found: false, tiles: 0 };
  let bestBusy = 0;
  // tile origins every T/2, plus one flush with the far edge so the margins are always covered
  const origins = (len: number): number[] => {
    const o: number[] = [];
    for (let a = 0; a + T <= len; a += T >> 1) o.push(a);
    if (len >= T && o[o.length - 1] !== len - T) o.push(len - T);
    return o;
  };
  const xs = origins(w);
  for (const y0 of origins(h)) {
    for (const x0 of xs) {
      // labels are burned into the margins (corners, top and bottom), not over the anatomy
      const mx = (x0 + T / 2) / w;
      const my = (y0 + T / 2) / h;
      if (my > 0.15 && my < 0.85 && mx > 0.1 && mx < 0.9) continue;
      let rowsBusy = 0;
      let rowsN = 0;
      for (let r = Math.ceil(y0 / step); r * step < y0 + T; r++, rowsN++)
        if (countIn(rows[r], x0, x0 + T, thrText) >= 4) rowsBusy++;
      if (rowsBusy / rowsN < 0.12) continue;
      let colsBusy = 0;
      let colsN = 0;
      for (let c = Math.ceil(x0 / step); c * step < x0 + T; c++, colsN++)
        if (countIn(cols[c], y0, y0 + T, thrText) >= 4) colsBusy++;
      const busy = Math.min(rowsBusy / rowsN, colsBusy / colsN);
      if (busy < 0.12) continue;
      // a ruler's comb is not text
      const cx = (x0 + T / 2) * f;
      const cy = (y0 + T / 2) * f;
      if (ruler.at && Math.hypot(ruler.at[0] - cx, ruler.at[1] - cy) < T * f) continue;
      label.tiles++;
      if (busy > bestBusy) {
        bestBusy = busy;
        label.at = [cx, cy];
      }
    }
  }
  label.found = label.tiles > 0;
  return { ruler, label };
}

/**
 * Orientation descriptor of a photo: a 32×32 thumbnail of the colour-gradient magnitude (computed
 * at 64 px width). Edges (forehead, nose, lips and chin against the backdrop; hairline; ear) do
 * not depend on skin, hair, clothing or backdrop colours, which dominate a plain grey thumbnail.
 * On the phantom's photos: every normal photo scores > +0.15 and every mirrored one < -0.25.
 */
export function photoEdges(img: RgbaImage): Uint8Array {
  const w = Math.max(3, Math.min(64, img.width));
  const h = Math.max(3, Math.round((w * img.height) / img.width));
  const { data: d } = resampleRgba(img, stretchGeometry(img.width, img.height, w, h));
  const m = new Float32Array(w * h);
  for (let y = 1; y < h - 1; y++)
    for (let x = 1; x < w - 1; x++) {
      let s = 0;
      for (let c = 0; c < 3; c++) {
        const gx = d[(y * w + x + 1) * 4 + c] - d[(y * w + x - 1) * 4 + c];
        const gy = d[((y + 1) * w + x) * 4 + c] - d[((y - 1) * w + x) * 4 + c];
        s += Math.sqrt(gx * gx + gy * gy);
      }
      m[y * w + x] = s / 3;
    }
  const t = resizeGrey(m, w, h, 32, 32);
  const out = new Uint8Array(32 * 32);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(255, Math.round(t[i] * 2));
  return out;
}

/** The audit's view of one image (photos also get their edge thumbnail for the orientation check). */
export function computeImageFeatures(img: RgbaImage, kind: 'photo' | 'xray' = 'xray'): ImageFeatures {
  const G = workingGrey(img);
  const exposure = exposureStats(G.g);
  const thumbF = resizeGrey(G.g, G.w, G.h, 32, 32);
  const thumb = new Uint8Array(32 * 32);
  for (let i = 0; i < thumb.length; i++) thumb[i] = Math.round(Math.min(255, Math.max(0, thumbF[i])));
  const border: BorderInfo = {
    top_px: r0(frameDepth(G, 'top') * G.f),
    bottom_px: r0(frameDepth(G, 'bottom') * G.f),
    left_px: r0(frameDepth(G, 'left') * G.f),
    right_px: r0(frameDepth(G, 'right') * G.f),
    edgeMarks: edgeMarks(G),
  };
  const { ruler, label } = overlays(G, exposure);
  return {
    width: img.width,
    height: img.height,
    phash: phashFromThumb(thumbF),
    thumb,
    exposure,
    border,
    ruler,
    label,
    ...(kind === 'photo' ? { edges: photoEdges(img) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Thumbnails compared across cases

/** Zero-mean, unit-norm copy of a thumbnail (and its mirror image). */
function normalised(thumb: Uint8Array, mirror: boolean): Float64Array {
  const n = thumb.length;
  const out = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) m += thumb[i];
  m /= n;
  let s = 0;
  for (let y = 0; y < 32; y++)
    for (let x = 0; x < 32; x++) {
      const v = thumb[y * 32 + (mirror ? 31 - x : x)] - m;
      out[y * 32 + x] = v;
      s += v * v;
    }
  const k = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < n; i++) out[i] *= k;
  return out;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Correlation of two 32×32 thumbnails (-1..1). */
export function thumbnailCorrelation(a: Uint8Array, b: Uint8Array): number {
  return dot(normalised(a, false), normalised(b, false));
}

/** A 32×32 thumbnail minus its 8×8 blur (the detail that tells two patients apart). */
function detail(thumb: Uint8Array): Uint8Array {
  const f = Float32Array.from(thumb);
  const blur = resizeGrey(resizeGrey(f, 32, 32, 8, 8), 8, 8, 32, 32);
  const out = new Uint8Array(32 * 32);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(128 + f[i] - blur[i])));
  return out;
}

/**
 * Correlation of the detail (high-pass) of two 32×32 thumbnails: 0.999+ for a re-saved or noisy
 * copy, at most 0.89 between different phantom patients and far lower between real films, where
 * the plain thumbnails of one device's films correlate up to 0.98.
 */
export function detailCorrelation(a: Uint8Array, b: Uint8Array): number {
  return thumbnailCorrelation(detail(a), detail(b));
}

/**
 * Orientation against the majority: each image is compared with a template of all the others
 * (leave-one-out), as is and mirrored; images are aligned iteratively, then the minority side is
 * reported. Score > 0: like the majority; < 0: mirrored relative to it.
 */
export function orientationScores(thumbs: readonly Uint8Array[]): {
  scores: number[];
  majorityShare: number;
} {
  const n = thumbs.length;
  const xs = thumbs.map((t) => normalised(t, false));
  const ms = thumbs.map((t) => normalised(t, true));
  const sign = new Array<number>(n).fill(1);
  const len = 32 * 32;
  const scores = new Array<number>(n).fill(0);
  for (let iter = 0; iter < 20; iter++) {
    const sum = new Float64Array(len);
    for (let i = 0; i < n; i++) {
      const v = sign[i] > 0 ? xs[i] : ms[i];
      for (let k = 0; k < len; k++) sum[k] += v[k];
    }
    let changed = false;
    for (let i = 0; i < n; i++) {
      const own = sign[i] > 0 ? xs[i] : ms[i];
      const t = new Float64Array(len);
      for (let k = 0; k < len; k++) t[k] = sum[k] - own[k];
      const tn = Math.sqrt(dot(t, t)) || 1;
      // correlation with the template of all others, minus the same for the mirror image
      scores[i] = (dot(xs[i], t) - dot(ms[i], t)) / tn;
      const s = scores[i] >= 0 ? 1 : -1;
      if (s !== sign[i]) {
        sign[i] = s;
        changed = true;
      }
    }
    if (!changed) break;
  }
  const plus = sign.filter((s) => s > 0).length;
  const majority = plus >= n - plus ? 1 : -1;
  return {
    scores: scores.map((s) => Math.round(majority * s * 1000) / 1000 || 0),
    majorityShare: Math.max(plus, n - plus) / Math.max(1, n),
  };
}
