/**
 * Traceability of synthetic X-rays (issue 13, item 4), pure given the detections (TF.js-free).
 *
 * For each val case the detector has run twice: on the real X-ray (the detector's floor) and on
 * the prediction (the synthetic film). Both sets of detections and the ground truth are in
 * ORIGINAL X-ray pixels (map a detection made in the prediction's frame, which is the
 * preprocessed X-ray frame, with `detectionsToOriginal`). The result: radial errors in mm
 * against the ground truth for both (ErrorSummary, per landmark), and measurement agreement —
 * each measurement computed from the detected-on-synthetic landmarks vs from the ground truth,
 * mean |difference| in degrees / mm.
 */
import type { Point } from '../image';
import { toOriginal, type Transform } from '../data/preprocess';
import { radialErrorsMm, summarizeErrors, type ErrorSummary } from '../landmarks/errors';
import { measureOne } from '../landmarks/measure';
import { MEASUREMENTS } from '../landmarks/analysis';

/** The measurements whose agreement is reported (ISBI 2015's, with FMA as ISBI defines it). */
export const TRACE_MEASUREMENTS = ['SNA', 'SNB', 'ANB', 'FMA_ISBI', 'ODI', 'APDI', 'FHI', 'MW'] as const;

export interface TraceCase {
  id: string;
  /** Ground-truth landmarks (original px), in `symbols` order. */
  gt: readonly (Point | null)[];
  /** Detector on the real X-ray (original px). */
  floor: readonly (Point | null)[];
  /** Detector on the prediction (original px). */
  synthetic: readonly (Point | null)[];
  /** Original mm per px of this case's X-ray. */
  mmPerPx: number;
}

// --- names shared with the engine protocol and the UI (CONTRACTS2.md) ---

/** A detector the engine can use: the one shipped with the app (public/detector/) or one stored in IndexedDB. */
export type DetectorRef = { kind: 'shipped' } | { kind: 'stored'; detectorId: string };

/** What detector lists and cards show. */
export interface DetectorSummary {
  ref: DetectorRef;
  name: string;
  symbols: string[];
  /** Input size (px, square, letterboxed). */
  size: number;
  sigmaMm: number;
  /** Original mm per px of the films it was trained on. */
  mmPerPx: number;
  createdAt: number;
  trainedOn?: { datasetId: string; datasetName: string; cases: number };
  /** Accuracy on held-out films (SDR as fractions 0..1). */
  heldOut?: { n: number; mreMm: number; sdr: { '2': number; '2.5': number; '3': number; '4': number } };
  status?: 'training' | 'stopped' | 'finished' | 'failed';
  epochs?: number;
  epochsDone?: number;
  /** A generated name's parts (no name given): the UI renders it in its language; `name` is the English fallback. */
  autoName?: DetectorAutoName;
  /** Stored detectors: one point per completed epoch (mean heatmap loss, held-out MRE mm, SDR@2mm 0..1). */
  history?: {
    epoch: number;
    step: number;
    loss: number;
    valMreMm: number | null;
    valSdr2: number | null;
    timeMs: number;
  }[];
  /** Heatmap cells per side (input size / output stride): a uniform heatmap's loss is ln(side²) nats. */
  heatmapSide?: number;
}

/** Language-neutral parts of a detector's generated name (dataset, demo phantom, input size). */
export interface DetectorAutoName {
  datasetName: string;
  /** Trained on the demo phantom (its name is rendered from these). */
  demo?: { cases: number; seed: number };
  size: number;
}

export interface TraceabilityMeasurement {
  id: string;
  name: { en: string; zh: string };
  unit: 'deg' | 'mm' | 'ratio';
  /** Mean |detected-on-synthetic − ground truth| over the cases where both exist. */
  meanAbsDiff: number | null;
  meanGt: number | null;
  meanSynthetic: number | null;
  n: number;
}

export interface TraceabilityResult {
  detector: DetectorSummary;
  /** Val cases with landmarks used. */
  cases: number;
  /** Detector on the REAL X-ray vs ground truth. */
  floor: ErrorSummary;
  /** Detector on the PREDICTION vs ground truth. */
  synthetic: ErrorSummary;
  /** SNA, SNB, ANB, FMA_ISBI, ODI, APDI, FHI, MW. */
  measurements: TraceabilityMeasurement[];
  /** Wall time of the scoring (detector runs + statistics), ms; absent in older rounds. */
  durationMs?: number;
}

/** Measurement agreement of one measurement. */
export type MeasurementAgreement = TraceabilityMeasurement;

export interface TraceabilityScore {
  /** Cases scored. */
  cases: number;
  floor: ErrorSummary;
  synthetic: ErrorSummary;
  measurements: MeasurementAgreement[];
}

/** Detections made in a preprocessed frame (e.g. a prediction) -> original X-ray px. */
export function detectionsToOriginal(points: readonly (Point | null)[], t: Transform): (Point | null)[] {
  return points.map((p) => (p ? toOriginal(t, p) : null));
}

function mean(xs: number[]): number | null {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}

/**
 * Floor, synthetic and measurement agreement of a set of cases. `measurements` defaults to
 * TRACE_MEASUREMENTS; one whose landmarks are not all in `symbols` is reported with n = 0.
 */
export function traceabilityScore(
  cases: readonly TraceCase[],
  symbols: readonly string[],
  measurements: readonly string[] = TRACE_MEASUREMENTS,
): TraceabilityScore {
  const floorErr: (number | null)[][] = [];
  const synErr: (number | null)[][] = [];
  for (const c of cases) {
    if (
      c.gt.length !== symbols.length ||
      c.floor.length !== symbols.length ||
      c.synthetic.length !== symbols.length
    )
      throw new Error(
        `case ${c.id}: ${symbols.length} landmarks expected, got ground truth ${c.gt.length}, ` +
          `floor ${c.floor.length}, synthetic ${c.synthetic.length}`,
      );
    floorErr.push(radialErrorsMm(c.floor, c.gt, c.mmPerPx));
    synErr.push(radialErrorsMm(c.synthetic, c.gt, c.mmPerPx));
  }
  const agreement: MeasurementAgreement[] = [];
  for (const id of measurements) {
    const def = MEASUREMENTS[id];
    if (!def) throw new Error(`unknown measurement "${id}"`);
    const diffs: number[] = [];
    const gts: number[] = [];
    const syns: number[] = [];
    for (const c of cases) {
      const g = measureOne(def, c.gt, symbols, c.mmPerPx).value;
      const s = measureOne(def, c.synthetic, symbols, c.mmPerPx).value;
      if (g === null || s === null) continue;
      diffs.push(Math.abs(s - g));
      gts.push(g);
      syns.push(s);
    }
    agreement.push({
      id: def.id,
      name: { en: def.name.en, zh: def.name.zh },
      unit: def.unit,
      meanAbsDiff: mean(diffs),
      meanGt: mean(gts),
      meanSynthetic: mean(syns),
      n: diffs.length,
    });
  }
  return {
    cases: cases.length,
    floor: summarizeErrors(floorErr, [...symbols]),
    synthetic: summarizeErrors(synErr, [...symbols]),
    measurements: agreement,
  };
}
