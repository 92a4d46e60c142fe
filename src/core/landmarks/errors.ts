/**
 * Landmark accuracy in millimetres (TF.js-free): radial error per landmark (Euclidean distance x
 * pixel spacing), MRE, SD and the successful detection rates SDR@2 / 2.5 / 3 / 4 mm as the ISBI
 * 2015 challenge reports them (share of landmarks with error <= the radius).
 *
 * A landmark that either side lacks (null: skipped, "not identifiable") has no error (null) and
 * is counted separately (`missing`), never as 0 mm nor as a miss. SD is the population standard
 * deviation (divide by n), as numpy's default std that challenge reports use.
 */
import type { Point } from '../image';

export const SDR_RADII_MM = [2, 2.5, 3, 4] as const;
export type SdrKey = '2' | '2.5' | '3' | '4';

export interface SdrRates {
  '2': number;
  '2.5': number;
  '3': number;
  '4': number;
}

export interface LandmarkErrorSummary {
  symbol: string;
  /** Errors counted (both sides present). */
  n: number;
  /** Cases where the prediction or the reference lacks this landmark. */
  missing: number;
  /** null when n = 0. */
  mreMm: number | null;
  sdMm: number | null;
  maxMm: number | null;
  /** Share within 2 mm (0..1), null when n = 0. */
  sdr2: number | null;
  sdr: SdrRates | null;
}

export interface ErrorSummary {
  /** Landmark errors counted over all cases. */
  n: number;
  /** Landmarks skipped on either side over all cases. */
  missing: number;
  /** Cases summarised. */
  cases: number;
  /** null when n = 0. */
  mreMm: number | null;
  sdMm: number | null;
  /** Fractions 0..1 (0 when n = 0). */
  sdr: SdrRates;
  perLandmark: LandmarkErrorSummary[];
}

function finitePoint(p: Point | null | undefined): p is Point {
  return !!p && Number.isFinite(p[0]) && Number.isFinite(p[1]);
}

/**
 * Radial error of each landmark in mm; null where either point is null. Both sets must be in
 * the same pixel frame (original X-ray pixels) and have the same number of landmarks.
 */
export function radialErrorsMm(
  pred: readonly (Point | null | undefined)[],
  ref: readonly (Point | null | undefined)[],
  mmPerPx: number,
): (number | null)[] {
  if (!(Number.isFinite(mmPerPx) && mmPerPx > 0))
    throw new RangeError(`mm per pixel must be a positive number, got ${mmPerPx}`);
  if (pred.length !== ref.length)
    throw new RangeError(
      `radialErrorsMm: ${pred.length} predicted landmarks but ${ref.length} reference landmarks`,
    );
  return ref.map((r, i) => {
    const p = pred[i];
    return finitePoint(p) && finitePoint(r) ? Math.hypot(p[0] - r[0], p[1] - r[1]) * mmPerPx : null;
  });
}

function stats(errors: readonly number[]): {
  mre: number | null;
  sd: number | null;
  max: number | null;
  sdr: SdrRates;
} {
  const n = errors.length;
  if (n === 0) return { mre: null, sd: null, max: null, sdr: { '2': 0, '2.5': 0, '3': 0, '4': 0 } };
  const mre = errors.reduce((s, e) => s + e, 0) / n;
  const sd = Math.sqrt(errors.reduce((s, e) => s + (e - mre) ** 2, 0) / n);
  const within = (r: number): number => errors.filter((e) => e <= r).length / n;
  return {
    mre,
    sd,
    max: Math.max(...errors),
    sdr: { '2': within(2), '2.5': within(2.5), '3': within(3), '4': within(4) },
  };
}

/**
 * Summary over cases: `perCase[c][i]` is the error (mm) of landmark `symbols[i]` in case c, or
 * null when it could not be measured. One case is `summarizeErrors([errors], symbols)`.
 */
export function summarizeErrors(
  perCase: readonly (readonly (number | null)[])[],
  symbols: readonly string[],
): ErrorSummary {
  const all: number[] = [];
  let missing = 0;
  const perLandmark: LandmarkErrorSummary[] = symbols.map((symbol, i) => {
    const errs: number[] = [];
    let miss = 0;
    for (const c of perCase) {
      const e = c[i];
      if (e === null || e === undefined || !Number.isFinite(e)) miss++;
      else errs.push(e);
    }
    all.push(...errs);
    missing += miss;
    const s = stats(errs);
    return {
      symbol,
      n: errs.length,
      missing: miss,
      mreMm: s.mre,
      sdMm: s.sd,
      maxMm: s.max,
      sdr2: errs.length ? s.sdr['2'] : null,
      sdr: errs.length ? s.sdr : null,
    };
  });
  const s = stats(all);
  return { n: all.length, missing, cases: perCase.length, mreMm: s.mre, sdMm: s.sd, sdr: s.sdr, perLandmark };
}
