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
  DetectorEpochPoint,
  DetectorRef,
  DetectorSummary,
  EngineEvent,
  TrainDetectorOptions,
} from '../../engine/protocol';
import { toTrainMessage, type TrainMessage } from '../../engine/trainMessages';
import { SeriesSet } from '../train/chartData';
import { train } from '../train/trainState.svelte';

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

/** Curves of the detector being shown: loss per epoch; val MRE (mm) and SDR@2mm (%). */
export const DETECTOR_SERIES = ['loss', 'valMreMm', 'valSdr2Pct'] as const;

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

/** localStorage: the traceability detector a run was started with (the engine's run record does not keep it). */
export const RUN_DETECTOR_PREFIX = 'ceph-gan-studio.traceability.';

export function rememberRunDetector(runId: string, ref: DetectorRef | null): void {
  try {
    globalThis.localStorage?.setItem(RUN_DETECTOR_PREFIX + runId, refKey(ref));
  } catch {
    // not remembered: evaluations of this run default to no detector
  }
}

/** The detector key a run was started with ('none' when unknown). */
export function runDetectorKey(runId: string | null): string {
  if (!runId) return 'none';
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

  /** The detectors a dataset with these symbols can use (see usableDetectors). */
  choicesFor(symbols: readonly string[] | null | undefined): DetectorSummary[] {
    return usableDetectors(this.list, symbols);
  }

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
    const engine = train.engine;
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

  private showCurves(detectorId: string): void {
    this.shownId = detectorId;
    this.points = [];
    this.curve.clear();
    this.chartVersion++;
  }

  private addPoint(p: DetectorEpochPoint): void {
    this.points.push(p);
    this.curve.append([
      {
        step: p.epoch,
        values: {
          loss: p.loss,
          valMreMm: p.valMreMm,
          valSdr2Pct: p.valSdr2 === null ? null : p.valSdr2 * 100,
        },
      },
    ]);
    this.chartVersion++;
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
    const engine = train.engine;
    if (!engine) return;
    this.attach();
    this.loading = true;
    try {
      this.list = await engine.listDetectors();
      this.error = null;
      const training = this.list.find((d) => d.status === 'training' && d.ref.kind === 'stored');
      // after a reload nothing trains: a 'training' record without progress events is resumable
      if (!training && this.activeId && !this.progress) this.activeId = null;
    } catch (e) {
      this.error = toTrainMessage(e);
    } finally {
      this.loading = false;
      this.loaded = true;
    }
  }

  private async act<T>(what: string, fn: () => Promise<T>): Promise<T | null> {
    const engine = train.engine;
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

  /** Start training with the form's options ('demo' loads the demo phantom into the engine first). */
  async start(defaultName: string, fineTune = this.fromShipped): Promise<DetectorSummary | null> {
    return this.act('train', async () => {
      const engine = train.engine!;
      if (this.datasetId === 'demo' && train.dataset?.source.kind !== 'demo') {
        if (train.activeRunId) throw new Error('a GAN run is training on another dataset: stop it first');
        await train.loadDemo();
      }
      const opts: TrainDetectorOptions = {
        datasetId: this.datasetId,
        name: this.name.trim() || defaultName,
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
      const s = await train.engine!.stopDetector();
      if (s) this.replace(s);
      this.activeId = null;
      this.progress = null;
      await this.refresh();
    });
  }

  async resume(detectorId: string): Promise<void> {
    await this.act('resume', async () => {
      const s = await train.engine!.resumeDetector({ detectorId });
      this.activeId = detectorId;
      this.lastDone = null;
      this.showCurves(detectorId);
      this.replace(s);
    });
  }

  async remove(detectorId: string): Promise<void> {
    await this.act('delete', async () => {
      await train.engine!.deleteDetector({ detectorId });
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
            name: d.name,
            status: d.status ?? null,
            epochsDone: d.epochsDone ?? null,
            heldOutMre: d.heldOut?.mreMm ?? null,
          })),
          activeId: this.activeId,
          progress: this.progress,
          epochPoints: this.points.length,
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
