/**
 * The review's JSON files: `metricsJson` (val_metrics.json, the clinic's names), `failureStatsJson`
 * (failure_stats.json) and `reportJson` (report.json, schema `ceph-gan-studio/review@1`: everything
 * report.md says, machine-readable). Pure.
 */
import type { FailureStats } from '../failures';
import { GAP_ALERT_RATIO } from '../gap';
import type { ValidationRound } from '../round';
import type { Finding } from '../types';
import { runComparisonJson } from './compare';
import { REPORT_FILES, REVIEW_SCHEMA, type ReviewInput } from './input';
import { landmarksJson } from './landmarks';
import { preprocessingOverride } from './preprocessing';
import { messageBoth } from './text';

/** Metrics JSON with the clinic's names (`mean_l1` on [0,1], `mean_psnr` in dB) and per-case rows. */
export function metricsJson(ev: ValidationRound, checkpoint: string | null): Record<string, unknown> {
  const a = ev.aggregate;
  return {
    mean_l1: a.mean_l1,
    median_l1: a.median_l1,
    mean_psnr: Number.isFinite(a.mean_psnr) ? a.mean_psnr : null,
    median_psnr: Number.isFinite(a.median_psnr) ? a.median_psnr : null,
    mean_ssim: a.mean_ssim,
    median_ssim: a.median_ssim,
    n_cases: a.n_cases,
    mean_l1_pm1: a.mean_l1_pm1,
    median_l1_pm1: a.median_l1_pm1,
    mean_sharpness_ratio: a.mean_sharpness_ratio,
    // where the figures were computed (fairmetrics): 'content' = each case's content region, padding excluded
    metrics_region: ev.metricsRegion ?? 'whole',
    ...(a.mean_l1_whole !== undefined
      ? {
          mean_l1_whole: a.mean_l1_whole,
          mean_psnr_whole: Number.isFinite(a.mean_psnr_whole) ? a.mean_psnr_whole : null,
          mean_ssim_whole: a.mean_ssim_whole,
          content_fraction: a.mean_content_fraction,
        }
      : {}),
    units: {
      l1: 'mean absolute error on [0,1] (l1_pm1: on the server’s [-1,1] = 2 x l1)',
      psnr: 'dB, data range 1 on [0,1]',
      ssim: 'grey image, Gaussian window 11 / sigma 1.5',
      sharpness_ratio: 'prediction / X-ray mean Sobel gradient magnitude',
    },
    step: ev.step,
    checkpoint,
    eval_mode: ev.evalMode,
    per_case: ev.cases.map((c) => ({
      case_id: c.id,
      l1: c.l1_01,
      l1_pm1: c.l1_pm1,
      psnr: Number.isFinite(c.psnr_db) ? c.psnr_db : null,
      ssim: c.ssim,
      sharpness_ratio: Number.isFinite(c.sharpnessRatio) ? c.sharpnessRatio : null,
    })),
  };
}

/** Failure statistics JSON (the clinic's `failure_stats`): `failed`/`total`, rule, reasons, cross-table. */
export function failureStatsJson(fs: FailureStats): Record<string, unknown> {
  return {
    failed: fs.failed,
    total: fs.total,
    label: fs.label,
    failure_rate: fs.rate,
    rule: {
      l1_above: fs.rule.maxL1_01,
      psnr_below_db: fs.rule.minPsnr_db,
      sharpness_ratio_below: fs.rule.minSharpnessRatio,
      combine: 'any',
    },
    by_reason: fs.byReason,
    failed_cases: fs.failedCases.map((c) => ({
      case_id: c.id,
      l1: c.l1_01,
      psnr: Number.isFinite(c.psnr_db) ? c.psnr_db : null,
      sharpness_ratio: c.sharpnessRatio,
      reasons: c.reasons,
    })),
    cross_table: fs.hasAudit
      ? fs.crossTable.map((r) => ({
          flag: r.flag,
          cases_with_flag: r.withFlag,
          failed_with_flag: r.failedWithFlag,
          share_of_failures: r.shareOfFailures,
          fail_rate_with_flag: r.failRateWithFlag,
          fail_rate_without: Number.isFinite(r.failRateWithout) ? r.failRateWithout : null,
        }))
      : null,
  };
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** The whole review as JSON (schema `ceph-gan-studio/review@1`). */
export function reportJson(input: ReviewInput, findings: readonly Finding[]): Record<string, unknown> {
  const ev = input.evaluation;
  const d = ev.diagnosis;
  return {
    schema: REVIEW_SCHEMA,
    generatedAt: input.generatedAt,
    studioVersion: input.studioVersion ?? null,
    environment: input.environment ?? null,
    run: {
      id: input.run.id,
      name: input.run.name,
      status: input.run.status,
      step: input.run.step,
      epoch: input.run.epoch,
      durationMs: input.run.durationMs,
      backend: input.run.backend,
      adapter: input.run.adapter,
      startedAt: new Date(input.run.startedAt).toISOString(),
    },
    data: {
      datasetId: input.run.datasetId,
      datasetName: input.run.datasetName,
      trainCount: input.run.trainCount,
      valCount: input.run.valCount,
      evalCaseIds: [...input.evalCaseIds],
      preprocessing: input.run.preprocessing,
      datasetPreprocessing: input.run.datasetPreprocessing ?? null,
      preprocessingOverride: preprocessingOverride(input.run.datasetPreprocessing, input.run.config),
    },
    config: input.run.config,
    evaluation: {
      checkpoint: input.checkpoint,
      step: ev.step,
      epoch: ev.epoch,
      evalMode: ev.evalMode,
      durationMs: ev.durationMs,
    },
    metrics: metricsJson(ev, input.checkpoint),
    comparison: input.comparison ?? null,
    diagnostics: d
      ? {
          units: 'grey levels 0-255; gradients = Sobel/8 magnitude per pixel',
          cases: ev.diagnosisCaseIds,
          prediction: { ...d.pred },
          target: { ...d.target },
          sharpness_ratio: finiteOrNull(d.sharpnessRatio),
          edge_ratio: finiteOrNull(d.edgeRatio),
          max_ratio: finiteOrNull(d.maxRatio),
          p999_ratio: finiteOrNull(d.p999Ratio),
          clinic_plan_002: d.clinicPlan002,
        }
      : null,
    sensitivity_255: ev.sensitivity_255,
    inputRange: ev.inputRange,
    lossBalance: ev.balance,
    gap: ev.gap ? { ...ev.gap, ratio: finiteOrNull(ev.gap.ratio), alertAbove: GAP_ALERT_RATIO } : null,
    landmarks: landmarksJson(ev.landmarkSharpness, input.landmarks, input.figures.grid),
    stuck: ev.stuck,
    checklist: ev.checklist.map((i) => ({
      id: i.id,
      status: i.status,
      question: messageBoth(i.question),
      answer: messageBoth(i.answer),
    })),
    failures: failureStatsJson(input.failures),
    gate: input.gate,
    findings,
    history: input.rounds.map((r) => ({ step: r.step, ...r.values })),
    files: { ...REPORT_FILES, grid: input.figures.grid, curves: input.figures.curves },
    ...(input.runComparison ? { runComparison: runComparisonJson(input.runComparison) } : {}),
  };
}
