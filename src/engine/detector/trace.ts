/**
 * Traceability for validation rounds and checkpoint evaluations (issue 13 item 4), engine side:
 * which val cases count (those with landmarks), where their ORIGINAL X-ray frame is (the X-ray's
 * preprocessing transform; the demo phantom is generated at the training size, so its frame is
 * the identity), the detector's floor on each real X-ray (computed once per run / evaluation and
 * cached), then per round: the detector on each prediction, mapped back to original pixels, and
 * core/detector/traceability.ts's score.
 */
import { computeTransform, type PreprocessSpec, type Transform } from '../../core/data/preprocess';
import {
  detectionsToOriginal,
  traceabilityScore,
  type TraceabilityResult,
} from '../../core/detector/traceability';
import type { Point, RgbaImage } from '../../core/image';
import { DEFAULT_MM_PER_PX } from '../../core/landmarks/calibration';
import type { ImagePair } from '../../core/train/data';
import { getCases, getDataset } from '../../store/datasets';
import type { StudioStorage } from '../../store/storage';
import { assertDetectorFits, type LoadedDetector } from './service';

/** One val case as traceability sees it. */
export interface TraceCaseInfo {
  id: string;
  /** Ground truth in original X-ray px. */
  gt: Point[];
  /** Original X-ray px -> preprocessed (training-size) px: the frame of the X-ray and the prediction. */
  transform: Transform;
  /** Original mm per px. */
  mmPerPx: number;
}

/** The identity frame of an image generated at the training size (the demo phantom). */
export function identityTransform(size: number): Transform {
  return computeTransform(size, size, {
    mode: 'letterbox',
    size,
    pad: 'constant',
    padColor: [0, 0, 0],
    roi: null,
  });
}

/**
 * Val cases with landmarks and their original frames. A stored dataset's cases are read from
 * the store (records only: original landmarks and X-ray size, with the run's preprocessing
 * `spec`); a demo case's frame is the generated image (mm per px from `spacingOf`).
 */
export async function traceCases(
  storage: StudioStorage,
  dataset: { id: string; kind: 'demo' | 'stored' },
  spec: PreprocessSpec,
  val: readonly ImagePair[],
  spacingOf: (id: string) => { x: number; y: number } | null,
): Promise<TraceCaseInfo[]> {
  const withLm = val.filter((p) => p.landmarks && p.landmarks.length > 0);
  if (dataset.kind === 'demo') {
    return withLm.map((p) => ({
      id: p.id ?? '',
      gt: p.landmarks!.map(([x, y]) => [x, y] as Point),
      transform: identityTransform(p.xray.width),
      mmPerPx: spacingOf(p.id ?? '')?.x ?? DEFAULT_MM_PER_PX,
    }));
  }
  const meta = await getDataset(storage.datasets, dataset.id);
  const mmPerPx = meta?.mmPerPx && meta.mmPerPx > 0 ? meta.mmPerPx : DEFAULT_MM_PER_PX;
  const ids = withLm.map((p) => p.id ?? '').filter((id) => id !== '');
  const out: TraceCaseInfo[] = [];
  for (const c of ids.length ? await getCases(storage.datasets, dataset.id, ids) : []) {
    const r = c.record;
    if (!r.landmarks || !r.xraySize) continue;
    out.push({
      id: r.id,
      gt: r.landmarks.map(([x, y]) => [x, y] as Point),
      transform: computeTransform(r.xraySize.width, r.xraySize.height, spec),
      mmPerPx,
    });
  }
  return out;
}

/** Scores predictions of one run / evaluation; the floor is computed once. */
export class RoundTracer {
  private readonly floor = new Map<string, (Point | null)[]>();
  private readonly byId: Map<string, TraceCaseInfo>;

  constructor(
    readonly detector: LoadedDetector,
    readonly cases: readonly TraceCaseInfo[],
    private readonly detectOne: (d: LoadedDetector, img: RgbaImage) => Promise<Point[]>,
    datasetName: string,
    datasetSymbols: readonly string[],
  ) {
    assertDetectorFits(detector, datasetName, datasetSymbols);
    this.byId = new Map(cases.map((c) => [c.id, c]));
  }

  /** Case ids whose predictions the round must return. */
  get caseIds(): string[] {
    return this.cases.map((c) => c.id);
  }

  /** Detections of an image in the preprocessed frame, mapped to the case's original px. */
  private async detectOriginal(c: TraceCaseInfo, img: RgbaImage): Promise<(Point | null)[]> {
    return detectionsToOriginal(await this.detectOne(this.detector, img), c.transform);
  }

  /**
   * The score of a round from its predictions (`grid`: case id, real X-ray and prediction at the
   * training size). Call under the engine's GPU lock. Null when no case with landmarks is there.
   */
  async score(
    grid: readonly { id: string; xray: RgbaImage; prediction: RgbaImage }[],
  ): Promise<TraceabilityResult | null> {
    const cases = [];
    for (const g of grid) {
      const c = this.byId.get(g.id);
      if (!c) continue;
      let floor = this.floor.get(c.id);
      if (!floor) {
        floor = await this.detectOriginal(c, g.xray);
        this.floor.set(c.id, floor);
      }
      cases.push({
        id: c.id,
        gt: c.gt,
        floor,
        synthetic: await this.detectOriginal(c, g.prediction),
        mmPerPx: c.mmPerPx,
      });
    }
    if (cases.length === 0) return null;
    const s = traceabilityScore(cases, this.detector.meta.symbols);
    return { detector: this.detector.summary, ...s };
  }
}
