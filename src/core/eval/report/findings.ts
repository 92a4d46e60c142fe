/**
 * The review's rule-based findings, each with its evidence and a suggested next experiment in the
 * spirit of the clinic's review: the gate verdict; checklist failures; a stuck generator; large
 * gap ⇒ sample size; sharpness ratio < 0.7 ⇒ raise the gradient loss or add a Laplacian; blurred
 * landmarks; failures concentrated in one audit flag ⇒ data; a loss term too weak to matter ⇒ its
 * weight; stretch preprocessing; a size above 512 px before 512 px works. Sentences are
 * REPORT_TEXT's (core/messages/report.ts), rendered in both languages. Pure.
 */
import { messageText } from '../../messages';
import type { ReportTextCode } from '../../messages/report';
import { concentratedFlags, NO_FLAG } from '../failures';
import { GAP_ALERT_RATIO } from '../gap';
import { stuckExplanationText } from '../stuck';
import type { Finding, FindingSeverity } from '../types';
import { fmtNumber, fmtPercent } from './format';
import { OVERSMOOTH_RATIO, type ReviewInput } from './input';
import { landmarkSharpnessFindings } from './landmarks';
import { messageBoth, reportText, reportTextBoth, type ReportLang } from './text';

/** The gate's criteria by id → their name in the report. */
const GATE_NAMES: Record<string, ReportTextCode> = {
  mean_l1: 'review.gate.name.mean_l1',
  mean_psnr: 'review.gate.name.mean_psnr',
  failure_rate: 'review.gate.name.failure_rate',
  sharpness_ratio: 'review.gate.name.sharpness_ratio',
  trace_mre: 'review.gate.name.trace_mre',
};

/** A gate criterion's name in `lang` (the id itself for a criterion the report does not know). */
export function gateName(id: string, lang: ReportLang): string {
  const code = GATE_NAMES[id];
  return code ? reportText(code, lang) : id;
}

/** A gate value with its unit (mm, dB, %), '–' when not measured. */
export function gateValue(id: string, v: number | null): string {
  if (v === null) return '–';
  if (id === 'trace_mre') return `${fmtNumber(v)} mm`;
  return id === 'failure_rate' ? fmtPercent(v) : id === 'mean_psnr' ? `${fmtNumber(v)} dB` : fmtNumber(v);
}

/** Rule-based findings in order of importance (alerts first). */
export function reviewFindings(input: ReviewInput): Finding[] {
  const out: Finding[] = [];
  const ev = input.evaluation;
  const cfg = input.run.config;
  const d = ev.diagnosis;

  // the gate
  const gate = input.gate;
  const failed = gate.criteria.filter((c) => c.status === 'fail');
  if (gate.status === 'fail') {
    out.push({
      id: 'gate',
      severity: 'alert',
      title: reportTextBoth('review.finding.gate.failTitle', { gate: gate.name }),
      evidence: reportTextBoth('review.finding.gate.failEvidence', (lang) => ({
        criteria: failed
          .map((c) =>
            reportText('review.finding.gate.failCriterion', lang, {
              name: gateName(c.id, lang),
              value: gateValue(c.id, c.value),
              op: c.op,
              threshold: gateValue(c.id, c.threshold),
            }),
          )
          .join(reportText('review.list.semicolon', lang)),
      })),
      next: reportTextBoth('review.finding.gate.failNext'),
    });
  } else if (gate.status === 'pass') {
    out.push({
      id: 'gate',
      severity: 'ok',
      title: reportTextBoth('review.finding.gate.passTitle', { gate: gate.name }),
      evidence: reportTextBoth('review.finding.gate.passEvidence', (lang) => ({
        criteria: gate.criteria
          .map((c) => `${gateName(c.id, lang)} ${gateValue(c.id, c.value)}`)
          .join(reportText('review.list.semicolon', lang)),
      })),
      next: reportTextBoth('review.finding.gate.passNext'),
    });
  }

  // checklist failures (a loss term at 0, input out of range)
  for (const item of ev.checklist.filter((i) => i.status === 'fail')) {
    out.push({
      id: `check_${item.id}`,
      severity: 'alert',
      title: messageBoth(item.question),
      evidence: messageBoth(item.answer),
      next: reportTextBoth('review.finding.check.next'),
    });
  }

  // stuck output
  if (ev.stuck.stuck) {
    const open = ev.checklist.filter((i) => i.status !== 'ok');
    out.push({
      id: 'stuck',
      severity: 'alert',
      title: reportTextBoth('review.finding.stuck.title'),
      evidence: reportTextBoth('review.finding.stuck.evidence', (lang) => ({
        explanation: stuckExplanationText(ev.stuck.explanation, lang),
      })),
      next:
        open.length > 0
          ? reportTextBoth('review.finding.stuck.nextChecklist', (lang) => ({
              questions: open.map((i) => messageText(i.question, lang)).join(' '),
            }))
          : reportTextBoth('review.finding.stuck.nextOptimum'),
    });
  }

  // over-smoothing
  if (d && Number.isFinite(d.sharpnessRatio) && d.sharpnessRatio < OVERSMOOTH_RATIO) {
    out.push({
      id: 'oversmooth',
      severity: 'warn',
      title: reportTextBoth('review.finding.oversmooth.title'),
      evidence: reportTextBoth('review.finding.oversmooth.evidence', (lang) => ({
        predGrad: fmtNumber(d.pred.gradMean_255),
        targetGrad: fmtNumber(d.target.gradMean_255),
        ratio: fmtNumber(d.sharpnessRatio, 3),
        limit: OVERSMOOTH_RATIO,
        predMax: fmtNumber(d.pred.intensityMax_255),
        targetMax: fmtNumber(d.target.intensityMax_255),
        grad: reportText(
          d.clinicPlan002.gradOk
            ? 'review.finding.oversmooth.gradMet'
            : 'review.finding.oversmooth.gradNotMet',
          lang,
        ),
        max: reportText(
          d.clinicPlan002.maxOk ? 'review.finding.oversmooth.maxMet' : 'review.finding.oversmooth.maxNotMet',
          lang,
        ),
      })),
      next:
        cfg.lambda_grad === 0
          ? reportTextBoth('review.finding.oversmooth.nextAddGrad', { lambdaL1: fmtNumber(cfg.lambda_L1) })
          : reportTextBoth('review.finding.oversmooth.nextRaiseGrad', (lang) => ({
              lambdaGrad: fmtNumber(cfg.lambda_grad),
              lap:
                cfg.lambda_lap === 0
                  ? reportText('review.finding.oversmooth.addLap', lang)
                  : reportText('review.finding.oversmooth.raiseLap', lang, {
                      lambdaLap: fmtNumber(cfg.lambda_lap),
                    }),
            })),
    });
  }
  // blurred bone edges at named landmarks (landmark-region sharpness)
  out.push(...landmarkSharpnessFindings(ev.landmarkSharpness, OVERSMOOTH_RATIO));

  // weak loss weight
  const weights = ev.checklist.find((i) => i.id === 'weights');
  if (weights && weights.status === 'warn') {
    out.push({
      id: 'weak_term',
      severity: 'warn',
      title: reportTextBoth('review.finding.weakTerm.title'),
      evidence: messageBoth(weights.answer),
      next: reportTextBoth('review.finding.weakTerm.next'),
    });
  }

  // generalization gap
  const gap = ev.gap;
  if (gap && Number.isFinite(gap.ratio) && gap.ratio > GAP_ALERT_RATIO) {
    const n = input.run.trainCount;
    out.push({
      id: 'gap',
      severity: 'warn',
      title: reportTextBoth('review.finding.gap.title', { ratio: fmtNumber(gap.ratio, 3) }),
      evidence: reportTextBoth('review.finding.gap.evidence', (lang) => ({
        train: fmtNumber(gap.train_l1_01),
        nTrain: gap.n_train,
        val: fmtNumber(gap.val_l1_01),
        all: n !== null ? reportText('review.finding.gap.allCases', lang, { n }) : '',
      })),
      next: reportTextBoth('review.finding.gap.next'),
    });
  } else if (
    gap &&
    Number.isFinite(gap.ratio) &&
    gap.ratio <= 1.5 &&
    input.gate.criteria.some((c) => c.id === 'mean_l1' && c.status === 'fail')
  ) {
    out.push({
      id: 'underfit',
      severity: 'info',
      title: reportTextBoth('review.finding.underfit.title'),
      evidence: reportTextBoth('review.finding.underfit.evidence', {
        train: fmtNumber(gap.train_l1_01),
        val: fmtNumber(gap.val_l1_01),
        ratio: fmtNumber(gap.ratio, 3),
      }),
      next: reportTextBoth('review.finding.underfit.next'),
    });
  }

  // failures and the audit
  const fs = input.failures;
  const conc = concentratedFlags(fs);
  const flagName = (code: string, lang: ReportLang): string => input.flagNames?.[code]?.[lang] ?? code;
  if (conc.length > 0) {
    const c = conc[0];
    out.push({
      id: 'data',
      severity: 'warn',
      title: reportTextBoth('review.finding.data.concentratedTitle', (lang) => ({
        flag: flagName(c.flag, lang),
      })),
      evidence: reportTextBoth('review.finding.data.concentratedEvidence', (lang) => ({
        flag: flagName(c.flag, lang),
        withFlag: c.failedWithFlag,
        failed: fs.failed,
        share: fmtPercent(c.shareOfFailures),
        rateWith: fmtPercent(c.failRateWithFlag),
        rateWithout: fmtPercent(c.failRateWithout),
      })),
      next: reportTextBoth('review.finding.data.concentratedNext', (lang) => ({
        flag: flagName(c.flag, lang),
      })),
    });
  } else if (fs.hasAudit && fs.failed > 0) {
    const top = fs.crossTable.find((r) => r.flag !== NO_FLAG);
    out.push({
      id: 'data',
      severity: 'info',
      title: reportTextBoth('review.finding.data.unexplainedTitle'),
      evidence: top
        ? reportTextBoth('review.finding.data.topFlag', (lang) => ({
            flag: flagName(top.flag, lang),
            withFlag: top.failedWithFlag,
            failed: fs.failed,
          }))
        : reportTextBoth('review.finding.data.noFlag', { failed: fs.failed }),
      next: reportTextBoth('review.finding.data.unexplainedNext'),
    });
  }

  // preprocessing
  if (cfg.preprocess === 'stretch') {
    out.push({
      id: 'preprocess',
      severity: 'info',
      title: reportTextBoth('review.finding.stretch.title'),
      evidence: reportTextBoth('review.finding.stretch.evidence', { size: cfg.size }),
      next: reportTextBoth('review.finding.stretch.next'),
    });
  }
  if (cfg.size > 512 && input.gate.status === 'fail') {
    out.push({
      id: 'resolution',
      severity: 'info',
      title: reportTextBoth('review.finding.resolution.title'),
      evidence: reportTextBoth('review.finding.resolution.evidence', { size: cfg.size }),
      next: reportTextBoth('review.finding.resolution.next'),
    });
  }
  const order: Record<FindingSeverity, number> = { alert: 0, warn: 1, info: 2, ok: 3 };
  return out.sort((a, b) => order[a.severity] - order[b.severity]);
}
