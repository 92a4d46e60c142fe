/**
 * Training data (part of the engine, see engineCore.ts): the loaded dataset (the demo phantom or a
 * stored dataset, with its landmark set) and its cases prepared at a run's size, preprocessing and
 * direction, cached so the next run, evaluation or network-input preview with the same choice reuses
 * them. No TF.js: prepared cases are 8-bit images; tensors are made by the trainer's data source.
 */
import type { RunConfig } from '../../core/config';
import type { PreprocessSpec } from '../../core/data/preprocess';
import { ISBI_LANDMARKS } from '../../core/data/landmarkSet';
import type { RegionPair } from '../../core/eval/contentRegion';
import type { PixelSpacing } from '../../core/eval/landmarkSharpnessSummary';
import type { EvalLandmarkOptions } from '../../core/eval/types';
import type { ImagePair } from '../../core/train/data';
import { getCases, getDataset, listCaseIds, type StudioStorage } from '../../store';
import { demoDatasetId, demoValCount, type DemoGenerator, type SourceCase } from '../datasetIds';
import type { DatasetInfo, DatasetSource, EngineEvent } from '../protocol';
import { trainMessage, TrainError, type TrainMessage } from '../trainMessages';

export interface LoadedDataset {
  info: DatasetInfo;
  /** The dataset's landmark symbols and full names (null without landmarks). */
  landmarkSet?: { symbols: string[]; names: string[] } | null;
  /**
   * Deliver every usable case (train and val) at `spec.size`, one at a time: the demo generates
   * them, a stored dataset is decoded and preprocessed (or read from the tensor cache) by
   * ../datasetSource.ts. Returns the fixed evaluation list.
   */
  readCases(
    spec: PreprocessSpec,
    onCase: (c: SourceCase) => void,
    onSkip: (id: string, reason: string) => void,
  ): Promise<{ evalCaseIds: string[] }>;
}

/** Cases at the training size for one (size, preprocessing) choice. */
export interface PreparedData {
  key: string;
  train: ImagePair[];
  val: ImagePair[];
  /** The fixed evaluation list (val case ids). */
  evalCaseIds: string[];
  /** Case id -> pair, train and val. */
  byId: Map<string, ImagePair>;
  /** Landmark-region sharpness for validation (null: no landmarks, or the target is not the X-ray). */
  landmarks: EvalLandmarkOptions | null;
}

export const DEFAULT_PREPROCESS_SPEC: PreprocessSpec = {
  mode: 'letterbox',
  size: 256,
  pad: 'constant',
  padColor: [0, 0, 0],
  roi: null,
};

/** Cases per split of a stored dataset that the user has not excluded (records only, no images). */
async function countSplits(
  storage: StudioStorage,
  datasetId: string,
): Promise<{ train: number; val: number }> {
  const ids = await listCaseIds(storage.datasets, datasetId);
  const out = { train: 0, val: 0 };
  for (let i = 0; i < ids.length; i += 200) {
    for (const c of await getCases(storage.datasets, datasetId, ids.slice(i, i + 200))) {
      if (c.record.state.excluded) continue;
      if (c.record.split === 'train') out.train++;
      else if (c.record.split === 'val') out.val++;
    }
  }
  return out;
}

/** The demo phantom as a dataset: generated at the run's size when a run prepares it. */
export async function demoDataset(
  source: Extract<DatasetSource, { kind: 'demo' }>,
  demo: DemoGenerator,
  emit: (e: EngineEvent) => void,
): Promise<LoadedDataset> {
  const n = Math.max(2, Math.floor(source.cases));
  const seed = Math.floor(source.seed);
  const valCount = demoValCount(n);
  const info: DatasetInfo = {
    id: demoDatasetId(n, seed),
    name: trainMessage('engine.dataset.demoName', { cases: n, seed }).text,
    source: { kind: 'demo', cases: n, seed },
    trainCount: n - valCount,
    valCount,
    // the phantom's case ids are known once it has generated them (at the run's size)
    evalCaseIds: [],
    previewCaseIds: [],
    hasLandmarks: true,
    landmarkSymbols: ISBI_LANDMARKS.map((l) => l.id),
    landmarkNames: ISBI_LANDMARKS.map((l) => l.name),
    preprocessing: { ...DEFAULT_PREPROCESS_SPEC },
  };
  return {
    info,
    landmarkSet: { symbols: ISBI_LANDMARKS.map((l) => l.id), names: ISBI_LANDMARKS.map((l) => l.name) },
    async readCases(spec, onCase) {
      const { cases, evalCaseIds } = await demo(n, seed, spec.size);
      for (const c of cases) onCase(c);
      emit({ type: 'datasetProgress', done: cases.length, total: cases.length });
      const val = cases.filter((c) => c.split === 'val').map((c) => c.id);
      return { evalCaseIds: evalCaseIds && evalCaseIds.length > 0 ? evalCaseIds : val.slice(0, 20) };
    },
  };
}

/** A stored dataset: counted now (records only), decoded and preprocessed when a run prepares it. */
export async function storedDataset(
  storage: StudioStorage,
  source: Extract<DatasetSource, { kind: 'stored' }>,
  emit: (e: EngineEvent) => void,
): Promise<LoadedDataset> {
  const meta = await getDataset(storage.datasets, source.datasetId);
  if (!meta) throw new TrainError(trainMessage('engine.dataset.notFound', { dataset: source.datasetId }));
  const { loadDatasetForTraining } = await import('../datasetSource');
  const counts = await countSplits(storage, source.datasetId);
  if (counts.train === 0)
    throw new TrainError(trainMessage('engine.dataset.noTrain', { dataset: meta.name }));
  const info: DatasetInfo = {
    id: meta.id,
    name: meta.name,
    source,
    trainCount: counts.train,
    valCount: counts.val,
    evalCaseIds: [],
    previewCaseIds: [],
    hasLandmarks: meta.landmarkSet !== null,
    ...(meta.landmarkSet
      ? { landmarkSymbols: [...meta.landmarkSet.symbols], landmarkNames: [...meta.landmarkSet.names] }
      : {}),
    preprocessing: { ...(source.preprocessing ?? meta.preprocessing) },
  };
  return {
    info,
    landmarkSet: meta.landmarkSet
      ? { symbols: [...meta.landmarkSet.symbols], names: [...meta.landmarkSet.names] }
      : null,
    async readCases(spec, onCase, onSkip) {
      const r = await loadDatasetForTraining(storage, meta.id, spec, {
        splits: ['train', 'val'],
        keepImages: false,
        onCase: (c) =>
          onCase({
            id: c.id,
            split: c.split,
            photo: c.photo,
            xray: c.xray,
            landmarks: c.landmarks ?? null,
            pixelSpacingMm: c.pixelSpacingMm ?? null,
            photoContent: c.photoContent ?? null, // validation metrics on the content region (fairmetrics)
            xrayContent: c.xrayContent ?? null,
          }),
        onProgress: (p) => emit({ type: 'datasetProgress', done: p.done, total: p.total }),
      });
      for (const sk of r.skipped) onSkip(sk.id, sk.reason);
      return { evalCaseIds: r.evalList };
    },
  };
}

/** What the engine gives its training data: events, warnings, and a nudge when the dataset's info changed. */
export interface TrainingDataHost {
  emit(e: EngineEvent): void;
  warn(m: TrainMessage): void;
  /** The dataset's evaluation list became known (the status event carries it). */
  infoChanged(): void;
}

/** The engine's dataset and its prepared-cases cache (one preparation kept). */
export class TrainingData {
  /** The loaded dataset (null before loadDataset). */
  dataset: LoadedDataset | null = null;
  private prepared: PreparedData | null = null;

  constructor(private readonly deps: TrainingDataHost) {}

  /** Load a dataset's description (cases are read when a run prepares them); drops the cache. */
  async load(source: DatasetSource, storage: StudioStorage, demo: DemoGenerator): Promise<DatasetInfo> {
    const emit = (e: EngineEvent): void => this.deps.emit(e);
    const loaded =
      source.kind === 'demo'
        ? await demoDataset(source, demo, emit)
        : await storedDataset(storage, source, emit);
    this.dataset = loaded;
    this.prepared = null;
    return loaded.info;
  }

  /** The dataset at the run's size and preprocessing, cached for the next run with the same choice. */
  async prepare(cfg: RunConfig): Promise<PreparedData> {
    const ds = this.dataset;
    if (!ds) throw new TrainError(trainMessage('engine.noDataset'));
    const base = ds.info.preprocessing;
    const spec: PreprocessSpec = {
      ...base,
      size: cfg.size,
      // ROI needs a box drawn on the dataset; without one the studio letterboxes
      mode: cfg.preprocess === 'roi' && !base.roi ? 'letterbox' : cfg.preprocess,
    };
    const key = `${ds.info.id}|${JSON.stringify(spec)}|${cfg.direction}`;
    if (this.prepared?.key === key) return this.prepared;
    this.prepared = null;
    const train: ImagePair[] = [];
    const val: ImagePair[] = [];
    const byId = new Map<string, ImagePair>();
    const spacing = new Map<string, PixelSpacing>();
    const read = await ds.readCases(
      spec,
      (c) => {
        if (c.photo.width !== cfg.size || c.xray.width !== cfg.size) {
          throw new Error(
            `case ${c.id}: the dataset source delivered ${c.photo.width} px images for a ${cfg.size} px run`,
          );
        }
        const [photo, xray] = cfg.direction === 'BtoA' ? [c.xray, c.photo] : [c.photo, c.xray];
        const pair: RegionPair = { id: c.id, photo, xray, landmarks: c.landmarks ?? undefined };
        // the target's content region: validation metrics never count the padding (fairmetrics)
        const content = cfg.direction === 'BtoA' ? c.photoContent : c.xrayContent;
        if (content) pair.content = content;
        if (c.pixelSpacingMm) spacing.set(c.id, c.pixelSpacingMm);
        if (c.split === 'train') train.push(pair);
        else if (c.split === 'val') val.push(pair);
        byId.set(c.id, pair);
      },
      (id, reason) => this.deps.warn(trainMessage('engine.dataset.caseSkipped', { case: id, reason })),
    );
    if (train.length === 0)
      throw new TrainError(trainMessage('engine.dataset.noTrain', { dataset: ds.info.name }));
    const evalCaseIds = read.evalCaseIds.filter((id) => byId.has(id));
    if (evalCaseIds.join() !== ds.info.evalCaseIds.join()) {
      ds.info = { ...ds.info, evalCaseIds, previewCaseIds: evalCaseIds.slice(0, 3) };
      this.deps.infoChanged();
    }
    // landmark-region sharpness: the landmarks are X-ray points, so only when the X-ray is the target
    const set = ds.landmarkSet;
    const landmarks: EvalLandmarkOptions | null =
      set && set.symbols.length > 0 && cfg.direction !== 'BtoA' && spacing.size > 0
        ? { symbols: set.symbols, names: set.names, spacingOf: (id) => spacing.get(id) ?? null }
        : null;
    this.prepared = { key, train, val, evalCaseIds, byId, landmarks };
    return this.prepared;
  }

  clear(): void {
    this.prepared = null;
    this.dataset = null;
  }
}
