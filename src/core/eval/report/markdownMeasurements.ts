/**
 * report.md's sections about the evaluation's measurements: validation metrics, the figures
 * (grid, curves), the gradient/extremum diagnostics, the stuck-output detector with its
 * checklist, the loss balance and the generalization gap. markdown.ts puts them in order.
 * Sentences are REPORT_TEXT's (core/messages/report.ts). Pure.
 */
import { messageText, type Params } from '../../messages';
import type { ReportTextCode } from '../../messages/report';
import type { ChecklistItem } from '../checklist';
import { GAP_ALERT_RATIO } from '../gap';
import { stuckExplanationText } from '../stuck';
import { fmtNumber, fmtPercent, markdownTable } from './format';
import type { ReviewInput } from './input';
import type { ReportLang } from './text';

export const STATUS: Record<string, ReportTextCode> = {
  pass: 'review.md.status.pass',
  fail: 'review.md.status.fail',
  unknown: 'review.md.status.unknown',
  incomplete: 'review.md.status.incomplete',
  ok: 'review.md.status.ok',
  warn: 'review.md.status.warn',
};

/** The text of `code` in `lang`; a section's shorthand. */
export type Text = (code: ReportTextCode, params?: Params) => string;

function status(T: Text, s: string): string {
  return T(STATUS[s] ?? STATUS.unknown);
}

function checklistRows(T: Text, lang: ReportLang, items: readonly ChecklistItem[]): string[] {
  return markdownTable(
    [T('review.md.col.check'), T('review.md.col.result'), T('review.md.col.answer')],
    items.map((i) => [messageText(i.question, lang), status(T, i.status), messageText(i.answer, lang)]),
  );
}

export function metricsSection(T: Text, input: ReviewInput): string[] {
  const ev = input.evaluation;
  const a = ev.aggregate;
  const lines = [`## ${T('review.md.metrics.heading')} (${a.n_cases} ${T('review.md.cases')})`, ''];
  if ((ev.metricsRegion ?? 'whole') === 'whole') lines.push(T('review.md.metrics.whole'));
  else if ((a.mean_content_fraction ?? 1) < 1)
    lines.push(
      T('review.md.metrics.content', {
        percent: (100 * (a.mean_content_fraction ?? 1)).toFixed(0),
        l1Whole: fmtNumber(a.mean_l1_whole ?? NaN),
        psnrWhole: fmtNumber(a.mean_psnr_whole ?? NaN),
      }),
    );
  else lines.push(T('review.md.metrics.contentWhole'));
  lines.push('');
  lines.push(
    ...markdownTable(
      [
        T('review.md.col.metric'),
        T('review.md.col.mean'),
        T('review.md.col.median'),
        T('review.md.col.unit'),
      ],
      [
        ['L1 (mean_l1)', fmtNumber(a.mean_l1), fmtNumber(a.median_l1), T('review.md.metrics.l1Unit')],
        ['L1 [-1,1]', fmtNumber(a.mean_l1_pm1), fmtNumber(a.median_l1_pm1), T('review.md.metrics.l1pm1Unit')],
        [
          'PSNR (mean_psnr)',
          fmtNumber(a.mean_psnr),
          fmtNumber(a.median_psnr),
          T('review.md.metrics.psnrUnit'),
        ],
        [
          'SSIM (mean_ssim)',
          fmtNumber(a.mean_ssim),
          fmtNumber(a.median_ssim),
          T('review.md.metrics.ssimUnit'),
        ],
        [
          T('review.md.sharpnessRatio'),
          fmtNumber(a.mean_sharpness_ratio),
          '–',
          T('review.md.metrics.sharpnessUnit'),
        ],
      ],
    ),
  );
  if (input.comparison) {
    const c = input.comparison;
    lines.push('');
    lines.push(
      T('review.md.metrics.comparison', {
        label: c.label,
        step: c.step,
        l1: fmtNumber(c.mean_l1),
        psnr: fmtNumber(c.mean_psnr),
        ssim: fmtNumber(c.mean_ssim),
        sharpness: fmtNumber(c.sharpness_ratio),
      }),
    );
  }
  lines.push('');
  return lines;
}

export function figuresSection(T: Text, input: ReviewInput): string[] {
  const lines: string[] = [];
  if (input.figures.grid) {
    const n = input.evalCaseIds.length;
    lines.push(
      `## ${T('review.md.grid.heading')} (${n} ${T('review.md.cases')})`,
      '',
      T('review.md.grid.caption'),
      '',
    );
    lines.push(`![viz_grid_${n}](${input.figures.grid})`, '');
  }
  if (input.figures.curves) {
    lines.push(
      `## ${T('review.md.curves.heading')} (${input.rounds.length} ${T('review.md.curves.rounds')})`,
      '',
    );
    lines.push(`![curves](${input.figures.curves})`, '');
  }
  return lines;
}

export function diagnosticsSection(T: Text, input: ReviewInput): string[] {
  const ev = input.evaluation;
  const d = ev.diagnosis;
  const lines = [`## ${T('review.md.diag.heading')}`, ''];
  if (!d) {
    lines.push(T('review.md.diag.none'), '');
    return lines;
  }
  lines.push(T('review.md.diag.intro', { cases: ev.diagnosisCaseIds.length }), '');
  const p = d.pred;
  const t = d.target;
  lines.push(
    ...markdownTable(
      [
        T('review.md.col.quantity'),
        T('review.md.col.prediction'),
        T('review.md.col.target'),
        T('review.md.col.ratio'),
      ],
      [
        [
          T('review.md.diag.meanGradient'),
          fmtNumber(p.gradMean_255),
          fmtNumber(t.gradMean_255),
          fmtNumber(d.sharpnessRatio, 3),
        ],
        [T('review.md.diag.maxGradient'), fmtNumber(p.gradMax_255), fmtNumber(t.gradMax_255), '–'],
        [
          T('review.md.diag.gradientPercentiles'),
          `${fmtNumber(p.gradP1_255)} / ${fmtNumber(p.gradP99_255)} / ${fmtNumber(p.gradP999_255)}`,
          `${fmtNumber(t.gradP1_255)} / ${fmtNumber(t.gradP99_255)} / ${fmtNumber(t.gradP999_255)}`,
          fmtNumber(d.edgeRatio, 3),
        ],
        [
          T('review.md.diag.maxIntensity'),
          fmtNumber(p.intensityMax_255),
          fmtNumber(t.intensityMax_255),
          fmtNumber(d.maxRatio, 3),
        ],
        [
          T('review.md.diag.intensityP999'),
          fmtNumber(p.intensityP999_255),
          fmtNumber(t.intensityP999_255),
          fmtNumber(d.p999Ratio, 3),
        ],
        [
          T('review.md.diag.meanIntensity'),
          fmtNumber(p.intensityMean_255),
          fmtNumber(t.intensityMean_255),
          '–',
        ],
      ],
    ),
  );
  lines.push('');
  lines.push(
    T('review.md.diag.plan002', {
      grad: T(d.clinicPlan002.gradOk ? 'review.md.diag.met' : 'review.md.diag.notMet'),
      max: T(d.clinicPlan002.maxOk ? 'review.md.diag.met' : 'review.md.diag.notMet'),
      sensitivity: fmtNumber(ev.sensitivity_255),
    }),
  );
  lines.push('');
  return lines;
}

export function stuckSection(T: Text, lang: ReportLang, input: ReviewInput): string[] {
  const ev = input.evaluation;
  return [
    `## ${T('review.md.stuck.heading')}`,
    '',
    `**${T(ev.stuck.stuck ? 'review.md.stuck.stuck' : 'review.md.stuck.notStuck')}** (${ev.stuck.kind}): ${stuckExplanationText(ev.stuck.explanation, lang)}${T('review.sentence.end')}`,
    '',
    ...checklistRows(T, lang, ev.checklist),
    '',
  ];
}

export function balanceSection(T: Text, input: ReviewInput): string[] {
  const ev = input.evaluation;
  const cfg = input.run.config;
  const lines = [`## ${T('review.md.balance.heading')}`, ''];
  if (!ev.balance || ev.balance.length === 0) {
    lines.push(T('review.md.balance.none'), '');
    return lines;
  }
  const l1 = ev.balance.find((b) => b.term === 'G_L1');
  lines.push(T('review.md.balance.intro', { cases: ev.balanceCaseIds.length }), '');
  const weightOf = (t: string): string =>
    t === 'G_GAN'
      ? '1'
      : t === 'G_L1'
        ? `lambda_L1 ${fmtNumber(cfg.lambda_L1)}`
        : t === 'G_grad'
          ? `lambda_grad ${fmtNumber(cfg.lambda_grad)}`
          : t === 'G_lap'
            ? `lambda_lap ${fmtNumber(cfg.lambda_lap)}`
            : t === 'G_fm'
              ? `lambda_fm ${fmtNumber(cfg.lambda_fm)}`
              : `lambda_ssim ${fmtNumber(cfg.lambda_ssim)}`;
  lines.push(
    ...markdownTable(
      [
        T('review.md.col.term'),
        T('review.md.col.weight'),
        T('review.md.col.value'),
        T('review.md.col.share'),
        '‖∂/∂fake‖',
        T('review.md.col.vsL1'),
      ],
      ev.balance.map((b) => [
        b.term,
        weightOf(b.term),
        fmtNumber(b.value),
        fmtPercent(b.share),
        fmtNumber(b.gradNorm),
        l1 && l1.gradNorm > 0 ? `${fmtNumber(b.gradNorm / l1.gradNorm, 3)}×` : '–',
      ]),
    ),
  );
  lines.push('');
  return lines;
}

export function gapSection(T: Text, input: ReviewInput): string[] {
  const g = input.evaluation.gap;
  const lines = [`## ${T('review.md.gap.heading')}`, ''];
  if (!g) lines.push(T('review.md.gap.none'));
  else
    lines.push(
      T('review.md.gap.text', {
        nTrain: g.n_train,
        train: fmtNumber(g.train_l1_01),
        val: fmtNumber(g.val_l1_01),
        ratio: fmtNumber(g.ratio, 3),
        alert: GAP_ALERT_RATIO,
        clinic: g.lossL1_01 !== null ? T('review.md.gap.clinic', { loss: fmtNumber(g.lossL1_01) }) : '',
      }),
    );
  lines.push('');
  return lines;
}
