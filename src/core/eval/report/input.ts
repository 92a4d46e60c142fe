/**
 * What the review report is written from (ReviewInput: the run, one evaluation, the validation
 * history, failure statistics, the gate verdict and the optional sections) and the report's
 * fixed names: the JSON schema, the bundle's file names, the over-smoothing ratio.
 */
import type { RunConfig } from '../../config';
import type { FailureStats } from '../failures';
import type { GateVerdict } from '../gate';
import type { ValidationRound } from '../round';
import type { ReviewRunComparison } from './compare';
import type { ReviewLandmarks } from './landmarks';

export const REVIEW_SCHEMA = 'ceph-gan-studio/review@1';
export const REPORT_FILES = {
  markdown: 'report.md',
  json: 'report.json',
  metrics: 'val_metrics.json',
  failures: 'failure_stats.json',
  /** For a 20-case list; the bundle names the real count (`gridFileName(evalCaseIds.length)`). */
  grid: 'viz_grid_20.png',
  curves: 'curves.png',
} as const;

/** Sharpness ratio below which predictions count as over-smoothed (the clinic's bone edges "发糊"). */
export const OVERSMOOTH_RATIO = 0.7;

export interface ReviewRun {
  id: string;
  name: string;
  status: string;
  step: number;
  epoch: number;
  durationMs: number;
  backend: string;
  adapter: string | null;
  /** ms since the epoch. */
  startedAt: number;
  datasetId: string;
  datasetName: string | null;
  trainCount: number | null;
  valCount: number | null;
  config: RunConfig;
  /** The preprocessing the run used (mode, size, padding, ROI). */
  preprocessing: unknown;
  /** The dataset's own preprocessing (size and mode; null for the demo, generated at the run's size). */
  datasetPreprocessing?: { size: number; mode: string } | null;
}

/** One stored validation round (the run's `val` series, summary values). */
export interface RoundPoint {
  step: number;
  values: Record<string, number | null>;
}

export interface ReviewComparison {
  label: string;
  step: number;
  mean_l1: number;
  mean_psnr: number;
  mean_ssim: number;
  sharpness_ratio: number | null;
}

export interface ReviewInput {
  /** ISO time. */
  generatedAt: string;
  /** Audit flag codes as users read them (`burned-in-label` → Burned-in label / 烧录标签); codes not listed are shown as they are. */
  flagNames?: Record<string, { en: string; zh: string }>;
  studioVersion?: string;
  run: ReviewRun;
  /** The environment report (engine/envReport.ts JSON), when available. */
  environment: unknown;
  /** The evaluation the report is about. */
  evaluation: ValidationRound;
  /** Checkpoint name (`best`, `last`, ...) or null for the live weights. */
  checkpoint: string | null;
  /** The fixed evaluation list (grid and diagnostics cases). */
  evalCaseIds: readonly string[];
  rounds: readonly RoundPoint[];
  failures: FailureStats;
  gate: GateVerdict;
  /** A second checkpoint/run shown side by side in the grid. */
  comparison?: ReviewComparison | null;
  /** File names of the figures inside the bundle (null = not included). */
  figures: { grid: string | null; curves: string | null };
  /**
   * The landmarks section (landmarks.ts): the per-landmark sharpness comes from
   * `evaluation.landmarkSharpness`; tracing errors and measurements render when given.
   */
  landmarks?: ReviewLandmarks | null;
  /** Runs selected in the Experiments section (compare.ts); absent/null: no such section. */
  runComparison?: ReviewRunComparison | null;
}
