/**
 * The review report: what the clinic wrote by hand (metrics, the 20-case grid, failure counts,
 * the train/val gap, the gate verdict, the over-smoothing diagnostics with its checklist, root
 * causes and next steps), written by the studio from one evaluation and the run's validation
 * history. One module per concept:
 *
 * - input.ts       ReviewInput and the report's fixed names (schema, file names, over-smoothing ratio)
 * - findings.ts    `reviewFindings`: rule-based findings with evidence and a next experiment
 * - markdown.ts    `reportMarkdown`: report.md in English or Simplified Chinese, one function per section
 *                  (the measurement sections in markdownMeasurements.ts)
 * - json.ts        `reportJson` (schema `ceph-gan-studio/review@1`), `metricsJson`, `failureStatsJson`
 * - curves.ts      `reportCurvePanels`: the curves figure
 * - bundle.ts      `reviewBundle`: everything in one ZIP with the PNGs
 * - landmarks.ts   the landmarks section (sharpness, tracing errors, measurements), with
 *                  traceability.ts (the landmark detector's floor vs synthetic) and landmarkFormat.ts
 * - compare.ts     the run-comparison section (Experiments' selected runs, the sample-size study)
 * - preprocessing.ts, format.ts, text.ts   the override, number/table formatting, the prose
 *   (REPORT_TEXT in core/messages/report.ts)
 * Pure functions, TF.js-free (fflate for the ZIP).
 */
export { reviewBundle, type ReviewBundle } from './bundle';
export {
  COMPARISON_FILES,
  heldText,
  runComparisonCsv,
  runComparisonJson,
  runComparisonMarkdown,
  studyPointsMarkdown,
  type ReviewRunComparison,
} from './compare';
export { reportCurvePanels } from './curves';
export { reviewFindings } from './findings';
export { fmtNumber, fmtPercent } from './format';
export {
  OVERSMOOTH_RATIO,
  REPORT_FILES,
  REVIEW_SCHEMA,
  type ReviewComparison,
  type ReviewInput,
  type ReviewRun,
  type RoundPoint,
} from './input';
export { failureStatsJson, metricsJson, reportJson } from './json';
export { landmarksJson, landmarksMarkdown, type ReviewLandmarks } from './landmarks';
export { reportMarkdown } from './markdown';
export { TRACE_TOLERANCE_MM, traceabilityMarkdown, type ReviewTraceability } from './traceability';
export {
  preprocessingOverride,
  preprocessingOverrideText,
  type PreprocessingOverride,
} from './preprocessing';
export { auditFlagNames, type ReportLang } from './text';
// one finding of the review (core/eval/types.ts: findings.ts and landmarks.ts build them)
export type { Finding, FindingSeverity } from '../types';
