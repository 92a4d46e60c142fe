/**
 * One-click review report: assemble the ReviewInput from what the Evaluate view holds (run
 * record, evaluation, rounds, failure statistics, gate verdict, environment), render the grid and
 * curves PNGs and zip everything (core/eval/report/). Also the single-file variants: Markdown
 * with the figures embedded as data: URIs, and the JSON.
 */
import { encodePngRgba } from '../../core/eval/grid';
import type { FailureStats } from '../../core/eval/failures';
import type { GateVerdict } from '../../core/eval/gate';
import { renderCurves } from '../../core/eval/curves';
import {
  auditFlagNames,
  COMPARISON_FILES,
  REPORT_FILES,
  reportCurvePanels,
  reviewBundle,
  type ReportLang,
  type ReviewBundle,
  type ReviewComparison,
  type ReviewInput,
  type ReviewRunComparison,
  type RoundPoint,
} from '../../core/eval/report';
import type { ValidationRound } from '../../core/eval/round';
import { isCaseKey } from '../../core/eval/roundValues';
import type { RgbaImage } from '../../core/image';
import type { CheckpointEvaluation } from '../../engine/evaluation';
import type { RunRecord } from '../../store';
import { base64 } from './view';
// --- Run comparison (issue 15): the Experiments section registers its selected runs here ---
import { studyChartPanels } from '../../core/experiments/study';

let runComparisonSource: (() => ReviewRunComparison | null) | null = null;

/** The Experiments section's comparison of its selected runs joins every report built from now on. */
export function setRunComparisonSource(source: (() => ReviewRunComparison | null) | null): void {
  runComparisonSource = source;
}

export interface ReportSources {
  run: RunRecord;
  datasetName: string | null;
  /** The dataset's own preprocessing (null: the demo, or unknown). */
  datasetPreprocessing?: { size: number; mode: string } | null;
  trainCount: number | null;
  valCount: number | null;
  environment: unknown;
  evaluation: ValidationRound;
  /** Set when the evaluation is of a stored checkpoint (grid, eval list, checkpoint name). */
  checkpointEval: CheckpointEvaluation | null;
  comparison: CheckpointEvaluation | null;
  comparisonLabel: string | null;
  rounds: readonly RoundPoint[];
  failures: FailureStats;
  gate: GateVerdict;
  grid: RgbaImage | null;
  appVersion?: string;
  /** Hand tracings of the evaluated checkpoint's predictions (errors, measurements), when any exist. */
  tracings?: Pick<NonNullable<ReviewInput['landmarks']>, 'tracing' | 'measurements'> | null;
  /** Selected runs' comparison (default: the registered source's, see setRunComparisonSource). */
  runComparison?: ReviewRunComparison | null;
}

/** The stored rounds without their per-case values (what the curves and the JSON history need). */
export function summaryRounds(rounds: readonly RoundPoint[]): RoundPoint[] {
  return rounds.map((r) => {
    const values: Record<string, number | null> = {};
    for (const [k, v] of Object.entries(r.values)) if (!isCaseKey(k)) values[k] = v;
    return { step: r.step, values };
  });
}

export function buildReviewInput(src: ReportSources, now = new Date()): ReviewInput {
  const ce = src.checkpointEval;
  const b = src.comparison;
  const comparison: ReviewComparison | null = b
    ? {
        label: src.comparisonLabel ?? `${b.checkpoint ?? 'current'} (step ${b.step})`,
        step: b.step,
        mean_l1: b.aggregate.mean_l1,
        mean_psnr: b.aggregate.mean_psnr,
        mean_ssim: b.aggregate.mean_ssim,
        sharpness_ratio: b.diagnosis?.sharpnessRatio ?? null,
      }
    : null;
  // audit flag codes in the user's words (Burned-in label / 烧录标签), from the audit message table
  const flagNames = auditFlagNames((src.failures.crossTable ?? []).map((r) => r.flag));
  return {
    generatedAt: now.toISOString(),
    flagNames,
    studioVersion: src.appVersion,
    run: {
      id: src.run.id,
      name: src.run.name,
      status: src.run.status,
      step: src.run.step,
      epoch: src.run.epoch,
      durationMs: src.run.durationMs,
      backend: src.run.backend,
      adapter: src.run.adapter,
      startedAt: src.run.startedAt,
      datasetId: src.run.datasetId,
      datasetName: src.datasetName,
      trainCount: src.trainCount,
      valCount: src.valCount,
      config: src.run.config,
      preprocessing: src.run.preprocessing,
      datasetPreprocessing: src.datasetPreprocessing ?? null,
    },
    environment: src.environment,
    evaluation: src.evaluation,
    checkpoint: ce ? ce.checkpoint : null,
    evalCaseIds: ce ? ce.evalCaseIds : src.evaluation.diagnosisCaseIds,
    rounds: summaryRounds(src.rounds),
    failures: src.failures,
    gate: src.gate,
    comparison,
    figures: { grid: null, curves: null },
    // the grid PNG (gridOf) draws the ground-truth landmarks on the X-ray and prediction tiles when its cases have them;
    // traceability (issue 13): the landmark detector's table when the evaluation has one
    landmarks: landmarksOf(
      !!src.grid && !!(ce ?? b)?.grid.some((g) => (g.landmarks?.length ?? 0) > 0),
      src.evaluation.traceability ?? null,
      src.tracings ?? null,
    ),
    runComparison: src.runComparison !== undefined ? src.runComparison : (runComparisonSource?.() ?? null),
  };
}

function landmarksOf(
  gridOverlay: boolean,
  traceability: ReviewInput['evaluation']['traceability'],
  tracings: ReportSources['tracings'],
): ReviewInput['landmarks'] {
  if (!gridOverlay && !traceability && !tracings) return null;
  return {
    ...(gridOverlay ? { gridOverlay: true } : {}),
    ...(traceability ? { traceability } : {}),
    ...(tracings?.tracing ? { tracing: tracings.tracing } : {}),
    ...(tracings?.measurements ? { measurements: tracings.measurements } : {}),
  };
}

/** Render the figures and build the ZIP (report.md, report.json, metrics, failures, PNGs). */
export function buildBundle(
  src: ReportSources,
  lang: ReportLang,
  now = new Date(),
): ReviewBundle & {
  gridPng: Uint8Array | null;
  curvesPng: Uint8Array;
  studyPng: Uint8Array | null;
} {
  const input = buildReviewInput(src, now);
  const gridPng = src.grid ? encodePngRgba(src.grid) : null;
  const curvesPng = encodePngRgba(
    renderCurves(reportCurvePanels(input.rounds, src.gate), {
      title: `${src.run.name} - validation rounds (step ${input.rounds[0]?.step ?? '-'} to ${input.rounds.at(-1)?.step ?? '-'})`,
    }),
  );
  const study = input.runComparison?.study;
  const studyPng = study
    ? encodePngRgba(renderCurves(studyChartPanels(study.points), { title: 'Sample-size study' }))
    : null;
  const bundle = reviewBundle(input, lang, { grid: gridPng, curves: curvesPng, study: studyPng });
  return { ...bundle, gridPng, curvesPng, studyPng };
}

/** The Markdown with its figures embedded as data: URIs (one self-contained file). */
export function markdownWithEmbeddedFigures(
  markdown: string,
  figures: { grid: Uint8Array | null; curves: Uint8Array | null; study?: Uint8Array | null },
): string {
  let md = markdown;
  if (figures.grid)
    // the grid's file names its real count (viz_grid_<n>.png)
    md = md.replace(/\]\(viz_grid_\d+\.png\)/g, `](data:image/png;base64,${base64(figures.grid)})`);
  if (figures.curves) {
    md = md.split(`](${REPORT_FILES.curves})`).join(`](data:image/png;base64,${base64(figures.curves)})`);
  }
  if (figures.study)
    md = md.split(`](${COMPARISON_FILES.study})`).join(`](data:image/png;base64,${base64(figures.study)})`);
  return md;
}
