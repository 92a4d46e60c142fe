/**
 * The data audit: run on import, it explains what it sees in each case and never deletes or
 * excludes anything (exclusion is the user's decision, CaseState in dataset.ts).
 *
 * Two steps, so the import worker does not need to keep images in memory:
 * 1. `auditCase(input)` looks at one case's decoded images and landmarks and returns its
 *    `CaseFeatures`: small numbers and 32×32 thumbnails (about 3 KB per case) plus the flags that need
 *    only this case (unpaired, unreadable, size/aspect mismatch, device border / ruler / label,
 *    absolute exposure, landmark count / position).
 * 2. `auditDataset(cases)` adds the flags that need the whole dataset: orientation against the
 *    majority (photo profile facing the other way, mirrored X-ray), exposure far from the rest of
 *    the dataset, and near-duplicate cases (perceptual hash, confirmed by the detail correlation of
 *    the thumbnails).
 *
 * Severity
 * - error: the case cannot be used as it is (unpaired, unreadable, landmarks wrong).
 * - warning: worth a look before training (orientation, mismatch, exposure, duplicates).
 * - info: normal for cephalograms. Device borders, film-holder marks, rulers and burned-in labels
 *   are on nearly every film; the clinic's first audit flagged 326 "border issues", mostly these,
 *   which are not reasons to exclude a case.
 */
import type { Point, RgbaImage } from '../image';
import type { AuditCode, AuditFlag, FlagDetail, Severity } from './dataset';
import { hammingDistance, phashFromThumb, type PHash } from './phash';
import { resampleRgba, resizeGrey, stretchGeometry, toGrey } from './resize';

// ---------------------------------------------------------------------------------------------
// Types

export interface AuditCaseInput {
  id: string;
  /** Decoded images; null/undefined when missing (unpaired) or unreadable (see `unreadable`). */
  photo?: RgbaImage | null;
  xray?: RgbaImage | null;
  photoFile?: string;
  xrayFile?: string;
  /** Files of this case that could not be decoded, with the decoder's message. */
  unreadable?: { file: string; message: string }[];
  /** Landmarks in original X-ray pixels (null/undefined: the case has none). */
  landmarks?: readonly Point[] | null;
  landmarkFile?: string;
}

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

export interface CaseFeatures {
  kind: 'case-features';
  id: string;
  photoFile?: string;
  xrayFile?: string;
  photo: ImageFeatures | null;
  xray: ImageFeatures | null;
  /** Flags that need only this case. */
  flags: AuditFlag[];
}

export interface AuditOptions {
  /** Landmarks per case (default 19, ISBI). null = do not check the count. */
  expectedLandmarks?: number | null;
  /** pHash distance (bits) for near-duplicate candidates (default 10). */
  duplicateBits?: number;
  /** Detail correlation of the thumbnails confirming a near duplicate (default 0.97, see detailCorrelation). */
  duplicateCorrelation?: number;
  /** Fewest images of a kind before orientation is judged against the majority (default 5). */
  minCasesForOrientation?: number;
  /**
   * A case is flagged when its orientation score is below -margin (default 0.15). The score is the
   * thumbnail's correlation with the leave-one-out template of the others minus that of its
   * mirror image: about +0.7..0.9 for real cephalograms facing like the majority, -0.7 for a
   * mirrored one, near 0 for images without a left/right structure.
   */
  orientationMargin?: number;
}

const DEFAULTS = {
  expectedLandmarks: 19,
  duplicateBits: 10,
  duplicateCorrelation: 0.97,
  minCasesForOrientation: 5,
  orientationMargin: 0.15,
};

export interface ExposureLimits {
  darkMean: number;
  darkP95: number;
  brightMean: number;
  brightP5: number;
  minContrast: number;
}

/**
 * Thresholds of the exposure flags (0-255 luma), per kind of image. X-rays: a film is too dark
 * when its mean AND its 95th percentile are low (bone must reach the bright range), too bright
 * when its mean AND its 5th percentile are high (air must stay dark). Photos on a light backdrop
 * are bright by nature, so their limits are wider.
 */
export const EXPOSURE_LIMITS: {
  xray: ExposureLimits;
  photo: ExposureLimits;
  outlierZ: number;
  outlierLevels: number;
} = {
  xray: { darkMean: 50, darkP95: 120, brightMean: 205, brightP5: 130, minContrast: 50 },
  photo: { darkMean: 40, darkP95: 90, brightMean: 230, brightP5: 200, minContrast: 30 },
  /** Robust z-score (median / MAD) beyond which a case's mean is far from the dataset's ... */
  outlierZ: 4,
  /** ... and at least this many grey levels away. */
  outlierLevels: 50,
};

// ---------------------------------------------------------------------------------------------
// Messages (en + zh)

function flag(
  code: AuditCode,
  severity: Severity,
  caseId: string,
  message: string,
  messageZh: string,
  details: Record<string, FlagDetail>,
  file?: string,
): AuditFlag {
  return file
    ? { code, severity, caseId, file, message, messageZh, details }
    : { code, severity, caseId, message, messageZh, details };
}

const r0 = (v: number): number => Math.round(v);
const r2 = (v: number): number => Math.round(v * 100) / 100;

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

function medianOf(v: ArrayLike<number>): number {
  const s = Array.from(v).sort((a, b) => a - b);
  return s.length ? s[s.length >> 1] : 0;
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
  const v0 = medianOf(outer);
  if (!(v0 >= 190 || v0 <= 50)) return 0;
  // tolerance from the band's own noise: a black frame on a dark background differs by only 20 levels
  const sd = 1.4826 * medianOf(outer.map((v) => Math.abs(v - v0)));
  const tol = Math.min(25, Math.max(10, 2.5 * sd));
  const depths: number[] = [];
  for (let i = a; i < b; i += step) {
    let d = 1;
    while (d < maxD && Math.abs(lineValue(G, side, d, i) - v0) <= tol) d++;
    depths.push(d);
  }
  const med = medianOf(depths);
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
// Per-case flags

function imageFlags(id: string, kind: 'photo' | 'xray', f: ImageFeatures, file?: string): AuditFlag[] {
  const out: AuditFlag[] = [];
  const what = kind === 'photo' ? 'photo' : 'X-ray';
  const whatZh = kind === 'photo' ? '照片' : 'X线片';
  const e = f.exposure;
  const L = EXPOSURE_LIMITS[kind];
  const expo: Record<string, FlagDetail> = { ...e };
  if (e.mean_255 < L.darkMean && e.p95_255 < L.darkP95) {
    out.push(
      flag(
        'too-dark',
        'warning',
        id,
        `The ${what} is very dark: mean ${e.mean_255.toFixed(0)}/255, 95th percentile ${e.p95_255}/255 ` +
          `(limits ${L.darkMean} and ${L.darkP95}). Check the export or the exposure.`,
        `${whatZh}过暗：平均灰度 ${e.mean_255.toFixed(0)}/255，95% 分位 ${e.p95_255}/255。请检查导出或曝光。`,
        expo,
        file,
      ),
    );
  } else if (e.mean_255 > L.brightMean && e.p5_255 > L.brightP5) {
    out.push(
      flag(
        'too-bright',
        'warning',
        id,
        `The ${what} is very bright: mean ${e.mean_255.toFixed(0)}/255, 5th percentile ${e.p5_255}/255 ` +
          `(limits ${L.brightMean} and ${L.brightP5}). Check the export or the exposure.`,
        `${whatZh}过亮：平均灰度 ${e.mean_255.toFixed(0)}/255，5% 分位 ${e.p5_255}/255。请检查导出或曝光。`,
        expo,
        file,
      ),
    );
  }
  if (e.contrast_255 < L.minContrast) {
    out.push(
      flag(
        'low-contrast',
        'warning',
        id,
        `The ${what} has low contrast: the 5th-95th percentile range is ${e.contrast_255}/255 grey levels ` +
          `(below ${L.minContrast}). ${kind === 'xray' ? 'Bone edges may be hard to learn.' : 'Check the lighting or the export.'}`,
        `${whatZh}对比度低：5%–95% 分位范围仅 ${e.contrast_255}/255 灰度级（低于 ${L.minContrast}），${kind === 'xray' ? '骨缘可能难以学习' : '请检查光照或导出'}。`,
        expo,
        file,
      ),
    );
  }
  const b = f.border;
  const sides = (['top', 'bottom', 'left', 'right'] as const).filter((s) => b[`${s}_px`] > 0);
  // device frames and film-holder marks belong to X-ray films; a photo's backdrop is not one
  if (kind === 'xray' && (sides.length || b.edgeMarks >= 2)) {
    const parts: string[] = [];
    if (sides.length)
      parts.push(`a uniform margin on the ${sides.map((s) => `${s} (${b[`${s}_px`]} px)`).join(', ')}`);
    if (b.edgeMarks >= 2) parts.push(`${b.edgeMarks} film-holder marks at the edges`);
    out.push(
      flag(
        'device-border',
        'info',
        id,
        `Device border on the ${what}: ${parts.join(' and ')}. This is normal for cephalograms and not a reason to exclude the case.`,
        `${whatZh}有设备边框：${sides.length ? `边缘均匀带（${sides.join('、')}）` : ''}${b.edgeMarks >= 2 ? `边缘夹片标记 ${b.edgeMarks} 处` : ''}。这在头颅侧位片中很常见，不是剔除理由。`,
        { ...b, sides: sides.map(String) },
        file,
      ),
    );
  }
  if (f.ruler.found) {
    out.push(
      flag(
        'ruler',
        'info',
        id,
        `A ruler or scale with ticks every ${f.ruler.period_px} px is burned into the ${what} near ` +
          `(${r0(f.ruler.at![0])}, ${r0(f.ruler.at![1])}). Normal for cephalograms (nasion relator / calibration scale); not a reason to exclude.`,
        `${whatZh}上有标尺（刻度间距约 ${f.ruler.period_px} 像素，位置约 (${r0(f.ruler.at![0])}, ${r0(f.ruler.at![1])})）。头颅侧位片常见，不是剔除理由。`,
        { tiles: f.ruler.tiles, period_px: f.ruler.period_px ?? 0, at: f.ruler.at!.map(r0) },
        file,
      ),
    );
  }
  if (f.label.found) {
    out.push(
      flag(
        'burned-in-label',
        'info',
        id,
        `Burned-in text (label or ID) on the ${what} near (${r0(f.label.at![0])}, ${r0(f.label.at![1])}). ` +
          'Normal for cephalograms and not a reason to exclude; check that no patient name leaves the clinic.',
        `${whatZh}上有烧录文字（标签/编号），位置约 (${r0(f.label.at![0])}, ${r0(f.label.at![1])})。属正常现象，不是剔除理由；注意患者信息不要外传。`,
        { tiles: f.label.tiles, at: f.label.at!.map(r0) },
        file,
      ),
    );
  }
  return out;
}

/** Features and per-case flags of one case. */
export function auditCase(input: AuditCaseInput, opts: AuditOptions = {}): CaseFeatures {
  const o = { ...DEFAULTS, ...opts };
  const id = input.id;
  const flags: AuditFlag[] = [];
  for (const u of input.unreadable ?? []) {
    flags.push(
      flag(
        'unreadable',
        'error',
        id,
        `${u.file} cannot be read: ${u.message}`,
        `${u.file} 无法读取：${u.message}`,
        { message: u.message },
        u.file,
      ),
    );
  }
  const unreadableFiles = new Set((input.unreadable ?? []).map((u) => u.file));
  const photo = input.photo ? computeImageFeatures(input.photo, 'photo') : null;
  const xray = input.xray ? computeImageFeatures(input.xray, 'xray') : null;
  const photoMissing = !photo && !(input.photoFile && unreadableFiles.has(input.photoFile));
  const xrayMissing = !xray && !(input.xrayFile && unreadableFiles.has(input.xrayFile));
  if (photoMissing !== xrayMissing) {
    const has = photoMissing ? 'X-ray' : 'photo';
    const lacks = photoMissing ? 'photo' : 'X-ray';
    flags.push(
      flag(
        'unpaired',
        'error',
        id,
        `Case "${id}" has a ${has} but no ${lacks}; it cannot be used for training until the ${lacks} is added.`,
        `病例 "${id}" 只有${photoMissing ? 'X线片' : '照片'}，缺少${photoMissing ? '照片' : 'X线片'}，补齐前不能用于训练。`,
        { missing: lacks },
        photoMissing ? input.xrayFile : input.photoFile,
      ),
    );
  }
  if (photo && xray) {
    const ap = photo.width / photo.height;
    const ax = xray.width / xray.height;
    const rel = Math.abs(ap - ax) / ax;
    const details = {
      photo_px: [photo.width, photo.height],
      xray_px: [xray.width, xray.height],
      aspectDifference_pct: r2(rel * 100),
    };
    if (rel > 0.02) {
      flags.push(
        flag(
          'aspect-mismatch',
          'warning',
          id,
          `Photo ${photo.width}×${photo.height} px and X-ray ${xray.width}×${xray.height} px have different aspect ratios ` +
            `(${(rel * 100).toFixed(1)} % apart): the pair may not be aligned; check the crop of one of them.`,
          `照片 ${photo.width}×${photo.height} 与 X线片 ${xray.width}×${xray.height} 宽高比相差 ${(rel * 100).toFixed(1)}%，两者可能未对齐，请检查裁剪。`,
          details,
        ),
      );
    } else if (photo.width !== xray.width || photo.height !== xray.height) {
      flags.push(
        flag(
          'size-mismatch',
          'warning',
          id,
          `Photo ${photo.width}×${photo.height} px and X-ray ${xray.width}×${xray.height} px differ in size (same aspect ratio): ` +
            'both are resampled to the training size, but check that they come from the same export.',
          `照片 ${photo.width}×${photo.height} 与 X线片 ${xray.width}×${xray.height} 尺寸不同（宽高比一致）：训练时会统一缩放，但请确认来自同一次导出。`,
          details,
        ),
      );
    }
  }
  if (photo) flags.push(...imageFlags(id, 'photo', photo, input.photoFile));
  if (xray) flags.push(...imageFlags(id, 'xray', xray, input.xrayFile));
  const lm = input.landmarks;
  if (lm) {
    if (o.expectedLandmarks !== null && lm.length !== o.expectedLandmarks) {
      flags.push(
        flag(
          'landmark-count',
          'error',
          id,
          `${lm.length} landmarks, ${o.expectedLandmarks} expected for this dataset's landmark set; the landmarks of this case are not used.`,
          `标志点数量为 ${lm.length}，本数据集应为 ${o.expectedLandmarks}；该病例的标志点不会被使用。`,
          { count: lm.length, expected: o.expectedLandmarks },
          input.landmarkFile,
        ),
      );
    }
    if (xray) {
      const outside = lm
        .map((p, i) => [i, p] as const)
        .filter(([, p]) => !(p[0] >= 0 && p[1] >= 0 && p[0] <= xray.width && p[1] <= xray.height));
      if (outside.length) {
        const list = outside
          .slice(0, 4)
          .map(([i, p]) => `#${i + 1} (${r0(p[0])}, ${r0(p[1])})`)
          .join(', ');
        flags.push(
          flag(
            'landmarks-outside',
            'error',
            id,
            `${outside.length} landmark(s) lie outside the ${xray.width}×${xray.height} px X-ray: ${list}${outside.length > 4 ? ', …' : ''}. ` +
              'The file probably belongs to another image or uses another scale.',
            `${outside.length} 个标志点位于 X线片（${xray.width}×${xray.height}）之外：${list}。标注文件可能属于其他图像或比例不同。`,
            { indices: outside.map(([i]) => i), xray_px: [xray.width, xray.height] },
            input.landmarkFile,
          ),
        );
      }
    }
  }
  return {
    kind: 'case-features',
    id,
    ...(input.photoFile ? { photoFile: input.photoFile } : {}),
    ...(input.xrayFile ? { xrayFile: input.xrayFile } : {}),
    photo,
    xray,
    flags,
  };
}

// ---------------------------------------------------------------------------------------------
// Dataset-level flags

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

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function isCaseFeatures(c: AuditCaseInput | CaseFeatures): c is CaseFeatures {
  return (c as CaseFeatures).kind === 'case-features';
}

export interface AuditResult {
  /** Every flag: per-case and dataset-level, grouped by case in input order. */
  flags: AuditFlag[];
  features: CaseFeatures[];
  byCase: Record<string, AuditFlag[]>;
}

/**
 * Audit a whole dataset. `cases` are inputs with images (audited here) or CaseFeatures from
 * earlier auditCase calls (the import worker's path: features are small, images are not kept).
 */
export function auditDataset(
  cases: readonly (AuditCaseInput | CaseFeatures)[],
  opts: AuditOptions = {},
): AuditResult {
  const o = { ...DEFAULTS, ...opts };
  const features = cases.map((c) => (isCaseFeatures(c) ? c : auditCase(c, opts)));
  const extra = new Map<string, AuditFlag[]>();
  const add = (f: AuditFlag): void => {
    const l = extra.get(f.caseId) ?? [];
    l.push(f);
    extra.set(f.caseId, l);
  };

  for (const kind of ['photo', 'xray'] as const) {
    const items = features.filter((c) => c[kind]).map((c) => ({ c, f: c[kind]! }));
    const what = kind === 'photo' ? 'photo' : 'X-ray';
    // orientation
    if (items.length >= o.minCasesForOrientation) {
      const { scores, majorityShare } = orientationScores(items.map((i) => i.f.edges ?? i.f.thumb));
      items.forEach(({ c }, i) => {
        if (scores[i] >= -o.orientationMargin) return;
        const file = kind === 'photo' ? c.photoFile : c.xrayFile;
        const details = { score: scores[i], majorityShare_pct: r0(majorityShare * 100) };
        add(
          kind === 'photo'
            ? flag(
                'photo-orientation',
                'warning',
                c.id,
                `The profile in this photo faces the opposite way from ${r0(majorityShare * 100)} % of the dataset's photos. ` +
                  'Mirror it (or its X-ray) so that all cases face the same way, or exclude it.',
                `该照片的侧貌朝向与数据集中 ${r0(majorityShare * 100)}% 的照片相反。请镜像翻转使朝向一致，或将其排除。`,
                details,
                file,
              )
            : flag(
                'xray-mirrored',
                'warning',
                c.id,
                `This X-ray looks mirrored: the face points the other way than in ${r0(majorityShare * 100)} % of the dataset's X-rays. ` +
                  'Check the export (a flipped film swaps left and right structures); mirror it back or exclude it.',
                `该X线片疑似左右镜像：面部朝向与数据集中 ${r0(majorityShare * 100)}% 的X线片相反。请检查导出，翻转回来或排除。`,
                details,
                file,
              ),
        );
      });
    }
    // exposure relative to the dataset
    if (items.length >= 5) {
      const means = items.map((i) => i.f.exposure.mean_255);
      const med = median(means);
      const mad = median(means.map((m) => Math.abs(m - med))) * 1.4826 || 1;
      items.forEach(({ c, f }) => {
        const m = f.exposure.mean_255;
        const z = (m - med) / mad;
        const own = c.flags.some(
          (x) =>
            (x.code === 'too-dark' || x.code === 'too-bright') &&
            x.file === (kind === 'photo' ? c.photoFile : c.xrayFile),
        );
        if (
          !own &&
          Math.abs(z) > EXPOSURE_LIMITS.outlierZ &&
          Math.abs(m - med) >= EXPOSURE_LIMITS.outlierLevels
        ) {
          const darker = m < med;
          add(
            flag(
              'exposure-outlier',
              'warning',
              c.id,
              `The ${what} is much ${darker ? 'darker' : 'brighter'} than the rest of the dataset: mean ${m.toFixed(0)}/255 ` +
                `against a median of ${med.toFixed(0)}/255 (${Math.abs(z).toFixed(1)} robust SD). Check its export or exposure.`,
              `该${kind === 'photo' ? '照片' : 'X线片'}明显${darker ? '偏暗' : '偏亮'}：平均灰度 ${m.toFixed(0)}/255，数据集中位数 ${med.toFixed(0)}/255。请检查导出或曝光。`,
              { mean_255: m, datasetMedian_255: r2(med), robustZ: r2(z) },
              kind === 'photo' ? c.photoFile : c.xrayFile,
            ),
          );
        }
      });
    }
  }

  // near-duplicate cases: pHash candidates confirmed by detail correlation, on either image
  const dupPairs = new Map<
    string,
    { a: CaseFeatures; b: CaseFeatures; which: string[]; bits: number[]; corr: number[] }
  >();
  for (const kind of ['xray', 'photo'] as const) {
    const items = features.filter((c) => c[kind]);
    for (let i = 0; i < items.length; i++)
      for (let j = i + 1; j < items.length; j++) {
        const fa = items[i][kind]!;
        const fb = items[j][kind]!;
        const bits = hammingDistance(fa.phash, fb.phash);
        if (bits > o.duplicateBits) continue;
        const corr = detailCorrelation(fa.thumb, fb.thumb);
        if (corr < o.duplicateCorrelation) continue;
        const key = `${items[i].id}\u0000${items[j].id}`;
        const e = dupPairs.get(key) ?? { a: items[i], b: items[j], which: [], bits: [], corr: [] };
        e.which.push(kind === 'photo' ? 'photo' : 'X-ray');
        e.bits.push(bits);
        e.corr.push(r2(corr * 1000) / 1000);
        dupPairs.set(key, e);
      }
  }
  for (const { a, b, which, bits, corr } of dupPairs.values()) {
    for (const [self, other] of [
      [a, b],
      [b, a],
    ] as const) {
      add(
        flag(
          'near-duplicate',
          'warning',
          self.id,
          `Near duplicate of case "${other.id}": the ${which.join(' and the ')} ${which.length > 1 ? 'are' : 'is'} almost identical ` +
            `(perceptual hash ${bits.join(' / ')} bits apart, correlation ${corr.map((c) => c.toFixed(3)).join(' / ')}). ` +
            'A case imported twice inflates its weight and can leak between train and val; keep one.',
          `与病例 "${other.id}" 近似重复（${which.join('、')}几乎相同）。重复导入会增加权重并可能在训练集与验证集之间泄漏，请保留一个。`,
          { other: other.id, images: which, hashBits: bits, correlation: corr },
        ),
      );
    }
  }

  const byCase: Record<string, AuditFlag[]> = {};
  const flags: AuditFlag[] = [];
  for (const c of features) {
    const list = [...c.flags, ...(extra.get(c.id) ?? [])];
    byCase[c.id] = list;
    flags.push(...list);
  }
  return { flags, features, byCase };
}

// ---------------------------------------------------------------------------------------------
// Summary

export interface AuditSummaryRow {
  code: AuditCode;
  severity: Severity;
  /** Number of flags. */
  count: number;
  /** Number of distinct cases. */
  cases: number;
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Flags counted by code × severity (errors first, then warnings, then info; larger counts first). */
export function auditSummary(flags: readonly AuditFlag[]): AuditSummaryRow[] {
  const m = new Map<string, { row: AuditSummaryRow; ids: Set<string> }>();
  for (const f of flags) {
    const k = `${f.code}|${f.severity}`;
    const e = m.get(k) ?? {
      row: { code: f.code, severity: f.severity, count: 0, cases: 0 },
      ids: new Set<string>(),
    };
    e.row.count++;
    e.ids.add(f.caseId);
    m.set(k, e);
  }
  return [...m.values()]
    .map(({ row, ids }) => ({ ...row, cases: ids.size }))
    .sort(
      (a, b) =>
        SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
        b.count - a.count ||
        a.code.localeCompare(b.code),
    );
}

/** The summary as a Markdown table. */
export function auditSummaryMarkdown(rows: readonly AuditSummaryRow[]): string {
  const lines = ['| flag | severity | flags | cases |', '|---|---|---:|---:|'];
  for (const r of rows) lines.push(`| ${r.code} | ${r.severity} | ${r.count} | ${r.cases} |`);
  return lines.join('\n') + '\n';
}
