/**
 * Landmark-region sharpness (issue 12, item 6), the TF.js-free part: window geometry, window means
 * of a gradient map, per-landmark summaries over the validation set, and the flat values stored
 * with a validation round. The page uses this module; the tensor part is landmarkSharpness.ts.
 *
 * Definition: for each ground-truth landmark, a square window of side `windowMm` millimetres
 * (default 10 mm) centred on the landmark in the preprocessed image; inside it the mean Sobel
 * gradient magnitude of the prediction ÷ the mean of the X-ray (target). Gradients are the ones of
 * diagnostics.ts: grey = mean over channels in 0-255 units, Sobel / 8 with replicate padding, so
 * a value is an intensity change in 0-255 units per preprocessed pixel. 1 = the prediction is as
 * sharp as the X-ray around that landmark; < 1 = blurred bone edges; > 1 = busier than the X-ray.
 * (Like the whole-image sharpness ratio, it measures lost contrast and lost fine structure: a blur
 * that only widens one isolated step edge that stays inside the window keeps its mean gradient.)
 *
 * Millimetres to pixels: mm per preprocessed pixel = the dataset's pixel spacing (original mm/px,
 * 0.1 for ISBI films and the demo phantom's film) ÷ the X-ray transform's scale (preprocessed px
 * per original px), per axis (stretch has two scales). The window side in pixels is
 * `max(1, round(windowMm / mmPerPx))` per axis, placed so that its centre is within half a pixel
 * of the landmark, then clipped at the image border. A landmark without a point (null or
 * non-finite), whose window lies wholly outside the image, or whose X-ray window is flat
 * (target mean gradient below FLAT_TARGET_255) gives no ratio (null) and is left out of the means.
 */

import type { Point } from '../image';

/** Default window side, mm. */
export const DEFAULT_LM_WINDOW_MM = 10;

/** An X-ray window whose mean gradient is below this (0-255 units per px) is flat: no ratio. */
export const FLAT_TARGET_255 = 1e-3;

/** Millimetres per preprocessed pixel along x and y. */
export interface PixelSpacing {
  x: number;
  y: number;
}

/**
 * mm per preprocessed pixel from the dataset's original pixel spacing (mm per original px) and
 * the X-ray transform's scale (preprocessed px per original px, preprocess.ts `Transform`).
 */
export function preprocessedSpacing(
  t: { scaleX: number; scaleY: number },
  mmPerOriginalPx: number,
): PixelSpacing {
  if (!(t.scaleX > 0 && t.scaleY > 0 && mmPerOriginalPx > 0)) {
    throw new Error(
      `landmark sharpness: need a positive pixel spacing and transform scale (got ${mmPerOriginalPx} mm/px, scale ${t.scaleX} x ${t.scaleY})`,
    );
  }
  return { x: mmPerOriginalPx / t.scaleX, y: mmPerOriginalPx / t.scaleY };
}

/** Window side in pixels along one axis: max(1, round(windowMm / mmPerPx)). */
export function windowSidePx(windowMm: number, mmPerPx: number): number {
  return Math.max(1, Math.round(windowMm / mmPerPx));
}

/** A pixel box [x0, x1) × [y0, y1) in whole pixels. */
export interface PixelBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * The window around a landmark (continuous pixel coordinates, centres at +0.5), clipped to a
 * width × height image; null when the point is missing or the window is wholly outside.
 */
export function landmarkWindow(
  p: Point | null | undefined,
  spacing: PixelSpacing,
  windowMm: number,
  width: number,
  height: number,
): PixelBox | null {
  if (!p || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) return null;
  const nx = windowSidePx(windowMm, spacing.x);
  const ny = windowSidePx(windowMm, spacing.y);
  const sx = Math.round(p[0] - nx / 2);
  const sy = Math.round(p[1] - ny / 2);
  const box = {
    x0: Math.max(0, sx),
    y0: Math.max(0, sy),
    x1: Math.min(width, sx + nx),
    y1: Math.min(height, sy + ny),
  };
  return box.x1 > box.x0 && box.y1 > box.y0 ? box : null;
}

/** Mean of a row-major width × height map inside each window (null where there is no window). */
export function windowMeans(
  map: ArrayLike<number>,
  width: number,
  height: number,
  boxes: readonly (PixelBox | null)[],
): (number | null)[] {
  if (map.length !== width * height) {
    throw new Error(
      `windowMeans: a ${width} x ${height} map needs ${width * height} values (got ${map.length})`,
    );
  }
  return boxes.map((b) => {
    if (!b) return null;
    let s = 0;
    for (let y = b.y0; y < b.y1; y++) {
      const row = y * width;
      for (let x = b.x0; x < b.x1; x++) s += map[row + x];
    }
    return s / ((b.x1 - b.x0) * (b.y1 - b.y0));
  });
}

/** One case: per landmark (dataset order) the window means (0-255 units) and their ratio. */
export interface CaseLandmarkSharpness {
  id: string;
  pred_255: (number | null)[];
  target_255: (number | null)[];
  /** pred ÷ target; null when the landmark has no point / window or the X-ray window is flat. */
  ratio: (number | null)[];
  /** Window side in preprocessed pixels (x, y) before clipping, when known. */
  windowPx?: [number, number];
}

/** Ratios of window means (null where either is missing or the target is flat). */
export function windowRatios(
  pred: readonly (number | null)[],
  target: readonly (number | null)[],
): (number | null)[] {
  return pred.map((p, i) => {
    const t = target[i];
    if (p === null || t === null || t === undefined || !(t >= FLAT_TARGET_255)) return null;
    const r = p / t;
    return Number.isFinite(r) ? r : null;
  });
}

export interface LandmarkSharpnessRow {
  symbol: string;
  /** Full name as the dataset gives it (English); '' when unknown. */
  name: string;
  /** Cases with a ratio. */
  n: number;
  /** Mean over cases of the ratio; null when n = 0. */
  meanRatio: number | null;
  /** Sample standard deviation of the ratio (null when n < 2). */
  sdRatio: number | null;
  /** Mean window gradient of the prediction / of the X-ray, 0-255 units per pixel. */
  meanPred_255: number | null;
  meanTarget_255: number | null;
}

export interface LandmarkSharpnessSummary {
  windowMm: number;
  /** Validation cases with at least one ratio. */
  nCases: number;
  /** Smallest and largest window side in preprocessed pixels over the cases (when known). */
  windowPx?: { min: number; max: number } | null;
  /** Mean over landmarks (with n > 0) of the per-landmark mean ratio; null when none. */
  meanRatio: number | null;
  perLandmark: LandmarkSharpnessRow[];
  /** Per case (live rounds and on-demand evaluations only; not stored with history points). */
  cases?: CaseLandmarkSharpness[];
}

function meanSd(xs: readonly number[]): { mean: number | null; sd: number | null } {
  if (xs.length === 0) return { mean: null, sd: null };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length < 2) return { mean, sd: null };
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, sd: Math.sqrt(v) };
}

/** Per landmark across cases, and the overall mean (see LandmarkSharpnessSummary). */
export function summarizeLandmarkSharpness(
  cases: readonly CaseLandmarkSharpness[],
  symbols: readonly string[],
  names: readonly string[] = [],
  windowMm = DEFAULT_LM_WINDOW_MM,
): LandmarkSharpnessSummary {
  const finite = (xs: (number | null | undefined)[]): number[] =>
    xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  const perLandmark = symbols.map((symbol, i) => {
    const r = finite(cases.map((c) => c.ratio[i]));
    const withRatio = cases.filter((c) => typeof c.ratio[i] === 'number');
    const { mean, sd } = meanSd(r);
    return {
      symbol,
      name: names[i] ?? '',
      n: r.length,
      meanRatio: mean,
      sdRatio: sd,
      meanPred_255: meanSd(finite(withRatio.map((c) => c.pred_255[i]))).mean,
      meanTarget_255: meanSd(finite(withRatio.map((c) => c.target_255[i]))).mean,
    };
  });
  const means = finite(perLandmark.map((r) => r.meanRatio));
  const sides = cases.flatMap((c) => c.windowPx ?? []);
  return {
    windowMm,
    windowPx: sides.length > 0 ? { min: Math.min(...sides), max: Math.max(...sides) } : null,
    nCases: cases.filter((c) => c.ratio.some((x) => typeof x === 'number')).length,
    meanRatio: means.length ? means.reduce((a, b) => a + b, 0) / means.length : null,
    perLandmark,
    cases: [...cases],
  };
}

/**
 * The `k` landmarks furthest below 1 (most blurred), worst first: rows with a mean ratio < 1
 * only. The Evaluate card and the report highlight them.
 */
export function worstLandmarks(s: LandmarkSharpnessSummary, k = 3): LandmarkSharpnessRow[] {
  return s.perLandmark
    .filter((r) => r.meanRatio !== null && r.meanRatio < 1)
    .sort((a, b) => (a.meanRatio ?? 0) - (b.meanRatio ?? 0))
    .slice(0, k);
}

// ---- flat values of a validation round (the run's `val` history) ----------------------------

/** Overall mean ratio (the `best`-checkpoint criterion `lmSharp`). */
export const LM_SHARP_KEY = 'lm_sharp';
export const LM_SHARP_WINDOW_KEY = 'lm_sharp_window_mm';
export const LM_SHARP_CASES_KEY = 'lm_sharp_n_cases';
export const LM_SHARP_PX_MIN_KEY = 'lm_sharp_window_px_min';
export const LM_SHARP_PX_MAX_KEY = 'lm_sharp_window_px_max';
/** Per-landmark mean ratio: `lm_sharp:<symbol>`; per-landmark case count: `lm_sharp_n:<symbol>`. */
export const LM_SHARP_PREFIX = 'lm_sharp:';
export const LM_SHARP_N_PREFIX = 'lm_sharp_n:';

function num(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** The summary's flat values (per-case values are not stored: 19 × cases would bloat every round). */
export function landmarkSharpnessValues(s: LandmarkSharpnessSummary): Record<string, number | null> {
  const v: Record<string, number | null> = {
    [LM_SHARP_KEY]: num(s.meanRatio),
    [LM_SHARP_WINDOW_KEY]: s.windowMm,
    [LM_SHARP_CASES_KEY]: s.nCases,
  };
  if (s.windowPx) {
    v[LM_SHARP_PX_MIN_KEY] = s.windowPx.min;
    v[LM_SHARP_PX_MAX_KEY] = s.windowPx.max;
  }
  for (const r of s.perLandmark) {
    v[`${LM_SHARP_PREFIX}${r.symbol}`] = num(r.meanRatio);
    v[`${LM_SHARP_N_PREFIX}${r.symbol}`] = r.n;
  }
  return v;
}

/**
 * The summary back from stored values (symbols in stored order, names looked up with `nameOf`);
 * null for a round stored without it (older runs, datasets without landmarks).
 */
export function landmarkSharpnessFromValues(
  values: Record<string, number | null>,
  nameOf: (symbol: string) => string = () => '',
): LandmarkSharpnessSummary | null {
  if (!(LM_SHARP_KEY in values)) return null;
  const perLandmark: LandmarkSharpnessRow[] = [];
  for (const [k, x] of Object.entries(values)) {
    if (!k.startsWith(LM_SHARP_PREFIX)) continue;
    const symbol = k.slice(LM_SHARP_PREFIX.length);
    perLandmark.push({
      symbol,
      name: nameOf(symbol),
      n: values[`${LM_SHARP_N_PREFIX}${symbol}`] ?? 0,
      meanRatio: num(x),
      sdRatio: null,
      meanPred_255: null,
      meanTarget_255: null,
    });
  }
  return {
    windowMm: values[LM_SHARP_WINDOW_KEY] ?? DEFAULT_LM_WINDOW_MM,
    nCases: values[LM_SHARP_CASES_KEY] ?? 0,
    windowPx:
      typeof values[LM_SHARP_PX_MIN_KEY] === 'number' && typeof values[LM_SHARP_PX_MAX_KEY] === 'number'
        ? { min: values[LM_SHARP_PX_MIN_KEY], max: values[LM_SHARP_PX_MAX_KEY] }
        : null,
    meanRatio: num(values[LM_SHARP_KEY]),
    perLandmark,
  };
}
