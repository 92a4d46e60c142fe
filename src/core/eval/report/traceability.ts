/**
 * The landmarks section's traceability part (issue 13): a landmark detector on the real X-rays
 * (the floor) and on the predictions (synthetic), both vs the ground truth, per landmark, and the
 * measurements from the synthetic detections vs the ground truth. Pure; prose from REPORT_TEXT.
 */
import type { ErrorSummary } from '../../landmarks/errors';
import { markdownTable } from './format';
import { fmtSig, fmtSigPercent, landmarkName, MEASUREMENT_UNIT } from './landmarkFormat';
import { reportText, type ReportLang as Lang } from './text';

export interface ReviewTraceability {
  detector: { name: string };
  cases: number;
  floor: ErrorSummary;
  synthetic: ErrorSummary;
  measurements: {
    id: string;
    name: { en: string; zh: string };
    unit: 'deg' | 'mm' | 'ratio';
    meanAbsDiff: number | null;
    meanGt: number | null;
    meanSynthetic: number | null;
    n: number;
  }[];
}

/** The clinical tolerance of a landmark (mm). */
export const TRACE_TOLERANCE_MM = 2;

/**
 * The traceability table: floor (detector on the real X-ray) and traceability (detector on the
 * prediction) per landmark with MRE / SDR@2mm, the landmarks over 2 mm on the prediction named,
 * then the measurement agreement (mean |Δ| of detected-on-synthetic vs ground truth).
 */
export function traceabilityMarkdown(tr: ReviewTraceability, lang: Lang): string[] {
  const T = (code: Parameters<typeof reportText>[0], params?: Parameters<typeof reportText>[2]): string =>
    reportText(code, lang, params);
  const out: string[] = [];
  const fl = tr.floor;
  const sy = tr.synthetic;
  out.push(`### ${T('review.lm.trace.heading')}`);
  out.push('');
  out.push(
    T('review.lm.trace.intro', {
      detector: tr.detector.name,
      cases: tr.cases,
      floorMre: fmtSig(fl.mreMm),
      floorSdr2: fmtSigPercent(fl.sdr['2']),
      syntheticMre: fmtSig(sy.mreMm),
      syntheticSdr2: fmtSigPercent(sy.sdr['2']),
    }),
  );
  out.push('');
  const over = sy.perLandmark.filter((r) => r.mreMm !== null && r.mreMm > TRACE_TOLERANCE_MM);
  if (over.length > 0) {
    const list = over
      .map((r) => `${r.symbol} (${landmarkName(r.symbol, '', lang)}) ${fmtSig(r.mreMm)} mm`)
      .join(T('review.list.enum'));
    out.push(`**${T('review.lm.trace.over')}:** ${list}`);
    out.push('');
  }
  const floorBy = new Map(fl.perLandmark.map((r) => [r.symbol, r]));
  out.push(
    ...markdownTable(
      [
        T('review.lm.col.landmark'),
        T('review.lm.col.name'),
        T('review.lm.col.floorMre'),
        T('review.lm.col.floorSdr2'),
        T('review.lm.col.syntheticMre'),
        T('review.lm.col.syntheticSdr2'),
        'n',
      ],
      [
        ...sy.perLandmark.map((r) => {
          const f0 = floorBy.get(r.symbol);
          const flag = r.mreMm !== null && r.mreMm > TRACE_TOLERANCE_MM ? ' ⚠' : '';
          return [
            r.symbol,
            landmarkName(r.symbol, '', lang),
            fmtSig(f0?.mreMm ?? null),
            fmtSigPercent(f0?.sdr2 ?? null),
            `${fmtSig(r.mreMm)}${flag}`,
            fmtSigPercent(r.sdr2),
            String(r.n),
          ];
        }),
        [
          T('review.lm.all'),
          '',
          fmtSig(fl.mreMm),
          fmtSigPercent(fl.sdr['2']),
          fmtSig(sy.mreMm),
          fmtSigPercent(sy.sdr['2']),
          String(sy.n),
        ],
      ],
    ),
  );
  out.push('');
  if (tr.measurements.length > 0) {
    out.push(`#### ${T('review.lm.agreement.heading')}`);
    out.push('');
    out.push(
      ...markdownTable(
        [
          T('review.lm.col.measurement'),
          T('review.lm.col.groundTruthMean'),
          T('review.lm.col.syntheticMean'),
          T('review.lm.col.meanAbsDiff'),
          T('review.lm.col.agreementCases'),
        ],
        tr.measurements.map((r) => {
          const u = MEASUREMENT_UNIT[r.unit] ?? '';
          const v = (x: number | null): string =>
            x === null ? T('review.lm.unavailable') : `${fmtSig(x, 4)}${u}`;
          return [
            r.name[lang],
            v(r.meanGt),
            v(r.meanSynthetic),
            r.meanAbsDiff === null ? '–' : `${fmtSig(r.meanAbsDiff)}${u}`,
            String(r.n),
          ];
        }),
      ),
    );
    out.push('');
  }
  return out;
}
