/**
 * Generalization gap: L1 of the generator on a fixed subset of TRAINING cases, evaluated exactly
 * like the validation cases (same inference mode, no augmentation, no weight update), against the
 * validation L1. Both on [0,1]. A ratio well above 1 means the model reproduces cases it has seen
 * much better than new ones (the clinic's small run: about 4.9x) — more data helps more than more
 * epochs. Pure functions.
 */

/** Ratio above which the studio raises the gap alert. */
export const GAP_ALERT_RATIO = 2;

export interface GapResult {
  /** Mean L1 on [0,1] over the fixed training subset. */
  train_l1_01: number;
  /** Mean L1 on [0,1] over the validation cases. */
  val_l1_01: number;
  /** val / train (Infinity when train is 0 and val is not; NaN when unknown). */
  ratio: number;
  alert: boolean;
  /** Cases in the training subset. */
  n_train: number;
  /** Inference mode of both evaluations (server `--eval`). */
  evalMode: boolean;
  /**
   * The clinic's way for comparison: the last training loss G_L1 / lambda_L1 (the server's L1 on
   * [-1,1], in train mode with augmentation) halved to [0,1]. null when unavailable.
   */
  lossL1_01: number | null;
}

/** val / train, with 0/0 = 1 and x/0 = Infinity. */
export function gapRatio(train: number, val: number): number {
  if (!Number.isFinite(train) || !Number.isFinite(val)) return NaN;
  if (train === 0) return val === 0 ? 1 : Infinity;
  return val / train;
}

export function generalizationGap(
  train_l1_01: number,
  val_l1_01: number,
  nTrain: number,
  evalMode: boolean,
  opts: { G_L1?: number | null; lambda_L1?: number; alertRatio?: number } = {},
): GapResult {
  const ratio = gapRatio(train_l1_01, val_l1_01);
  const lambda = opts.lambda_L1 ?? 0;
  const g = opts.G_L1;
  return {
    train_l1_01,
    val_l1_01,
    ratio,
    alert: ratio > (opts.alertRatio ?? GAP_ALERT_RATIO),
    n_train: nTrain,
    evalMode,
    lossL1_01: g !== null && g !== undefined && Number.isFinite(g) && lambda > 0 ? g / lambda / 2 : null,
  };
}
