/**
 * State of the Train section: the engine (worker or page), the dataset, the run configuration,
 * the active run's progress, curves, preview, checkpoints and the run history. One instance per
 * page (`train`), so switching sections keeps a run and its curves.
 *
 * The UI talks to the engine only through the `Engine` interface; it reads run lists, histories
 * and checkpoint lists from the store directly (plain IndexedDB, no TF.js on the page).
 *
 * Big data stays out of deep reactivity: curves live in SeriesSet objects and the charts redraw
 * when `chartVersion` changes (at most 4 times per second); lists are `$state.raw` and replaced
 * wholesale.
 *
 * Debug hook (read-only, for e2e tests and the console): `window.__studio.train` returns counts —
 * `{ phase, activity, runId, step, seriesCounts, gradNormCounts, valPoints, checkpoints, home, previewStep }`.
 */
import { LOSS_NAMES, PRESETS, storedConfig, withDefaults, type RunConfig } from '../../core/config';
import type { BackendChoice } from '../../engine/backend';
import type { EngineChoice } from '../../engine/client';
import { checkRunConfig, type ConfigIssue } from '../../engine/configCheck';
import type { ConfigEstimate } from '../../engine/memoryEstimate';
import type {
  BestMetric,
  DatasetInfo,
  DatasetSource,
  DetectorRef,
  Engine,
  EngineEvent,
  EngineHome,
  EngineInfo,
  EngineStatus,
  FaultInjection,
  NetworkInput,
  PreviewCase,
  TrainProgress,
} from '../../engine/protocol';
import { trainMessage, toTrainMessage, TrainError, type TrainMessage } from '../../engine/trainMessages';
import { completedEpochs, proposedContinueConfig } from '../../core/train/continue';
import type { RgbaImage } from '../../core/image';
import type { CheckpointRecord, DatasetSummary, MetricPoint, RunRecord, StudioStorage } from '../../store';
import { downloadBytes } from '../download';
import {
  attachTrain,
  detector,
  parseRefKey,
  refKey,
  rememberRunDetector,
} from '../landmarks/detectorState.svelte';
import { GRAD_NORM_SERIES, SeriesSet } from './chartData';
import { library } from '../library.svelte';

export type PresetId = (typeof PRESETS)[number]['id'];
export const PRESET_IDS: readonly PresetId[] = PRESETS.map((p) => p.id);

/** Loss series in the server's names and the studio's extra terms, in display order. */
export const LOSS_SERIES = LOSS_NAMES;
/** Validation curves; `lm_sharp`: landmark-region sharpness, pred ÷ X-ray (core/eval/landmarkSharpnessSummary.ts). */
export const VAL_SERIES = [
  'mean_l1',
  'mean_psnr',
  'mean_ssim',
  'lm_sharp',
  // issue 13: a landmark detector on the predictions (trace_mre) and on the real X-rays (the floor), mm
  'trace_mre',
  'trace_floor_mre',
] as const;

export function presetConfig(id: PresetId): RunConfig {
  const p = PRESETS.find((x) => x.id === id);
  return withDefaults(p ? p.config : {});
}

/** A stored checkpoint the next Start continues from, in a new run (core/train/continue.ts). */
export interface ContinueChoice {
  runId: string;
  runName: string;
  /** Pointer name (`last`, `best`, …) and its display label. */
  checkpoint: string;
  label: string;
  /** The checkpoint's own config (its network structure is kept). */
  config: RunConfig;
  completedEpochs: number;
  step: number;
  /** Dataset the checkpoint's run trained on ('' unknown, e.g. imported). */
  datasetId: string;
}

export interface UiMessage {
  id: number;
  kind: 'warning' | 'error';
  message: TrainMessage;
}

const INTERRUPTED_REASON = trainMessage('engine.run.interrupted').text;

/** Engine messages sent right after the active run was rolled back to a checkpoint. */
const ROLLBACK_CODES: ReadonlySet<string> = new Set([
  'engine.fault.nonFinite',
  'engine.fault.ganDiverged',
  'engine.fault.deviceRecovered',
  'engine.fault.deviceFallback',
]);

function errorMessage(e: unknown): TrainMessage {
  return toTrainMessage(e);
}

export class TrainState {
  // ----- engine -----
  engine = $state.raw<Engine | null>(null);
  home = $state<EngineHome | null>(null);
  homeReason = $state.raw<TrainMessage | null>(null);
  info = $state.raw<EngineInfo | null>(null);
  engineError = $state.raw<TrainMessage | null>(null);
  status = $state.raw<EngineStatus | null>(null);
  private starting: Promise<void> | null = null;
  private storage: StudioStorage | null = null;

  // ----- dataset -----
  dataset = $state.raw<DatasetInfo | null>(null);
  datasetProgress = $state.raw<{ done: number; total: number } | null>(null);
  demoCases = $state(100);
  demoSeed = $state(1);
  /** The stored datasets (the page's library). */
  get storedDatasets(): DatasetSummary[] {
    return library.datasets;
  }
  /** The stored dataset picked in the list ('' = none: nothing is preselected). */
  storedChoice = $state('');
  loadingDataset = $state(false);
  /**
   * The user chose the loaded dataset (a Load button, or Data's "Train on this dataset"). False
   * for the demo loaded by itself on a first visit: once imported data exists, Start waits for a
   * choice instead of training on whatever happens to be loaded.
   */
  datasetChosen = $state(false);
  /** A dataset asked for before the engine was ready ('demo' or a stored id). */
  private pendingChoice: string | null = null;
  /** More than the demo exists and the user has not chosen: Start is disabled until they do. */
  needsChoice = $derived(this.storedDatasets.length > 0 && !this.datasetChosen);
  /** The loaded stored dataset's preprocessing (size, mode): the default of every run on it. */
  datasetPreprocessing = $derived.by((): { size: number; mode: RunConfig['preprocess'] } | null => {
    const ds = this.dataset;
    if (!ds || ds.source.kind !== 'stored') return null;
    return { size: ds.preprocessing.size, mode: ds.preprocessing.mode };
  });
  /** What the network sees (the Train view's thumbnail): from the engine before a run, or the run's preview. */
  networkInput = $state.raw<NetworkInput | null>(null);
  networkInputError = $state.raw<TrainMessage | null>(null);
  loadingNetworkInput = $state(false);

  // ----- configuration -----
  presetId = $state<PresetId>('demo');
  config = $state<RunConfig>(presetConfig('demo'));
  bestMetric = $state<BestMetric>('l1');
  /**
   * The run's traceability detector (issue 13): `none`, `shipped` or `stored:<id>`; null = the
   * default (the shipped detector when its landmark set matches the dataset's, else none).
   */
  traceKey = $state<string | null>(null);
  runName = $state('');
  estimate = $state.raw<ConfigEstimate | null>(null);
  issues: ConfigIssue[] = $derived(checkRunConfig(this.config));
  /** Set: Start begins a new run from this checkpoint's weights instead of fresh networks. */
  continueFrom = $state.raw<ContinueChoice | null>(null);
  /**
   * The config the Reset button returns to: the preset's with the loaded dataset's size and mode
   * (a stored dataset's preprocessing is the default of every run on it), or the proposed
   * continuation.
   */
  baseConfig = $derived.by((): RunConfig => {
    if (this.continueFrom)
      return proposedContinueConfig({
        config: this.continueFrom.config,
        completedEpochs: this.continueFrom.completedEpochs,
      });
    const cfg = presetConfig(this.presetId);
    const pre = this.datasetPreprocessing;
    return pre ? { ...cfg, size: pre.size, preprocess: pre.mode } : cfg;
  });
  edited = $derived(JSON.stringify($state.snapshot(this.config)) !== JSON.stringify(this.baseConfig));

  // ----- the run shown (active or chosen from the history) -----
  runId = $state<string | null>(null);
  progress = $state.raw<TrainProgress | null>(null);
  previewCases = $state.raw<PreviewCase[]>([]);
  predictions = $state.raw<{ step: number; images: RgbaImage[] } | null>(null);
  /** The shown run's checkpoints and every stored run: the page's library (ui/library.svelte.ts). */
  checkpoints: CheckpointRecord[] = $derived(library.checkpointsOf(this.runId));
  get runs(): RunRecord[] {
    return library.runs;
  }
  messages = $state.raw<UiMessage[]>([]);
  busy = $state(false);
  /** After NaN/Inf or a diverging GAN: resume by itself with the lr halved (RecoveryPolicy). */
  autoRecover = $state(false);

  // ----- curves -----
  readonly losses = new SeriesSet(LOSS_SERIES, { weight: 0.6 });
  /** Gradient norms from the same train points (`grad:fake/<term>`, `grad:G/<group>`). */
  readonly gradNorms = new SeriesSet(GRAD_NORM_SERIES, { weight: 0.6 });
  readonly lr = new SeriesSet(['lr'], { smoothed: [] });
  readonly val = new SeriesSet(VAL_SERIES, { smoothed: [] });
  chartVersion = $state(0);
  smoothing = $state(0.6);
  /** Log scale by default: G_L1 (x lambda_L1) is ~100x G_GAN and the D losses. */
  logScale = $state(true);
  private redrawTimer: ReturnType<typeof setTimeout> | null = null;
  private lastRedraw = 0;
  private historyLoading = false;
  private buffered: { kind: 'train' | 'val'; points: MetricPoint[] }[] = [];
  private messageId = 0;
  /** start() was called and the engine has not announced the new run yet. */
  private awaitingRun = false;

  /** The run the engine is training now (running or paused). */
  activeRunId = $derived(this.status?.runId ?? null);
  phase = $derived(this.status?.phase ?? 'created');
  isRunning = $derived(this.phase === 'running');
  isPaused = $derived(this.phase === 'paused');
  /** A fault the active run was rolled back from and that waits for the user (engine recovery). */
  recovery = $derived.by(() => {
    const r = this.status?.recovery ?? null;
    return r && r.waiting && r.runId === this.activeRunId ? r : null;
  });
  /** Points on the loss chart (reactive through chartVersion). */
  lossPoints = $derived.by(() => {
    void this.chartVersion;
    return this.losses.length;
  });
  valPoints = $derived.by(() => {
    void this.chartVersion;
    return this.val.length;
  });
  /** The config the shown run uses (for hiding terms whose weight is 0). */
  shownConfig = $derived(this.runs.find((r) => r.id === this.runId)?.config ?? null);

  constructor() {
    this.installDebugHook();
  }

  // ----- startup -----

  /**
   * Start the engine once (first visit of a section that trains or shows runs, or the Environment
   * page's device questions). `offerDemo: false` (the Environment page, which starts the engine at
   * app load to show the backend) does not count as a visit: the first-visit demo dataset is loaded
   * only when a training section asks, so data imported in the meantime is chosen by the user.
   */
  ensureStarted(preferred: BackendChoice, opts: { offerDemo?: boolean } = {}): Promise<void> {
    const offer = opts.offerDemo !== false;
    if (offer) this.wantsDemoOffer = true;
    const started = this.starting !== null;
    this.starting ??= this.startNow(preferred).catch((e: unknown) => {
      this.engineError = errorMessage(e);
    });
    if (started && offer) return this.starting.then(() => this.offerDemo(false));
    return this.starting;
  }

  private wantsDemoOffer = false;
  private demoOffered = false;

  /**
   * A first visit (no run and no imported dataset stored yet): the demo dataset is loaded, so Start
   * works at once; it is labelled as the demo. With imported data, the user chooses. `fresh`: the
   * runs and datasets were just read (at engine start, in the same tick as `info`, so the Load
   * buttons never look ready while it loads); otherwise they are read again first.
   */
  private async offerDemo(fresh: boolean): Promise<void> {
    if (!this.wantsDemoOffer || this.demoOffered || !this.info) return;
    if (!fresh) await Promise.all([this.refreshRuns(), this.refreshDatasets()]);
    if (this.demoOffered) return;
    this.demoOffered = true;
    if (this.runs.length === 0 && this.storedDatasets.length === 0 && !this.dataset)
      void this.loadDemo(false);
  }

  private async startNow(preferred: BackendChoice): Promise<void> {
    const storage = await library.storage();
    this.storage = storage;
    // before this page starts any run: runs the store calls live but nobody runs are interrupted
    const { markOrphanedRuns } = await import('../../engine/runLocks');
    await markOrphanedRuns(storage.runs, INTERRUPTED_REASON).catch(() => []);
    await Promise.all([this.refreshRuns(), this.refreshDatasets(), library.refreshCheckpoints()]);
    // after a reload, show the newest run's curves and checkpoints (e.g. the interrupted one)
    if (this.runId === null && this.runs.length > 0) void this.showRun(this.runs[0].id);
    const { createEngine } = await import('../../engine/client');
    const choice: EngineChoice = await createEngine({ preferred });
    this.engine = choice.engine;
    this.home = choice.home;
    this.homeReason = choice.reason;
    choice.engine.onEvent((e) => this.onEvent(e));
    // the library follows the runs and checkpoints the engine writes
    library.watch(choice.engine);
    this.info = await choice.engine.init({ backend: preferred });
    const pending = this.pendingChoice;
    this.pendingChoice = null;
    if (pending) {
      this.demoOffered = true;
      void this.chooseDataset(pending);
    } else void this.offerDemo(true);
    this.status = await choice.engine.getStatus();
    library.onEngineEvent({ type: 'status', status: this.status });
  }

  // ----- events -----

  private onEvent(e: EngineEvent): void {
    switch (e.type) {
      case 'status': {
        this.status = e.status;
        const ds = e.status.dataset;
        // replace the dataset only when it changed (status events come several times per step)
        if (ds && (ds.id !== this.dataset?.id || ds.evalCaseIds.join() !== this.dataset.evalCaseIds.join())) {
          this.dataset = ds;
        }
        break;
      }
      case 'progress':
        if (e.progress.runId === this.runId) this.progress = e.progress;
        break;
      case 'metrics':
        if (e.runId === this.runId) this.addPoints('train', e.points);
        break;
      case 'validation':
        if (e.runId === this.runId) this.addPoints('val', [e.point]);
        break;
      case 'previewCases':
        if (e.runId === this.runId) this.previewCases = e.cases;
        break;
      case 'preview':
        if (e.runId === this.runId) this.predictions = { step: e.step, images: e.predictions };
        break;
      case 'run':
        // the engine announces a new run before its first preview/progress: follow it at once
        if (this.awaitingRun && e.run.status === 'running' && e.run.id !== this.runId) {
          this.awaitingRun = false;
          this.resetRunView(e.run.id);
        }
        break;
      case 'datasetProgress':
        this.datasetProgress = { done: e.done, total: e.total };
        break;
      case 'warning':
      case 'error':
        this.pushMessage(e.type, e.message);
        // the engine rolled the run back to a checkpoint: the curves follow the cut history
        if (ROLLBACK_CODES.has(e.message.code) && this.runId !== null && this.runId === this.activeRunId)
          void this.loadHistory(this.runId);
        break;
    }
  }

  pushMessage(kind: UiMessage['kind'], message: TrainMessage): void {
    this.messages = [...this.messages.slice(-7), { id: ++this.messageId, kind, message }];
  }

  dismiss(id: number): void {
    this.messages = this.messages.filter((m) => m.id !== id);
  }

  private replaceRun(run: RunRecord): void {
    library.upsertRun(run);
  }

  private addPoints(kind: 'train' | 'val', points: MetricPoint[]): void {
    if (this.historyLoading) {
      this.buffered.push({ kind, points });
      return;
    }
    if (kind === 'train') {
      this.losses.append(points);
      this.gradNorms.append(points);
      this.lr.append(points);
    } else {
      this.val.append(points);
    }
    this.scheduleRedraw();
  }

  /** Bump chartVersion at most every 250 ms. */
  scheduleRedraw(): void {
    if (this.redrawTimer !== null) return;
    const wait = Math.max(0, 250 - (Date.now() - this.lastRedraw));
    this.redrawTimer = setTimeout(() => {
      this.redrawTimer = null;
      this.lastRedraw = Date.now();
      this.chartVersion++;
    }, wait);
  }

  setSmoothing(w: number): void {
    this.smoothing = w;
    this.losses.setWeight(w);
    this.gradNorms.setWeight(w);
    this.scheduleRedraw();
  }

  /** Show a run's stored curves (and then its live points, if it is the active run). */
  private async loadHistory(runId: string): Promise<void> {
    const storage = this.storage;
    if (!storage) return;
    const { readHistory } = await import('../../store');
    // points that arrived while a resume was starting stay buffered; they follow the history
    if (!this.historyLoading) this.buffered = [];
    this.historyLoading = true;
    this.losses.clear();
    this.gradNorms.clear();
    this.lr.clear();
    this.val.clear();
    try {
      const [train, val] = await Promise.all([
        readHistory(storage.runs, runId, 'train'),
        readHistory(storage.runs, runId, 'val'),
      ]);
      if (this.runId !== runId) return;
      this.losses.append(train);
      this.gradNorms.append(train);
      this.lr.append(train);
      this.val.append(val);
    } catch (e) {
      this.pushMessage('warning', errorMessage(e));
    } finally {
      this.historyLoading = false;
      const pending = this.buffered;
      this.buffered = [];
      for (const b of pending) this.addPoints(b.kind, b.points);
      this.chartVersion++;
    }
  }

  private resetRunView(runId: string | null): void {
    this.runId = runId;
    this.progress = null;
    this.previewCases = [];
    this.predictions = null;
    this.losses.clear();
    this.gradNorms.clear();
    this.lr.clear();
    this.val.clear();
    this.chartVersion++;
  }

  // ----- lists -----

  async refreshRuns(): Promise<void> {
    if (!this.storage) return;
    await library.refreshRuns();
  }

  async refreshDatasets(): Promise<void> {
    if (!this.storage) return;
    try {
      await library.refreshDatasets();
    } catch {
      // the Data section shows why the datasets cannot be read; the list keeps what it had
    }
    // no silent preselection: a choice that no longer exists is cleared, none is made
    if (this.storedChoice && !library.datasetOf(this.storedChoice)) this.storedChoice = '';
  }

  async refreshCheckpoints(): Promise<void> {
    if (!this.storage) return;
    await library.refreshCheckpoints();
  }

  // ----- actions -----

  private async act(fn: (engine: Engine) => Promise<unknown>): Promise<void> {
    const engine = this.engine;
    if (!engine) return;
    this.busy = true;
    try {
      await fn(engine);
    } catch (e) {
      this.pushMessage('error', errorMessage(e));
    } finally {
      this.busy = false;
    }
  }

  /** The preset's network and schedule, with the loaded stored dataset's size and mode (its default). */
  choosePreset(id: PresetId): void {
    this.presetId = id;
    this.config = this.continueFrom ? presetConfig(id) : { ...this.baseConfig };
  }

  resetConfig(): void {
    this.config = { ...this.baseConfig };
  }

  /**
   * Prepare the next Start to continue from a stored checkpoint (a new run from its G and D, fresh
   * optimizer, the next epoch): reads only its manifest, proposes the continued config (the
   * checkpoint's, with epochs left to train) and locks the network structure.
   */
  async prepareContinue(runId: string, checkpoint: string): Promise<boolean> {
    if (!this.storage) await this.ensureStorage();
    const storage = this.storage;
    if (!storage) return false;
    try {
      const store = await import('../../store');
      const { parseManifest, MANIFEST_FILE } = await import('../../core/train/checkpoint');
      const [run, reader] = await Promise.all([
        store.getRun(storage.runs, runId),
        store.checkpointReader(storage.checkpoints, runId, checkpoint),
      ]);
      const manifestBytes = await reader.get(MANIFEST_FILE);
      if (!run || !manifestBytes) {
        throw new TrainError(
          trainMessage('engine.continue.notFound', { run: run?.name ?? runId, name: checkpoint }),
        );
      }
      const manifest = parseManifest(manifestBytes, `${run.name} · ${checkpoint}`);
      const choice: ContinueChoice = {
        runId,
        runName: run.name,
        checkpoint,
        label: reader.record.label,
        config: storedConfig(manifest.config),
        completedEpochs: completedEpochs(manifest),
        step: manifest.step,
        datasetId: run.datasetId,
      };
      this.continueFrom = choice;
      this.config = { ...this.baseConfig };
      return true;
    } catch (e) {
      this.pushMessage('error', errorMessage(e));
      return false;
    }
  }

  private async ensureStorage(): Promise<void> {
    this.storage ??= await library.storage();
  }

  /** A dataset id as the user knows it (demo phantom with its size and seed, or the stored name). */
  datasetName(id: string, t: (key: 'train.data.demo' | 'train.data.seed') => string): string {
    const m = /^demo-(\d+)-(\d+)$/.exec(id);
    if (m) return `${t('train.data.demo')} (${m[1]}, ${t('train.data.seed')} ${m[2]})`;
    return this.storedDatasets.find((d) => d.id === id)?.name ?? id;
  }

  /** The detector a new run is scored with (see traceKey); only detectors whose set matches the dataset's. */
  async traceabilityRef(): Promise<DetectorRef | null> {
    const symbols = this.dataset?.hasLandmarks ? this.dataset.landmarkSymbols : null;
    if (this.traceKey === null) return detector.defaultFor(symbols);
    const ok = detector.choicesFor(symbols).some((d) => refKey(d.ref) === this.traceKey);
    return ok ? parseRefKey(this.traceKey) : null;
  }

  /** Back to a run from fresh networks (the config stays as edited). */
  clearContinue(): void {
    this.continueFrom = null;
  }

  /** Load a dataset into the engine; `chosen`: the user asked for it (false: the first visit's demo). */
  loadDataset(source: DatasetSource, chosen = true): Promise<void> {
    return this.act(async (engine) => {
      this.loadingDataset = true;
      this.datasetProgress = null;
      this.networkInput = null;
      this.networkInputError = null;
      try {
        this.dataset = await engine.loadDataset(source);
        this.datasetChosen = chosen;
        // a stored dataset's preprocessing is the default of every run on it (a continued run keeps its own)
        const pre = this.datasetPreprocessing;
        if (pre && !this.continueFrom) this.config = { ...this.config, size: pre.size, preprocess: pre.mode };
      } finally {
        this.loadingDataset = false;
      }
    });
  }

  loadDemo(chosen = true): Promise<void> {
    return this.loadDataset({ kind: 'demo', cases: this.demoCases, seed: this.demoSeed }, chosen);
  }

  loadStored(): Promise<void> {
    if (!this.storedChoice) return Promise.resolve();
    return this.loadDataset({ kind: 'stored', datasetId: this.storedChoice });
  }

  /**
   * Train on this dataset ('demo' or a stored id), from the Data section: picks it in the list and
   * loads it once the engine is ready (and no run is training).
   */
  async chooseDataset(id: string): Promise<void> {
    if (id !== 'demo') {
      if (!this.storedDatasets.some((d) => d.id === id)) await this.refreshDatasets();
      this.storedChoice = id;
    }
    if (!this.engine || !this.info) {
      this.pendingChoice = id;
      return;
    }
    if (this.activeRunId !== null) return;
    if (id === 'demo') await this.loadDemo();
    else await this.loadStored();
  }

  /**
   * Ask the engine for the first evaluation case exactly as the next run would feed it to the
   * network (the config's size, mode and direction; landmarks in that frame).
   */
  async showNetworkInput(): Promise<void> {
    const engine = this.engine;
    if (!engine || !this.dataset || this.activeRunId !== null) return;
    this.loadingNetworkInput = true;
    this.networkInputError = null;
    try {
      this.networkInput = await engine.networkInput($state.snapshot(this.config) as RunConfig);
    } catch (e) {
      this.networkInput = null;
      this.networkInputError = errorMessage(e);
    } finally {
      this.loadingNetworkInput = false;
    }
  }

  async updateEstimate(cfg: RunConfig): Promise<void> {
    const engine = this.engine;
    if (!engine || !this.info || checkRunConfig(cfg).length > 0) {
      this.estimate = null;
      return;
    }
    try {
      this.estimate = await engine.describeConfig(cfg);
    } catch {
      this.estimate = null;
    }
  }

  start(defaultName: string): Promise<void> {
    return this.act(async (engine) => {
      const config = $state.snapshot(this.config) as RunConfig;
      const name = this.runName.trim() || defaultName;
      this.awaitingRun = true;
      try {
        const from = this.continueFrom;
        const traceability = await this.traceabilityRef();
        const started = await engine.start({
          config,
          name,
          bestMetric: this.bestMetric,
          traceability,
          recovery: { autoResume: this.autoRecover },
          ...(from ? { init: { runId: from.runId, checkpoint: from.checkpoint } } : {}),
        });
        if (this.runId !== started.run.id) this.resetRunView(started.run.id);
        this.replaceRun(started.run);
        rememberRunDetector(started.run.id, traceability);
        this.runName = '';
        this.continueFrom = null;
      } finally {
        this.awaitingRun = false;
      }
    });
  }

  /**
   * Recover interrupted run: an interrupted, stopped or failed run goes on from its last checkpoint
   * (the same run; its curves go on too). Not Resume (a paused run) nor Continue training (a new run).
   */
  recoverRun(runId: string): Promise<void> {
    return this.act(async (engine) => {
      this.resetRunView(runId);
      this.buffered = [];
      this.historyLoading = true;
      let started;
      try {
        started = await engine.recoverRun({ runId, recovery: { autoResume: this.autoRecover } });
      } catch (e) {
        this.historyLoading = false;
        throw e;
      }
      this.replaceRun(started.run);
      await this.loadHistory(runId);
      await this.refreshCheckpoints();
    });
  }

  pause(): Promise<void> {
    return this.act((e) => e.pause());
  }

  /** Resume a paused run. */
  resume(): Promise<void> {
    return this.act((e) => e.resume());
  }

  /** Resume a paused run with its learning rate scaled (0.5: the halving offered after a fault). */
  resumeWithLr(lrScale: number): Promise<void> {
    return this.act((e) => e.resume({ lrScale }));
  }

  stop(): Promise<void> {
    return this.act((e) => e.stop());
  }

  saveCheckpoint(): Promise<void> {
    return this.act((e) => e.saveCheckpoint({ name: 'last' }));
  }

  /** Show a finished/stopped run's curves and checkpoints. */
  async showRun(runId: string): Promise<void> {
    this.resetRunView(runId);
    await Promise.all([this.loadHistory(runId), this.refreshCheckpoints()]);
  }

  async deleteRun(runId: string): Promise<void> {
    if (!this.storage || runId === this.activeRunId) return;
    try {
      // the store deletes its checkpoints and history too; the library's lists follow
      await library.deleteRun(runId);
    } catch (e) {
      this.pushMessage('error', errorMessage(e));
    }
    if (this.runId === runId) this.resetRunView(null);
  }

  async renameCheckpoint(rec: CheckpointRecord, label: string): Promise<void> {
    if (!this.storage) return;
    try {
      await library.renameCheckpoint(rec, label);
    } catch (e) {
      this.pushMessage('error', errorMessage(e));
    }
  }

  async deleteCheckpoint(rec: CheckpointRecord): Promise<void> {
    // the training run's record is the engine's: it would name the deleted checkpoint again
    if (!this.storage || rec.runId === this.activeRunId) return;
    try {
      // the store drops the name from the run too (store/runs.ts deleteCheckpointOfRun)
      await library.deleteCheckpoint(rec);
    } catch (e) {
      this.pushMessage('error', errorMessage(e));
    }
  }

  /** The checkpoint's studio files zipped (stored, not compressed), made in the engine. */
  async downloadCheckpoint(rec: CheckpointRecord): Promise<void> {
    await this.act(async (engine) => {
      const out = await engine.exportCheckpoint({ runId: rec.runId, name: rec.name, format: 'zip' });
      for (const f of out.files) downloadBytes(f.name, f.bytes, 'application/zip');
    });
  }

  // ----- debug hook -----

  private installDebugHook(): void {
    if (typeof window === 'undefined') return;
    const w = window as unknown as { __studio?: Record<string, unknown> };
    const root = (w.__studio ??= {});
    if (Object.getOwnPropertyDescriptor(root, 'train')) return;
    // e2e: inject a fault into the active run (harmless: a real fault does the same, and the
    // engine recovers from it); also the way to check recovery by hand from the console
    root.injectFault = (f: FaultInjection): Promise<void> =>
      this.engine ? this.engine.injectFault(f) : Promise.reject(new Error('no engine'));
    Object.defineProperty(root, 'train', {
      enumerable: true,
      get: () =>
        Object.freeze({
          phase: this.phase,
          activity: this.status?.activity ?? null,
          runId: this.runId,
          activeRunId: this.activeRunId,
          step: this.progress?.step ?? null,
          epoch: this.progress?.epoch ?? null,
          seriesCounts: this.losses.counts(),
          gradNormCounts: this.gradNorms.counts(),
          lrPoints: this.lr.length,
          valPoints: this.val.length,
          checkpoints: this.checkpoints.map((c) => ({ name: c.name, step: c.step })),
          home: this.home,
          backend: this.info?.selection.backend ?? null,
          previewStep: this.predictions?.step ?? null,
          datasetId: this.dataset?.id ?? null,
          recovery: this.status?.recovery
            ? {
                kind: this.status.recovery.kind,
                step: this.status.recovery.step,
                restoredStep: this.status.recovery.restoredStep,
                waiting: this.status.recovery.waiting,
              }
            : null,
          backendNow: this.status?.backend ?? null,
          messageCodes: this.messages.map((m) => m.message.code),
          datasetChosen: this.datasetChosen,
          needsChoice: this.needsChoice,
          networkInput: this.networkInput
            ? {
                caseId: this.networkInput.caseId,
                size: this.networkInput.size,
                landmarks: this.networkInput.landmarks?.length ?? 0,
              }
            : null,
        }),
    });
  }
}

export const train = new TrainState();
// the detector's state reads the Train state through this (it does not import this module)
attachTrain(train);
