/**
 * Traceability for the CLI's validation rounds (`train`, `sweep`, `study`), scored as the app
 * scores a run (engine/detector/trace.ts RoundTracer): the landmark detector runs on each val
 * case's real X-ray (its floor, once per run) and on the prediction, both at the training size;
 * the detections are mapped back to the ORIGINAL film's pixels with the case's preprocessing
 * transform and compared with the ground truth in mm (core/detector/traceability.ts).
 * Default detector: the one shipped in public/detector/ (`--detector <dir>` chooses another,
 * `--no-traceability` turns it off).
 */
import { basename, resolve } from 'node:path';
import { toOriginal, type Transform } from '../core/data/preprocess';
import type { DetectorMeta } from '../core/detector/checkpoint';
import type { DetectorNet } from '../core/detector/model';
import {
  detectionsToOriginal,
  traceabilityScore,
  type DetectorSummary,
  type TraceabilityResult,
  type TraceCase,
} from '../core/detector/traceability';
import { makeSample, predictSample } from '../core/detector/train';
import type { Point, RgbaImage } from '../core/image';
import { loadDetectorDir, shippedDetectorDir } from './detect';

/** A detector loaded for scoring rounds. */
export interface CliDetector {
  dir: string;
  meta: DetectorMeta;
  net: DetectorNet;
  summary: DetectorSummary;
}

/** Where a case's training-size X-ray sits in its original film. */
export interface CaseFrame {
  /** Original X-ray px -> training-size px (core/data/preprocess.ts). */
  transform: Transform;
  /** mm per ORIGINAL X-ray pixel. */
  mmPerPx: number;
}

/** Load a detector folder (default: the shipped one) for traceability. */
export async function loadCliDetector(dir?: string): Promise<CliDetector> {
  const d = dir ?? shippedDetectorDir();
  const { meta, net } = await loadDetectorDir(d);
  const shipped = resolve(d) === resolve(shippedDetectorDir());
  return {
    dir: d,
    meta,
    net,
    summary: {
      ref: shipped ? { kind: 'shipped' } : { kind: 'stored', detectorId: basename(resolve(d)) },
      name: shipped ? 'shipped detector (public/detector)' : `detector ${d}`,
      symbols: [...meta.symbols],
      size: meta.arch.size,
      sigmaMm: meta.sigmaMm,
      mmPerPx: meta.mmPerPx,
      createdAt: 0,
    },
  };
}

/** Why a detector cannot score this data (null: it can). */
export function detectorMismatch(det: CliDetector, symbols: readonly string[]): string | null {
  if (det.meta.symbols.join(' ') === symbols.join(' ')) return null;
  return (
    `the detector in ${det.dir} finds ${det.meta.symbols.length} landmarks (${det.meta.symbols.join(' ')}), ` +
    `the data has ${symbols.length} (${symbols.join(' ')}): traceability is not computed`
  );
}

/** One val case as the tracer sees it: ground truth in original px and the case's frame. */
export interface CliTraceCase {
  id: string;
  gt: (Point | null)[];
  frame: CaseFrame;
}

/** Val cases that can be traced: landmarks (training-size px) and a frame. */
export function traceCasesOf(
  val: readonly { id?: string; landmarks?: Point[] }[],
  frameOf: (id: string) => CaseFrame | undefined,
): CliTraceCase[] {
  const out: CliTraceCase[] = [];
  for (const p of val) {
    const id = p.id ?? '';
    const frame = frameOf(id);
    if (!frame || !p.landmarks || p.landmarks.length === 0) continue;
    out.push({
      id,
      gt: p.landmarks.map((q) => (q ? toOriginal(frame.transform, q) : null)),
      frame,
    });
  }
  return out;
}

/** Scores the predictions of one run's rounds; the detector's floor is computed once. */
export class CliTracer {
  private readonly floor = new Map<string, (Point | null)[]>();
  private readonly byId: Map<string, CliTraceCase>;

  constructor(
    readonly detector: CliDetector,
    readonly cases: readonly CliTraceCase[],
  ) {
    this.byId = new Map(cases.map((c) => [c.id, c]));
  }

  get caseIds(): string[] {
    return this.cases.map((c) => c.id);
  }

  private async detect(c: CliTraceCase, img: RgbaImage): Promise<(Point | null)[]> {
    const m = this.detector.meta;
    const s = makeSample(c.id, img, null, m.arch.size, m.mmPerPx);
    const pts = (await predictSample(this.detector.net, s, m.sigmaMm)).byDecoder[m.decoder];
    return detectionsToOriginal(pts, c.frame.transform);
  }

  /** The round's score from its grid (real X-ray and prediction at the training size). */
  async score(
    grid: readonly { id: string; xray: RgbaImage; prediction: RgbaImage }[],
  ): Promise<TraceabilityResult | null> {
    const t0 = performance.now();
    const cases: TraceCase[] = [];
    for (const g of grid) {
      const c = this.byId.get(g.id);
      if (!c) continue;
      let floor = this.floor.get(c.id);
      if (!floor) {
        floor = await this.detect(c, g.xray);
        this.floor.set(c.id, floor);
      }
      cases.push({
        id: c.id,
        gt: c.gt,
        floor,
        synthetic: await this.detect(c, g.prediction),
        mmPerPx: c.frame.mmPerPx,
      });
    }
    if (cases.length === 0) return null;
    const s = traceabilityScore(cases, this.detector.meta.symbols);
    return { detector: this.detector.summary, ...s, durationMs: performance.now() - t0 };
  }
}
