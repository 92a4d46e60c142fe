/**
 * The Landmarks section's tables as plain data (no DOM, no Svelte): radial errors of a
 * checkpoint's tracings against the ground truth (per landmark, per case, MRE, SDR), and the
 * measurements of one case from the ground truth and from a tracing, with the CSV of both.
 * The numbers come from core/landmarks (errors.ts, measure.ts); nothing is recomputed here.
 */
import type { RunConfig } from '../../core/config';
import type { ImageSize } from '../../core/data/dataset';
import { computeTransform, type PreprocessSpec, type Transform } from '../../core/data/preprocess';
import type { Point } from '../../core/image';
import { radialErrorsMm, summarizeErrors, type ErrorSummary } from '../../core/landmarks/errors';
import { compareMeasurements, measureAnalysis, type MeasurementValue } from '../../core/landmarks/measure';
import type { Text, Unit } from '../../core/landmarks/analysis';
import type { TracingRecord } from '../../store/tracings';

/**
 * The transform between a stored case's original X-ray and the prediction the engine returns for
 * a run: the dataset's preprocessing (as loaded in the engine) at the run's size and mode, with
 * ROI falling back to letterbox when no box is drawn (as the engine prepares the data).
 */
export function predictionTransform(
  xraySize: ImageSize,
  base: PreprocessSpec,
  cfg: Pick<RunConfig, 'size' | 'preprocess'>,
): Transform {
  const spec: PreprocessSpec = {
    ...base,
    size: cfg.size,
    mode: cfg.preprocess === 'roi' && !base.roi ? 'letterbox' : cfg.preprocess,
  };
  return computeTransform(xraySize.width, xraySize.height, spec);
}

/** Mean radial error above which a landmark counts as untraceable (the clinical tolerance). */
export const TRACEABLE_MM = 2;

export interface CaseErrors {
  caseId: string;
  tracer?: string;
  errors: (number | null)[];
  placed: number;
  skipped: number;
  /** Mean over the landmarks measured, null when none. */
  mreMm: number | null;
}

export interface TargetErrors {
  symbols: string[];
  mmPerPx: number;
  cases: CaseErrors[];
  summary: ErrorSummary;
  /** Per landmark: how often it was marked "not identifiable" on the image. */
  skippedPerLandmark: number[];
  /** Tracings left out: assisted ones, and those of cases without ground truth. */
  leftOut: number;
}

/**
 * Errors of one target's tracings. `groundTruth(caseId)` gives the case's ground truth in original
 * pixels (null: none, the tracing is left out); only hand tracings count (assisted ones never).
 */
export async function targetErrors(
  tracings: readonly TracingRecord[],
  symbols: readonly string[],
  mmPerPx: number,
  groundTruth: (caseId: string) => Promise<Point[] | null>,
): Promise<TargetErrors> {
  const cases: CaseErrors[] = [];
  let leftOut = 0;
  const skippedPerLandmark = symbols.map(() => 0);
  for (const tr of tracings) {
    if (tr.assisted !== false || tr.symbols.join() !== symbols.join()) {
      leftOut++;
      continue;
    }
    const gt = await groundTruth(tr.caseId);
    if (!gt || gt.length !== tr.points.length) {
      leftOut++;
      continue;
    }
    const errors = radialErrorsMm(tr.points, gt, mmPerPx);
    const got = errors.filter((e): e is number => e !== null);
    tr.points.forEach((p, i) => {
      if (p === null) skippedPerLandmark[i]++;
    });
    cases.push({
      caseId: tr.caseId,
      tracer: tr.tracer,
      errors,
      placed: tr.points.filter((p) => p !== null).length,
      skipped: tr.points.filter((p) => p === null).length,
      mreMm: got.length ? got.reduce((a, b) => a + b, 0) / got.length : null,
    });
  }
  return {
    symbols: [...symbols],
    mmPerPx,
    cases,
    summary: summarizeErrors(
      cases.map((c) => c.errors),
      symbols,
    ),
    skippedPerLandmark,
    leftOut,
  };
}

export interface MeasurementRow {
  id: string;
  name: Text;
  unit: Unit;
  gt: number | null;
  tracing: number | null;
  /** tracing − ground truth. */
  diff: number | null;
  norm?: { min: number; max: number };
  gtClass?: Text & { code: string };
  tracingClass?: Text & { code: string };
  missing: string[];
}

/** One case's measurements from the ground truth and from a tracing, side by side. */
export function measurementRows(
  analysisId: string,
  gt: readonly (Point | null)[],
  tracing: readonly (Point | null)[],
  symbols: readonly string[],
  mmPerPx: number,
): MeasurementRow[] {
  const g: MeasurementValue[] = measureAnalysis(analysisId, gt, symbols, mmPerPx);
  const t: MeasurementValue[] = measureAnalysis(analysisId, tracing, symbols, mmPerPx);
  const cmp = compareMeasurements(t, g);
  return cmp.map((c, i) => ({
    id: c.id,
    name: c.name,
    unit: c.unit,
    gt: c.b,
    tracing: c.a,
    diff: c.diff,
    norm: g[i].norm ? { min: g[i].norm!.min, max: g[i].norm!.max } : undefined,
    gtClass: g[i].classification,
    tracingClass: t[i].classification,
    missing: c.missing,
  }));
}

function csvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(Math.round(v * 10000) / 10000) : '') : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Errors as one CSV (long format): `summary` rows per landmark and overall, then one `case` row
 * per traced landmark, for each target given (label → errors).
 */
export function errorsCsv(targets: readonly { label: string; errors: TargetErrors }[]): string {
  const head = [
    'kind',
    'checkpoint',
    'case',
    'landmark',
    'n',
    'not_identifiable',
    'radial_error_mm',
    'mre_mm',
    'sd_mm',
    'sdr_2mm',
    'sdr_2_5mm',
    'sdr_3mm',
    'sdr_4mm',
  ];
  const lines = [head.join(',')];
  for (const { label, errors } of targets) {
    const s = errors.summary;
    lines.push(
      [
        'overall',
        label,
        '',
        '',
        s.n,
        s.missing,
        null,
        s.mreMm,
        s.sdMm,
        s.sdr['2'],
        s.sdr['2.5'],
        s.sdr['3'],
        s.sdr['4'],
      ]
        .map(csvCell)
        .join(','),
    );
    for (const l of s.perLandmark) {
      lines.push(
        [
          'landmark',
          label,
          '',
          l.symbol,
          l.n,
          l.missing,
          null,
          l.mreMm,
          l.sdMm,
          l.sdr?.['2'],
          l.sdr?.['2.5'],
          l.sdr?.['3'],
          l.sdr?.['4'],
        ]
          .map(csvCell)
          .join(','),
      );
    }
    for (const c of errors.cases) {
      c.errors.forEach((e, i) => {
        lines.push(
          ['case', label, c.caseId, errors.symbols[i], e === null ? 0 : 1, e === null ? 1 : 0, e]
            .map(csvCell)
            .concat(['', '', '', '', '', ''])
            .join(','),
        );
      });
    }
  }
  return lines.join('\r\n') + '\r\n';
}

/** Measurements as CSV: one row per measurement of the case. */
export function measurementsCsv(
  rows: readonly MeasurementRow[],
  meta: { analysis: string; caseId: string; checkpoint: string },
): string {
  const head = [
    'analysis',
    'checkpoint',
    'case',
    'measurement',
    'unit',
    'ground_truth',
    'tracing',
    'difference',
    'normal_min',
    'normal_max',
    'class_ground_truth',
    'class_tracing',
    'missing_landmarks',
  ];
  const lines = [head.join(',')];
  for (const r of rows) {
    lines.push(
      [
        meta.analysis,
        meta.checkpoint,
        meta.caseId,
        r.id,
        r.unit,
        r.gt,
        r.tracing,
        r.diff,
        r.norm?.min,
        r.norm?.max,
        r.gtClass?.code,
        r.tracingClass?.code,
        r.missing.join(' '),
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}
