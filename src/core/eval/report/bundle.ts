/**
 * The review bundle: findings, report.md, report.json, val_metrics.json, failure_stats.json and
 * the figures (PNG bytes passed in) in one ZIP (fflate), plus the run comparison's CSV and chart.
 */
import { zipSync } from 'fflate';
import { gridFileName } from '../grid';
import type { Finding } from '../types';
import { COMPARISON_FILES, runComparisonCsv } from './compare';
import { reviewFindings } from './findings';
import { REPORT_FILES, type ReviewInput } from './input';
import { failureStatsJson, metricsJson, reportJson } from './json';
import { reportMarkdown } from './markdown';
import type { ReportLang } from './text';

export interface ReviewBundle {
  markdown: string;
  json: Record<string, unknown>;
  findings: Finding[];
  /** ZIP: report.md, report.json, val_metrics.json, failure_stats.json and the given PNGs. */
  zip: Uint8Array;
}

/** Everything of the review in one ZIP (PNG bytes passed in: grid and curves are rendered by the caller). */
export function reviewBundle(
  input: ReviewInput,
  lang: ReportLang,
  pngs: { grid?: Uint8Array | null; curves?: Uint8Array | null; study?: Uint8Array | null },
  folder = 'review',
): ReviewBundle {
  const gridFile = gridFileName(input.evalCaseIds.length);
  const rc = input.runComparison
    ? { ...input.runComparison, studyFigure: pngs.study ? COMPARISON_FILES.study : null }
    : input.runComparison;
  const withFigures: ReviewInput = {
    ...input,
    figures: { grid: pngs.grid ? gridFile : null, curves: pngs.curves ? REPORT_FILES.curves : null },
    ...(rc ? { runComparison: rc } : {}),
  };
  const findings = reviewFindings(withFigures);
  const markdown = reportMarkdown(withFigures, findings, lang);
  const json = reportJson(withFigures, findings);
  const enc = new TextEncoder();
  const files: Record<string, Uint8Array | [Uint8Array, { level: 0 }]> = {
    [`${folder}/${REPORT_FILES.markdown}`]: enc.encode(markdown),
    [`${folder}/${REPORT_FILES.json}`]: enc.encode(JSON.stringify(json, null, 2)),
    [`${folder}/${REPORT_FILES.metrics}`]: enc.encode(
      JSON.stringify(metricsJson(input.evaluation, input.checkpoint), null, 2),
    ),
    [`${folder}/${REPORT_FILES.failures}`]: enc.encode(
      JSON.stringify(failureStatsJson(input.failures), null, 2),
    ),
  };
  // PNGs are compressed already: stored as they are
  if (pngs.grid) files[`${folder}/${gridFile}`] = [pngs.grid, { level: 0 }];
  if (pngs.curves) files[`${folder}/${REPORT_FILES.curves}`] = [pngs.curves, { level: 0 }];
  if (rc) files[`${folder}/${COMPARISON_FILES.csv}`] = enc.encode(runComparisonCsv(rc, lang));
  if (rc && pngs.study) files[`${folder}/${COMPARISON_FILES.study}`] = [pngs.study, { level: 0 }];
  return { markdown, json, findings, zip: zipSync(files, { level: 6 }) };
}
