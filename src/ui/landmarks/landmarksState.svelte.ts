/**
 * State of the Landmarks section: the dataset / case / target picker, the tracing wizard (points,
 * current landmark, undo, assisted review, tracer name), the ruler calibration, the stored
 * tracings of the chosen dataset and the error / measurement tables over them.
 *
 * Coordinates: the wizard works in the shown image's pixel frame (a prediction at the training
 * size, or the original film) and stores ORIGINAL X-ray pixels, mapped through the exact inverse
 * of the preprocessing (core/data/preprocess.ts). The demo phantom has no stored film: its
 * "original" frame is the phantom rendered at the run's training size (what the engine trains on),
 * with the phantom's pixel spacing at that size; its ground truth is the phantom's own landmarks.
 *
 * Predictions come from the engine's `evaluate` command (model = a stored checkpoint, one case,
 * images) on the run's dataset, loaded through the Train state; the page never touches TF.js.
 *
 * Debug hook (read-only, for e2e tests): `window.__studio.landmarks`.
 */
import {
  DEFAULT_MM_PER_PX,
  landmarkSetInfo,
  type CaseSplit,
  type ImageSize,
  type LandmarkSetInfo,
} from '../../core/data/dataset';
import { ISBI_SET } from '../../core/data/landmarkSet';
import { splitAlignedImage, toOriginal, toPreprocessed } from '../../core/data/preprocess';
import type { Point, RgbaImage } from '../../core/image';
import type { DetectorRef } from '../../engine/protocol';
import type { RunRecord, StudioStorage, TracingRecord, TracingTarget } from '../../store';
import { datasetSourceFromId } from '../../engine/datasetIds';
import {
  measurementRows,
  predictionTransform,
  targetErrors,
  type MeasurementRow,
  type TargetErrors,
} from './results';
import { train } from '../train/trainState.svelte';
import { library } from '../library.svelte';
import { errorText } from '../../core/errors';

export const TRACER_STORAGE_KEY = 'ceph-gan-studio.landmarks.tracer';

export interface DatasetChoice {
  id: string;
  name: string;
  kind: 'stored' | 'demo';
  /** Stored datasets: the editable spacing; demo: null (depends on the run's size). */
  mmPerPx: number | null;
  landmarkSet: LandmarkSetInfo | null;
}

export interface CaseChoice {
  id: string;
  split: CaseSplit;
  hasGt: boolean;
  xraySize: ImageSize | null;
}

export interface TargetChoice {
  key: string;
  target: TracingTarget;
  run: RunRecord | null;
}

/** An open tracing: the image shown, the frame maps and what is known about the case. */
export interface TracingSession {
  datasetId: string;
  caseId: string;
  target: TracingTarget;
  targetLabel: string;
  image: ImageData;
  frame: 'prediction' | 'real';
  /** Shown-image pixels -> original X-ray pixels, and back. */
  toOriginal: (p: Point) => Point;
  toShown: (p: Point) => Point;
  symbols: string[];
  names: string[];
  set: LandmarkSetInfo;
  /** Ground truth in original pixels (null when the case has none). */
  groundTruth: Point[] | null;
  mmPerPx: number;
  existing: TracingRecord | null;
}

/** One step of the wizard's history (for undo). */
type Snapshot = { points: (Point | null | undefined)[]; index: number };

export function targetKey(t: TracingTarget): string {
  return t.kind === 'real' ? 'real' : `ckpt:${t.runId}:${t.name}`;
}

export function parseTargetKey(key: string, datasetId: string): TracingTarget | null {
  if (key === 'real') return { kind: 'real', datasetId };
  const m = /^ckpt:([^:]+):(.+)$/.exec(key);
  return m ? { kind: 'checkpoint', runId: m[1], name: m[2] } : null;
}

const DEMO_RE = /^demo-(\d+)-(\d+)$/;
const PHANTOM_CASE_RE = /^phantom-(\d+)-(\d+)$/;

function toImageData(img: RgbaImage): ImageData {
  return new ImageData(new Uint8ClampedArray(img.data), img.width, img.height);
}

async function decodeBlob(blob: Blob): Promise<RgbaImage> {
  const bmp = await createImageBitmap(blob);
  try {
    const c = new OffscreenCanvas(bmp.width, bmp.height);
    const ctx = c.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas to decode the X-ray');
    ctx.drawImage(bmp, 0, 0);
    const d = ctx.getImageData(0, 0, bmp.width, bmp.height);
    return { width: d.width, height: d.height, data: d.data };
  } finally {
    bmp.close();
  }
}

export class LandmarksState {
  /** Stored datasets and the demo datasets runs trained on, from the page's library. */
  datasets: DatasetChoice[] = $derived.by(() => {
    const list: DatasetChoice[] = library.datasets.map((d) => ({
      id: d.id,
      name: d.name,
      kind: 'stored',
      mmPerPx: d.mmPerPx,
      landmarkSet: d.landmarkSet,
    }));
    const demoIds = library.runs
      .map((r) => r.datasetId)
      .filter((id, i, all) => DEMO_RE.test(id) && all.indexOf(id) === i);
    for (const id of demoIds) {
      const m = DEMO_RE.exec(id)!;
      list.push({
        id,
        name: `phantom ${m[1]} · seed ${m[2]}`,
        kind: 'demo',
        mmPerPx: null,
        landmarkSet: landmarkSetInfo(ISBI_SET),
      });
    }
    return list;
  });
  datasetId = $state('');
  cases = $state.raw<CaseChoice[]>([]);
  caseId = $state('');
  targetKey = $state('real');
  tracings = $state.raw<TracingRecord[]>([]);
  busy = $state<string | null>(null);
  error = $state<string | null>(null);
  notice = $state<string | null>(null);

  session = $state.raw<TracingSession | null>(null);
  points = $state.raw<(Point | null | undefined)[]>([]);
  index = $state(0);
  tracer = $state(this.loadTracer());
  assist = $state(false);
  /** The points were pre-placed by a landmark detector (issue 13): saved as `assisted: 'detector'`. */
  detectorAssist = $state(false);
  private history: Snapshot[] = [];

  ruler = $state.raw<Point[] | null>(null);
  rulerMm = $state(10);
  /** Parameters of the last calibration's result message (lm.ruler.result). */
  rulerMessage = $state.raw<Record<string, string | number> | null>(null);
  rulerError = $state.raw<{ en: string; zh: string } | null>(null);

  /** Tables: targets A and B (keys), their errors, the analysis and the case of the measurements. */
  keyA = $state('');
  keyB = $state('');
  errorsA = $state.raw<TargetErrors | null>(null);
  errorsB = $state.raw<TargetErrors | null>(null);
  analysisId = $state('isbi2015');
  measCaseId = $state('');
  /** Ground truth (original pixels) per case of the chosen dataset, filled by refreshResults. */
  groundTruths = $state.raw<Readonly<Record<string, Point[] | null>>>({});
  resultsBusy = $state(false);

  dataset: DatasetChoice | null = $derived(this.datasets.find((d) => d.id === this.datasetId) ?? null);

  /** Runs on the chosen dataset with their checkpoints, newest first. */
  targets: TargetChoice[] = $derived.by(() => {
    const out: TargetChoice[] = [];
    const ds = this.dataset;
    if (!ds) return out;
    if (ds.kind === 'stored')
      out.push({ key: 'real', target: { kind: 'real', datasetId: ds.id }, run: null });
    for (const run of train.runs) {
      if (run.datasetId !== ds.id) continue;
      for (const name of run.checkpointNames) {
        const target: TracingTarget = { kind: 'checkpoint', runId: run.id, name };
        out.push({ key: targetKey(target), target, run });
      }
    }
    return out;
  });

  /** The landmark symbols a new tracing on the chosen dataset asks for. */
  setInfo: LandmarkSetInfo = $derived(this.dataset?.landmarkSet ?? landmarkSetInfo(ISBI_SET));

  placed = $derived(this.points.filter((p) => p).length);
  skipped = $derived(this.points.filter((p) => p === null).length);

  /** Counted tracings of target A on cases with ground truth (the measurement table's cases). */
  measCases: TracingRecord[] = $derived(
    this.tracings.filter(
      (r) => targetKey(r.target) === this.keyA && r.assisted === false && this.groundTruths[r.caseId],
    ),
  );

  /** The case the measurement table shows: the chosen one, else the first traced. */
  measCase: TracingRecord | null = $derived(
    this.measCases.find((r) => r.caseId === this.measCaseId) ?? this.measCases[0] ?? null,
  );

  measRows: MeasurementRow[] | null = $derived.by(() => {
    const tr = this.measCase;
    const gt = tr ? this.groundTruths[tr.caseId] : null;
    const mm = this.errorsA?.mmPerPx;
    if (!tr || !gt || !mm || gt.length !== tr.points.length) return null;
    return measurementRows(this.analysisId, gt, tr.points, tr.symbols, mm);
  });

  constructor() {
    this.installDebugHook();
  }

  /** The page's one storage handle (ui/library.svelte.ts). */
  storage(): Promise<StudioStorage> {
    return library.storage();
  }

  private loadTracer(): string {
    try {
      return globalThis.localStorage?.getItem(TRACER_STORAGE_KEY) ?? '';
    } catch {
      return '';
    }
  }

  targetLabel(t: TracingTarget, real: string, ckpt: (run: string, name: string) => string): string {
    if (t.kind === 'real') return real;
    const run = train.runs.find((r) => r.id === t.runId);
    return ckpt(run?.name ?? t.runId, t.name);
  }

  // ----- lists -----

  async refreshDatasets(): Promise<void> {
    try {
      await library.refreshDatasets();
      const list = this.datasets;
      if (!list.some((d) => d.id === this.datasetId)) {
        // prefer a dataset that has checkpoints to trace
        const withRuns = list.find((d) =>
          train.runs.some((r) => r.datasetId === d.id && r.checkpointNames.length),
        );
        await this.chooseDataset((withRuns ?? list[0])?.id ?? '');
      }
    } catch (e) {
      this.error = errorText(e);
    }
  }

  async chooseDataset(id: string): Promise<void> {
    this.datasetId = id;
    this.cases = [];
    this.caseId = '';
    this.tracings = [];
    if (!id) return;
    const first = this.targets.find((t) => t.key !== 'real') ?? this.targets[0];
    this.targetKey = first?.key ?? 'real';
    await Promise.all([this.refreshCases(), this.refreshTracings()]);
  }

  async chooseTarget(key: string): Promise<void> {
    this.targetKey = key;
    await this.refreshCases();
  }

  /** Cases the chosen target exists for: any case for the real X-ray, train/val for a checkpoint. */
  async refreshCases(): Promise<void> {
    const ds = this.dataset;
    if (!ds) return;
    const target = parseTargetKey(this.targetKey, ds.id);
    let cases: CaseChoice[] = [];
    if (ds.kind === 'demo') {
      const m = DEMO_RE.exec(ds.id)!;
      const n = Number(m[1]);
      const seed = Number(m[2]);
      const { phantomSplits } = await import('../../core/data/phantom');
      const splits = phantomSplits(n, Math.max(1, Math.round(n * 0.2)), seed);
      cases = splits.map((split, i) => ({
        id: `phantom-${seed}-${String(i).padStart(3, '0')}`,
        split,
        hasGt: true,
        xraySize: null,
      }));
    } else {
      const s = await this.storage();
      const { listCaseIds, getCases } = await import('../../store');
      const ids = await listCaseIds(s.datasets, ds.id);
      for (let i = 0; i < ids.length; i += 200) {
        for (const c of await getCases(s.datasets, ds.id, ids.slice(i, i + 200))) {
          cases.push({
            id: c.record.id,
            split: c.record.split,
            hasGt: c.record.landmarks !== null,
            xraySize: c.record.xraySize,
          });
        }
      }
    }
    if (target?.kind === 'checkpoint') cases = cases.filter((c) => c.split !== 'test');
    // val first (never trained on), then the rest
    cases.sort((a, b) => (a.split === 'val' ? 0 : 1) - (b.split === 'val' ? 0 : 1));
    if (this.datasetId !== ds.id) return;
    this.cases = cases;
    if (!cases.some((c) => c.id === this.caseId)) {
      const noGt = target?.kind === 'real' ? cases.find((c) => !c.hasGt) : undefined;
      this.caseId = (noGt ?? cases[0])?.id ?? '';
    }
  }

  async refreshTracings(): Promise<void> {
    const ds = this.datasetId;
    if (!ds) return;
    const s = await this.storage();
    const { listTracings } = await import('../../store');
    const list = await listTracings(s.datasets, ds);
    if (this.datasetId !== ds) return;
    this.tracings = list;
    await this.refreshResults();
  }

  // ----- pixel spacing -----

  /** The spacing of a run's frame: the stored dataset's, or the demo phantom's at the run's size. */
  async mmPerPxFor(datasetId: string, run: RunRecord | null): Promise<number> {
    if (DEMO_RE.test(datasetId)) {
      const size = run?.config.size ?? 256;
      const { phantomMmPerPx } = await import('../../core/data/phantom');
      return phantomMmPerPx(size, size);
    }
    const ds = this.datasets.find((d) => d.id === datasetId);
    return ds?.mmPerPx ?? DEFAULT_MM_PER_PX;
  }

  async saveSpacing(mmPerPx: number): Promise<boolean> {
    const ds = this.dataset;
    if (!ds || ds.kind !== 'stored') return false;
    if (!(Number.isFinite(mmPerPx) && mmPerPx > 0)) return false;
    await library.patchDatasetMeta(ds.id, { mmPerPx });
    if (this.session?.datasetId === ds.id) this.session = { ...this.session, mmPerPx };
    return true;
  }

  // ----- opening a tracing -----

  async open(): Promise<void> {
    const ds = this.dataset;
    const target = ds ? parseTargetKey(this.targetKey, ds.id) : null;
    if (!ds || !target || !this.caseId) return;
    this.busy = 'open';
    this.error = null;
    this.notice = null;
    try {
      const session =
        target.kind === 'real'
          ? await this.openReal(ds, this.caseId)
          : await this.openPrediction(ds, this.caseId, target);
      if (!session) return;
      this.startSession(session);
    } catch (e) {
      this.error = errorText(e);
    } finally {
      this.busy = null;
    }
  }

  private async openReal(ds: DatasetChoice, caseId: string): Promise<TracingSession | null> {
    const s = await this.storage();
    const { getCase, getCaseImage, getTracing } = await import('../../store');
    const c = await getCase(s.datasets, ds.id, caseId);
    if (!c) throw new Error(`case ${caseId} of dataset ${ds.name} does not exist`);
    let img: RgbaImage;
    const xray = await getCaseImage(s.datasets, ds.id, caseId, 'xray');
    if (xray) img = await decodeBlob(xray);
    else {
      const aligned = await getCaseImage(s.datasets, ds.id, caseId, 'aligned');
      if (!aligned) throw new Error(`case ${caseId} has no X-ray image to trace`);
      img = splitAlignedImage(await decodeBlob(aligned)).xray;
    }
    const target: TracingTarget = { kind: 'real', datasetId: ds.id };
    const set = ds.landmarkSet ?? landmarkSetInfo(ISBI_SET);
    return {
      datasetId: ds.id,
      caseId,
      target,
      targetLabel: 'real',
      image: toImageData(img),
      frame: 'real',
      toOriginal: (p) => [p[0], p[1]],
      toShown: (p) => [p[0], p[1]],
      symbols: set.symbols,
      names: set.names,
      set,
      groundTruth: c.record.landmarks,
      mmPerPx: ds.mmPerPx ?? 0.1,
      existing: (await getTracing(s.datasets, ds.id, caseId, target)) ?? null,
    };
  }

  private async openPrediction(
    ds: DatasetChoice,
    caseId: string,
    target: Extract<TracingTarget, { kind: 'checkpoint' }>,
  ): Promise<TracingSession | null> {
    const engine = train.engine;
    if (!engine) throw new Error('the engine is not started yet');
    const run = train.runs.find((r) => r.id === target.runId) ?? null;
    if (run?.config.direction === 'BtoA') throw new Error('BtoA');
    // the engine predicts on its loaded dataset: load the run's own (through the Train state)
    if (train.dataset?.id !== ds.id) {
      if (train.activeRunId)
        throw new Error(`a run is training on another dataset; stop it to trace ${ds.name}`);
      await train.loadDataset(datasetSourceFromId(ds.id));
      if (train.dataset?.id !== ds.id)
        throw new Error(train.messages.at(-1)?.message.text ?? 'dataset not loaded');
    }
    const summary = await engine.evaluate({
      model: { kind: 'checkpoint', runId: target.runId, name: target.name },
      caseIds: [caseId],
      withImages: true,
    });
    const ev = summary.cases.find((c) => c.id === caseId);
    if (!ev?.prediction) throw new Error(`the engine returned no prediction for case ${caseId}`);
    const size = ev.prediction.width;
    const s = await this.storage();
    const { getTracing } = await import('../../store');
    const set = ds.landmarkSet ?? landmarkSetInfo(ISBI_SET);
    let toO: (p: Point) => Point = (p) => [p[0], p[1]];
    let toS: (p: Point) => Point = (p) => [p[0], p[1]];
    let groundTruth: Point[] | null;
    if (ds.kind === 'demo') {
      groundTruth = await phantomGroundTruth(ds.id, caseId, size);
    } else {
      const { getCase } = await import('../../store');
      const c = await getCase(s.datasets, ds.id, caseId);
      if (!c?.record.xraySize) throw new Error(`case ${caseId} has no X-ray size recorded`);
      const base = train.dataset?.preprocessing ?? null;
      const cfg = run?.config;
      if (!base || !cfg) throw new Error(`run ${target.runId} is not known to this page`);
      const tr = predictionTransform(c.record.xraySize, base, cfg);
      toO = (p) => toOriginal(tr, p);
      toS = (p) => toPreprocessed(tr, p);
      groundTruth = c.record.landmarks;
    }
    return {
      datasetId: ds.id,
      caseId,
      target,
      targetLabel: `${run?.name ?? target.runId} · ${target.name}`,
      image: toImageData(ev.prediction),
      frame: 'prediction',
      toOriginal: toO,
      toShown: toS,
      symbols: set.symbols,
      names: set.names,
      set,
      groundTruth,
      mmPerPx: await this.mmPerPxFor(ds.id, run),
      existing: (await getTracing(s.datasets, ds.id, caseId, target)) ?? null,
    };
  }

  /** Open a stored tracing again (its points pre-filled). */
  async reopen(rec: TracingRecord): Promise<void> {
    await this.chooseDataset(rec.datasetId);
    this.targetKey = targetKey(rec.target);
    await this.refreshCases();
    this.caseId = rec.caseId;
    await this.open();
  }

  private startSession(s: TracingSession): void {
    this.session = s;
    this.history = [];
    this.ruler = null;
    this.rulerMessage = null;
    this.rulerError = null;
    const n = s.symbols.length;
    if (s.existing && s.existing.symbols.join() === s.symbols.join()) {
      this.points = s.existing.points.map((p) => (p ? s.toShown(p) : null));
      this.assist = s.existing.assisted === 'groundTruth';
      this.detectorAssist = s.existing.assisted === 'detector';
    } else {
      this.points = Array.from({ length: n }, () => undefined);
      this.assist = false;
      this.detectorAssist = false;
    }
    const open = this.points.findIndex((p) => p === undefined);
    this.index = open < 0 ? 0 : open;
  }

  close(): void {
    this.session = null;
    this.points = [];
    this.history = [];
    this.ruler = null;
  }

  // ----- the wizard -----

  private remember(): void {
    this.history.push({ points: [...this.points], index: this.index });
    if (this.history.length > 200) this.history.shift();
  }

  private nextOpen(from: number): number {
    const n = this.points.length;
    for (let k = 1; k <= n; k++) {
      const i = (from + k) % n;
      if (this.points[i] === undefined) return i;
    }
    return Math.min(from + 1, n - 1);
  }

  /** A click on the image: place the current landmark and move to the next open one. */
  place(p: Point): void {
    if (!this.session) return;
    this.remember();
    const pts = [...this.points];
    pts[this.index] = [p[0], p[1]];
    this.points = pts;
    this.index = this.nextOpen(this.index);
  }

  /** A dragged marker: adjust it (the current landmark stays). */
  move(i: number, p: Point): void {
    if (!this.session || i < 0 || i >= this.points.length) return;
    this.remember();
    const pts = [...this.points];
    pts[i] = [p[0], p[1]];
    this.points = pts;
  }

  /** Mark the current landmark "not identifiable" and move on. */
  skip(): void {
    if (!this.session) return;
    this.remember();
    const pts = [...this.points];
    pts[this.index] = null;
    this.points = pts;
    this.index = this.nextOpen(this.index);
  }

  next(): void {
    if (this.session) this.index = Math.min(this.points.length - 1, this.index + 1);
  }

  prev(): void {
    if (this.session) this.index = Math.max(0, this.index - 1);
  }

  goTo(i: number): void {
    if (this.session && i >= 0 && i < this.points.length) this.index = i;
  }

  undo(): void {
    const last = this.history.pop();
    if (!last) return;
    this.points = last.points;
    this.index = last.index;
  }

  /** Pre-place every landmark from the ground truth (review only; the tracing is marked assisted). */
  setAssist(on: boolean): void {
    const s = this.session;
    if (!s) return;
    this.assist = on && s.groundTruth !== null;
    if (this.assist && s.groundTruth) {
      this.remember();
      this.points = s.groundTruth.map((p) => s.toShown(p));
    }
  }

  /**
   * Pre-place the landmarks found by a detector on the shown image (engine `detect`; points come
   * back in that image's pixel frame, the wizard's own), for the clinician to correct. The tracing
   * is then saved as detector-assisted and left out of every statistic. Landmarks the detector
   * does not know stay open; a detector whose set shares no landmark is refused naming both sets.
   */
  async preplaceFromDetector(ref: DetectorRef): Promise<void> {
    const s = this.session;
    const engine = train.engine;
    if (!s || !engine) return;
    this.busy = 'detect';
    this.error = null;
    try {
      const img = s.image;
      const res = await engine.detect({
        detector: ref,
        images: [{ width: img.width, height: img.height, data: new Uint8ClampedArray(img.data) }],
      });
      if (this.session !== s) return;
      const found = res.points[0] ?? [];
      const at = (sym: string): Point | null => {
        const i = res.symbols.indexOf(sym);
        return i < 0 ? null : (found[i] ?? null);
      };
      if (!s.symbols.some((sym) => res.symbols.includes(sym)))
        throw new Error(
          `the detector's landmarks [${res.symbols.join(' ')}] differ from this dataset's [${s.symbols.join(' ')}]`,
        );
      this.remember();
      this.points = s.symbols.map((sym) => {
        const p = at(sym);
        return p ? ([p[0], p[1]] as Point) : undefined;
      });
      this.assist = false;
      this.detectorAssist = true;
      const open = this.points.findIndex((p) => p === undefined);
      this.index = open < 0 ? 0 : open;
    } catch (e) {
      this.error = errorText(e);
    } finally {
      this.busy = null;
    }
  }

  async save(): Promise<{ groundTruthWritten: boolean } | null> {
    const s = this.session;
    if (!s) return null;
    this.busy = 'save';
    this.error = null;
    try {
      try {
        globalThis.localStorage?.setItem(TRACER_STORAGE_KEY, this.tracer.trim());
      } catch {
        // not remembered
      }
      const st = await this.storage();
      const { saveTracing } = await import('../../store');
      const points = this.points.map((p) => (p ? s.toOriginal(p) : null));
      const res = await saveTracing(
        st.datasets,
        {
          datasetId: s.datasetId,
          caseId: s.caseId,
          target: s.target,
          points,
          symbols: s.symbols,
          tracer: this.tracer,
          assisted: this.assist ? 'groundTruth' : this.detectorAssist ? 'detector' : false,
        },
        { groundTruth: s.target.kind === 'real' && s.groundTruth === null ? s.set : undefined },
      );
      this.session = { ...s, existing: res.record };
      if (res.groundTruthWritten) {
        this.session = { ...this.session, groundTruth: res.record.points as Point[] };
        // the dataset now has a landmark set and this case ground truth
        await this.refreshDatasets();
        await this.refreshCases();
      }
      await this.refreshTracings();
      return { groundTruthWritten: res.groundTruthWritten };
    } catch (e) {
      this.error = errorText(e);
      return null;
    } finally {
      this.busy = null;
    }
  }

  async deleteTracing(rec: TracingRecord): Promise<void> {
    const s = await this.storage();
    const { deleteTracing } = await import('../../store');
    await deleteTracing(s.datasets, rec.datasetId, rec.caseId, rec.target);
    await this.refreshTracings();
  }

  // ----- tables -----

  /** Recompute the error tables of targets A and B (and the ground truths they need). */
  async refreshResults(): Promise<void> {
    const ds = this.dataset;
    if (!ds) {
      this.errorsA = this.errorsB = null;
      return;
    }
    const keys = this.targets.map((t) => t.key);
    if (!keys.includes(this.keyA)) {
      const traced = this.targets.find((t) =>
        this.tracings.some((r) => targetKey(r.target) === t.key && r.assisted === false),
      );
      this.keyA = (traced ?? this.targets.find((t) => t.key !== 'real') ?? this.targets[0])?.key ?? '';
    }
    if (this.keyB && !keys.includes(this.keyB)) this.keyB = '';
    this.resultsBusy = true;
    try {
      const gts: Record<string, Point[] | null> = {};
      const forTarget = async (key: string): Promise<TargetErrors | null> => {
        const choice = this.targets.find((t) => t.key === key);
        if (!choice) return null;
        const run = choice.run;
        const size = run?.config.size ?? 0;
        const mm = await this.mmPerPxFor(ds.id, run);
        const recs = this.tracings.filter((r) => targetKey(r.target) === key);
        const gtOf = async (caseId: string): Promise<Point[] | null> => {
          const k = ds.kind === 'demo' ? `${caseId}@${size}` : caseId;
          if (!(k in gts)) gts[k] = await this.caseGroundTruth(ds, caseId, size);
          return gts[k] ?? null;
        };
        const out = await targetErrors(recs, this.setInfo.symbols, mm, gtOf);
        if (key === this.keyA) for (const r of recs) gts[r.caseId] = await gtOf(r.caseId);
        return out;
      };
      const a = this.keyA ? await forTarget(this.keyA) : null;
      const b = this.keyB ? await forTarget(this.keyB) : null;
      if (this.datasetId !== ds.id) return;
      this.errorsA = a;
      this.errorsB = b;
      this.groundTruths = gts;
    } catch (e) {
      this.error = errorText(e);
    } finally {
      this.resultsBusy = false;
    }
  }

  private async caseGroundTruth(ds: DatasetChoice, caseId: string, size: number): Promise<Point[] | null> {
    if (ds.kind === 'demo') return size > 0 ? phantomGroundTruth(ds.id, caseId, size) : null;
    const s = await this.storage();
    const { getCase } = await import('../../store');
    return (await getCase(s.datasets, ds.id, caseId))?.record.landmarks ?? null;
  }

  // ----- ruler -----

  startRuler(): void {
    this.ruler = [];
    this.rulerMessage = null;
    this.rulerError = null;
  }

  rulerPoint(p: Point): void {
    if (!this.ruler) return;
    this.ruler = this.ruler.length >= 2 ? [p] : [...this.ruler, p];
  }

  cancelRuler(): void {
    this.ruler = null;
    this.rulerError = null;
  }

  private installDebugHook(): void {
    if (typeof window === 'undefined') return;
    const w = window as unknown as { __studio?: Record<string, unknown> };
    const root = (w.__studio ??= {});
    if (Object.getOwnPropertyDescriptor(root, 'landmarks')) return;
    Object.defineProperty(root, 'landmarks', {
      enumerable: true,
      get: () =>
        Object.freeze({
          datasetId: this.datasetId,
          caseId: this.caseId,
          target: this.targetKey,
          session: this.session
            ? {
                caseId: this.session.caseId,
                frame: this.session.frame,
                width: this.session.image.width,
                height: this.session.image.height,
                hasGroundTruth: this.session.groundTruth !== null,
              }
            : null,
          index: this.index,
          placed: this.placed,
          skipped: this.skipped,
          tracings: this.tracings.length,
          busy: this.busy,
          error: this.error,
        }),
    });
  }
}

/** The demo phantom's landmarks of one case at the run's size (what the engine trains on). */
export async function phantomGroundTruth(
  datasetId: string,
  caseId: string,
  size: number,
): Promise<Point[] | null> {
  const d = DEMO_RE.exec(datasetId);
  const c = PHANTOM_CASE_RE.exec(caseId);
  if (!d || !c) return null;
  const { generatePhantomCase } = await import('../../core/data/phantom');
  return generatePhantomCase(Number(c[1]), Number(c[2]), { width: size, height: size }).landmarks;
}

export const landmarks = new LandmarksState();
