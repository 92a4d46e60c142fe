/**
 * report.md: the review as Markdown in English or Simplified Chinese, one function per section in
 * the report's order (header, gate, findings, metrics, figures, diagnostics, landmarks, stuck
 * detector, loss balance, gap, failures, data, run comparison, configuration, environment, files).
 * Figures are referenced by file name (the same ZIP). Every sentence is REPORT_TEXT's
 * (core/messages/report.ts). Pure.
 */
import type { Params } from '../../messages';
import type { ReportTextCode } from '../../messages/report';
import type { ChecklistItem } from '../checklist';
import { NO_FLAG } from '../failures';
import { GAP_ALERT_RATIO } from '../gap';
import { stuckExplanationText } from '../stuck';
import type { Finding, FindingSeverity } from '../types';
import { runComparisonMarkdown } from './compare';
import { gateName, gateValue } from './findings';
import { fmtNumber as f, fmtPercent as pct, markdownTable as table } from './format';
import { REPORT_FILES, type ReviewInput } from './input';
import { landmarksMarkdown } from './landmarks';
import { preprocessingOverride, preprocessingOverrideText } from './preprocessing';
import { inLang, reportText, type ReportLang } from './text';

const SEVERITY: Record<FindingSeverity, ReportTextCode> = {
  alert: 'md.severity.alert',
  warn: 'md.severity.warn',
  info: 'md.severity.info',
  ok: 'md.severity.ok',
};

const STATUS: Record<string, ReportTextCode> = {
  pass: 'md.status.pass',
  fail: 'md.status.fail',
  unknown: 'md.status.unknown',
  incomplete: 'md.status.incomplete',
  ok: 'md.status.ok',
  warn: 'md.status.warn',
};

const REASONS: Record<string, ReportTextCode> = {
  l1: 'md.reason.l1',
  psnr: 'md.reason.psnr',
  sharpness: 'md.reason.sharpness',
};

/** The text of `code` in `lang`; a section's shorthand. */
type Text = (code: ReportTextCode, params?: Params) => string;

function status(T: Text, s: string): string {
  return T(STATUS[s] ?? STATUS.unknown);
}

function checklistRows(T: Text, lang: ReportLang, items: readonly ChecklistItem[]): string[] {
  return table(
    [T('md.col.check'), T('md.col.result'), T('md.col.answer')],
    items.map((i) => [inLang(lang, i.question), status(T, i.status), inLang(lang, i.answer)]),
  );
}

function header(T: Text, input: ReviewInput): string[] {
  const ev = input.evaluation;
  return [
    `# ${T('md.title')}: ${input.run.name}`,
    '',
    T('md.intro', {
      generatedAt: input.generatedAt,
      checkpoint: input.checkpoint ?? T('md.currentWeights'),
      step: ev.step,
      epoch: ev.epoch !== null ? T('md.intro.epoch', { epoch: ev.epoch }) : '',
      runId: input.run.id,
      cases: ev.aggregate.n_cases,
      mode: T(ev.evalMode ? 'md.intro.evalMode' : 'md.intro.testMode'),
    }),
    '',
  ];
}

function gateSection(T: Text, lang: ReportLang, input: ReviewInput): string[] {
  return [
    `## ${T('md.gate.heading')} (${input.gate.name})`,
    '',
    `**${T('md.gate.verdict')}: ${T(STATUS[input.gate.status])}** — ${T('md.gate.advisory')}`,
    '',
    ...table(
      [T('md.col.criterion'), T('md.col.measured'), T('md.col.condition'), T('md.col.result')],
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
  const lines = [`## ${T('md.findings.heading')}`, ''];
  if (findings.length === 0) lines.push(T('md.findings.none'));
  findings.forEach((x, i) => {
    lines.push(
      `${i + 1}. **[${T(SEVERITY[x.severity])}] ${inLang(lang, x.title)}** — ${inLang(lang, x.evidence)}`,
    );
    lines.push(`   - ${T('md.findings.next')}: ${inLang(lang, x.next)}`);
  });
  lines.push('');
  return lines;
}

function metricsSection(T: Text, input: ReviewInput): string[] {
  const ev = input.evaluation;
  const a = ev.aggregate;
  const lines = [`## ${T('md.metrics.heading')} (${a.n_cases} ${T('md.cases')})`, ''];
  if ((ev.metricsRegion ?? 'whole') === 'whole') lines.push(T('md.metrics.whole'));
  else if ((a.mean_content_fraction ?? 1) < 1)
    lines.push(
      T('md.metrics.content', {
        percent: (100 * (a.mean_content_fraction ?? 1)).toFixed(0),
        l1Whole: f(a.mean_l1_whole ?? NaN),
        psnrWhole: f(a.mean_psnr_whole ?? NaN),
      }),
    );
  else lines.push(T('md.metrics.contentWhole'));
  lines.push('');
  lines.push(
    ...table(
      [T('md.col.metric'), T('md.col.mean'), T('md.col.median'), T('md.col.unit')],
      [
        ['L1 (mean_l1)', f(a.mean_l1), f(a.median_l1), T('md.metrics.l1Unit')],
        ['L1 [-1,1]', f(a.mean_l1_pm1), f(a.median_l1_pm1), T('md.metrics.l1pm1Unit')],
        ['PSNR (mean_psnr)', f(a.mean_psnr), f(a.median_psnr), T('md.metrics.psnrUnit')],
        ['SSIM (mean_ssim)', f(a.mean_ssim), f(a.median_ssim), T('md.metrics.ssimUnit')],
        [T('md.sharpnessRatio'), f(a.mean_sharpness_ratio), '–', T('md.metrics.sharpnessUnit')],
      ],
    ),
  );
  if (input.comparison) {
    const c = input.comparison;
    lines.push('');
    lines.push(
      T('md.metrics.comparison', {
        label: c.label,
        step: c.step,
        l1: f(c.mean_l1),
        psnr: f(c.mean_psnr),
        ssim: f(c.mean_ssim),
        sharpness: f(c.sharpness_ratio),
      }),
    );
  }
  lines.push('');
  return lines;
}

function figuresSection(T: Text, input: ReviewInput): string[] {
  const lines: string[] = [];
  if (input.figures.grid) {
    const n = input.evalCaseIds.length;
    lines.push(`## ${T('md.grid.heading')} (${n} ${T('md.cases')})`, '', T('md.grid.caption'), '');
    lines.push(`![viz_grid_${n}](${input.figures.grid})`, '');
  }
  if (input.figures.curves) {
    lines.push(`## ${T('md.curves.heading')} (${input.rounds.length} ${T('md.curves.rounds')})`, '');
    lines.push(`![curves](${input.figures.curves})`, '');
  }
  return lines;
}

function diagnosticsSection(T: Text, input: ReviewInput): string[] {
  const ev = input.evaluation;
  const d = ev.diagnosis;
  const lines = [`## ${T('md.diag.heading')}`, ''];
  if (!d) {
    lines.push(T('md.diag.none'), '');
    return lines;
  }
  lines.push(T('md.diag.intro', { cases: ev.diagnosisCaseIds.length }), '');
  const p = d.pred;
  const t = d.target;
  lines.push(
    ...table(
      [T('md.col.quantity'), T('md.col.prediction'), T('md.col.target'), T('md.col.ratio')],
      [
        [T('md.diag.meanGradient'), f(p.gradMean_255), f(t.gradMean_255), f(d.sharpnessRatio, 3)],
        [T('md.diag.maxGradient'), f(p.gradMax_255), f(t.gradMax_255), '–'],
        [
          T('md.diag.gradientPercentiles'),
          `${f(p.gradP1_255)} / ${f(p.gradP99_255)} / ${f(p.gradP999_255)}`,
          `${f(t.gradP1_255)} / ${f(t.gradP99_255)} / ${f(t.gradP999_255)}`,
          f(d.edgeRatio, 3),
        ],
        [T('md.diag.maxIntensity'), f(p.intensityMax_255), f(t.intensityMax_255), f(d.maxRatio, 3)],
        [T('md.diag.intensityP999'), f(p.intensityP999_255), f(t.intensityP999_255), f(d.p999Ratio, 3)],
        [T('md.diag.meanIntensity'), f(p.intensityMean_255), f(t.intensityMean_255), '–'],
      ],
    ),
  );
  lines.push('');
  lines.push(
    T('md.diag.plan002', {
      grad: T(d.clinicPlan002.gradOk ? 'md.diag.met' : 'md.diag.notMet'),
      max: T(d.clinicPlan002.maxOk ? 'md.diag.met' : 'md.diag.notMet'),
      sensitivity: f(ev.sensitivity_255),
    }),
  );
  lines.push('');
  return lines;
}

function stuckSection(T: Text, lang: ReportLang, input: ReviewInput): string[] {
  const ev = input.evaluation;
  return [
    `## ${T('md.stuck.heading')}`,
    '',
    `**${T(ev.stuck.stuck ? 'md.stuck.stuck' : 'md.stuck.notStuck')}** (${ev.stuck.kind}): ${stuckExplanationText(ev.stuck.explanation, lang)}${T('sentence.end')}`,
    '',
    ...checklistRows(T, lang, ev.checklist),
    '',
  ];
}

function balanceSection(T: Text, input: ReviewInput): string[] {
  const ev = input.evaluation;
  const cfg = input.run.config;
  const lines = [`## ${T('md.balance.heading')}`, ''];
  if (!ev.balance || ev.balance.length === 0) {
    lines.push(T('md.balance.none'), '');
    return lines;
  }
  const l1 = ev.balance.find((b) => b.term === 'G_L1');
  lines.push(T('md.balance.intro', { cases: ev.balanceCaseIds.length }), '');
  const weightOf = (t: string): string =>
    t === 'G_GAN'
      ? '1'
      : t === 'G_L1'
        ? `lambda_L1 ${f(cfg.lambda_L1)}`
        : t === 'G_grad'
          ? `lambda_grad ${f(cfg.lambda_grad)}`
          : t === 'G_lap'
            ? `lambda_lap ${f(cfg.lambda_lap)}`
            : t === 'G_fm'
              ? `lambda_fm ${f(cfg.lambda_fm)}`
              : `lambda_ssim ${f(cfg.lambda_ssim)}`;
  lines.push(
    ...table(
      [
        T('md.col.term'),
        T('md.col.weight'),
        T('md.col.value'),
        T('md.col.share'),
        '‖∂/∂fake‖',
        T('md.col.vsL1'),
      ],
      ev.balance.map((b) => [
        b.term,
        weightOf(b.term),
        f(b.value),
        pct(b.share),
        f(b.gradNorm),
        l1 && l1.gradNorm > 0 ? `${f(b.gradNorm / l1.gradNorm, 3)}×` : '–',
      ]),
    ),
  );
  lines.push('');
  return lines;
}

function gapSection(T: Text, input: ReviewInput): string[] {
  const g = input.evaluation.gap;
  const lines = [`## ${T('md.gap.heading')}`, ''];
  if (!g) lines.push(T('md.gap.none'));
  else
    lines.push(
      T('md.gap.text', {
        nTrain: g.n_train,
        train: f(g.train_l1_01),
        val: f(g.val_l1_01),
        ratio: f(g.ratio, 3),
        alert: GAP_ALERT_RATIO,
        clinic: g.lossL1_01 !== null ? T('md.gap.clinic', { loss: f(g.lossL1_01) }) : '',
      }),
    );
  lines.push('');
  return lines;
}

function failuresSection(T: Text, lang: ReportLang, input: ReviewInput): string[] {
  const fs = input.failures;
  const lines = [`## ${T('md.failures.heading')}: ${fs.label}`, ''];
  const rule = [
    fs.rule.maxL1_01 !== null ? `L1 > ${f(fs.rule.maxL1_01)}` : null,
    fs.rule.minPsnr_db !== null ? `PSNR < ${f(fs.rule.minPsnr_db)} dB` : null,
    fs.rule.minSharpnessRatio !== null ? `${T('md.sharpnessRatio')} < ${f(fs.rule.minSharpnessRatio)}` : null,
  ].filter((x): x is string => x !== null);
  lines.push(
    T('md.failures.rule', {
      rule: rule.join(T('list.comma')) || T('md.failures.noCriterion'),
      label: fs.label,
      rate: pct(fs.rate),
      l1: fs.byReason.l1,
      psnr: fs.byReason.psnr,
      sharpness: fs.byReason.sharpness,
    }),
  );
  lines.push('', `### ${T('md.failures.worst')}`, '');
  lines.push(
    ...table(
      [T('md.col.case'), 'L1 [0,1]', 'PSNR (dB)', 'SSIM', T('md.sharpnessRatio'), T('md.col.failsOn')],
      fs.worst.map((c) => [
        c.id,
        f(c.l1_01),
        f(c.psnr_db),
        f(c.ssim),
        f(c.sharpnessRatio),
        c.reasons.map((r) => T(REASONS[r])).join(', ') || '–',
      ]),
    ),
  );
  lines.push('', `### ${T('md.failures.byFlag')}`, '');
  if (fs.hasAudit && fs.crossTable.length > 0) {
    // audit flag codes in the user's words (`flagNames`), the code itself when not named
    const flagName = (code: string): string =>
      code === NO_FLAG ? T('md.failures.noFlag') : (input.flagNames?.[code]?.[lang] ?? code);
    lines.push(
      ...table(
        [
          T('md.col.flag'),
          T('md.col.withFlag'),
          T('md.col.failedWithFlag'),
          T('md.col.shareOfFailures'),
          T('md.col.rateWith'),
          T('md.col.rateWithout'),
        ],
        fs.crossTable.map((r) => [
          flagName(r.flag),
          String(r.withFlag),
          `${r.failedWithFlag}/${fs.failed}`,
          pct(r.shareOfFailures),
          pct(r.failRateWithFlag),
          pct(r.failRateWithout),
        ]),
      ),
    );
  } else lines.push(T('md.failures.noAudit'));
  lines.push('');
  return lines;
}

function dataSection(T: Text, lang: ReportLang, input: ReviewInput): string[] {
  const run = input.run;
  const cfg = run.config;
  const lines = [`## ${T('md.data.heading')}`, ''];
  lines.push(
    ...table(
      [T('md.col.item'), T('md.col.value')],
      [
        [T('md.data.dataset'), `${run.datasetName ?? ''} (${run.datasetId})`],
        [T('md.data.trainCases'), run.trainCount === null ? '–' : String(run.trainCount)],
        [T('md.data.valCases'), run.valCount === null ? '–' : String(run.valCount)],
        [T('md.data.evalList'), `${input.evalCaseIds.length}: ${input.evalCaseIds.join(', ')}`],
        [T('md.data.preprocessing'), JSON.stringify(run.preprocessing)],
        ['size / preprocess / direction', `${cfg.size} px / ${cfg.preprocess} / ${cfg.direction}`],
        [
          T('md.data.datasetPreprocessing'),
          run.datasetPreprocessing
            ? `${run.datasetPreprocessing.mode} ${run.datasetPreprocessing.size} px`
            : T('md.data.noDatasetPreprocessing'),
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
    `## ${T('md.config.heading')}`,
    '',
    ...table(
      ['option', 'value'],
      Object.entries(input.run.config).map(([k, v]) => [k, String(v)]),
    ),
    '',
  ];
}

function environmentSection(T: Text, input: ReviewInput): string[] {
  const run = input.run;
  return [
    `## ${T('md.env.heading')}`,
    '',
    ...table(
      [T('md.col.item'), T('md.col.value')],
      [
        [T('md.env.backend'), run.backend],
        [T('md.env.adapter'), run.adapter ?? '–'],
        [T('md.env.status'), run.status],
        [T('md.env.steps'), `${run.step} / ${run.epoch}`],
        [T('md.env.trainingTime'), `${f(run.durationMs / 60000, 3)} min`],
        [T('md.env.evaluationTime'), `${f(input.evaluation.durationMs / 1000, 3)} s`],
      ],
    ),
    '',
  ];
}

function filesLine(T: Text, input: ReviewInput): string {
  const sep = T('list.enum');
  const figures = [input.figures.grid, input.figures.curves].filter((x): x is string => !!x);
  return T('md.files', {
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
