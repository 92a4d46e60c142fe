/**
 * The review report's run-comparison section (issue 15): when runs are selected in the
 * Experiments section, the report carries their comparison table (only the options that differ,
 * best and last metrics with units, gate verdict, diagnostics, duration, backend) and, when the
 * runs form a sample-size study, the study's points, what was held equal (steps or epochs) and
 * its plain-language reading (en + zh). The ZIP gets `comparison.csv` and the study chart PNG.
 * markdown.ts / json.ts call `runComparisonMarkdown` / `runComparisonJson` (its only hook); the
 * prose is REPORT_TEXT's (core/messages/report.ts); pure functions.
 */
import { comparisonCsv, comparisonMarkdown, type ComparisonTable } from '../../experiments/compare';
import type { StudyPoint, StudyReading } from '../../experiments/study';
import { messageText } from '../../messages';
import { messageBoth, reportText } from './text';

export type CompareLang = 'en' | 'zh';

export const COMPARISON_FILES = { csv: 'comparison.csv', study: 'study.png' } as const;

export interface ReviewRunComparison {
  /** The runs compared, in table order; `label` = name + the values that tell it apart. */
  runs: { id: string; name: string; label: string }[];
  /** The table with its headers and status words in each language. */
  tables: Record<CompareLang, ComparisonTable>;
  study: {
    points: StudyPoint[];
    held: 'steps' | 'epochs' | 'neither';
    steps: number[];
    epochs: number[];
    reading: StudyReading;
  } | null;
  /** File name of the study chart inside the bundle (set by the bundle; null = none). */
  studyFigure?: string | null;
}

const fx = (x: number | null, d: number): string => (x === null || !Number.isFinite(x) ? '—' : x.toFixed(d));

/** What the study held equal, in words. */
export function heldText(s: NonNullable<ReviewRunComparison['study']>, lang: CompareLang): string {
  const uniq = (xs: number[]): string => [...new Set(xs)].join(', ');
  const code =
    s.held === 'steps'
      ? 'review.compare.held.steps'
      : s.held === 'epochs'
        ? 'review.compare.held.epochs'
        : 'review.compare.held.neither';
  return reportText(code, lang, { steps: uniq(s.steps), epochs: uniq(s.epochs) });
}

const STUDY_COLUMNS = [
  'review.compare.study.col.cases',
  'review.compare.study.col.valL1',
  'review.compare.study.col.psnr',
  'review.compare.study.col.sharpness',
  'review.compare.study.col.lmSharpness',
  'review.compare.study.col.traceMre',
  'review.compare.study.col.trainL1',
  'review.compare.study.col.gap',
] as const;

/** The study's points as a Markdown table (units in the headers). */
export function studyPointsMarkdown(points: readonly StudyPoint[], lang: CompareLang): string[] {
  const head = STUDY_COLUMNS.map((code) => reportText(code, lang));
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => ' ---: ').join('|')}|`];
  for (const p of [...points].sort((a, b) => a.cases - b.cases))
    lines.push(
      `| ${[
        String(p.cases),
        fx(p.val_l1, 4),
        fx(p.psnr_db, 2),
        fx(p.sharpness_ratio, 3),
        fx(p.lm_sharp, 3),
        fx(p.trace_mre_mm, 2),
        fx(p.train_l1, 4),
        fx(p.gap_ratio, 2),
      ].join(' | ')} |`,
    );
  return lines;
}

/** The section's Markdown lines (a `##` heading, the table, and the study when there is one). */
export function runComparisonMarkdown(rc: ReviewRunComparison, lang: CompareLang): string[] {
  const lines: string[] = [];
  lines.push(`## ${reportText('review.compare.heading', lang, { n: rc.runs.length })}`);
  lines.push('');
  lines.push(reportText('review.compare.intro', lang));
  lines.push('');
  lines.push(comparisonMarkdown(rc.tables[lang], lang));
  lines.push('');
  for (const r of rc.runs) lines.push(`- ${r.label}`);
  lines.push('');
  const s = rc.study;
  if (s) {
    lines.push(`### ${reportText('review.compare.study.heading', lang)}`);
    lines.push('');
    lines.push(`**${messageText(s.reading.text, lang)}**`);
    lines.push('');
    lines.push(heldText(s, lang));
    lines.push('');
    lines.push(...studyPointsMarkdown(s.points, lang));
    lines.push('');
    for (const n of s.reading.notes) lines.push(`- ${messageText(n, lang)}`);
    lines.push(`- ${messageText(s.reading.ruleText, lang)}`);
    lines.push('');
    if (rc.studyFigure) {
      lines.push(`![${reportText('review.compare.study.heading', lang)}](${rc.studyFigure})`);
      lines.push('');
    }
  }
  return lines;
}

/** The section for report.json (numbers unrounded, English headers and keys). */
export function runComparisonJson(rc: ReviewRunComparison): Record<string, unknown> {
  const t = rc.tables.en;
  return {
    runs: rc.runs,
    differingKeys: t.differingKeys,
    shared: t.shared,
    columns: t.columns.map((c) => ({ key: c.key, en: c.en, zh: c.zh, kind: c.kind })),
    rows: t.rows,
    study: rc.study
      ? {
          points: rc.study.points,
          held: rc.study.held,
          steps: rc.study.steps,
          epochs: rc.study.epochs,
          verdict: rc.study.reading.verdict,
          fit: rc.study.reading.fit,
          reading: messageBoth(rc.study.reading.text),
          notes: rc.study.reading.notes.map(messageBoth),
          rule: messageBoth(rc.study.reading.ruleText),
        }
      : null,
    files: { csv: COMPARISON_FILES.csv, study: rc.studyFigure ?? null },
  };
}

/** The section's CSV (headers in the report's language, numbers unrounded). */
export function runComparisonCsv(rc: ReviewRunComparison, lang: CompareLang): string {
  return comparisonCsv(rc.tables[lang], lang);
}
