/**
 * The review report's landmarks section (issue 12, item 7), Markdown (en / zh) and JSON:
 * - the per-landmark sharpness table (landmark-region sharpness of the evaluation:
 *   landmarkSharpnessSummary.ts), the most blurred landmarks named;
 * - a pointer to the grid figure (the overlay draws the ground-truth landmarks on the X-ray and
 *   the prediction there when `gridOverlay` says so);
 * - the tracing errors (radial error in mm, MRE, SDR) and the cephalometric measurements traced
 *   vs ground truth, when the caller passes them (tracings exist). Nothing is rendered for what is
 *   absent, and the whole section is left out when there is nothing to say.
 * Pure, TF.js-free (markdown.ts, json.ts and findings.ts call it); the prose is REPORT_TEXT's.
 */
import type { ErrorSummary } from '../../landmarks/errors';
import type { MeasurementComparison } from '../../landmarks/measure';
import { worstLandmarks, type LandmarkSharpnessSummary } from '../landmarkSharpnessSummary';
import type { Finding } from '../types';
import { markdownTable } from './format';
import { fmtSig, fmtSigPercent, landmarkName, MEASUREMENT_UNIT } from './landmarkFormat';
import { reportText, reportTextBoth, type ReportLang as Lang } from './text';
import { traceabilityMarkdown, type ReviewTraceability } from './traceability';

/** What the tracing side knows about a checkpoint's predictions (all optional). */
export interface ReviewLandmarks {
  /** True when the grid figure draws the ground-truth landmarks on the X-ray and the prediction. */
  gridOverlay?: boolean;
  /** Radial errors of tracings on the checkpoint's predictions vs the ground truth. */
  tracing?: {
    /** Traced cases summarised. */
    cases: number;
    /** Pixel spacing used for mm (original mm per px). */
    mmPerPx: number;
    tracer?: string | null;
    summary: ErrorSummary;
  } | null;
  /**
   * Measurements on the tracings (a) vs on the ground truth (b) of the same cases; with several
   * cases the caller passes means (a, b) and the mean per-case difference (diff).
   */
  measurements?: {
    /** Analysis id or name (e.g. `isbi2015`). */
    analysis: string;
    cases: number;
    rows: MeasurementComparison[];
  } | null;
  /**
   * Traceability (issue 13): a landmark detector on the real X-rays (the floor) and on the
   * predictions (synthetic), both vs the ground truth, and the measurements from the synthetic
   * detections vs the ground truth. Structurally the engine's TraceabilityResult.
   */
  traceability?: ReviewTraceability | null;
}

/** Whether the section has anything to show. */
export function hasLandmarksSection(
  sharpness: LandmarkSharpnessSummary | null | undefined,
  lm: ReviewLandmarks | null | undefined,
): boolean {
  return !!sharpness || !!lm?.tracing || !!lm?.measurements || !!lm?.gridOverlay || !!lm?.traceability;
}

/** Markdown lines of the landmarks section (empty when there is nothing to show). */
export function landmarksMarkdown(
  sharpness: LandmarkSharpnessSummary | null | undefined,
  lm: ReviewLandmarks | null | undefined,
  gridFile: string | null,
  lang: Lang,
): string[] {
  if (!hasLandmarksSection(sharpness, lm)) return [];
  const T = (code: Parameters<typeof reportText>[0], params?: Parameters<typeof reportText>[2]): string =>
    reportText(code, lang, params);
  const out: string[] = [`## ${T('review.lm.heading')}`, ''];

  if (gridFile && lm?.gridOverlay) {
    out.push(T('review.lm.gridOverlay', { grid: gridFile }));
    out.push('');
  }

  const errByLm = new Map((lm?.tracing?.summary.perLandmark ?? []).map((r) => [r.symbol, r]));
  if (sharpness) {
    out.push(`### ${T('review.lm.sharp.heading')}`);
    out.push('');
    out.push(
      T('review.lm.sharp.intro', {
        window: fmtSig(sharpness.windowMm),
        cases: sharpness.nCases,
        mean: fmtSig(sharpness.meanRatio),
      }),
    );
    out.push('');
    const wp = sharpness.windowPx;
    if (wp) {
      const px = wp.min === wp.max ? `${wp.min}` : `${wp.min}–${wp.max}`;
      out.push(
        T(wp.min < 5 ? 'review.lm.sharp.windowTiny' : 'review.lm.sharp.window', {
          window: fmtSig(sharpness.windowMm),
          px,
        }),
      );
      out.push('');
    }
    const worst = worstLandmarks(sharpness, 3);
    if (worst.length > 0) {
      const list = worst
        .map((r) => `${r.symbol} (${landmarkName(r.symbol, r.name, lang)}) ${fmtSig(r.meanRatio)}`)
        .join(T('review.list.enum'));
      out.push(`**${T('review.lm.sharp.mostBlurred')}:** ${list}`);
      out.push('');
    }
    const withErr = errByLm.size > 0;
    const head = [
      '#',
      T('review.lm.col.landmark'),
      T('review.lm.col.name'),
      T('review.lm.col.sharpness'),
      T('review.lm.col.sd'),
      T('review.lm.col.predGradient'),
      T('review.lm.col.xrayGradient'),
      T('review.lm.col.cases'),
    ];
    if (withErr) head.push('MRE (mm)', 'SDR 2 mm');
    out.push(
      ...markdownTable(
        head,
        sharpness.perLandmark.map((r, i) => {
          const cells = [
            String(i + 1),
            r.symbol,
            landmarkName(r.symbol, r.name, lang),
            fmtSig(r.meanRatio),
            fmtSig(r.sdRatio, 2),
            fmtSig(r.meanPred_255),
            fmtSig(r.meanTarget_255),
            String(r.n),
          ];
          if (withErr) {
            const e = errByLm.get(r.symbol);
            cells.push(fmtSig(e?.mreMm ?? null), fmtSigPercent(e?.sdr2 ?? null));
          }
          return cells;
        }),
      ),
    );
    out.push('');
  }

  const tracing = lm?.tracing;
  if (tracing) {
    const s = tracing.summary;
    out.push(`### ${T('review.lm.tracing.heading')}`);
    out.push('');
    out.push(
      T('review.lm.tracing.summary', {
        cases: tracing.cases,
        by: tracing.tracer ? T('review.lm.tracing.by', { tracer: tracing.tracer }) : '',
        spacing: fmtSig(tracing.mmPerPx),
        mre: fmtSig(s.mreMm),
        sd: fmtSig(s.sdMm),
        n: s.n,
        missing: s.missing,
        sdr2: fmtSigPercent(s.sdr['2']),
        sdr25: fmtSigPercent(s.sdr['2.5']),
        sdr3: fmtSigPercent(s.sdr['3']),
        sdr4: fmtSigPercent(s.sdr['4']),
      }),
    );
    out.push('');
    if (!sharpness && s.perLandmark.length > 0) {
      out.push(
        ...markdownTable(
          [
            T('review.lm.col.landmark'),
            T('review.lm.col.name'),
            'n',
            'MRE (mm)',
            'SD (mm)',
            'SDR 2 mm',
            T('review.lm.col.notIdentifiable'),
          ],
          s.perLandmark.map((r) => [
            r.symbol,
            landmarkName(r.symbol, '', lang),
            String(r.n),
            fmtSig(r.mreMm),
            fmtSig(r.sdMm),
            fmtSigPercent(r.sdr2),
            String(r.missing),
          ]),
        ),
      );
      out.push('');
    }
  }

  if (lm?.traceability) out.push(...traceabilityMarkdown(lm.traceability, lang));

  const m = lm?.measurements;
  if (m && m.rows.length > 0) {
    out.push(`### ${T('review.lm.meas.heading')} (${m.analysis})`);
    out.push('');
    out.push(T('review.lm.meas.intro', { cases: m.cases }));
    out.push('');
    out.push(
      ...markdownTable(
        [
          T('review.lm.col.measurement'),
          T('review.lm.col.tracing'),
          T('review.lm.col.groundTruth'),
          T('review.lm.col.difference'),
          T('review.lm.col.missing'),
        ],
        m.rows.map((r) => [
          r.name[lang],
          r.a === null ? T('review.lm.unavailable') : `${fmtSig(r.a, 4)}${MEASUREMENT_UNIT[r.unit] ?? ''}`,
          r.b === null ? T('review.lm.unavailable') : `${fmtSig(r.b, 4)}${MEASUREMENT_UNIT[r.unit] ?? ''}`,
          r.diff === null ? '–' : `${fmtSig(r.diff, 3)}${MEASUREMENT_UNIT[r.unit] ?? ''}`,
          r.missing.join(', ') || '–',
        ]),
      ),
    );
    out.push('');
  }
  return out;
}

/**
 * The review finding "bone edges blurred at these landmarks": landmarks whose mean sharpness
 * ratio is below `threshold` (the report's over-smoothing ratio), worst first. A note instead of
 * a warning when the window is under 5 px (too few pixels to tell blur from noise).
 */
export function landmarkSharpnessFindings(
  s: LandmarkSharpnessSummary | null | undefined,
  threshold: number,
): Finding[] {
  if (!s) return [];
  const low = s.perLandmark
    .filter((r) => r.meanRatio !== null && r.meanRatio < threshold)
    .sort((a, b) => (a.meanRatio ?? 0) - (b.meanRatio ?? 0));
  if (low.length === 0) return [];
  const list = (lang: Lang): string =>
    low
      .slice(0, 5)
      .map((r) => `${r.symbol} (${landmarkName(r.symbol, r.name, lang)}) ${fmtSig(r.meanRatio)}`)
      .join(reportText('review.list.enum', lang));
  const tiny = !!s.windowPx && s.windowPx.min < 5;
  const px = s.windowPx
    ? ` = ${s.windowPx.min}${s.windowPx.max !== s.windowPx.min ? `–${s.windowPx.max}` : ''} px`
    : '';
  return [
    {
      id: 'landmark_blur',
      severity: tiny ? 'info' : 'warn',
      title: reportTextBoth('review.lm.blur.title', { n: low.length, total: s.perLandmark.length }),
      evidence: reportTextBoth('review.lm.blur.evidence', (lang) => ({
        window: fmtSig(s.windowMm),
        px,
        cases: s.nCases,
        threshold,
        list: list(lang),
        more: low.length > 5 ? reportText('review.lm.blur.more', lang) : '',
        mean: fmtSig(s.meanRatio),
        tiny: tiny ? reportText('review.lm.blur.tiny', lang) : '',
      })),
      next: reportTextBoth('review.lm.blur.next'),
    },
  ];
}

/** The JSON of the landmarks section (null when there is nothing to show). */
export function landmarksJson(
  sharpness: LandmarkSharpnessSummary | null | undefined,
  lm: ReviewLandmarks | null | undefined,
  gridFile: string | null,
): Record<string, unknown> | null {
  if (!hasLandmarksSection(sharpness, lm)) return null;
  let sharp: Record<string, unknown> | null = null;
  if (sharpness) {
    const { cases: _cases, ...rest } = sharpness;
    void _cases;
    sharp = {
      units: 'ratio of mean Sobel/8 gradient magnitudes (0-255 grey levels per pixel), prediction ÷ X-ray',
      ...rest,
      worst: worstLandmarks(sharpness, 3).map((r) => r.symbol),
    };
  }
  return {
    sharpness: sharp,
    grid: gridFile && lm?.gridOverlay ? gridFile : null,
    tracing: lm?.tracing ?? null,
    measurements: lm?.measurements ?? null,
    traceability: lm?.traceability
      ? { units: 'mm (MRE); SDR as fractions 0..1; measurements in their unit', ...lm.traceability }
      : null,
  };
}
