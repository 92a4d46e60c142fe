/**
 * Failure statistics of an evaluation: a per-case failure rule with editable thresholds, the
 * failed count (the clinic's "25/80"), the worst cases, and a cross-table of failures against the
 * data audit's flags (the clinic's "orientation only 3/25 of the failures").
 *
 * Scales: L1 on [0,1] (`l1_01`), PSNR in dB with data range 1, sharpness ratio = the case's
 * prediction mean Sobel gradient / its X-ray's (dimensionless, 1 = as sharp as the X-ray).
 * Pure functions, no tensors.
 */

/** One evaluated case as the failure rule sees it. */
export interface CaseScore {
  id: string;
  /** Mean absolute error on [0,1]. */
  l1_01: number;
  /** dB, data range 1. */
  psnr_db: number;
  ssim: number;
  /** Prediction mean gradient / X-ray mean gradient for this case; null when not measured. */
  sharpnessRatio: number | null;
}

/**
 * A case fails when ANY enabled criterion is violated: L1 above `maxL1_01`, PSNR below
 * `minPsnr_db`, or sharpness ratio below `minSharpnessRatio`. `null` switches a criterion off.
 */
export interface FailureRule {
  maxL1_01: number | null;
  minPsnr_db: number | null;
  minSharpnessRatio: number | null;
}

/**
 * Studio defaults (not the clinic's rule, which its documents do not state): L1 > 0.15 on [0,1],
 * PSNR < 18 dB or a prediction with less than half the X-ray's edge strength.
 */
export const DEFAULT_FAILURE_RULE: FailureRule = { maxL1_01: 0.15, minPsnr_db: 18, minSharpnessRatio: 0.5 };

export type FailureReason = 'l1' | 'psnr' | 'sharpness';
export const FAILURE_REASONS: readonly FailureReason[] = ['l1', 'psnr', 'sharpness'];

/** Which criteria a case violates (empty = passes). A non-finite value violates nothing (unknown). */
export function caseFailures(c: CaseScore, rule: FailureRule): FailureReason[] {
  const out: FailureReason[] = [];
  if (rule.maxL1_01 !== null && Number.isFinite(c.l1_01) && c.l1_01 > rule.maxL1_01) out.push('l1');
  // PSNR +Infinity (exact match) never fails; NaN is unknown
  if (rule.minPsnr_db !== null && !Number.isNaN(c.psnr_db) && c.psnr_db < rule.minPsnr_db) out.push('psnr');
  if (
    rule.minSharpnessRatio !== null &&
    c.sharpnessRatio !== null &&
    Number.isFinite(c.sharpnessRatio) &&
    c.sharpnessRatio < rule.minSharpnessRatio
  ) {
    out.push('sharpness');
  }
  return out;
}

export interface FailedCase extends CaseScore {
  reasons: FailureReason[];
}

/** One row of the failures × audit-flag cross-table. */
export interface CrossRow {
  /** Audit flag code, or `(none)` for cases without any flag. */
  flag: string;
  /** Evaluated cases carrying the flag. */
  withFlag: number;
  /** Failed cases carrying the flag. */
  failedWithFlag: number;
  /** failedWithFlag / all failed cases (the clinic's "3/25"); 0 when nothing failed. */
  shareOfFailures: number;
  /** failedWithFlag / withFlag. */
  failRateWithFlag: number;
  /** Failure rate among evaluated cases WITHOUT the flag (NaN when every case has it). */
  failRateWithout: number;
}

export const NO_FLAG = '(none)';

export interface FailureStats {
  rule: FailureRule;
  total: number;
  failed: number;
  /** failed / total (0 for an empty set). */
  rate: number;
  /** The clinic's notation, e.g. `25/80`. */
  label: string;
  /** Failed cases per violated criterion (a case can count under several). */
  byReason: Record<FailureReason, number>;
  /** Failed cases, worst L1 first. */
  failedCases: FailedCase[];
  /** The `worstN` cases by L1 (failed or not), worst first. */
  worst: FailedCase[];
  /** Rows sorted by failedWithFlag (desc), then flag code; `(none)` last. Empty without audit data. */
  crossTable: CrossRow[];
  /** Whether audit flags were available for the cross-table. */
  hasAudit: boolean;
}

/**
 * Failure statistics of evaluated cases under a rule. `flagsByCase` maps case id -> audit flag
 * codes (repeated codes count once); pass it when the dataset has an audit.
 */
export function failureStats(
  cases: readonly CaseScore[],
  rule: FailureRule,
  flagsByCase?: ReadonlyMap<string, readonly string[]>,
  opts: { worstN?: number } = {},
): FailureStats {
  const worstN = opts.worstN ?? 10;
  const judged: FailedCase[] = cases.map((c) => ({ ...c, reasons: caseFailures(c, rule) }));
  const byL1 = (a: FailedCase, b: FailedCase): number =>
    (Number.isFinite(b.l1_01) ? b.l1_01 : -Infinity) - (Number.isFinite(a.l1_01) ? a.l1_01 : -Infinity) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const failedCases = judged.filter((c) => c.reasons.length > 0).sort(byL1);
  const byReason: Record<FailureReason, number> = { l1: 0, psnr: 0, sharpness: 0 };
  for (const c of failedCases) for (const r of c.reasons) byReason[r]++;
  const total = cases.length;
  const failed = failedCases.length;
  return {
    rule: { ...rule },
    total,
    failed,
    rate: total === 0 ? 0 : failed / total,
    label: `${failed}/${total}`,
    byReason,
    failedCases,
    worst: [...judged].sort(byL1).slice(0, Math.max(0, worstN)),
    crossTable: flagsByCase ? crossTable(judged, flagsByCase) : [],
    hasAudit: flagsByCase !== undefined,
  };
}

function crossTable(
  judged: readonly FailedCase[],
  flagsByCase: ReadonlyMap<string, readonly string[]>,
): CrossRow[] {
  const failedTotal = judged.filter((c) => c.reasons.length > 0).length;
  const counts = new Map<string, { withFlag: number; failed: number }>();
  for (const c of judged) {
    const codes = new Set(flagsByCase.get(c.id) ?? []);
    if (codes.size === 0) codes.add(NO_FLAG);
    for (const code of codes) {
      const e = counts.get(code) ?? { withFlag: 0, failed: 0 };
      e.withFlag++;
      if (c.reasons.length > 0) e.failed++;
      counts.set(code, e);
    }
  }
  const n = judged.length;
  const rows: CrossRow[] = [...counts].map(([flag, e]) => {
    const without = n - e.withFlag;
    return {
      flag,
      withFlag: e.withFlag,
      failedWithFlag: e.failed,
      shareOfFailures: failedTotal === 0 ? 0 : e.failed / failedTotal,
      failRateWithFlag: e.withFlag === 0 ? 0 : e.failed / e.withFlag,
      failRateWithout: without === 0 ? NaN : (failedTotal - e.failed) / without,
    };
  });
  return rows.sort(
    (a, b) =>
      Number(a.flag === NO_FLAG) - Number(b.flag === NO_FLAG) ||
      b.failedWithFlag - a.failedWithFlag ||
      (a.flag < b.flag ? -1 : a.flag > b.flag ? 1 : 0),
  );
}

/**
 * Audit flags the failures concentrate in: at least `minFailed` failed cases carry the flag, they
 * are at least `minShare` of all failures, and the failure rate with the flag is at least
 * `minLift` times the rate without it. `(none)` never counts. Defaults 3, 0.5, 2.
 */
export function concentratedFlags(
  stats: FailureStats,
  opts: { minFailed?: number; minShare?: number; minLift?: number } = {},
): CrossRow[] {
  const minFailed = opts.minFailed ?? 3;
  const minShare = opts.minShare ?? 0.5;
  const minLift = opts.minLift ?? 2;
  return stats.crossTable.filter(
    (r) =>
      r.flag !== NO_FLAG &&
      r.failedWithFlag >= minFailed &&
      r.shareOfFailures >= minShare &&
      (Number.isNaN(r.failRateWithout) ||
        r.failRateWithout === 0 ||
        r.failRateWithFlag >= minLift * r.failRateWithout),
  );
}
