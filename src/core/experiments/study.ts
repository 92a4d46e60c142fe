/**
 * The sample-size study's reading (issue 15): is the failure a matter of data or of method?
 *
 * The rule (stated in every reading, tested for all three outcomes):
 *   1. Fit val L1 (on [0,1]) against log2(number of training cases) by least squares over the
 *      subsets: slope b = change of val L1 per doubling of the cases.
 *   2. Its 90 % confidence interval [lo, hi] = b ± t(0.95, n − 2) · SE(b) (Student t; n subsets).
 *   3. "Still improving with data → collect more" when the whole interval is below zero (hi < 0)
 *      and b ≤ −minEffect (default 0.005 per doubling: about 1.3 grey levels of 255 per pixel).
 *      "Flat → change the method" when even the favourable end of the interval gains less than
 *      minEffect per doubling (lo ≥ −minEffect). Otherwise, and with fewer than three subset sizes
 *      (no uncertainty can be estimated from two points), undecided: add a size or train longer.
 * The train/val gap (val / train-subset L1) at the largest subset and the PSNR trend are reported
 * beside the verdict as supporting evidence; they do not change it.
 * Sentences are messages of core/messages/experiments.ts (`experiments.study.*`), rendered with
 * `messageText(msg, lang)`. TF.js-free.
 */
import type { CurvePanel } from '../eval/curves';
import { SERIES_COLORS } from '../eval/curves';
import { GAP_ALERT_RATIO } from '../eval/gap';
import type { ExperimentsCode } from '../messages/experiments';
import type { Message, NestedMessage, Translation } from '../messages/form';
import { messageText } from '../messages';

export interface StudyPoint {
  /** Training cases of the subset. */
  cases: number;
  /** Mean val L1 on [0,1] (best or last round, as the report says). */
  val_l1: number | null;
  psnr_db: number | null;
  sharpness_ratio: number | null;
  lm_sharp: number | null;
  trace_mre_mm: number | null;
  /** Mean L1 on [0,1] of the fixed training subset, and val / train. */
  train_l1: number | null;
  gap_ratio: number | null;
}

export interface StudyRule {
  /** Smallest change of val L1 per doubling of the cases that matters (on [0,1]). */
  minEffect: number;
  /** Two-sided confidence of the slope's interval (0.9). */
  confidence: 0.9;
  /** Fewest distinct subset sizes for a verdict. */
  minSizes: number;
}

export const DEFAULT_STUDY_RULE: StudyRule = { minEffect: 0.005, confidence: 0.9, minSizes: 3 };

export type StudyVerdict = 'collect_more' | 'change_method' | 'undecided';

export interface SlopeFit {
  /** Per doubling of the cases. */
  slope: number;
  /** Standard error of the slope (NaN with two points). */
  se: number;
  lo: number;
  hi: number;
  intercept: number;
  n: number;
  t: number;
}

export interface StudyReading {
  verdict: StudyVerdict;
  /** The fit of val L1 against log2(cases); null with fewer than two usable points. */
  fit: SlopeFit | null;
  rule: StudyRule;
  /** The verdict in words with the trend (a sub-message): render with `messageText`. */
  text: NestedMessage<ExperimentsCode>;
  /** The rule in words. */
  ruleText: Message<ExperimentsCode>;
  /** Supporting evidence (gap, PSNR trend, projection). */
  notes: Message<ExperimentsCode>[];
}

/** The reading with its sentences in both languages (study.json's `reading`, report.json). */
export interface StudyReadingJson {
  verdict: StudyVerdict;
  fit: SlopeFit | null;
  rule: StudyRule;
  en: string;
  zh: string;
  ruleText: Translation;
  notes: Translation[];
}

function both(msg: NestedMessage): Translation {
  return { en: messageText(msg, 'en'), zh: messageText(msg, 'zh') };
}

/** A reading as study.json stores it: the sentences rendered in English and Chinese. */
export function studyReadingJson(r: StudyReading): StudyReadingJson {
  const t = both(r.text);
  return {
    verdict: r.verdict,
    fit: r.fit,
    rule: r.rule,
    en: t.en,
    zh: t.zh,
    ruleText: both(r.ruleText),
    notes: r.notes.map(both),
  };
}

/** t(0.95, df) for df = 1..30 (two-sided 90 %); the normal 1.645 beyond. */
const T95 = [
  6.314, 2.92, 2.353, 2.132, 2.015, 1.943, 1.895, 1.86, 1.833, 1.812, 1.796, 1.782, 1.771, 1.761, 1.753,
  1.746, 1.74, 1.734, 1.729, 1.725, 1.721, 1.717, 1.714, 1.711, 1.708, 1.706, 1.703, 1.701, 1.699, 1.697,
];

export function tQuantile95(df: number): number {
  if (!(df >= 1)) return NaN;
  return df <= 30 ? T95[Math.floor(df) - 1] : 1.645;
}

/** Least-squares slope of y against log2(x) with its standard error and 90 % interval. */
export function fitLogSlope(points: readonly { x: number; y: number }[]): SlopeFit | null {
  const pts = points.filter((p) => p.x > 0 && Number.isFinite(p.x) && Number.isFinite(p.y));
  const n = pts.length;
  if (n < 2) return null;
  const xs = pts.map((p) => Math.log2(p.x));
  const ys = pts.map((p) => p.y);
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let se = NaN;
  let t = NaN;
  if (n > 2) {
    let sse = 0;
    for (let i = 0; i < n; i++) sse += (ys[i] - intercept - slope * xs[i]) ** 2;
    se = Math.sqrt(sse / (n - 2) / sxx);
    t = tQuantile95(n - 2);
  }
  const half = Number.isFinite(se) ? t * se : NaN;
  return { slope, se, lo: slope - half, hi: slope + half, intercept, n, t };
}

const f4 = (x: number): string => x.toFixed(4);

/** The reading of a study's points (see the module comment for the rule). */
export function readStudy(
  points: readonly StudyPoint[],
  rule: StudyRule = DEFAULT_STUDY_RULE,
  opts: { gateMaxL1?: number | null } = {},
): StudyReading {
  const usable = points
    .filter((p) => p.val_l1 !== null && Number.isFinite(p.val_l1) && p.cases > 0)
    .sort((a, b) => a.cases - b.cases);
  const sizes = new Set(usable.map((p) => p.cases)).size;
  const fit = fitLogSlope(usable.map((p) => ({ x: p.cases, y: p.val_l1 as number })));
  const m = rule.minEffect;
  const msg = (code: ExperimentsCode, params: Message['params'] = {}): Message<ExperimentsCode> => ({
    code,
    params,
  });
  const ruleText = msg('experiments.study.rule', { minEffect: m, minSizes: rule.minSizes });
  let verdict: StudyVerdict = 'undecided';
  if (fit && sizes >= rule.minSizes && Number.isFinite(fit.se)) {
    if (fit.hi < 0 && fit.slope <= -m) verdict = 'collect_more';
    else if (fit.lo >= -m) verdict = 'change_method';
  }
  const largest = usable[usable.length - 1];
  const signed = (x: number): string => `${x >= 0 ? '+' : ''}${f4(x)}`;
  const trend = fit
    ? Number.isFinite(fit.se)
      ? msg('experiments.study.trend.interval', {
          slope: signed(fit.slope),
          lo: f4(fit.lo),
          hi: f4(fit.hi),
          n: fit.n,
        })
      : msg('experiments.study.trend.noInterval', { slope: signed(fit.slope), n: fit.n })
    : msg('experiments.study.trend.none');
  const text: NestedMessage<ExperimentsCode> =
    verdict === 'collect_more'
      ? { code: 'experiments.study.collectMore', params: { trend } }
      : verdict === 'change_method'
        ? { code: 'experiments.study.changeMethod', params: { trend } }
        : sizes < rule.minSizes
          ? {
              code: sizes === 1 ? 'experiments.study.undecidedOneSize' : 'experiments.study.undecidedSizes',
              params: { sizes, minSizes: rule.minSizes, trend },
            }
          : { code: 'experiments.study.undecidedNoise', params: { trend } };
  const notes: Message<ExperimentsCode>[] = [];
  if (largest && largest.gap_ratio !== null && Number.isFinite(largest.gap_ratio)) {
    const big = largest.gap_ratio > GAP_ALERT_RATIO;
    notes.push(
      msg(big ? 'experiments.study.note.gapBig' : 'experiments.study.note.gapSmall', {
        cases: largest.cases,
        ratio: largest.gap_ratio.toFixed(2),
      }),
    );
  }
  const psnrFit = fitLogSlope(
    usable
      .filter((p) => p.psnr_db !== null && Number.isFinite(p.psnr_db))
      .map((p) => ({ x: p.cases, y: p.psnr_db as number })),
  );
  if (psnrFit)
    notes.push(
      msg('experiments.study.note.psnr', {
        slope: `${psnrFit.slope >= 0 ? '+' : ''}${psnrFit.slope.toFixed(2)}`,
      }),
    );
  if (verdict === 'change_method') notes.push(msg('experiments.study.note.converged'));
  const gate = opts.gateMaxL1;
  if (verdict === 'collect_more' && fit && largest && gate !== null && gate !== undefined) {
    const at = fit.intercept + fit.slope * Math.log2(largest.cases);
    if (at > gate) {
      const doublings = (at - gate) / -fit.slope;
      const cases = Math.ceil(largest.cases * 2 ** doublings);
      notes.push(msg('experiments.study.note.projection', { gate, cases }));
    }
  }
  return { verdict, fit, rule, text, ruleText, notes };
}

/** Panels of the study chart (labels in ASCII English: the PNG font has no CJK). */
export function studyChartPanels(points: readonly StudyPoint[]): CurvePanel[] {
  const sorted = [...points].sort((a, b) => a.cases - b.cases);
  const series = (label: string, get: (p: StudyPoint) => number | null, color: number, dashed = false) => ({
    label,
    color: SERIES_COLORS[color % SERIES_COLORS.length],
    points: sorted.map((p) => [p.cases, get(p)] as const),
    dashed,
  });
  const has = (get: (p: StudyPoint) => number | null): boolean =>
    sorted.some((p) => get(p) !== null && Number.isFinite(get(p) as number));
  const x = 'training cases';
  const panels: CurvePanel[] = [
    {
      title: 'L1 vs training cases (gap = val - train)',
      xLabel: x,
      yLabel: 'mean L1 on [0,1]',
      series: [series('val L1', (p) => p.val_l1, 0), series('train-subset L1', (p) => p.train_l1, 1, true)],
    },
    {
      title: 'PSNR vs training cases',
      xLabel: x,
      yLabel: 'PSNR dB',
      series: [series('val PSNR', (p) => p.psnr_db, 0)],
    },
    {
      title: 'Sharpness vs training cases (1 = as sharp as the X-ray)',
      xLabel: x,
      yLabel: 'pred / X-ray gradient',
      series: [
        series('sharpness ratio', (p) => p.sharpness_ratio, 2),
        ...(has((p) => p.lm_sharp) ? [series('landmark-region sharpness', (p) => p.lm_sharp, 3)] : []),
      ],
      reference: { y: 1, label: 'X-ray' },
    },
    {
      title: 'Train/val gap vs training cases',
      xLabel: x,
      yLabel: 'val L1 / train-subset L1',
      series: [series('gap ratio', (p) => p.gap_ratio, 4)],
      reference: { y: GAP_ALERT_RATIO, label: `alert ${GAP_ALERT_RATIO}x` },
    },
  ];
  if (has((p) => p.trace_mre_mm))
    panels.push({
      title: 'Traceability MRE vs training cases',
      xLabel: x,
      yLabel: 'MRE mm',
      series: [series('traceability MRE', (p) => p.trace_mre_mm, 1)],
      reference: { y: 2, label: '2 mm' },
    });
  return panels;
}
