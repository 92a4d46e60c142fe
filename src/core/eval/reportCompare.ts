/**
 * The review report's run-comparison section (issue 15): when runs are selected in the
 * Experiments section, the report carries their comparison table (only the options that differ,
 * best and last metrics with units, gate verdict, diagnostics, duration, backend) and, when the
 * runs form a sample-size study, the study's points, what was held equal (steps or epochs) and
 * its plain-language reading (en + zh). The ZIP gets `comparison.csv` and the study chart PNG.
 * report.ts calls `runComparisonMarkdown` / `runComparisonJson` (its only hook); pure functions.
 */
import { comparisonCsv, comparisonMarkdown, type ComparisonTable } from '../experiments/compare';
import type { StudyPoint, StudyReading } from '../experiments/study';

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
  if (s.held === 'steps')
    return lang === 'en'
      ? `Every run trained the same number of steps (${uniq(s.steps)}); smaller subsets saw each case more often.`
      : `每个训练的步数相同（${uniq(s.steps)}）；较小的子集中每个病例被看到的次数更多。`;
  if (s.held === 'epochs')
    return lang === 'en'
      ? `Every run trained the same number of epochs (${uniq(s.epochs)}); smaller subsets took fewer steps.`
      : `每个训练的 epoch 数相同（${uniq(s.epochs)}）；较小的子集训练步数更少。`;
  return lang === 'en'
    ? `The runs had neither equal steps (${uniq(s.steps)}) nor equal epochs (${uniq(s.epochs)}): the trend mixes the amount of data with the length of training.`
    : `这些训练的步数（${uniq(s.steps)}）和 epoch 数（${uniq(s.epochs)}）都不相同：趋势混合了数据量与训练时长的影响。`;
}

/** The study's points as a Markdown table (units in the headers). */
export function studyPointsMarkdown(points: readonly StudyPoint[], lang: CompareLang): string[] {
  const head =
    lang === 'en'
      ? [
          'training cases',
          'val L1 (on [0,1])',
          'PSNR (dB)',
          'sharpness ratio',
          'landmark-region sharpness',
          'traceability MRE (mm)',
          'train-subset L1 (on [0,1])',
          'gap (val / train L1)',
        ]
      : [
          '训练病例数',
          '验证 L1（[0,1]）',
          'PSNR（dB）',
          '清晰度比',
          '标志点区域清晰度比',
          '可描点性 MRE（mm）',
          '训练子集 L1（[0,1]）',
          '泛化差距（验证 / 训练 L1）',
        ];
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
  const L = (en: string, zh: string): string => (lang === 'en' ? en : zh);
  const lines: string[] = [];
  lines.push(`## ${L(`Run comparison (${rc.runs.length} runs)`, `训练对比（${rc.runs.length} 个训练）`)}`);
  lines.push('');
  lines.push(
    L(
      'Runs selected in the Experiments section. Only the options that differ are columns; the last round decides the gate verdict (advisory).',
      '在“实验”栏中选择的训练。只列出不同的选项；门槛判定依据最后一轮验证（仅供参考）。',
    ),
  );
  lines.push('');
  lines.push(comparisonMarkdown(rc.tables[lang], lang));
  lines.push('');
  for (const r of rc.runs) lines.push(`- ${r.label}`);
  lines.push('');
  const s = rc.study;
  if (s) {
    lines.push(`### ${L('Sample-size study', '样本量研究')}`);
    lines.push('');
    lines.push(`**${s.reading[lang]}**`);
    lines.push('');
    lines.push(heldText(s, lang));
    lines.push('');
    lines.push(...studyPointsMarkdown(s.points, lang));
    lines.push('');
    for (const n of s.reading.notes) lines.push(`- ${n[lang]}`);
    lines.push(`- ${s.reading.ruleText[lang]}`);
    lines.push('');
    if (rc.studyFigure) {
      lines.push(`![${L('Sample-size study', '样本量研究')}](${rc.studyFigure})`);
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
          reading: { en: rc.study.reading.en, zh: rc.study.reading.zh },
          notes: rc.study.reading.notes,
          rule: rc.study.reading.ruleText,
        }
      : null,
    files: { csv: COMPARISON_FILES.csv, study: rc.studyFigure ?? null },
  };
}

/** The section's CSV (headers in the report's language, numbers unrounded). */
export function runComparisonCsv(rc: ReviewRunComparison, lang: CompareLang): string {
  return comparisonCsv(rc.tables[lang], lang);
}
