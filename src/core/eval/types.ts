/**
 * The shapes of an evaluation and of a validation round (core/eval/round.ts computes them,
 * roundValues.ts flattens them for the run history, the report and the page read them). Types
 * only, so round.ts and roundValues.ts both depend on this leaf and not on each other.
 */
import type { TraceabilityResult } from '../detector/traceability';
import type { Point, RgbaImage } from '../image';
import type { TermBalance } from '../losses';
import type { Translation } from '../messages/form';
import type { ChecklistItem, InputRange } from './checklist';
import type { MetricsRegion } from './contentRegion';
import type { Diagnosis } from './diagnostics';
import type { GapResult } from './gap';
import type { LandmarkSharpnessSummary, PixelSpacing } from './landmarkSharpnessSummary';
import type { AggregateMetrics, CaseMetrics } from './metrics';
import type { StuckVerdict } from './stuck';

/** One validation case: its metrics and its own sharpness. */
export interface CaseEval extends CaseMetrics {
  id: string;
  /** Mean Sobel gradient magnitude of the prediction / of the X-ray, 0-255 units per pixel. */
  predGradMean_255: number;
  targetGradMean_255: number;
  /** predGradMean_255 / targetGradMean_255. */
  sharpnessRatio: number;
  /** Fraction of the image's pixels in the case's content region (1: no padding); absent on old rounds. */
  contentFraction?: number;
}

export interface EvalAggregate extends AggregateMetrics {
  /** Mean and median L1 on the server's [-1,1] scale (= 2 x the [0,1] values). */
  mean_l1_pm1: number;
  median_l1_pm1: number;
  /** Mean over cases of the per-case sharpness ratio. */
  mean_sharpness_ratio: number;
  /**
   * Whole-image figures (padding included, like the server's test.py) beside the content-region
   * ones above; absent on rounds stored before content-region metrics (their figures above ARE
   * whole-image: see ModelEvaluation.metricsRegion).
   */
  mean_l1_whole?: number;
  mean_psnr_whole?: number;
  mean_ssim_whole?: number;
  /** Mean over cases of the content region's share of the image (1 = no padding excluded). */
  mean_content_fraction?: number;
}

export interface ModelEvaluation {
  /**
   * Where the image metrics were computed: 'content' (each case's content region, padding
   * excluded) or 'whole' (whole image, padding included: rounds stored before content-region
   * metrics). Absent is read as 'whole' (`metricsRegionOf`).
   */
  metricsRegion?: MetricsRegion;
  /** Training step of the weights. */
  step: number;
  epoch: number | null;
  /** Inference mode used (server `--eval`). */
  evalMode: boolean;
  /** Every validation case, in the order given. */
  cases: CaseEval[];
  aggregate: EvalAggregate;
  /** Pooled over `diagnosisCaseIds`; null when there is no validation case. */
  diagnosis: Diagnosis | null;
  diagnosisCaseIds: string[];
  /** Averaged over `balanceCaseIds`; null without a discriminator. */
  balance: TermBalance[] | null;
  balanceCaseIds: string[];
  gap: GapResult | null;
  /** 0-255 units; null with fewer than two diagnostic cases. */
  sensitivity_255: number | null;
  inputRange: InputRange | null;
  /** Learning rate of the next step, when known. */
  lrNow: number | null;
  durationMs: number;
  /**
   * Landmark-region sharpness (landmarkSharpness.ts) over the validation cases with landmarks;
   * null or absent when the dataset has none (and on rounds stored before it existed).
   */
  landmarkSharpness?: LandmarkSharpnessSummary | null;
  /**
   * Traceability (landmark detector on the real X-ray and on the prediction vs ground truth, mm;
   * core/detector/traceability.ts); absent when no detector was asked for (and on older rounds).
   */
  traceability?: TraceabilityResult | null;
}

/** Images of one grid case: photo | X-ray | prediction (all at the training size). */
export interface GridCase {
  id: string;
  photo: RgbaImage;
  xray: RgbaImage;
  prediction: RgbaImage;
  /** Ground-truth landmarks in the X-ray's (preprocessed) pixels, when the case has them. */
  landmarks?: Point[];
}

export interface ModelEvaluationWithImages extends ModelEvaluation {
  /** Images of the requested `gridCaseIds` found among the validation cases, in that order. */
  grid: GridCase[];
}

/** What landmark-region sharpness needs besides each pair's landmarks (preprocessed X-ray pixels). */
export interface EvalLandmarkOptions {
  /** The dataset's landmark symbols and full names, in its order. */
  symbols: readonly string[];
  names?: readonly string[];
  /** Window side, mm (default 10). */
  windowMm?: number;
  /** mm per preprocessed X-ray pixel of a case; null leaves the case out. */
  spacingOf: (caseId: string) => PixelSpacing | null;
}

export interface ValidationRound extends ModelEvaluation {
  /** Last logged losses when the round ran (server names, G terms weighted). */
  losses: Record<string, number | null> | null;
  stuck: StuckVerdict;
  /** Answered every round; the view shows it with the stuck alert. */
  checklist: ChecklistItem[];
}

export type FindingSeverity = 'alert' | 'warn' | 'info' | 'ok';

/** One finding of the review report (core/eval/report/findings.ts, report/landmarks.ts). */
export interface Finding {
  id: string;
  severity: FindingSeverity;
  title: Translation;
  evidence: Translation;
  /** Suggested next experiment. */
  next: Translation;
}
