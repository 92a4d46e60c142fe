/**
 * The landmark detector as the engine's second model kind (issue 13 items 2-3; issue 11 item 1):
 * its training session (data, loop, per-epoch held-out MRE / SDR@2mm, best + last checkpoints
 * in the store, stop, resume), the detectors it can use (the shipped one from the app's assets,
 * stored ones) and inference (`detect`). EngineCore owns one `DetectorService` and delegates the
 * detector commands to it; the GAN loop is not copied — the service gets what it shares with
 * the GAN session (events, the GPU lock, the yield between steps, the store) through
 * `DetectorHost`.
 */
import {
  decodeDetector,
  DETECTOR_META_FILE,
  DETECTOR_WEIGHTS_FILE,
  encodeDetector,
  landmarkSetMismatch,
  parseDetectorMeta,
  type DetectorMeta,
} from '../../core/detector/checkpoint';
import { DEFAULT_AUGMENT } from '../../core/detector/augment';
import type { ErrorSummary } from '../../core/detector/errors';
import { DEFAULT_CHANNELS, strideOf, type DetectorArch, type DetectorNet } from '../../core/detector/model';
import {
  detectorPreprocess,
  DetectorTrainer,
  makeSample,
  predictSample,
  type DetectorSample,
  type DetectorTrainConfig,
} from '../../core/detector/train';
import type { Point, RgbaImage } from '../../core/image';
import { DEFAULT_MM_PER_PX } from '../../core/landmarks/calibration';
import { Rng } from '../../core/rng';
import { getDataset } from '../../store/datasets';
import {
  deleteDetector as deleteStoredDetector,
  getDetector,
  listDetectors as listStoredDetectors,
  loadDetectorCheckpoint,
  newDetectorId,
  patchDetector,
  putDetectorRecord,
  type DetectorRecord,
} from '../../store/detectors';
import type { StudioStorage } from '../../store/storage';
import type {
  DetectorRef,
  DetectorSummary,
  DetectParams,
  DetectResult,
  EngineEvent,
  TrainDetectorOptions,
} from '../protocol';
import { trainMessage, TrainError, type TrainMessage } from '../trainMessages';
import { TrainingSession } from '../session/session';
import { SHIPPED_DETECTOR_DIR, type AssetReader } from './assets';
import { detectorWork, sdrOf, type DetectorRun, type DetectorTrainState } from './work';

/** One case as the engine's sources deliver it (engineCore's SourceCase, X-ray side). */
export interface SourceCase {
  id: string;
  split: 'train' | 'val' | 'test';
  xray: RgbaImage;
  landmarks: Point[] | null;
  pixelSpacingMm?: { x: number; y: number } | null;
}

/** What the detector service needs from the engine that hosts it. */
export interface DetectorHost {
  storage(): StudioStorage;
  emit(event: EngineEvent): void;
  warn(message: TrainMessage): void;
  /** Let queued messages (stop) and timers run between steps. */
  yieldNow(): Promise<void>;
  now(): number;
  /** The engine's GPU lock (one kernel stream at a time: GAN steps, evaluation, detector steps). */
  gpu<T>(fn: () => Promise<T>): Promise<T>;
  /** Id of the GAN run training now, or null. */
  ganRunId(): string | null;
  /** The loaded demo dataset (for `datasetId: 'demo'`), or null. */
  demoSource(): { id: string; name: string; cases: number; seed: number } | null;
  /** The demo generator (phantom cases square at `size`). */
  demo(cases: number, seed: number, size: number): Promise<{ cases: SourceCase[] }>;
  readAsset: AssetReader;
}

/** A detector ready to run. */
export interface LoadedDetector {
  key: string;
  meta: DetectorMeta;
  net: DetectorNet;
  summary: DetectorSummary;
}

/** A detector training in progress: its run and the session that drives it (detectorWork). */
interface ActiveTraining {
  run: DetectorRun;
  session: TrainingSession;
}

const DEFAULTS = { size: 256, epochs: 60, sigmaMm: 3, batchSize: 1, lr: 1e-3, seed: 1 };

/** The language-neutral parts of a generated detector name (the demo phantom by its cases and seed). */
function autoNameOf(
  datasetName: string,
  datasetId: string,
  size: number,
  host: Pick<DetectorHost, 'demoSource'>,
): NonNullable<DetectorRecord['autoName']> {
  const demo = datasetId === 'demo' ? host.demoSource() : null;
  return { datasetName, size, ...(demo ? { demo: { cases: demo.cases, seed: demo.seed } } : {}) };
}

export function refKey(ref: DetectorRef): string {
  return ref.kind === 'shipped' ? 'shipped' : `stored:${ref.detectorId}`;
}

/** A stored detector's card. */
export function summaryOfRecord(rec: DetectorRecord): DetectorSummary {
  const ck = rec.checkpoints.best ?? rec.checkpoints.last;
  const meta = ck?.meta;
  const best = rec.checkpoints.best;
  const opts = rec.options as Partial<TrainDetectorOptions>;
  const arch = meta?.arch ?? (rec.options as { config?: DetectorTrainConfig }).config?.arch;
  return {
    ref: { kind: 'stored', detectorId: rec.id },
    name: rec.name,
    symbols: [...rec.symbols],
    size: meta?.arch.size ?? opts.size ?? DEFAULTS.size,
    sigmaMm: meta?.sigmaMm ?? opts.sigmaMm ?? DEFAULTS.sigmaMm,
    mmPerPx: meta?.mmPerPx ?? DEFAULT_MM_PER_PX,
    createdAt: rec.createdAt,
    trainedOn: { datasetId: rec.datasetId, datasetName: rec.datasetName, cases: rec.cases },
    ...(best && best.valMreMm !== null && best.valSdr
      ? { heldOut: { n: best.valN, mreMm: best.valMreMm, sdr: { ...best.valSdr } } }
      : {}),
    status: rec.status,
    epochs: rec.epochs,
    epochsDone: rec.epochsDone,
    ...(rec.autoName ? { autoName: { ...rec.autoName } } : {}),
    // the curves of a stopped or finished detector (shown again after a reload)
    history: (rec.history ?? []).map((p) => ({ ...p })),
    ...(arch ? { heatmapSide: arch.size / strideOf(arch) } : {}),
  };
}

function setMismatchError(
  detectorName: string,
  detectorSymbols: readonly string[],
  datasetName: string,
  datasetSymbols: readonly string[],
): TrainError | null {
  if (!landmarkSetMismatch(detectorSymbols, datasetSymbols)) return null;
  return new TrainError(
    trainMessage('engine.detector.setMismatch', {
      detector: detectorName,
      detectorCount: detectorSymbols.length,
      detectorSet: detectorSymbols.join(', '),
      dataset: datasetName,
      datasetCount: datasetSymbols.length,
      datasetSet: datasetSymbols.join(', '),
    }),
  );
}

/** Refuse a detector whose landmark set differs from a dataset's (the message names both sets). */
export function assertDetectorFits(
  d: LoadedDetector,
  datasetName: string,
  datasetSymbols: readonly string[],
): void {
  const e = setMismatchError(d.summary.name, d.meta.symbols, datasetName, datasetSymbols);
  if (e) throw e;
}

export class DetectorService {
  private active: ActiveTraining | null = null;
  private readonly cache = new Map<string, LoadedDetector>();

  constructor(private readonly host: DetectorHost) {}

  /** Id of the detector training now, or null. */
  activeId(): string | null {
    return this.active && !this.active.session.ended ? this.active.run.id : null;
  }

  /** Refuse a GAN run (or anything else needing the GPU for long) while a detector trains. */
  assertNotTraining(): void {
    const id = this.activeId();
    if (id)
      throw new TrainError(trainMessage('engine.detector.busy', { detector: this.active!.run.record.name }));
  }

  // ----- detectors ---------------------------------------------------------------------------

  private async shippedMeta(): Promise<{ meta: DetectorMeta; heldOut?: DetectorSummary['heldOut'] }> {
    let meta: DetectorMeta;
    try {
      const bytes = await this.host.readAsset(SHIPPED_DETECTOR_DIR + DETECTOR_META_FILE);
      meta = parseDetectorMeta(new TextDecoder().decode(bytes), SHIPPED_DETECTOR_DIR + DETECTOR_META_FILE);
    } catch (e) {
      throw new TrainError(
        trainMessage('engine.detector.shippedMissing', { error: e instanceof Error ? e.message : String(e) }),
      );
    }
    let heldOut: DetectorSummary['heldOut'];
    try {
      const m = JSON.parse(
        new TextDecoder().decode(await this.host.readAsset(SHIPPED_DETECTOR_DIR + 'metrics.json')),
      ) as { heldOut?: ErrorSummary | null; films?: { heldOut?: number } };
      if (m.heldOut && m.heldOut.mreMm !== null)
        heldOut = {
          n: m.heldOut.cases ?? m.films?.heldOut ?? 0,
          mreMm: m.heldOut.mreMm,
          sdr: sdrOf(m.heldOut),
        };
    } catch {
      // metrics.json is optional
    }
    return { meta, heldOut };
  }

  private shippedSummary(meta: DetectorMeta, heldOut?: DetectorSummary['heldOut']): DetectorSummary {
    return {
      ref: { kind: 'shipped' },
      name: 'ISBI 2015 (shipped)',
      symbols: [...meta.symbols],
      size: meta.arch.size,
      sigmaMm: meta.sigmaMm,
      mmPerPx: meta.mmPerPx,
      createdAt: 0,
      ...(heldOut ? { heldOut } : {}),
      status: 'finished',
    };
  }

  async listDetectors(): Promise<DetectorSummary[]> {
    const out: DetectorSummary[] = [];
    try {
      const s = await this.shippedMeta();
      out.push(this.shippedSummary(s.meta, s.heldOut));
    } catch {
      // no shipped detector in this build: list the stored ones
    }
    for (const r of await listStoredDetectors(this.host.storage().checkpoints)) {
      const sum = summaryOfRecord(r);
      // a record still 'training' that no session here trains was interrupted (a reload): resumable
      if (sum.status === 'training' && this.activeId() !== r.id) sum.status = 'stopped';
      out.push(sum);
    }
    return out;
  }

  /** Load (and cache) a detector: shipped, or a stored one's best checkpoint (else its last). */
  async load(ref: DetectorRef): Promise<LoadedDetector> {
    const kv = this.host.storage().checkpoints;
    if (ref.kind === 'shipped') {
      const hit = this.cache.get('shipped');
      if (hit) return hit;
      const { meta, heldOut } = await this.shippedMeta();
      let weights: Uint8Array;
      try {
        weights = await this.host.readAsset(SHIPPED_DETECTOR_DIR + DETECTOR_WEIGHTS_FILE);
      } catch (e) {
        throw new TrainError(
          trainMessage('engine.detector.shippedMissing', {
            error: e instanceof Error ? e.message : String(e),
          }),
        );
      }
      const net = decodeDetector(meta, weights, SHIPPED_DETECTOR_DIR + DETECTOR_WEIGHTS_FILE);
      return this.remember({ key: 'shipped', meta, net, summary: this.shippedSummary(meta, heldOut) });
    }
    const rec = await getDetector(kv, ref.detectorId);
    if (!rec) throw new TrainError(trainMessage('engine.detector.notFound', { detector: ref.detectorId }));
    const name = rec.checkpoints.best ? 'best' : 'last';
    const ck = rec.checkpoints[name];
    if (!ck) throw new TrainError(trainMessage('engine.detector.noCheckpoint', { detector: rec.name }));
    const key = `stored:${rec.id}:${ck.versionId}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const loaded = await loadDetectorCheckpoint(kv, rec.id, name);
    if (!loaded) throw new TrainError(trainMessage('engine.detector.noCheckpoint', { detector: rec.name }));
    const net = decodeDetector(loaded.checkpoint.meta, loaded.weights, `detector ${rec.name} (${name})`);
    return this.remember({ key, meta: loaded.checkpoint.meta, net, summary: summaryOfRecord(rec) });
  }

  /**
   * A detector loaded earlier, as long as the cache still holds it (no store read); else loaded
   * again (the cache let it go, or a lost device took it).
   */
  async current(d: LoadedDetector): Promise<LoadedDetector> {
    return this.cache.get(d.key) === d ? d : this.load(d.summary.ref);
  }

  /**
   * Drops every loaded net: after a lost device their tensors are gone, so the next `load`
   * decodes the weights again on the new backend.
   */
  forgetLoaded(): void {
    for (const v of this.cache.values()) {
      try {
        v.net.dispose();
      } catch {
        // gone with the device
      }
    }
    this.cache.clear();
  }

  private remember(d: LoadedDetector): LoadedDetector {
    // keep at most two nets (the round's detector and one more)
    while (this.cache.size >= 2) {
      const [k, v] = this.cache.entries().next().value as [string, LoadedDetector];
      v.net.dispose();
      this.cache.delete(k);
    }
    this.cache.set(d.key, d);
    return d;
  }

  /** Landmarks of one image (its own pixel frame) by a loaded detector; call under the GPU lock. */
  async detectOne(d: LoadedDetector, img: RgbaImage): Promise<Point[]> {
    const s = makeSample('x', img, null, d.meta.arch.size, d.meta.mmPerPx);
    return (await predictSample(d.net, s, d.meta.sigmaMm)).byDecoder[d.meta.decoder];
  }

  async detect(params: DetectParams): Promise<DetectResult> {
    const d = await this.load(params.detector);
    return this.host.gpu(async () => {
      const points: Point[][] = [];
      for (const img of params.images) points.push(await this.detectOne(d, img));
      return { points, symbols: [...d.meta.symbols] };
    });
  }

  async deleteDetector(params: { detectorId: string }): Promise<void> {
    if (this.activeId() === params.detectorId) await this.stopDetector();
    for (const [k, v] of [...this.cache]) {
      if (k.startsWith(`stored:${params.detectorId}:`)) {
        v.net.dispose();
        this.cache.delete(k);
      }
    }
    await deleteStoredDetector(this.host.storage().checkpoints, params.detectorId);
  }

  // ----- training ----------------------------------------------------------------------------

  /** Samples of a dataset's real X-rays with landmarks: train split and val split (held out). */
  private async samples(
    datasetId: string,
    size: number,
  ): Promise<{
    datasetId: string;
    datasetName: string;
    symbols: string[];
    mmPerPx: number;
    train: DetectorSample[];
    val: DetectorSample[];
  }> {
    const storage = this.host.storage();
    let cases: SourceCase[] = [];
    let name: string;
    let id: string;
    let symbols: string[];
    let mmPerPx: number;
    if (datasetId === 'demo') {
      const demo = this.host.demoSource();
      if (!demo) throw new TrainError(trainMessage('engine.noDataset'));
      const r = await this.host.demo(demo.cases, demo.seed, size);
      cases = r.cases;
      name = demo.name;
      id = demo.id;
      const { ISBI_LANDMARKS } = await import('../../core/data/landmarkSet');
      symbols = ISBI_LANDMARKS.map((l) => l.id);
      mmPerPx = cases[0]?.pixelSpacingMm?.x ?? DEFAULT_MM_PER_PX;
    } else {
      const meta = await getDataset(storage.datasets, datasetId);
      if (!meta) throw new TrainError(trainMessage('engine.dataset.notFound', { dataset: datasetId }));
      name = meta.name;
      id = meta.id;
      if (!meta.landmarkSet || meta.landmarkSet.symbols.length === 0)
        throw new TrainError(trainMessage('engine.detector.needsLandmarks', { dataset: meta.name }));
      symbols = [...meta.landmarkSet.symbols];
      mmPerPx = meta.mmPerPx && meta.mmPerPx > 0 ? meta.mmPerPx : DEFAULT_MM_PER_PX;
      const { loadDatasetForTraining } = await import('../datasetSource');
      // the real X-rays letterboxed to the detector's size (black padding, as makeSample does)
      await loadDatasetForTraining(storage, meta.id, detectorPreprocess(size), {
        splits: ['train', 'val'],
        keepImages: false,
        onCase: (c) => {
          if (!c.landmarks) return;
          cases.push({
            id: c.id,
            split: c.split,
            xray: c.xray,
            landmarks: c.landmarks,
            pixelSpacingMm: c.pixelSpacingMm ?? null,
          });
        },
        onProgress: (p) => this.host.emit({ type: 'datasetProgress', done: p.done, total: p.total }),
      });
    }
    const train: DetectorSample[] = [];
    const val: DetectorSample[] = [];
    for (const c of cases) {
      if (!c.landmarks || c.landmarks.length !== symbols.length) continue;
      // images arrive square at `size`: the transform is the identity, mm per px is the case's
      const mm = c.pixelSpacingMm?.x ?? mmPerPx;
      const s = makeSample(c.id, c.xray, c.landmarks, size, mm);
      if (c.split === 'train') train.push(s);
      else if (c.split === 'val') val.push(s);
    }
    if (train.length === 0)
      throw new TrainError(trainMessage('engine.detector.needsLandmarks', { dataset: name }));
    return { datasetId: id, datasetName: name, symbols, mmPerPx, train, val };
  }

  private assertCanTrain(): void {
    const gan = this.host.ganRunId();
    if (gan) throw new TrainError(trainMessage('engine.detector.ganBusy', { run: gan }));
    if (this.activeId())
      throw new TrainError(trainMessage('engine.detector.busy', { detector: this.active!.run.record.name }));
  }

  async trainDetector(opts: TrainDetectorOptions): Promise<DetectorSummary> {
    this.assertCanTrain();
    const init = opts.init ? await this.load(opts.init) : null;
    const size = init ? init.meta.arch.size : (opts.size ?? DEFAULTS.size);
    const data = await this.samples(opts.datasetId, size);
    if (init) {
      const e = setMismatchError(init.summary.name, init.meta.symbols, data.datasetName, data.symbols);
      if (e) throw e;
    }
    this.assertCanTrain(); // loading took time: check again
    const arch: DetectorArch = init
      ? init.meta.arch
      : {
          size,
          channels: size >= 128 ? DEFAULT_CHANNELS : DEFAULT_CHANNELS.slice(0, 4),
          landmarks: data.symbols.length,
          head: 'softmax',
          outStride: 2,
        };
    const cfg: DetectorTrainConfig = {
      arch,
      symbols: data.symbols,
      sigmaMm: opts.sigmaMm ?? init?.meta.sigmaMm ?? DEFAULTS.sigmaMm,
      lr: opts.lr ?? DEFAULTS.lr,
      batchSize: opts.batchSize ?? DEFAULTS.batchSize,
      seed: opts.seed ?? DEFAULTS.seed,
      augment: DEFAULT_AUGMENT,
    };
    const now = this.host.now();
    const id = newDetectorId(now);
    const epochs = Math.max(1, Math.floor(opts.epochs ?? DEFAULTS.epochs));
    const record: DetectorRecord = {
      id,
      name: opts.name ?? `${data.datasetName} · ${size} px`,
      // no name given: its parts, rendered in the UI's language (the name above is the English fallback)
      ...(opts.name ? {} : { autoName: autoNameOf(data.datasetName, opts.datasetId, size, this.host) }),
      createdAt: now,
      updatedAt: now,
      status: 'training',
      symbols: data.symbols,
      datasetId: data.datasetId,
      datasetName: data.datasetName,
      cases: data.train.length,
      epochs,
      epochsDone: 0,
      options: { ...opts, datasetId: opts.datasetId, size, config: cfg },
      history: [],
      checkpoints: {},
    };
    await putDetectorRecord(this.host.storage().checkpoints, record);
    // the init net belongs to the cache: train a copy
    const net = init
      ? decodeDetector(
          init.meta,
          (await encodeDetector(init.net, init.meta, 'float32')).files[DETECTOR_WEIGHTS_FILE],
        )
      : undefined;
    const trainer = new DetectorTrainer(cfg, net);
    if (data.val.length === 0)
      this.host.warn(trainMessage('engine.detector.noVal', { dataset: data.datasetName }));
    this.begin({
      id,
      record,
      trainer,
      train: data.train,
      val: data.val,
      symbols: data.symbols,
      mmPerPx: data.mmPerPx,
      epochs,
      maxSteps: opts.maxStepsPerEpoch ?? null,
      state: {
        epoch: 0,
        step: 0,
        rng: trainer.rng.getState(),
        orderRng: [0, 0, 0, 0],
        bestMre: null,
        elapsedMs: 0,
      },
      history: [],
      orderRng: new Rng(cfg.seed ^ 0x0de7),
    });
    return summaryOfRecord(record);
  }

  async resumeDetector(params: { detectorId: string }): Promise<DetectorSummary> {
    this.assertCanTrain();
    const kv = this.host.storage().checkpoints;
    const rec = await getDetector(kv, params.detectorId);
    if (!rec) throw new TrainError(trainMessage('engine.detector.notFound', { detector: params.detectorId }));
    const last = await loadDetectorCheckpoint(kv, rec.id, 'last');
    if (!last) throw new TrainError(trainMessage('engine.detector.noCheckpoint', { detector: rec.name }));
    const opts = rec.options as Partial<TrainDetectorOptions> & {
      config: DetectorTrainConfig;
      trainState?: DetectorTrainState;
    };
    const cfg = opts.config;
    const data = await this.samples(opts.datasetId === 'demo' ? 'demo' : rec.datasetId, cfg.arch.size);
    const e = setMismatchError(rec.name, last.checkpoint.meta.symbols, data.datasetName, data.symbols);
    if (e) throw e;
    this.assertCanTrain();
    const net = decodeDetector(last.checkpoint.meta, last.weights, `detector ${rec.name} (last)`);
    const trainer = new DetectorTrainer(cfg, net);
    const st = opts.trainState;
    const orderRng = new Rng(cfg.seed ^ 0x0de7);
    if (st) {
      trainer.step = st.step;
      trainer.rng.setState(st.rng);
      orderRng.setState(st.orderRng);
    }
    const record = await patchDetector(
      kv,
      rec.id,
      () => ({ status: 'training', error: undefined }),
      this.host.now(),
    );
    this.begin({
      id: rec.id,
      record,
      trainer,
      train: data.train,
      val: data.val,
      symbols: data.symbols,
      mmPerPx: data.mmPerPx,
      epochs: rec.epochs,
      maxSteps: opts.maxStepsPerEpoch ?? null,
      state: st ?? {
        epoch: rec.epochsDone,
        step: 0,
        rng: trainer.rng.getState(),
        orderRng: orderRng.getState(),
        bestMre: rec.checkpoints.best?.valMreMm ?? null,
        elapsedMs: 0,
      },
      history: [...rec.history],
      orderRng,
    });
    return summaryOfRecord(record);
  }

  async stopDetector(): Promise<DetectorSummary | null> {
    const a = this.active;
    if (!a || a.session.ended) return null;
    await a.session.stop();
    const rec = await getDetector(this.host.storage().checkpoints, a.run.id);
    return rec ? summaryOfRecord(rec) : null;
  }

  /** Train `run` on a training session (the engine's one loop) over its detectorWork. */
  private begin(run: DetectorRun): void {
    const session = new TrainingSession(this.host, run.state.elapsedMs);
    const active: ActiveTraining = { run, session };
    this.active = active;
    session.start(detectorWork(run, session, this.host, summaryOfRecord));
    const ended = (): void => {
      if (!session.ended) {
        session.end();
        run.trainer.dispose();
      }
      if (this.active === active) this.active = null;
    };
    void session.whenLoopEnds().then(ended, ended);
  }

  /** Free the cached nets (and stop a training). */
  async dispose(): Promise<void> {
    await this.stopDetector();
    for (const v of this.cache.values()) v.net.dispose();
    this.cache.clear();
  }

  /** For tests: tensors held by cached detectors. */
  get cachedCount(): number {
    return this.cache.size;
  }
}
