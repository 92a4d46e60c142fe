/**
 * report.md: the review as Markdown in English or Simplified Chinese, one function per section in
 * the report's order (header, gate, findings, metrics, figures, diagnostics, landmarks, stuck
 * detector, loss balance, gap, failures, data, run comparison, configuration, environment, files);
 * the measurement sections are in markdownMeasurements.ts. Figures are referenced by file name
 * (the same ZIP). Every sentence is REPORT_TEXT's (core/messages/report.ts). Pure.
 */
import type { ReportTextCode } from '../../messages/report';
import { NO_FLAG } from '../failures';
import type { Finding, FindingSeverity } from '../types';
import { runComparisonMarkdown } from './compare';
import { gateName, gateValue } from './findings';
import { fmtNumber, fmtPercent, markdownTable } from './format';
import { REPORT_FILES, type ReviewInput } from './input';
import { landmarksMarkdown } from './landmarks';
import {
  balanceSection,
  diagnosticsSection,
  figuresSection,
  gapSection,
  metricsSection,
  STATUS,
  stuckSection,
  type Text,
} from './markdownMeasurements';
import { preprocessingOverride, preprocessingOverrideText } from './preprocessing';
import { inLang, reportText, type ReportLang } from './text';

const SEVERITY: Record<FindingSeverity, ReportTextCode> = {
  alert: 'review.md.severity.alert',
  warn: 'review.md.severity.warn',
  info: 'review.md.severity.info',
  ok: 'review.md.severity.ok',
};

const REASONS: Record<string, ReportTextCode> = {
  l1: 'review.md.reason.l1',
  psnr: 'review.md.reason.psnr',
  sharpness: 'review.md.reason.sharpness',
};

function header(T: Text, input: ReviewInput): string[] {
  const ev = input.evaluation;
  return [
    `# ${T('review.md.title')}: ${input.run.name}`,
    '',
    T('review.md.intro', {
      generatedAt: input.generatedAt,
      checkpoint: input.checkpoint ?? T('review.md.currentWeights'),
      step: ev.step,
      epoch: ev.epoch !== null ? T('review.md.intro.epoch', { epoch: ev.epoch }) : '',
      runId: input.run.id,
      cases: ev.aggregate.n_cases,
      mode: T(ev.evalMode ? 'review.md.intro.evalMode' : 'review.md.intro.testMode'),
    }),
    '',
  ];
}

function gateSection(T: Text, lang: ReportLang, input: ReviewInput): string[] {
  return [
    `## ${T('review.md.gate.heading')} (${input.gate.name})`,
    '',
    `**${T('review.md.gate.verdict')}: ${T(STATUS[input.gate.status])}** — ${T('review.md.gate.advisory')}`,
    '',
    ...markdownTable(
      [
        T('review.md.col.criterion'),
        T('review.md.col.measured'),
        T('review.md.col.condition'),
        T('review.md.col.result'),
      ],
      input.gate.criteria.map((c) => [
        gateName(c.id, lang),
        gateValue(c.id, c.value),
        `${c.op} ${gateValue(c.id, c.threshold)}`,
        T(STATUS[c.status]),
      ]),
    ),
    '',
  ];
}

function findingsSection(T: Text, lang: ReportLang, findings: readonly Finding[]): string[] {
  const lines = [`## ${T('review.md.findings.heading')}`, ''];
  if (findings.length === 0) lines.push(T('review.md.findings.none'));
  findings.forEach((x, i) => {
    lines.push(
      `${i + 1}. **[${T(SEVERITY[x.severity])}] ${inLang(lang, x.title)}** — ${inLang(lang, x.evidence)}`,
    );
    lines.push(`   - ${T('review.md.findings.next')}: ${inLang(lang, x.next)}`);
  });
  lines.push('');
  return lines;
}

function failuresSection(T: Text, lang: ReportLang, input: ReviewInput): string[] {
  const fs = input.failures;
  const lines = [`## ${T('review.md.failures.heading')}: ${fs.label}`, ''];
  const rule = [
    fs.rule.maxL1_01 !== null ? `L1 > ${fmtNumber(fs.rule.maxL1_01)}` : null,
    fs.rule.minPsnr_db !== null ? `PSNR < ${fmtNumber(fs.rule.minPsnr_db)} dB` : null,
    fs.rule.minSharpnessRatio !== null
      ? `${T('review.md.sharpnessRatio')} < ${fmtNumber(fs.rule.minSharpnessRatio)}`
      : null,
  ].filter((x): x is string => x !== null);
  lines.push(
    T('review.md.failures.rule', {
      rule: rule.join(T('review.list.comma')) || T('review.md.failures.noCriterion'),
      label: fs.label,
      rate: fmtPercent(fs.rate),
      l1: fs.byReason.l1,
      psnr: fs.byReason.psnr,
      sharpness: fs.byReason.sharpness,
    }),
  );
  lines.push('', `### ${T('review.md.failures.worst')}`, '');
  lines.push(
    ...markdownTable(
      [
        T('review.md.col.case'),
        'L1 [0,1]',
        'PSNR (dB)',
        'SSIM',
        T('review.md.sharpnessRatio'),
        T('review.md.col.failsOn'),
      ],
      fs.worst.map((c) => [
        c.id,
        fmtNumber(c.l1_01),
        fmtNumber(c.psnr_db),
        fmtNumber(c.ssim),
        fmtNumber(c.sharpnessRatio),
        c.reasons.map((r) => T(REASONS[r])).join(', ') || '–',
      ]),
    ),
  );
  lines.push('', `### ${T('review.md.failures.byFlag')}`, '');
  if (fs.hasAudit && fs.crossTable.length > 0) {
    // audit flag codes in the user's words (`flagNames`), the code itself when not named
    const flagName = (code: string): string =>
      code === NO_FLAG ? T('review.md.failures.noFlag') : (input.flagNames?.[code]?.[lang] ?? code);
    lines.push(
      ...markdownTable(
        [
          T('review.md.col.flag'),
          T('review.md.col.withFlag'),
          T('review.md.col.failedWithFlag'),
          T('review.md.col.shareOfFailures'),
          T('review.md.col.rateWith'),
          T('review.md.col.rateWithout'),
        ],
        fs.crossTable.map((r) => [
          flagName(r.flag),
          String(r.withFlag),
          `${r.failedWithFlag}/${fs.failed}`,
          fmtPercent(r.shareOfFailures),
          fmtPercent(r.failRateWithFlag),
          fmtPercent(r.failRateWithout),
        ]),
      ),
    );
  } else lines.push(T('review.md.failures.noAudit'));
  lines.push('');
  return lines;
}

function dataSection(T: Text, lang: ReportLang, input: ReviewInput): string[] {
  const run = input.run;
  const cfg = run.config;
  const lines = [`## ${T('review.md.data.heading')}`, ''];
  lines.push(
    ...markdownTable(
      [T('review.md.col.item'), T('review.md.col.value')],
      [
        [T('review.md.data.dataset'), `${run.datasetName ?? ''} (${run.datasetId})`],
        [T('review.md.data.trainCases'), run.trainCount === null ? '–' : String(run.trainCount)],
        [T('review.md.data.valCases'), run.valCount === null ? '–' : String(run.valCount)],
        [T('review.md.data.evalList'), `${input.evalCaseIds.length}: ${input.evalCaseIds.join(', ')}`],
        [T('review.md.data.preprocessing'), JSON.stringify(run.preprocessing)],
        ['size / preprocess / direction', `${cfg.size} px / ${cfg.preprocess} / ${cfg.direction}`],
        [
          T('review.md.data.datasetPreprocessing'),
          run.datasetPreprocessing
            ? `${run.datasetPreprocessing.mode} ${run.datasetPreprocessing.size} px`
            : T('review.md.data.noDatasetPreprocessing'),
        ],
      ],
    ),
  );
  lines.push('');
  const override = preprocessingOverride(run.datasetPreprocessing, cfg);
  if (override) lines.push(`**${preprocessingOverrideText(override, lang)}**`, '');
  return lines;
}

function configSection(T: Text, input: ReviewInput): string[] {
  return [
    `## ${T('review.md.config.heading')}`,
    '',
    ...markdownTable(
      ['option', 'value'],
      Object.entries(input.run.config).map(([k, v]) => [k, String(v)]),
    ),
    '',
  ];
}

function environmentSection(T: Text, input: ReviewInput): string[] {
  const run = input.run;
  return [
    `## ${T('review.md.env.heading')}`,
    '',
    ...markdownTable(
      [T('review.md.col.item'), T('review.md.col.value')],
      [
        [T('review.md.env.backend'), run.backend],
        [T('review.md.env.adapter'), run.adapter ?? '–'],
        [T('review.md.env.status'), run.status],
        [T('review.md.env.steps'), `${run.step} / ${run.epoch}`],
        [T('review.md.env.trainingTime'), `${fmtNumber(run.durationMs / 60000, 3)} min`],
        [T('review.md.env.evaluationTime'), `${fmtNumber(input.evaluation.durationMs / 1000, 3)} s`],
      ],
    ),
    '',
  ];
}

function filesLine(T: Text, input: ReviewInput): string {
  const sep = T('review.list.enum');
  const figures = [input.figures.grid, input.figures.curves].filter((x): x is string => !!x);
  return T('review.md.files', {
    markdown: REPORT_FILES.markdown,
    json: REPORT_FILES.json,
    rest: [REPORT_FILES.metrics, REPORT_FILES.failures, ...figures].join(sep),
  });
}

/** The report as Markdown in the UI language; figures are referenced by file name (same ZIP). */
export function reportMarkdown(input: ReviewInput, findings: readonly Finding[], lang: ReportLang): string {
  const T: Text = (code, params) => reportText(code, lang, params);
  const ev = input.evaluation;
  const lines: string[] = [
    ...header(T, input),
    ...gateSection(T, lang, input),
    ...findingsSection(T, lang, findings),
    ...metricsSection(T, input),
    ...figuresSection(T, input),
    ...diagnosticsSection(T, input),
    ...landmarksMarkdown(ev.landmarkSharpness, input.landmarks, input.figures.grid, lang),
    ...stuckSection(T, lang, input),
    ...balanceSection(T, input),
    ...gapSection(T, input),
    ...failuresSection(T, lang, input),
    ...dataSection(T, lang, input),
    ...(input.runComparison ? runComparisonMarkdown(input.runComparison, lang) : []),
    ...configSection(T, input),
    ...environmentSection(T, input),
    filesLine(T, input),
  ];
  return lines.join('\n') + '\n';
}
