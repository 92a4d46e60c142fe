/**
 * State of the landmark detector (issue 13) on the page: the detectors the engine knows (the
 * shipped one and those stored in IndexedDB), the training form of the Landmarks section's
 * detector panel, the live curves of a detector being trained (heatmap loss per epoch, val MRE in
 * mm, SDR@2mm in %), Stop and Resume. Everything heavy runs in the engine (`trainDetector`,
 * `detect`, …); the page only keeps lists and a few hundred numbers.
 *
 * The Train view (traceability detector of a run) and Evaluate (detector of an evaluation) read
 * `choicesFor(symbols)` from here: the shipped detector and the stored finished ones whose
 * landmark set matches the dataset's.
 *
 * Debug hook (read-only, for e2e tests): `window.__studio.detector`.
 */
import type {
  DatasetInfo,
  DetectorEpochPoint,
  DetectorRef,
  DetectorSummary,
  Engine,
  EngineEvent,
  TrainDetectorOptions,
} from '../../engine/protocol';
import { toTrainMessage, type TrainMessage } from '../../engine/trainMessages';
import type { RunRecord } from '../../store/runs';
import { i18n } from '../i18n.svelte';
import type { Lang } from '../../engine/messages';
import { SeriesSet } from '../train/chartData';
import { formatTime } from '../train/format';

/**
 * The Train section's state as the detector needs it: trainState.svelte.ts attaches itself when it
 * loads (`attachTrain`), so this module does not import it back (no import cycle).
 */
export interface DetectorTrainSide {
  readonly engine: Engine | null;
  readonly runs: readonly RunRecord[];
  readonly dataset: DatasetInfo | null;
  readonly activeRunId: string | null;
  loadDemo(): Promise<void>;
}

let attachedTrain: DetectorTrainSide | null = null;

export function attachTrain(side: DetectorTrainSide): void {
  attachedTrain = side;
}

function trainSide(): DetectorTrainSide {
  if (!attachedTrain)
    throw new Error('detectorState: the Train state (ui/train/trainState.svelte.ts) is not loaded');
  return attachedTrain;
}

export type DetectorPresetId = 'quick' | 'standard' | 'full';

/** Form presets; `quick` is a smoke test of the whole path (a few steps per epoch). */
export const DETECTOR_PRESETS: Record<
  DetectorPresetId,
  { size: number; epochs: number; sigmaMm: number; maxStepsPerEpoch?: number }
> = {
  quick: { size: 64, epochs: 2, sigmaMm: 3, maxStepsPerEpoch: 8 },
  standard: { size: 256, epochs: 30, sigmaMm: 3 },
  full: { size: 512, epochs: 80, sigmaMm: 3 },
};

/** Input sizes the detector network accepts here (multiples of 16). */
export const DETECTOR_SIZES = [64, 128, 256, 512] as const;

/**
 * Curves of the detector being shown: the mean training heatmap loss per epoch (cross-entropy,
 * nats per landmark map) with the uniform heatmap's ln(cells) as its scale; val MRE (mm) and
 * SDR@2mm (%).
 */
export const DETECTOR_SERIES = ['loss', 'valMreMm', 'valSdr2Pct', 'lossUniform'] as const;

/** The loss of a uniform heatmap over side × side cells (nats): where an untrained detector starts. */
export function uniformLoss(side: number | null | undefined): number | null {
  return side && side > 0 ? Math.log(side * side) : null;
}

type Translate = (
  key: 'det.autoName' | 'det.train.demo' | 'det.trainView.shipped',
  params?: Record<string, string | number>,
) => string;

/** The demo phantom's name as the engine generates it (English), for records without name parts. */
const DEMO_DATASET_RE = /^Demo phantom(?: dataset)? \((\d+) cases, seed (\d+)\)$/;
/** The engine's English fallback name `<dataset> · <size> px` of records stored before the parts. */
const LEGACY_AUTO_RE = /^(.*) · (\d+) px$/;

/** The name of a dataset a detector was trained on, in the UI's language (the demo phantom by its parts). */
export function datasetLabel(
  name: string,
  demo: { cases: number; seed: number } | undefined,
  t: Translate,
): string {
  if (demo) return t('det.train.demo', { cases: demo.cases, seed: demo.seed });
  const m = DEMO_DATASET_RE.exec(name);
  return m ? t('det.train.demo', { cases: Number(m[1]), seed: Number(m[2]) }) : name;
}

/**
 * A detector's name in the UI's language: the shipped one; a generated name from its stored parts
 * (dataset, input size, date); an older record's generated English name re-rendered when it has
 * the engine's `<dataset> · <size> px` form; otherwise the name the user gave.
 */
export function detectorName(d: DetectorSummary, t: Translate, lang: Lang): string {
  if (d.ref.kind === 'shipped') return t('det.trainView.shipped');
  const date = d.createdAt > 0 ? formatTime(d.createdAt, lang) : '';
  const render = (dataset: string, size: number): string =>
    t('det.autoName', { dataset, size, date }).replace(/ · $/, '');
  if (d.autoName) return render(datasetLabel(d.autoName.datasetName, d.autoName.demo, t), d.autoName.size);
  const m = LEGACY_AUTO_RE.exec(d.name);
  if (m && Number(m[2]) === d.size) return render(datasetLabel(m[1], undefined, t), d.size);
  return d.name;
}

/** The same summary with its name (and trained-on dataset) in the UI's language. */
export function localized(d: DetectorSummary, t: Translate, lang: Lang): DetectorSummary {
  return {
    ...d,
    name: detectorName(d, t, lang),
    ...(d.trainedOn
      ? {
          trainedOn: {
            ...d.trainedOn,
            datasetName: datasetLabel(d.trainedOn.datasetName, d.autoName?.demo, t),
          },
        }
      : {}),
  };
}

/** The page's translator (reactive: a $derived that calls it follows the language). */
const pageT: Translate = (key, params) => i18n.t(key, params);

export function refKey(ref: DetectorRef | null | undefined): string {
  if (!ref) return 'none';
  return ref.kind === 'shipped' ? 'shipped' : `stored:${ref.detectorId}`;
}

export function parseRefKey(key: string): DetectorRef | null {
  if (key === 'shipped') return { kind: 'shipped' };
  const m = /^stored:(.+)$/.exec(key);
  return m ? { kind: 'stored', detectorId: m[1] } : null;
}

export function sameSet(
  a: readonly string[] | null | undefined,
  b: readonly string[] | null | undefined,
): boolean {
  return !!a && !!b && a.length === b.length && a.every((s, i) => s === b[i]);
}

/**
 * The detectors a dataset with these landmark symbols can use: the shipped one and the stored
 * ones that finished (or stopped with a checkpoint) whose set matches, the shipped one first.
 */
export function usableDetectors(
  list: readonly DetectorSummary[],
  symbols: readonly string[] | null | undefined,
): DetectorSummary[] {
  if (!symbols || symbols.length === 0) return [];
  return list
    .filter((d) => sameSet(d.symbols, symbols))
    .filter((d) => d.ref.kind === 'shipped' || d.status === 'finished' || d.status === 'stopped')
    .sort((a, b) => (a.ref.kind === 'shipped' ? -1 : 0) - (b.ref.kind === 'shipped' ? -1 : 0));
}

/**
 * The default detector of a run / evaluation: none — traceability is opt-in for now. In headless
 * Chromium on SwiftShader, running the detector inside a GAN run's validation (or after a detector
 * trained in the worker) loses the WebGPU device ("createBuffer failed … mappedAtCreation",
 * "external Instance reference no longer exists") and the run's checkpoints fail; until that is
 * understood, a run never gets a detector the user did not choose. `usableDetectors` still offers
 * the shipped one first.
 */
export function defaultDetector(
  list: readonly DetectorSummary[],
  symbols: readonly string[] | null | undefined,
): DetectorRef | null {
  void list;
  void symbols;
  return null;
}

/** A stored detector that can be resumed: stopped (or left 'training' by a reload) before its last epoch. */
export function resumable(d: DetectorSummary, activeId: string | null): boolean {
  if (d.ref.kind !== 'stored' || d.ref.detectorId === activeId) return false;
  if (d.status !== 'stopped' && d.status !== 'training' && d.status !== 'failed') return false;
  return (d.epochsDone ?? 0) < (d.epochs ?? 0);
}

export function detectorIdOf(d: DetectorSummary): string | null {
  return d.ref.kind === 'stored' ? d.ref.detectorId : null;
}

/**
 * localStorage: the traceability detector a run was started with, as runs started before the run
 * record kept it (RunRecord.traceability) were remembered; read only for those.
 */
export const RUN_DETECTOR_PREFIX = 'ceph-gan-studio.traceability.';

export function rememberRunDetector(runId: string, ref: DetectorRef | null): void {
  try {
    globalThis.localStorage?.setItem(RUN_DETECTOR_PREFIX + runId, refKey(ref));
  } catch {
    // not remembered: evaluations of this run default to no detector
  }
}

/**
 * The detector key a run was started with ('none' when unknown): the one stored with the run's
 * record (engine, since issue 13's follow-up), else what this browser remembered for an older run.
 */
export function runDetectorKey(runId: string | null, runs: readonly RunRecord[] = trainSide().runs): string {
  if (!runId) return 'none';
  const run = runs.find((r) => r.id === runId);
  if (run?.traceability) return refKey(run.traceability.ref);
  try {
    return globalThis.localStorage?.getItem(RUN_DETECTOR_PREFIX + runId) ?? 'none';
  } catch {
    return 'none';
  }
}

export interface DetectorProgress {
  detectorId: string;
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  etaSec: number | null;
}

export class DetectorState {
  list = $state.raw<DetectorSummary[]>([]);
  loaded = $state(false);
  loading = $state(false);
  error = $state.raw<TrainMessage | null>(null);
  busy = $state<string | null>(null);

  /** The detector training now (id), its progress, and the one whose curves are shown. */
  activeId = $state<string | null>(null);
  progress = $state.raw<DetectorProgress | null>(null);
  shownId = $state<string | null>(null);
  lastDone = $state.raw<DetectorSummary | null>(null);

  // ----- form -----
  /** 'demo' (the demo phantom, loaded into the engine first) or a stored dataset id. */
  datasetId = $state('demo');
  name = $state('');
  preset = $state<DetectorPresetId>('quick');
  size = $state(DETECTOR_PRESETS.quick.size);
  epochs = $state(DETECTOR_PRESETS.quick.epochs);
  sigmaMm = $state(DETECTOR_PRESETS.quick.sigmaMm);
  maxStepsPerEpoch = $state<number | undefined>(DETECTOR_PRESETS.quick.maxStepsPerEpoch);
  /** Fine-tune from the shipped detector (its input size and network are kept); off for the quick check. */
  fromShipped = $state(false);

  readonly curve = new SeriesSet(DETECTOR_SERIES, { smoothed: [] });
  chartVersion = $state(0);
  private points: DetectorEpochPoint[] = [];
  private subscribed = false;

  shipped: DetectorSummary | null = $derived(this.list.find((d) => d.ref.kind === 'shipped') ?? null);
  stored: DetectorSummary[] = $derived(this.list.filter((d) => d.ref.kind === 'stored'));

  constructor() {
    this.installDebugHook();
  }

  /** The detectors a dataset with these symbols can use (see usableDetectors), named in the UI's language. */
  choicesFor(symbols: readonly string[] | null | undefined): DetectorSummary[] {
    const lang = i18n.lang;
    return usableDetectors(this.list, symbols).map((d) => localized(d, pageT, lang));
  }

  /** A detector's name in the UI's language (see detectorName). */
  nameOf(d: DetectorSummary): string {
    return detectorName(d, pageT, i18n.lang);
  }

  /** The stored detectors named in the UI's language (the panel's list). */
  storedNamed: DetectorSummary[] = $derived.by(() => {
    const lang = i18n.lang;
    return this.stored.map((d) => localized(d, pageT, lang));
  });

  /** The detector whose curves are shown (its summary as listed), or null. */
  shown: DetectorSummary | null = $derived(
    this.list.find((d) => d.ref.kind === 'stored' && d.ref.detectorId === this.shownId) ?? null,
  );

  defaultFor(symbols: readonly string[] | null | undefined): DetectorRef | null {
    return defaultDetector(this.list, symbols);
  }

  choosePreset(id: DetectorPresetId): void {
    const p = DETECTOR_PRESETS[id];
    this.preset = id;
    this.size = p.size;
    this.epochs = p.epochs;
    this.sigmaMm = p.sigmaMm;
    this.maxStepsPerEpoch = p.maxStepsPerEpoch;
    // a quick check trains a small network from scratch; fine-tuning keeps the shipped detector's size
    this.fromShipped = id !== 'quick';
  }

  /** Subscribe to the engine's detector events (once the Train state has started it). */
  attach(): void {
    const engine = trainSide().engine;
    if (!engine || this.subscribed) return;
    this.subscribed = true;
    engine.onEvent((e) => this.onEvent(e));
  }

  private onEvent(e: EngineEvent): void {
    if ((e.type === 'error' || e.type === 'warning') && e.message.code.startsWith('engine.detector.')) {
      // a detector training that failed or warned (its reason, named by the engine)
      this.error = e.message;
    } else if (e.type === 'detectorProgress') {
      this.activeId = e.detectorId;
      this.progress = {
        detectorId: e.detectorId,
        epoch: e.epoch,
        epochs: e.epochs,
        step: e.step,
        stepsPerEpoch: e.stepsPerEpoch,
        etaSec: e.etaSec,
      };
      if (this.shownId !== e.detectorId) this.showCurves(e.detectorId);
    } else if (e.type === 'detectorEpoch') {
      if (this.shownId !== e.detectorId) this.showCurves(e.detectorId);
      this.addPoint(e.point);
    } else if (e.type === 'detectorDone') {
      const id = detectorIdOf(e.summary);
      if (id && id === this.activeId) {
        this.activeId = null;
        this.progress = null;
      }
      this.lastDone = e.summary;
      this.replace(e.summary);
      void this.refresh();
    }
  }

  /** Show a detector's curves: its stored per-epoch history (a stopped or finished one, after a reload too). */
  showCurves(detectorId: string): void {
    this.shownId = detectorId;
    this.points = [];
    this.curve.clear();
    const d = this.list.find((x) => detectorIdOf(x) === detectorId);
    for (const p of d?.history ?? []) this.addPoint(p, false);
    this.chartVersion++;
  }

  private addPoint(p: DetectorEpochPoint, bump = true): void {
    const side = this.list.find((x) => detectorIdOf(x) === this.shownId)?.heatmapSide;
    this.points.push(p);
    this.curve.append([
      {
        step: p.epoch,
        values: {
          loss: p.loss,
          valMreMm: p.valMreMm,
          valSdr2Pct: p.valSdr2 === null ? null : p.valSdr2 * 100,
          lossUniform: uniformLoss(side),
        },
      },
    ]);
    if (bump) this.chartVersion++;
  }

  /** The newest epoch's mean heatmap loss of the shown detector (nats), or null. */
  get lastLoss(): number | null {
    void this.chartVersion;
    return this.points.at(-1)?.loss ?? null;
  }

  /** Epoch points received for the shown detector (what the e2e test counts). */
  get epochPoints(): number {
    void this.chartVersion;
    return this.points.length;
  }

  private replace(s: DetectorSummary): void {
    const k = refKey(s.ref);
    const i = this.list.findIndex((d) => refKey(d.ref) === k);
    this.list = i < 0 ? [...this.list, s] : this.list.map((d, j) => (j === i ? s : d));
  }

  async refresh(): Promise<void> {
    const engine = trainSide().engine;
    if (!engine) return;
    this.attach();
    this.loading = true;
    try {
      this.list = await engine.listDetectors();
      this.error = null;
      const training = this.list.find((d) => d.status === 'training' && d.ref.kind === 'stored');
      // after a reload nothing trains: a 'training' record without progress events is resumable
      if (!training && this.activeId && !this.progress) this.activeId = null;
      // nothing training: show the stored curves (the one shown, else the newest detector with any)
      if (!this.activeId) {
        const keep = this.shownId && this.list.some((d) => detectorIdOf(d) === this.shownId);
        const newest = this.list.find((d) => d.ref.kind === 'stored' && (d.history?.length ?? 0) > 0);
        const id = keep ? this.shownId : newest ? detectorIdOf(newest) : null;
        if (id) this.showCurves(id);
      }
    } catch (e) {
      this.error = toTrainMessage(e);
    } finally {
      this.loading = false;
      this.loaded = true;
    }
  }

  private async act<T>(what: string, fn: () => Promise<T>): Promise<T | null> {
    const engine = trainSide().engine;
    if (!engine) return null;
    this.busy = what;
    this.error = null;
    try {
      return await fn();
    } catch (e) {
      this.error = toTrainMessage(e);
      return null;
    } finally {
      this.busy = null;
    }
  }

  /**
   * Start training with the form's options ('demo' loads the demo phantom into the engine first);
   * without a typed name the engine stores the name's parts (rendered in the UI's language).
   */
  async start(fineTune = this.fromShipped): Promise<DetectorSummary | null> {
    return this.act('train', async () => {
      const engine = trainSide().engine!;
      if (this.datasetId === 'demo' && trainSide().dataset?.source.kind !== 'demo') {
        if (trainSide().activeRunId)
          throw new Error('a GAN run is training on another dataset: stop it first');
        await trainSide().loadDemo();
      }
      // no name typed: the engine stores the name's parts, rendered in the UI's language
      const typed = this.name.trim();
      const opts: TrainDetectorOptions = {
        datasetId: this.datasetId,
        ...(typed ? { name: typed } : {}),
        size: this.size,
        epochs: this.epochs,
        sigmaMm: this.sigmaMm,
        ...(this.maxStepsPerEpoch ? { maxStepsPerEpoch: this.maxStepsPerEpoch } : {}),
        ...(fineTune && this.shipped ? { init: { kind: 'shipped' } as const } : {}),
      };
      const s = await engine.trainDetector(opts);
      const id = detectorIdOf(s);
      if (id) {
        this.activeId = id;
        this.showCurves(id);
      }
      this.lastDone = null;
      this.replace(s);
      this.name = '';
      return s;
    });
  }

  async stop(): Promise<void> {
    await this.act('stop', async () => {
      const s = await trainSide().engine!.stopDetector();
      if (s) this.replace(s);
      this.activeId = null;
      this.progress = null;
      await this.refresh();
    });
  }

  async resume(detectorId: string): Promise<void> {
    await this.act('resume', async () => {
      const s = await trainSide().engine!.resumeDetector({ detectorId });
      this.activeId = detectorId;
      this.lastDone = null;
      // the stored epochs first: the resumed ones continue the same curves
      this.showCurves(detectorId);
      this.replace(s);
    });
  }

  async remove(detectorId: string): Promise<void> {
    await this.act('delete', async () => {
      await trainSide().engine!.deleteDetector({ detectorId });
      this.list = this.list.filter((d) => detectorIdOf(d) !== detectorId);
    });
  }

  private installDebugHook(): void {
    if (typeof window === 'undefined') return;
    const w = window as unknown as { __studio?: Record<string, unknown> };
    const root = (w.__studio ??= {});
    if (Object.getOwnPropertyDescriptor(root, 'detector')) return;
    Object.defineProperty(root, 'detector', {
      enumerable: true,
      get: () =>
        Object.freeze({
          loaded: this.loaded,
          detectors: this.list.map((d) => ({
            key: refKey(d.ref),
            // as the page shows it (in the UI's language); storedName: the record's English fallback
            name: this.nameOf(d),
            storedName: d.name,
            shownName: this.nameOf(d),
            historyPoints: d.history?.length ?? 0,
            status: d.status ?? null,
            epochsDone: d.epochsDone ?? null,
            heldOutMre: d.heldOut?.mreMm ?? null,
          })),
          activeId: this.activeId,
          progress: this.progress,
          epochPoints: this.points.length,
          shownId: this.shownId,
          lastLoss: this.points.at(-1)?.loss ?? null,
          busy: this.busy,
          error: this.error?.text ?? null,
        }),
    });
  }
}

export const detector = new DetectorState();
/** Number formats of the detector views: mm with 2 decimals, fractions as % with 1 decimal. */
export function fmtMm(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(2);
}

export function fmtPct(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(1)} %`;
}

/** A measurement value with its unit (° / mm / ratio). */
export function fmtUnit(v: number | null | undefined, unit: 'deg' | 'mm' | 'ratio'): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (unit === 'deg') return `${v.toFixed(1)}°`;
  if (unit === 'mm') return `${v.toFixed(2)} mm`;
  return v.toFixed(3);
}
