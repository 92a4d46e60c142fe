/**
 * A run's override of its dataset's preprocessing (size or mode), as data and in words. Pure.
 */
import { reportText, type ReportLang } from './text';

/** Where a run's size or mode differs from its dataset's preprocessing (the default of every run). */
export interface PreprocessingOverride {
  size: { dataset: number; run: number } | null;
  mode: { dataset: string; run: string } | null;
}

/**
 * The run's override of its dataset's preprocessing, or null when it follows the dataset (or the
 * dataset has none: the demo phantom is generated at the run's size).
 */
export function preprocessingOverride(
  dataset: { size: number; mode: string } | null | undefined,
  run: { size: number; preprocess: string },
): PreprocessingOverride | null {
  if (!dataset) return null;
  const size = dataset.size !== run.size ? { dataset: dataset.size, run: run.size } : null;
  const mode = dataset.mode !== run.preprocess ? { dataset: dataset.mode, run: run.preprocess } : null;
  return size || mode ? { size, mode } : null;
}

/** The override in words (en/zh), '' when the run follows its dataset. */
export function preprocessingOverrideText(o: PreprocessingOverride | null, lang: ReportLang): string {
  if (!o) return '';
  const parts: string[] = [];
  if (o.size)
    parts.push(reportText('review.override.size', lang, { run: o.size.run, dataset: o.size.dataset }));
  if (o.mode)
    parts.push(reportText('review.override.mode', lang, { run: o.mode.run, dataset: o.mode.dataset }));
  return reportText('review.override.sentence', lang, {
    parts: parts.join(reportText('review.list.comma', lang)),
  });
}
