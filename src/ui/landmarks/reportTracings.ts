/**
 * The review report's tracing part (issue 12, item 7): the clinician's hand tracings of one
 * checkpoint's predictions, summarised as radial errors vs the ground truth and as the mean
 * measurements (tracing vs ground truth) of an analysis. Assisted tracings never count.
 */
import type { MeasurementComparison } from '../../core/landmarks';
import type { ReviewLandmarks } from '../../core/eval/report';
import type { Point } from '../../core/image';
import type { RunRecord } from '../../store';
import { measurementRows, targetErrors, type MeasurementRow, type TargetErrors } from './results';

export type TracingReview = Pick<ReviewLandmarks, 'tracing' | 'measurements'>;

function mean(xs: readonly (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

/** Errors and per-case measurement rows → the report's tracing and measurement tables (means over cases). */
export function tracingReview(
  errors: TargetErrors,
  perCase: readonly MeasurementRow[][],
  analysis: string,
  tracers: readonly (string | undefined)[],
): TracingReview | null {
  if (errors.cases.length === 0) return null;
  const names = [...new Set(tracers.filter((t): t is string => !!t))];
  const rows: MeasurementComparison[] = (perCase[0] ?? []).map((r, i) => {
    const col = perCase.map((c) => c[i]).filter((x): x is MeasurementRow => !!x && x.id === r.id);
    return {
      id: r.id,
      name: r.name,
      unit: r.unit,
      a: mean(col.map((x) => x.tracing)),
      b: mean(col.map((x) => x.gt)),
      diff: mean(col.map((x) => x.diff)),
      missing: [...new Set(col.flatMap((x) => x.missing))],
    };
  });
  return {
    tracing: {
      cases: errors.cases.length,
      mmPerPx: errors.mmPerPx,
      tracer: names.length ? names.join(', ') : null,
      summary: errors.summary,
    },
    measurements: perCase.length ? { analysis, cases: perCase.length, rows } : null,
  };
}

/**
 * The stored hand tracings of `run`'s checkpoint `checkpoint` on its dataset, as the report's
 * tracing part; null when there are none (the report then says nothing about tracings).
 */
export async function tracingReviewFor(
  run: RunRecord,
  checkpoint: string,
  analysis = 'isbi2015',
): Promise<TracingReview | null> {
  const store = await import('../../store');
  const { landmarks, phantomGroundTruth } = await import('./landmarksState.svelte');
  const s = await landmarks.storage();
  const recs = store.countedTracings(
    await store.listTracings(s.datasets, run.datasetId, {
      target: { kind: 'checkpoint', runId: run.id, name: checkpoint },
    }),
  );
  if (recs.length === 0) return null;
  const demo = run.datasetId.startsWith('demo-');
  const mm = demo
    ? await landmarks.mmPerPxFor(run.datasetId, run)
    : ((await store.listDatasets(s.datasets)).find((d) => d.id === run.datasetId)?.mmPerPx ?? 0.1);
  const symbols = recs[0].symbols;
  const gts = new Map<string, Point[] | null>();
  const gtOf = async (caseId: string): Promise<Point[] | null> => {
    if (!gts.has(caseId))
      gts.set(
        caseId,
        demo
          ? await phantomGroundTruth(run.datasetId, caseId, run.config.size)
          : ((await store.getCase(s.datasets, run.datasetId, caseId))?.record.landmarks ?? null),
      );
    return gts.get(caseId) ?? null;
  };
  const errors = await targetErrors(recs, symbols, mm, gtOf);
  const counted = new Set(errors.cases.map((c) => c.caseId));
  const perCase: MeasurementRow[][] = [];
  for (const r of recs) {
    const gt = counted.has(r.caseId) ? await gtOf(r.caseId) : null;
    if (gt && gt.length === r.points.length)
      perCase.push(measurementRows(analysis, gt, r.points, symbols, mm));
  }
  return tracingReview(
    errors,
    perCase,
    analysis,
    recs.map((r) => r.tracer),
  );
}
