/**
 * The training engine itself — one implementation for both homes (the dedicated Worker and the
 * page) and for Node tests. It owns the TF.js backend, the dataset tensors, the trainer and the
 * active run; it writes checkpoints, run records, metric history and heartbeats to the store.
 *
 * The training loop never blocks its thread: it launches one step, yields a macrotask (so pause,
 * stop and other commands get through), and reads metrics back with `await data()` only at log
 * steps (cfg.log_every).
 *
 * Faults (see `onFault` / `recoverDevice`):
 *  - a NaN/Inf in any logged loss, gradient norm or the generator output's mean (checked in
 *    JavaScript on the values read back), a checkpoint whose weights are not finite (refused), and a
 *    diverging GAN (D loss → 0 while G_GAN rises, core/train/divergence.ts) roll the run back to its
 *    last good checkpoint; the run then pauses and offers to resume with the learning rate halved
 *    (EngineStatus.recovery, with the clinic's checklist), or resumes so by itself
 *    (StartOptions.recovery.autoResume);
 *  - a lost WebGPU device (driver reset, another application, `device.destroy()`) is noticed through
 *    `device.lost` or a failed read: the backend is re-created (or the next one in the automatic
 *    order starts) and the run continues from its last checkpoint. Nothing stored is touched.
 *
 * Persistence of a run `<id>` (see store/runs.ts and store/checkpoints.ts):
 *  - run record: status, step, epoch, duration, best, checkpoint names; heartbeat every 2 s;
 *  - history series `train` (step losses + lr) and `val` (validation rounds), appended every 2 s
 *    and always before a checkpoint is written, so a checkpoint's step is covered by the history;
 *  - checkpoints `last` (every save_every steps, each epoch end, on stop and at the end) and
 *    `best` (each validation round that improves the chosen metric), written atomically;
 *  - a Web Lock held while the run is live (runLocks.ts), so a reload is detected at once.
 * recoverRun loads `last`, drops history points after its step and goes on with the same
 * optimizer state, epoch position, data order and seeds (the trainer derives every random
 * decision from (seed, step), so nothing else is needed).
 */
import * as tf from '@tensorflow/tfjs';
import { withDefaults, type RunConfig } from '../core/config';
import type { PreprocessSpec } from '../core/data/preprocess';
import type { RoundDiag } from '../core/eval/diagnostics';
import { aggregate, imageMetrics, type CaseMetrics } from '../core/eval/metrics';
import type { Point, RgbaImage } from '../core/image';
import { createGenerator, loadStateDict } from '../core/model';
import type { Generator, StateDict } from '../core/model/types';
import {
  encodeTrainerState,
  loadTrainerState,
  readCheckpointNetwork,
  type TrainerState,
} from '../core/train/checkpoint';
import { createInMemoryDataSource, imageToTensor, type DataSource, type ImagePair } from '../core/train/data';
import { completedEpochs, continuedConfig } from '../core/train/continue';
import { describeConfig } from '../core/train/info';
import { lastEpoch, stepsPerEpoch } from '../core/train/schedule';
// issue 15: a run's nested training subset (train_subset) and step cap (max_steps), shared with the CLI
import { applyTrainSubset, runTotalSteps } from '../core/experiments/subsets';
import { gradNormPointValues, Trainer } from '../core/train/trainer';
import {
  divergenceDefaults,
  firstNonFinite,
  firstNonFiniteWeight,
  GanDivergenceWatch,
  type GanDivergenceOptions,
} from '../core/train/divergence';
import { stuckChecklist } from '../core/eval/checklist';
import {
  createRun,
  exportCheckpoint as exportStoredCheckpoint,
  getCheckpoint,
  getRun,
  checkpointReader,
  loadCheckpoint,
  openStudioStorage,
  readHistory,
  saveCheckpoint as saveStoredCheckpoint,
  truncateHistoryAfterStep,
  updateRun,
  type BestMetric as StoredBest,
  type CheckpointRecord,
  type MetricPoint,
  type RunPatch,
  type RunOrigin,
  type RunRecord,
  type StudioStorage,
} from '../store';
import { probeWebGpu } from './adapter';
import {
  activeGpuDevice,
  resetBackend,
  selectBackend,
  type BackendChoice,
  type BackendSelection,
} from './backend';
import { checkRunConfig } from './configCheck';
import {
  bestOfRound,
  chooseTrainSubset,
  comparableBest,
  evaluateCheckpoint as evaluateModelOnData,
  historyFromValPoints,
  loadCheckpointModel,
  modelFromTrainer,
  roundDiag,
  runValidationRound,
  validationPointValues,
  type CheckpointEvaluation,
  type EvaluateCheckpointOptions,
} from './evaluation';
import { checkMemory, largestTensorBytes, type ConfigEstimate, type MemoryLimits } from './memoryEstimate';
import type {
  BestMetric,
  ContinueFrom,
  DatasetInfo,
  DatasetSource,
  DetectorRef,
  DetectorSummary,
  DetectParams,
  DetectResult,
  EngineApi,
  EngineEvent,
  EngineEventListener,
  EngineHome,
  EngineInfo,
  EnginePhase,
  EngineStatus,
  NetworkInput,
  EvaluatedCase,
  EvaluateOptions,
  EvaluationSummary,
  ExportCheckpointOptions,
  ExportedCheckpoint,
  FaultInjection,
  InitOptions,
  ModelSource,
  PredictOptions,
  PreviewCase,
  ProbeResult,
  RecoveryPolicy,
  ResumeActiveOptions,
  RecoverOptions,
  RunRecovery,
  RunStarted,
  SaveCheckpointOptions,
  StartOptions,
  TrainDetectorOptions,
  TrainProgress,
} from './protocol';
import { holdRunLock } from './runLocks';
import { fetchAsset, type AssetReader } from './detector/assets';
import { DetectorService } from './detector/service';
import { DeviceQueries } from './deviceQueries'; // device questions (bench)
import type { BenchmarkOptions, BenchmarkRecord, EngineEnvReport } from './benchmark';
import type { SelfTestResult } from './selftest';
import { RoundTracer, traceCases } from './detector/trace';
import type { RoundTrace } from './evaluation';
import { toTrainMessage, trainMessage, TrainError, type TrainMessage } from './trainMessages';
import { datasetSourceFromId, type DemoGenerator, type SourceCase } from './datasetIds';
import { TrainingData, type LoadedDataset, type PreparedData } from './session/trainingData';
import { predictImages } from '../core/train/predict';
import { GpuLock, macrotask } from './gpuLock';
import { BEST_KEYS, isBetter, metricPoint } from './session/metrics';
import { errorText } from '../core/errors';
import { RunRecorder } from './session/recorder';
import { warmUpShaders } from './shaderWarmup';
import { TrainingSession, type SessionWork, type StepClock, type StepOutcome } from './session/session';
import {
  DeviceWatch,
  faultMessage,
  inputRangeOf,
  lastGoodState,
  num,
  poisonGenerator,
  type Fault,
} from './session/faults';

// ---------------------------------------------------------------------------------------------
// Evaluating a generator
// ---------------------------------------------------------------------------------------------

/**
 * Metrics (and optionally images) of a generator on pairs at the training size, one case at a
 * time like the server's test.py; dropout seeds as Trainer.evaluate, so both agree.
 */
export async function evaluateGenerator(
  G: Generator,
  cfg: RunConfig,
  pairs: readonly ImagePair[],
  opts: { evalMode: boolean; withImages: boolean },
): Promise<EvaluatedCase[]> {
  const out: EvaluatedCase[] = [];
  const predictions = await predictImages(
    G,
    cfg,
    pairs.map((c) => c.photo),
    {
      evalMode: opts.evalMode,
      seedTag: 'evaluate',
      images: opts.withImages,
      onPrediction: async ({ index, pred }) => {
        const c = pairs[index];
        const xray = imageToTensor(c.xray, cfg.output_nc);
        try {
          const [m]: CaseMetrics[] = await imageMetrics(pred, xray);
          out.push({ id: c.id ?? String(index), ...m });
        } finally {
          xray.dispose();
        }
      },
    },
  );
  if (opts.withImages)
    out.forEach((row, i) => {
      const c = pairs[i];
      row.photo = c.photo;
      row.xray = c.xray;
      row.prediction = predictions[i];
      if (c.landmarks) row.landmarks = c.landmarks;
    });
  return out;
}

// ---------------------------------------------------------------------------------------------
// The active run
// ---------------------------------------------------------------------------------------------

/** How a run ends (closeRun). */
type RunEnd = { status: 'finished' } | { status: 'stopped' } | { status: 'failed'; message: TrainMessage };

interface ActiveRun {
  id: string;
  cfg: RunConfig;
  trainer: Trainer;
  data: DataSource;
  prepared: PreparedData;
  previewPairs: ImagePair[];
  valPairs: ImagePair[];
  bestMetric: BestMetric;
  best: StoredBest | null;
  previewEvery: number;
  totalSteps: number;
  record: RunRecord;
  /** Running / paused / stopping / ended, active time, speed, the loop (session/session.ts). */
  session: TrainingSession;
  /** History buffers, metric events, heartbeats (session/recorder.ts). */
  recorder: RunRecorder;
  lastSavedStep: number;
  lastValStep: number;
  lastValues: Record<string, number | null>;
  /** Values of the last validation round. */
  lastVal: Record<string, number | null> | null;
  /** Fixed train cases for the train/val gap (evaluation.ts). */
  trainSubset: ImagePair[];
  /** The run's earlier validation rounds for the stuck detector, oldest first. */
  roundDiags: RoundDiag[];
  lastLr: number;
  releaseLock: () => void;
  /** Traceability scorer of the run's validation rounds (StartOptions.traceability), or null. */
  tracer: RoundTracer | null;
  /** After a fault: resume by itself with the lr halved (at most maxAuto times), else pause and offer. */
  policy: { autoResume: boolean; maxAuto: number };
  autoResumes: number;
  /** D loss → 0 while G_GAN rises, over consecutive logged steps. */
  ganWatch: GanDivergenceWatch;
  /** Test hook (injectFault): G's weights become NaN before this step. */
  poisonAt: number | null;
  /** A checkpoint refused because its weights were not finite (handled as a fault after the step). */
  badWeights: { key: string; step: number } | null;
}

export interface EngineCoreOptions {
  home: EngineHome;
  select?: (choice: BackendChoice) => Promise<BackendSelection>;
  openStorage?: (prefix?: string) => Promise<StudioStorage>;
  demo?: DemoGenerator;
  yieldNow?: () => Promise<void>;
  now?: () => number;
  /** Heartbeat period while a run is live, ms (default 2000). */
  heartbeatMs?: number;
  /** Least time between metric events, ms (default 250). */
  eventEveryMs?: number;
  /** Least time between history writes, ms (default 2000). */
  historyEveryMs?: number;
  /** Hold a Web Lock per live run (default true where the API exists). */
  useLocks?: boolean;
  /** Reads the app's static assets (the shipped detector); default: same-origin fetch (Node: give a file reader). */
  readAsset?: AssetReader;
  /** GAN divergence thresholds over the gan_mode defaults (tests); null = not judged. */
  divergence?: Partial<GanDivergenceOptions> | null;
}

/** Probe for a WebGPU adapter without TF.js. */
async function probeHere(home: EngineHome): Promise<ProbeResult> {
  const r = await probeWebGpu();
  return 'adapter' in r ? { home, webgpu: true } : { home, webgpu: false, webgpuReason: r.reason.text };
}

async function defaultDemo(
  cases: number,
  seed: number,
  size: number,
): Promise<{ cases: SourceCase[]; evalCaseIds?: string[] }> {
  const { loadDemoCases } = await import('./demoData');
  return loadDemoCases(cases, seed, size);
}

export class EngineCore implements EngineApi {
  readonly home: EngineHome;
  private readonly opts: Required<Omit<EngineCoreOptions, 'home'>>;
  private readonly listeners = new Set<EngineEventListener>();
  private readonly gpu = new GpuLock();
  private storage: StudioStorage | null = null;
  private selection: BackendSelection | null = null;
  private phase: EnginePhase = 'created';
  private activity: EngineStatus['activity'] = null;
  /** The loaded dataset and its prepared cases (session/trainingData.ts). */
  private readonly trainingData: TrainingData;
  private run: ActiveRun | null = null;
  /** The last fault the active run recovered from (EngineStatus.recovery). */
  private recovery: RunRecovery | null = null;
  /** The WebGPU device in use, and why it was lost (session/faults.ts). */
  private readonly deviceWatch = new DeviceWatch();
  /** The landmark detector: its training session, the detectors it can use, inference. */
  private readonly detectors: DetectorService;

  constructor(options: EngineCoreOptions) {
    this.home = options.home;
    this.opts = {
      select: options.select ?? selectBackend,
      openStorage: options.openStorage ?? ((prefix) => openStudioStorage(prefix ? { prefix } : {})),
      demo: options.demo ?? defaultDemo,
      yieldNow: options.yieldNow ?? macrotask,
      now: options.now ?? (() => Date.now()),
      heartbeatMs: options.heartbeatMs ?? 2000,
      eventEveryMs: options.eventEveryMs ?? 250,
      historyEveryMs: options.historyEveryMs ?? 2000,
      useLocks: options.useLocks ?? true,
      readAsset: options.readAsset ?? fetchAsset,
      divergence: options.divergence === undefined ? {} : options.divergence,
    };
    this.trainingData = new TrainingData({
      emit: (e) => this.emit(e),
      warn: (m) => this.warn(m),
      infoChanged: () => this.emit({ type: 'status', status: this.status() }),
    });
    this.detectors = new DetectorService({
      storage: () => this.need().storage,
      emit: (e) => this.emit(e),
      warn: (m) => this.warn(m),
      yieldNow: () => this.opts.yieldNow(),
      now: () => this.opts.now(),
      gpu: (fn) => this.gpu.run(fn),
      ganRunId: () => (this.run && !this.run.session.ended ? this.run.id : null),
      demoSource: () => {
        const info = this.dataset?.info;
        return info && info.source.kind === 'demo'
          ? { id: info.id, name: info.name, cases: info.source.cases, seed: info.source.seed }
          : null;
      },
      demo: (cases, seed, size) => this.opts.demo(cases, seed, size),
      readAsset: (path) => this.opts.readAsset(path),
    });
  }

  private get dataset(): LoadedDataset | null {
    return this.trainingData.dataset;
  }

  // ----- events ------------------------------------------------------------------------------

  onEvent(listener: EngineEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: EngineEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch {
        // a listener's bug must not stop training
      }
    }
  }

  private warn(message: TrainMessage): void {
    this.emit({ type: 'warning', message });
  }

  private status(): EngineStatus {
    return {
      phase: this.phase,
      runId: this.run && !this.run.session.ended ? this.run.id : null,
      dataset: this.dataset?.info ?? null,
      backend: this.selection?.backend ?? null,
      activity: this.activity,
      recovery: this.recovery,
    };
  }

  private setPhase(phase: EnginePhase, activity: EngineStatus['activity'] = this.activity): void {
    this.phase = phase;
    this.activity = activity;
    this.emit({ type: 'status', status: this.status() });
  }

  private setActivity(activity: EngineStatus['activity']): void {
    if (this.activity === activity) return;
    this.activity = activity;
    this.emit({ type: 'status', status: this.status() });
  }

  // ----- setup -------------------------------------------------------------------------------

  async probe(): Promise<ProbeResult> {
    return probeHere(this.home);
  }

  async init(params: InitOptions): Promise<EngineInfo> {
    if (this.run && !this.run.session.ended)
      throw new TrainError(trainMessage('engine.busy', { run: this.run.id }));
    this.detectors.assertNotTraining();
    this.setPhase('initializing');
    try {
      this.selection = await this.opts.select(params.backend);
      this.deviceWatch.watch();
      this.storage = await this.opts.openStorage(params.storagePrefix);
    } catch (e) {
      this.setPhase('failed');
      throw e;
    }
    this.setPhase('ready');
    return { home: this.home, selection: this.selection };
  }

  async getStatus(): Promise<EngineStatus> {
    return this.status();
  }

  private need(): { storage: StudioStorage; selection: BackendSelection } {
    if (!this.storage || !this.selection) throw new TrainError(trainMessage('engine.notInitialized'));
    return { storage: this.storage, selection: this.selection };
  }

  private limits(): MemoryLimits {
    const sel = this.need().selection;
    const a = sel.backend === 'webgpu' ? sel.adapter : undefined;
    return {
      backend: sel.backend,
      maxBufferSize: a?.limits.maxBufferSize,
      maxStorageBufferBindingSize: a?.limits.maxStorageBufferBindingSize,
    };
  }

  async describeConfig(cfg: RunConfig): Promise<ConfigEstimate> {
    const full = withDefaults(cfg);
    const issues = checkRunConfig(full);
    if (issues.length > 0) {
      throw new TrainError(
        trainMessage('engine.config.invalid', { errors: issues.map((i) => i.message.text).join(' ') }),
      );
    }
    const info = describeConfig(full);
    const largest = largestTensorBytes(info, full.batch_size, 16 * (full.ngf * 8) ** 2);
    const limits = this.limits();
    const verdict = checkMemory({ totalBytes: info.memory.totalBytes, largestTensorBytes: largest }, limits, {
      cfg: full,
      totalBytesOf: (c) => describeConfig(c).memory.totalBytes,
    });
    return {
      paramsG: info.paramsG,
      paramsD: info.paramsD,
      flopsPerStep: info.flopsPerStep,
      weightsBytes: info.memory.weightsBytes,
      adamBytes: info.memory.adamBytes,
      gradientBytes: info.memory.gradientBytes,
      activationBytes: info.memory.activationBytes,
      totalBytes: info.memory.totalBytes,
      largestTensorBytes: largest,
      limits,
      ...verdict,
    };
  }

  // ----- datasets ----------------------------------------------------------------------------

  async loadDataset(source: DatasetSource): Promise<DatasetInfo> {
    const { storage } = this.need();
    if (this.run && !this.run.session.ended)
      throw new TrainError(trainMessage('engine.busy', { run: this.run.id }));
    const before = this.phase;
    this.setPhase('loadingDataset');
    try {
      const info = await this.trainingData.load(source, storage, this.opts.demo);
      this.setPhase('ready');
      return info;
    } catch (e) {
      this.setPhase(before === 'loadingDataset' ? 'ready' : before);
      throw e;
    }
  }

  /**
   * The first evaluation case exactly as a run with `cfg` feeds it to the network (the Train view's
   * thumbnail). Prepares the data like Start does and keeps it cached for the next Start with the
   * same size and preprocessing. Refused while a run trains (its preview shows what it sees).
   */
  async networkInput(cfg: RunConfig): Promise<NetworkInput> {
    this.assertIdle();
    const ds = this.dataset;
    if (!ds) throw new TrainError(trainMessage('engine.noDataset'));
    const full = withDefaults(cfg);
    const issues = checkRunConfig(full);
    if (issues.length > 0) {
      throw new TrainError(
        trainMessage('engine.config.invalid', { errors: issues.map((i) => i.message.text).join(' ') }),
      );
    }
    const prepared = await this.trainingData.prepare(full);
    const id = prepared.evalCaseIds[0] ?? prepared.val[0]?.id ?? prepared.train[0]?.id ?? '';
    const pair = prepared.byId.get(id);
    if (!pair) throw new TrainError(trainMessage('engine.dataset.noTrain', { dataset: ds.info.name }));
    const base = ds.info.preprocessing;
    return {
      datasetId: ds.info.id,
      caseId: id,
      input: pair.photo,
      target: pair.xray,
      landmarks: pair.landmarks ? pair.landmarks.map(([x, y]) => [x, y] as Point) : null,
      size: full.size,
      mode: full.preprocess === 'roi' && !base.roi ? 'letterbox' : full.preprocess,
    };
  }

  // ----- runs --------------------------------------------------------------------------------

  private assertIdle(): void {
    if (this.run && !this.run.session.ended)
      throw new TrainError(trainMessage('engine.busy', { run: this.run.id }));
  }

  async start(params: StartOptions): Promise<RunStarted> {
    this.assertIdle();
    await this.reviveBackend();
    const { storage, selection } = this.need();
    this.detectors.assertNotTraining();
    if (!this.dataset) throw new TrainError(trainMessage('engine.noDataset'));
    let cfg = withDefaults(params.config);
    const init = params.init ? await this.continueSource(params.init) : null;
    if (init)
      cfg = continuedConfig(cfg, { config: init.config, completedEpochs: init.origin.completedEpochs });
    const issues = checkRunConfig(cfg);
    if (issues.length > 0) {
      throw new TrainError(
        trainMessage('engine.config.invalid', { errors: issues.map((i) => i.message.text).join(' ') }),
      );
    }
    if (selection.floatPrecision === 16 && cfg.adam_epsilon < 1e-4) {
      this.warn(trainMessage('engine.webglEpsilon', { from: cfg.adam_epsilon }));
      cfg = { ...cfg, adam_epsilon: 1e-4 };
    }
    this.setPhase('starting');
    try {
      // WebGPU: the step's shaders compile in the GPU process while the dataset is prepared
      const shaders = warmUpShaders(cfg);
      const prepared = await this.trainingData.prepare(cfg);
      await shaders;
      applyTrainSubset(prepared.train, cfg); // a train_subset beyond the split is refused before the run is stored
      // the detector is checked (landmark set) before anything of the run is stored
      const tracer = params.traceability ? await this.makeTracer(params.traceability, cfg, prepared) : null;
      const record = await createRun(storage.runs, {
        name: params.name ?? `${cfg.netG} ${cfg.size} px`,
        datasetId: this.dataset.info.id,
        config: cfg,
        preprocessing: { ...this.dataset.info.preprocessing, size: cfg.size, mode: cfg.preprocess },
        backend: selection.backend,
        adapter: this.adapterText(),
        origin: init ? init.origin : { kind: 'new' },
        ...(params.sweep ? { sweep: params.sweep } : {}),
        // the detector that scores this run's traceability, kept with the run (issue 13)
        ...(tracer ? { traceability: runTraceabilityOf(tracer.detector.summary) } : {}),
      });
      if (init) {
        this.warn(
          trainMessage('engine.continue.fromCheckpoint', {
            run: record.name,
            source: init.origin.runName,
            name: init.origin.checkpoint,
            completed: init.origin.completedEpochs,
            first: cfg.epoch_count,
            netG: cfg.netG,
            ngf: cfg.ngf,
            norm: cfg.norm,
          }),
        );
      }
      return await this.launch({
        record,
        cfg,
        prepared,
        state: null,
        weights: init?.weights,
        bestMetric: params.bestMetric ?? 'l1',
        previewEvery: params.previewEvery,
        tracer,
        recovery: params.recovery,
      });
    } catch (e) {
      if (this.phase === 'starting') this.setPhase('ready');
      throw e;
    }
  }

  /**
   * The checkpoint a new run starts from (see StartOptions.init): its manifest, G and D, read and
   * checked (the optimizer state, twice G's size, is not read: a continued run starts Adam fresh).
   */
  private async continueSource(from: ContinueFrom): Promise<{
    config: RunConfig;
    weights: { G: StateDict; D: StateDict };
    origin: Extract<RunOrigin, { kind: 'continued' }>;
  }> {
    const { storage } = this.need();
    const rec = await getRun(storage.runs, from.runId);
    if (!rec || !(await getCheckpoint(storage.checkpoints, rec.id, from.checkpoint))) {
      throw new TrainError(
        trainMessage('engine.continue.notFound', { run: rec?.name ?? from.runId, name: from.checkpoint }),
      );
    }
    const where = `run ${rec.name}, checkpoint "${from.checkpoint}"`;
    let g: Awaited<ReturnType<typeof readCheckpointNetwork>>;
    let D: StateDict;
    try {
      const { get } = await checkpointReader(storage.checkpoints, rec.id, from.checkpoint);
      g = await readCheckpointNetwork(get, 'G', where);
      D = (await readCheckpointNetwork(get, 'D', where)).stateDict;
    } catch (e) {
      throw new TrainError(
        trainMessage('engine.continue.unreadable', {
          run: rec.name,
          name: from.checkpoint,
          error: errorText(e),
        }),
      );
    }
    return {
      config: g.manifest.config,
      weights: { G: g.stateDict, D },
      origin: {
        kind: 'continued',
        runId: rec.id,
        runName: rec.name,
        checkpoint: from.checkpoint,
        completedEpochs: completedEpochs(g.manifest),
        step: g.manifest.step,
      },
    };
  }

  async recoverRun(params: RecoverOptions): Promise<RunStarted> {
    this.assertIdle();
    await this.reviveBackend();
    const { storage } = this.need();
    this.detectors.assertNotTraining();
    const rec = await getRun(storage.runs, params.runId);
    if (!rec) throw new TrainError(trainMessage('engine.resume.notFound', { run: params.runId }));
    if (!['interrupted', 'stopped', 'failed'].includes(rec.status)) {
      throw new TrainError(trainMessage('engine.resume.notResumable', { run: rec.name, status: rec.status }));
    }
    if (this.dataset?.info.id !== rec.datasetId) await this.loadDataset(datasetSourceFromId(rec.datasetId));
    this.setPhase('starting');
    try {
      const name = params.checkpoint ?? 'last';
      let state: TrainerState | null = null;
      if (await getCheckpoint(storage.checkpoints, rec.id, name)) {
        const { files } = await loadCheckpoint(storage.checkpoints, rec.id, name);
        state = loadTrainerState(files, `run ${rec.name}, checkpoint "${name}"`);
        this.warn(
          trainMessage('engine.resume.fromCheckpoint', {
            run: rec.name,
            name,
            step: state.step,
            epoch: state.epoch,
          }),
        );
      } else {
        this.warn(trainMessage('engine.resume.noCheckpoint', { run: rec.name }));
      }
      const cfg = state ? state.config : rec.config;
      const shaders = warmUpShaders(cfg); // WebGPU: compiled while the dataset is prepared
      const prepared = await this.trainingData.prepare(cfg);
      await shaders;
      // the run's own traceability detector (kept with its record) unless the caller chose (null: none);
      // one that can no longer be loaded (deleted) is a warning, not a failed resume
      const traceRef =
        params.traceability !== undefined ? params.traceability : (rec.traceability?.ref ?? null);
      const tracer = traceRef
        ? await this.makeTracer(traceRef, cfg, prepared).catch((e: unknown) => {
            if (params.traceability !== undefined) throw e;
            this.warn(trainMessage('engine.trace.failed', { error: errorText(e) }));
            return null;
          })
        : null;
      const step = state?.step ?? 0;
      await truncateHistoryAfterStep(storage.runs, rec.id, 'train', step);
      await truncateHistoryAfterStep(storage.runs, rec.id, 'val', step);
      // the `best` checkpoint stays valid even when it is newer than `last`
      const best = rec.best;
      const record = await updateRun(storage.runs, rec.id, {
        status: 'running',
        error: null,
        step,
        epoch: state?.epoch ?? cfg.epoch_count,
        backend: this.need().selection.backend,
        adapter: this.adapterText(),
        best,
        heartbeatAt: this.opts.now(),
        ...(tracer ? { traceability: runTraceabilityOf(tracer.detector.summary) } : {}),
      });
      return await this.launch({
        record,
        cfg,
        prepared,
        state,
        bestMetric: params.bestMetric ?? (best ? bestMetricOf(best.metric) : 'l1'),
        previewEvery: params.previewEvery,
        tracer,
        recovery: params.recovery,
      });
    } catch (e) {
      if (this.phase === 'starting') this.setPhase('ready');
      throw e;
    }
  }

  private adapterText(): string | null {
    const a = this.selection?.backend === 'webgpu' ? this.selection.adapter : undefined;
    if (!a) return null;
    return (
      [a.vendor, a.architecture, a.description].filter((s) => s.length > 0).join(' / ') +
      (a.isFallbackAdapter ? ' (fallback)' : '')
    );
  }

  /** The `best` criterion a run can use: landmark sharpness needs landmarks on the X-ray target. */
  private usableBest(
    metric: BestMetric,
    prepared: PreparedData,
    tracer: RoundTracer | null = null,
  ): BestMetric {
    if (metric === 'traceMre') {
      if (tracer && tracer.caseIds.length > 0) return metric;
      this.warn(trainMessage('engine.trace.fallback', {}));
      return 'l1';
    }
    if (metric !== 'lmSharp' || prepared.landmarks) return metric;
    this.warn(trainMessage('engine.best.noLandmarks', {}));
    return 'l1';
  }

  private async launch(p: {
    record: RunRecord;
    cfg: RunConfig;
    prepared: PreparedData;
    state: TrainerState | null;
    /** A new run's starting weights (continue from a checkpoint); fresh networks when absent. */
    weights?: { G: StateDict; D: StateDict };
    bestMetric: BestMetric;
    previewEvery?: number;
    /** Traceability scorer (made by the caller before the run record exists). */
    tracer?: RoundTracer | null;
    recovery?: RecoveryPolicy;
  }): Promise<RunStarted> {
    const { cfg, prepared, record } = p;
    const tracer = p.tracer ?? null;
    // the previous run's trainer (kept for evaluate/predict) goes now
    this.disposeRun();
    const data = createInMemoryDataSource(applyTrainSubset(prepared.train, cfg), {
      size: cfg.size,
      photoChannels: cfg.input_nc,
      xrayChannels: cfg.output_nc,
    });
    let trainer: Trainer;
    try {
      // Gradient norms at log steps (per layer group and per loss term; the Train view charts them).
      // On WebGPU they rely on the core's pairwise sumTensors, not tf.addN (test/e2e/gradnorms.e2e.ts).
      const opts = { gradNorms: true };
      trainer = p.state
        ? Trainer.restore(p.state, data, opts)
        : p.weights
          ? Trainer.fromWeights(cfg, p.weights, data, opts)
          : Trainer.create(cfg, data, opts);
    } catch (e) {
      data.dispose();
      throw e;
    }
    const info = this.dataset?.info;
    const previewPairs = prepared.evalCaseIds
      .slice(0, 3)
      .map((id) => prepared.byId.get(id))
      .filter((x): x is ImagePair => x !== undefined);
    const valPairs = prepared.val;
    if (valPairs.length === 0 && info)
      this.warn(trainMessage('engine.dataset.noVal', { dataset: info.name }));
    // a resumed run judges "stuck" over its real past (history already cut back to the checkpoint)
    let roundDiags: RoundDiag[] = [];
    if (p.state && this.storage) {
      try {
        roundDiags = historyFromValPoints(await readHistory(this.storage.runs, record.id, 'val'));
      } catch {
        roundDiags = [];
      }
    }
    const spe = stepsPerEpoch(data.trainCount, cfg.batch_size);
    const epochs = lastEpoch(cfg) - cfg.epoch_count + 1;
    const run: ActiveRun = {
      id: record.id,
      cfg,
      trainer,
      data,
      prepared,
      previewPairs,
      valPairs,
      bestMetric: this.usableBest(p.bestMetric, prepared, tracer),
      best: comparableBest(record.best), // a whole-image best is not compared with content-region rounds
      previewEvery: Math.max(1, Math.floor(p.previewEvery ?? Math.max(20, cfg.log_every * 4))),
      totalSteps: runTotalSteps(cfg, Math.max(0, epochs) * spe),
      record,
      session: new TrainingSession(
        { now: () => this.opts.now(), yieldNow: () => this.opts.yieldNow() },
        record.durationMs,
      ),
      recorder: new RunRecorder(
        record.id,
        {
          runs: this.need().storage.runs,
          emit: (e) => this.emit(e),
          warn: (m) => this.warn(m),
          now: () => this.opts.now(),
          progress: () => this.progress(run),
          position: () => ({
            durationMs: run.session.durationMs,
            step: run.trainer.globalStep,
            epoch: run.trainer.epoch,
          }),
        },
        this.opts,
      ),
      lastSavedStep: trainer.globalStep,
      lastValStep: p.state ? trainer.globalStep : -1,
      lastValues: {},
      lastVal: null,
      trainSubset: chooseTrainSubset(applyTrainSubset(prepared.train, cfg), cfg.seed),
      roundDiags,
      lastLr: trainer.nextLearningRate,
      releaseLock: () => undefined,
      tracer,
      policy: {
        autoResume: p.recovery?.autoResume ?? false,
        maxAuto: Math.max(0, Math.floor(p.recovery?.maxAuto ?? 3)),
      },
      autoResumes: 0,
      ganWatch: new GanDivergenceWatch(
        this.opts.divergence === null
          ? null
          : { ...divergenceDefaults(cfg.gan_mode), ...this.opts.divergence },
      ),
      poisonAt: null,
      badWeights: null,
    };
    this.recovery = null;
    if (this.opts.useLocks) run.releaseLock = await holdRunLock(run.id);
    this.run = run;
    run.recorder.startHeartbeat();
    this.setPhase('running', 'training');
    this.emit({ type: 'run', run: record });
    if (previewPairs.length > 0) {
      const cases: PreviewCase[] = previewPairs.map((c) => ({
        id: c.id ?? '',
        photo: c.photo,
        xray: c.xray,
        ...(c.landmarks ? { landmarks: c.landmarks } : {}),
      }));
      this.emit({ type: 'previewCases', runId: run.id, cases });
    }
    this.emitProgress(run);
    run.session.start(this.ganWork(run));
    return { run: record, fromStep: trainer.globalStep, totalSteps: run.totalSteps, stepsPerEpoch: spe };
  }

  private async patchRun(run: ActiveRun, patch: RunPatch): Promise<RunRecord> {
    const storage = this.need().storage;
    const rec = await updateRun(storage.runs, run.id, patch);
    run.record = rec;
    this.emit({ type: 'run', run: rec });
    return rec;
  }

  private progress(run: ActiveRun): TrainProgress {
    const itPerSec = run.session.itPerSec();
    const step = run.trainer.globalStep;
    const mem = tf.memory() as tf.MemoryInfo & { numBytesAllocatedInGPU?: number; numBytesInGPU?: number };
    return {
      runId: run.id,
      step,
      totalSteps: run.totalSteps,
      epoch: run.trainer.epoch,
      firstEpoch: run.cfg.epoch_count,
      lastEpoch: lastEpoch(run.cfg),
      iterInEpoch: run.trainer.iterInEpoch,
      stepsPerEpoch: run.trainer.stepsPerEpoch,
      itPerSec,
      imagesPerSec: itPerSec === null ? null : itPerSec * run.cfg.batch_size,
      etaSec: itPerSec ? Math.max(0, run.totalSteps - step) / itPerSec : null,
      durationMs: run.session.durationMs,
      gpuBytesAllocated: typeof mem.numBytesAllocatedInGPU === 'number' ? mem.numBytesAllocatedInGPU : null,
      gpuBytesInUse: typeof mem.numBytesInGPU === 'number' ? mem.numBytesInGPU : null,
      tensorBytes: mem.numBytes,
      numTensors: mem.numTensors,
      lr: run.lastLr,
    };
  }

  private emitProgress(run: ActiveRun): void {
    this.emit({ type: 'progress', progress: this.progress(run) });
  }

  /** The GAN run as the session's work (session/session.ts drives the loop). */
  private ganWork(run: ActiveRun): SessionWork {
    return {
      done: () => run.trainer.globalStep >= run.totalSteps,
      repair: async () => {
        if (this.deviceWatch.lost === null) return false;
        await this.recoverDevice(run);
        return true;
      },
      step: (clock) => this.gpu.run(() => this.stepOnce(run, clock)),
      classify: async (e) => {
        // a lost device makes reads fail: recover (next turn) instead of failing the run
        if (!(await this.deviceWatch.isLost())) throw e;
        return 'lost';
      },
      finish: () => this.closeRun(run, { status: 'finished' }),
      stopped: () => this.closeRun(run, { status: 'stopped' }),
      failed: (e) => this.closeRun(run, { status: 'failed', message: toTrainMessage(e) }),
    };
  }

  /**
   * One training step, its metric read (at log steps) and what is due after it (preview,
   * validation, checkpoint). 'fault': a fault was found and handled (rolled back, then paused or
   * resumed with a lower lr); 'lost': the device is gone (the loop recovers it next turn).
   */
  private async stepOnce(run: ActiveRun, clock: StepClock): Promise<StepOutcome> {
    const now = this.opts.now;
    if (run.poisonAt !== null && run.trainer.globalStep + 1 >= run.poisonAt) {
      run.poisonAt = null;
      poisonGenerator(run.trainer);
    }
    const info = run.trainer.step();
    clock.steps++;
    run.lastLr = info.lr;
    if (info.logged) {
      const m = await run.trainer.readMetrics();
      const t = now();
      run.session.recordSpeed(clock.steps, t - clock.syncAt - clock.otherMs);
      clock.syncAt = t;
      clock.steps = 0;
      clock.otherMs = 0;
      const point = metricPoint(m, Date.now());
      // history and charts also get the gradient norms; lastValues stays losses + lr
      const logged = { ...point, values: { ...point.values, ...gradNormPointValues(m) } };
      run.recorder.train(logged);
      run.lastValues = point.values;
      const bad = m.finite ? null : (firstNonFinite(m) ?? { name: 'a loss', value: NaN });
      if (bad) {
        // garbage read from a lost device is the device's fault, not the run's
        if (await this.deviceWatch.isLost()) return 'lost';
        await this.onFault(run, {
          kind: 'nonFinite',
          step: m.step,
          what: bad.name,
          value: String(bad.value),
          losses: { ...m.losses },
          lr: m.lr,
        });
        return 'fault';
      }
      const div = run.ganWatch.push(m.step, m.losses);
      if (div) {
        await this.onFault(run, { kind: 'ganDiverged', ...div, losses: { ...m.losses }, lr: m.lr });
        return 'fault';
      }
    }
    const t0 = now();
    const step = info.step;
    const previewDue = run.previewPairs.length > 0 && (step % run.previewEvery === 0 || step === 1);
    const valDue = run.cfg.val_every > 0 && step % run.cfg.val_every === 0;
    const saveDue = step % run.cfg.save_every === 0 || info.epochEnded;
    // the page sees this step's losses and counter before a long validation or save
    if (valDue || saveDue) run.recorder.flushEvents(true);
    if (previewDue) await this.preview(run);
    if (valDue) await this.validate(run);
    if (saveDue) await this.saveNow(run, 'last');
    if (run.badWeights) {
      // a save found NaN/Inf weights between metric reads: refused, and handled like a NaN loss
      const b = run.badWeights;
      run.badWeights = null;
      if (await this.deviceWatch.isLost()) return 'lost';
      await this.onFault(run, {
        kind: 'nonFinite',
        step: b.step,
        what: b.key,
        value: 'NaN/Inf',
        losses: { ...run.lastValues },
        lr: run.lastLr,
      });
      return 'fault';
    }
    if (run.recorder.historyDue()) await run.recorder.flushHistory();
    clock.otherMs += now() - t0;
    this.setActivity('training');
    run.recorder.flushEvents(false);
    return 'ok';
  }

  // ----- faults ------------------------------------------------------------------------------

  /**
   * Replace the run's trainer by its last good checkpoint (a fresh start from the seed when none
   * was saved yet), with the run's current config; cut the history after that step. Returns the step.
   */
  private async rollback(run: ActiveRun, disposeOld: boolean): Promise<number> {
    const storage = this.need().storage;
    const state = await lastGoodState(storage.checkpoints, run.id, run.record.name);
    const opts = { gradNorms: true };
    const fresh = state
      ? Trainer.restore({ ...state, config: run.cfg }, run.data, opts)
      : Trainer.create(run.cfg, run.data, opts);
    if (disposeOld) run.trainer.dispose();
    run.trainer = fresh;
    const step = fresh.globalStep;
    await truncateHistoryAfterStep(storage.runs, run.id, 'train', step);
    await truncateHistoryAfterStep(storage.runs, run.id, 'val', step);
    run.recorder.dropAfter(step);
    try {
      run.roundDiags = historyFromValPoints(await readHistory(storage.runs, run.id, 'val'));
    } catch {
      run.roundDiags = [];
    }
    run.lastSavedStep = step;
    run.lastValStep = step;
    run.lastValues = {};
    run.lastVal = null;
    run.lastLr = fresh.nextLearningRate;
    run.session.resetSpeed();
    run.ganWatch.reset();
    await this.patchRun(run, { step, epoch: fresh.epoch });
    this.emitProgress(run);
    return step;
  }

  /** Rebuild the trainer from its own state with the learning rate scaled (same weights, moments, step). */
  private async applyLrScale(run: ActiveRun, scale: number): Promise<void> {
    const state = await run.trainer.getState();
    const cfg = { ...run.cfg, lr: run.cfg.lr * scale };
    const next = Trainer.restore({ ...state, config: cfg }, run.data, { gradNorms: true });
    run.trainer.dispose();
    run.trainer = next;
    run.cfg = cfg;
    run.lastLr = next.nextLearningRate;
    this.emitProgress(run);
  }

  /**
   * NaN/Inf or a diverging GAN: roll back to the last good checkpoint, then resume with the lr
   * halved (auto policy) or pause and offer it (EngineStatus.recovery + a warning, en/zh).
   */
  private async onFault(run: ActiveRun, f: Fault): Promise<void> {
    await run.recorder.flushHistory();
    run.recorder.flushEvents(true);
    const lr = run.cfg.lr;
    const newLr = lr / 2;
    const restored = await this.rollback(run, true);
    const message = faultMessage(f, restored, lr, newLr);
    const checklist = stuckChecklist({
      cfg: run.cfg,
      evalMode: run.cfg.eval_mode,
      losses: f.losses,
      inputRange: inputRangeOf(run.prepared.train),
      balance: null,
      lrNow: f.lr,
    });
    const auto = run.policy.autoResume && run.autoResumes < run.policy.maxAuto;
    this.recovery = {
      kind: f.kind,
      runId: run.id,
      step: f.step,
      restoredStep: restored,
      lr,
      proposedLr: newLr,
      waiting: !auto,
      message,
      checklist,
    };
    this.warn(message);
    if (auto) {
      run.autoResumes++;
      await this.applyLrScale(run, 0.5);
      this.warn(
        trainMessage('engine.fault.autoResumed', {
          restored,
          lr: num(lr),
          newLr: num(newLr),
          left: run.policy.maxAuto - run.autoResumes,
        }),
      );
      this.emit({ type: 'status', status: this.status() });
      return;
    }
    run.session.pause();
    this.setPhase('paused', null);
    await this.patchRun(run, {
      status: 'paused',
      durationMs: Math.round(run.session.durationMs),
      heartbeatAt: Date.now(),
    });
  }

  /**
   * The device is gone with every tensor on it: re-create the backend (or start the next one in
   * the automatic order), rebuild the data tensors and the trainer from the last checkpoint, and
   * continue. The store is only read (and the history cut back to the checkpoint).
   */
  private async recoverDevice(run: ActiveRun): Promise<void> {
    const reason = this.deviceWatch.lost ?? 'device lost';
    const from = this.need().selection.backend;
    const step = run.trainer.globalStep;
    this.warn(trainMessage('engine.fault.deviceLost', { step, reason }));
    try {
      await this.gpu.run(async () => {
        // the tensors are gone with the device: this frees the bookkeeping only
        for (const drop of [() => run.trainer.dispose(), () => run.data.dispose()]) {
          try {
            drop();
          } catch {
            // a backend without its device may refuse; the backend is dropped next anyway
          }
        }
        // the detector's nets went with the device too: the tracer reloads them on the new backend
        this.detectors.forgetLoaded();
        await resetBackend(from);
        this.selection = await this.opts.select(from);
        this.deviceWatch.watch();
        const cfg = run.cfg;
        run.data = createInMemoryDataSource(applyTrainSubset(run.prepared.train, run.cfg), {
          size: cfg.size,
          photoChannels: cfg.input_nc,
          xrayChannels: cfg.output_nc,
        });
        const restored = await this.rollback(run, false);
        const to = this.need().selection.backend;
        await this.patchRun(run, { backend: to, adapter: this.adapterText() });
        this.warn(
          to === from
            ? trainMessage('engine.fault.deviceRecovered', { backend: to, restored })
            : trainMessage('engine.fault.deviceFallback', { from, backend: to, restored }),
        );
        this.emit({ type: 'status', status: this.status() });
      });
    } catch (e) {
      throw new TrainError(trainMessage('engine.fault.recoveryFailed', { error: errorText(e) }));
    }
  }

  /**
   * A device lost while no run trains (between runs): the next command that computes re-creates
   * the backend first. The ended run's networks went with the device (its checkpoints did not).
   */
  private async reviveBackend(): Promise<void> {
    if (this.deviceWatch.lost === null || (this.run && !this.run.session.ended)) return;
    const reason = this.deviceWatch.lost;
    const from = this.need().selection.backend;
    await this.gpu.run(async () => {
      if (this.deviceWatch.lost === null) return;
      const run = this.run;
      if (run) {
        for (const drop of [() => run.trainer.dispose(), () => run.data.dispose()]) {
          try {
            drop();
          } catch {
            // gone with the device
          }
        }
        this.run = null;
      }
      this.detectors.forgetLoaded();
      await resetBackend(from);
      this.selection = await this.opts.select(from);
      this.deviceWatch.watch();
      const to = this.need().selection.backend;
      this.warn(trainMessage('engine.fault.deviceLost', { step: run?.trainer.globalStep ?? 0, reason }));
      this.warn(
        to === from
          ? trainMessage('engine.fault.deviceRecovered', {
              backend: to,
              restored: run?.trainer.globalStep ?? 0,
            })
          : trainMessage('engine.fault.deviceFallback', {
              from,
              backend: to,
              restored: run?.trainer.globalStep ?? 0,
            }),
      );
      this.emit({ type: 'status', status: this.status() });
    });
  }

  /** Tests only (EngineCommands.injectFault): what a real fault does, on demand. */
  async injectFault(params: FaultInjection): Promise<void> {
    if (params.kind === 'nonFinite') {
      const run = this.activeRun();
      run.poisonAt = Math.max(run.trainer.globalStep + 1, Math.floor(params.atStep ?? 0));
      return;
    }
    const device = activeGpuDevice();
    if (device) device.destroy();
    // off WebGPU there is no device to destroy: the engine is told its device is lost
    else this.deviceWatch.simulateLoss('device.destroy() (simulated for a backend without a GPU device)');
  }

  private async preview(run: ActiveRun): Promise<void> {
    this.setActivity('previewing');
    const cfg = run.cfg;
    const predictions = await predictImages(
      run.trainer.G,
      cfg,
      run.previewPairs.map((p) => p.photo),
      { evalMode: cfg.eval_mode, seedTag: 'preview' },
    );
    this.emit({ type: 'preview', runId: run.id, step: run.trainer.globalStep, predictions });
  }

  /**
   * One validation round (evaluation.ts, the Evaluate section's computation): metrics per case,
   * 0-255 diagnostics, loss balance, train/val gap, stuck verdict. The `val` history point keeps
   * every value (per case too); events, checkpoints and the run record get the summary.
   */
  private async validate(run: ActiveRun): Promise<void> {
    if (run.valPairs.length === 0) return;
    this.setActivity('validating');
    const round = await runValidationRound(run.trainer, run.valPairs, run.trainSubset, run.cfg, {
      history: run.roundDiags,
      losses: run.lastValues,
      diagCaseIds: run.prepared.evalCaseIds,
      landmarks: run.prepared.landmarks,
      trace: this.roundTrace(run.tracer),
    });
    run.roundDiags.push(roundDiag(round, round.losses));
    const { summary, all } = validationPointValues(round);
    const step = run.trainer.globalStep;
    run.lastValStep = step;
    const stored: MetricPoint = { step, epoch: run.trainer.epoch, timeMs: Date.now(), values: all };
    run.recorder.val(stored);
    run.lastVal = summary;
    const key = BEST_KEYS[run.bestMetric];
    const value = summary[key] ?? null;
    const isBest =
      value !== null &&
      isBetter(run.bestMetric, value, run.best && run.best.metric === key ? run.best.value : null);
    this.emit({ type: 'validation', runId: run.id, point: { ...stored, values: summary }, isBest, round });
    if (isBest && value !== null) {
      run.best = bestOfRound({ metric: key, value, step, epoch: run.trainer.epoch }, round);
      await this.saveNow(run, 'best');
      await this.patchRun(run, { best: run.best });
    }
  }

  /** Metrics stored with a checkpoint: last losses and the last validation round. */
  private checkpointMetrics(run: ActiveRun): Record<string, number | null> {
    const out: Record<string, number | null> = {};
    const val = run.lastVal;
    if (val) for (const [k, v] of Object.entries(val)) out[`val_${k}`] = v;
    if (run.best) out[`best_${run.best.metric}`] = run.best.value;
    return out;
  }

  private async saveNow(run: ActiveRun, name: string): Promise<CheckpointRecord | null> {
    const storage = this.need().storage;
    this.setActivity('saving');
    try {
      const state = await run.trainer.getState(this.checkpointMetrics(run));
      // never store weights that are not finite: the previous checkpoint stays the last good one
      const bad = firstNonFiniteWeight(state.G) ?? firstNonFiniteWeight(state.D);
      if (bad !== null) {
        run.badWeights ??= { key: bad, step: state.step };
        this.warn(trainMessage('engine.fault.checkpointRefused', { name, step: state.step, key: bad }));
        return null;
      }
      const files = encodeTrainerState(state);
      await run.recorder.flushHistory();
      const rec = await saveStoredCheckpoint(storage.checkpoints, run.id, name, files);
      if (name === 'last') run.lastSavedStep = state.step;
      const names = run.record.checkpointNames.includes(name)
        ? run.record.checkpointNames
        : [...run.record.checkpointNames, name];
      await this.patchRun(run, {
        checkpointNames: names,
        step: state.step,
        epoch: state.epoch,
        durationMs: Math.round(run.session.durationMs),
        lastMetrics: { ...run.lastValues, ...this.checkpointMetrics(run) },
      });
      this.emit({ type: 'checkpoint', runId: run.id, record: rec });
      return rec;
    } catch (e) {
      this.warn(trainMessage('engine.checkpoint.saveFailed', { name, error: errorText(e) }));
      return null;
    }
  }

  /**
   * The run's closing steps, once for every way it ends: finished (a last validation round when
   * due), stopped, or failed; then the last checkpoint when the trainer moved past it, the history
   * and events written down, the session ended (heartbeat, run lock), the run record's final status,
   * and the closing event. A failed run writes what it can and reports the original failure.
   */
  private async closeRun(run: ActiveRun, end: RunEnd): Promise<void> {
    const failed = end.status === 'failed';
    const step = run.trainer.globalStep;
    if (end.status === 'finished' && run.cfg.val_every > 0 && run.lastValStep !== step)
      await this.validate(run);
    if (!failed && run.lastSavedStep !== step) await this.saveNow(run, 'last');
    try {
      await run.recorder.flushHistory();
      run.recorder.flushEvents(true);
    } catch (e) {
      if (!failed) throw e; // a failed run reports the original failure
    }
    run.session.end();
    run.recorder.stopHeartbeat();
    run.releaseLock();
    const durationMs = Math.round(run.session.durationMs);
    try {
      await this.patchRun(
        run,
        end.status === 'failed'
          ? { status: 'failed', error: end.message.text, durationMs }
          : {
              status: end.status,
              step,
              epoch: run.trainer.epoch,
              durationMs,
              ...(end.status === 'finished'
                ? { lastMetrics: { ...run.lastValues, ...this.checkpointMetrics(run) } }
                : {}),
            },
      );
    } catch (e) {
      if (!failed) throw e; // the store may be the problem
    }
    if (end.status === 'finished')
      this.warn(
        trainMessage('engine.run.finished', {
          run: run.record.name,
          steps: step,
          epochs: lastEpoch(run.cfg) - run.cfg.epoch_count + 1,
        }),
      );
    if (end.status === 'failed') this.emit({ type: 'error', message: end.message });
    this.setPhase('ready', null);
  }

  private activeRun(): ActiveRun {
    const run = this.run;
    if (!run || run.session.ended) throw new TrainError(trainMessage('engine.noRun'));
    return run;
  }

  async pause(): Promise<void> {
    const run = this.activeRun();
    if (run.session.paused) return;
    run.session.pause();
    // wait for the step in flight, then write everything down
    await this.gpu.run(async () => {
      await run.recorder.flushHistory();
      run.recorder.flushEvents(true);
    });
    this.setPhase('paused', null);
    await this.patchRun(run, {
      status: 'paused',
      durationMs: Math.round(run.session.durationMs),
      heartbeatAt: Date.now(),
    });
  }

  async resume(params?: ResumeActiveOptions | void): Promise<void> {
    const run = this.activeRun();
    if (!run.session.paused) return;
    const scale = params && typeof params.lrScale === 'number' ? params.lrScale : 1;
    if (!(scale > 0 && Number.isFinite(scale)))
      throw new TrainError(trainMessage('config.positive', { option: 'lr scale', value: scale }));
    if (scale !== 1) await this.gpu.run(() => this.applyLrScale(run, scale));
    if (this.recovery?.runId === run.id) this.recovery = null;
    run.session.resume();
    await this.patchRun(run, { status: 'running', heartbeatAt: Date.now() });
    this.setPhase('running', 'training');
    run.session.wake();
  }

  async stop(): Promise<RunRecord | null> {
    const run = this.run;
    if (!run || run.session.ended) return null;
    this.setPhase('stopping');
    await run.session.stop();
    return run.record;
  }

  // ----- models for evaluate / predict -------------------------------------------------------

  /** A generator for a model source; `release` disposes it when it was loaded for this call. */
  private async generatorFor(
    source: ModelSource | undefined,
  ): Promise<{ G: Generator; cfg: RunConfig; step: number; release(): void }> {
    if (!source || source.kind === 'current') {
      const run = this.run;
      if (!run) throw new TrainError(trainMessage('engine.noModel'));
      return { G: run.trainer.G, cfg: run.cfg, step: run.trainer.globalStep, release: () => undefined };
    }
    const { storage } = this.need();
    // only the manifest and G are read (not D and the optimizer state)
    const { get } = await checkpointReader(storage.checkpoints, source.runId, source.name);
    const g = await readCheckpointNetwork(get, 'G', `run ${source.runId}, checkpoint "${source.name}"`);
    const cfg = g.manifest.config;
    const G = createGenerator(cfg, cfg.seed);
    try {
      loadStateDict(G, g.stateDict, { strict: true });
    } catch (e) {
      G.dispose();
      throw e;
    }
    return { G, cfg, step: g.manifest.step, release: () => G.dispose() };
  }

  async evaluate(params: EvaluateOptions): Promise<EvaluationSummary> {
    await this.reviveBackend();
    return this.gpu.run(async () => {
      const model = await this.generatorFor(params.model);
      try {
        const prepared = await this.trainingData.prepare(model.cfg);
        let pairs = params.split === 'train' ? prepared.train : prepared.val;
        if (params.caseIds) {
          pairs = params.caseIds
            .map((id) => prepared.byId.get(id))
            .filter((x): x is ImagePair => x !== undefined);
        }
        if (pairs.length === 0)
          throw new TrainError(
            trainMessage('engine.dataset.noVal', { dataset: this.dataset?.info.name ?? '' }),
          );
        const cases = await evaluateGenerator(model.G, model.cfg, pairs, {
          evalMode: params.evalMode ?? model.cfg.eval_mode,
          withImages: params.withImages ?? false,
        });
        return { step: model.step, cases, aggregate: aggregate(cases) };
      } finally {
        model.release();
      }
    });
  }

  /**
   * The Evaluate section's full evaluation (metrics, diagnostics, loss balance, gap, stuck verdict,
   * the fixed-list grid) of the current weights or any stored checkpoint, on the loaded dataset.
   */
  async evaluateCheckpoint(params: EvaluateCheckpointOptions): Promise<CheckpointEvaluation> {
    await this.reviveBackend();
    const { storage } = this.need();
    return this.gpu.run(async () => {
      let model;
      if (params.model.kind === 'current') {
        const run = this.run;
        if (!run) throw new TrainError(trainMessage('engine.noModel'));
        model = modelFromTrainer(run.trainer, run.id, run.lastValues, run.roundDiags);
      } else {
        model = await loadCheckpointModel(storage, params.model.runId, params.model.name);
      }
      try {
        const prepared = await this.trainingData.prepare(model.cfg);
        const tracer = params.traceability
          ? await this.makeTracer(params.traceability, model.cfg, prepared)
          : null;
        return await evaluateModelOnData(model, { ...prepared, trace: this.roundTrace(tracer) }, params);
      } finally {
        model.release();
      }
    });
  }

  async predict(params: PredictOptions): Promise<RgbaImage[]> {
    await this.reviveBackend();
    return this.gpu.run(async () => {
      const model = await this.generatorFor(params.model);
      try {
        return await predictImages(model.G, model.cfg, params.photos, {
          evalMode: params.evalMode ?? model.cfg.eval_mode,
          seedTag: 'predict',
        });
      } finally {
        model.release();
      }
    });
  }

  // ----- checkpoints -------------------------------------------------------------------------

  async saveCheckpoint(params: SaveCheckpointOptions): Promise<CheckpointRecord> {
    const run = this.run;
    if (!run) throw new TrainError(trainMessage('engine.noRun'));
    const name = params.name ?? 'last';
    const rec = await this.gpu.run(() => this.saveNow(run, name));
    if (!rec)
      throw new TrainError(
        trainMessage('engine.checkpoint.saveFailed', { name, error: 'see the warning above' }),
      );
    return rec;
  }

  async exportCheckpoint(params: ExportCheckpointOptions): Promise<ExportedCheckpoint> {
    const { storage } = this.need();
    const { record, files } = await exportStoredCheckpoint(storage.checkpoints, params.runId, params.name);
    const entries = await Promise.all(
      files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.blob.arrayBuffer()) })),
    );
    if (params.format === 'files') return { record, files: entries };
    const { zipSync } = await import('fflate');
    const folder = `${params.runId}-${params.name}`.replace(/[^\w.-]+/g, '_');
    const tree: Record<string, [Uint8Array, { level: 0 }]> = {};
    for (const e of entries) tree[`${folder}/${e.name}`] = [e.bytes, { level: 0 }];
    return { record, files: [{ name: `${folder}.zip`, bytes: zipSync(tree) }] };
  }

  // ----- teardown ----------------------------------------------------------------------------

  private disposeRun(): void {
    const run = this.run;
    if (!run) return;
    if (!run.session.ended) return;
    run.trainer.dispose();
    run.data.dispose();
    this.run = null;
  }

  async dispose(): Promise<void> {
    await this.stop();
    await this.detectors.dispose();
    this.disposeRun();
    this.trainingData.clear();
    this.setPhase('ready', null);
  }

  // ----- landmark detector (engine/detector/service.ts) ---------------------------------------

  /**
   * The traceability scorer of a run or an evaluation: the detector (its landmark set must be the
   * dataset's: refused naming both), the val cases with landmarks and their original frames.
   * Null with a warning when the prediction is not an X-ray (BtoA).
   */
  private async makeTracer(
    ref: DetectorRef,
    cfg: RunConfig,
    prepared: PreparedData,
  ): Promise<RoundTracer | null> {
    const ds = this.dataset;
    if (!ds) throw new TrainError(trainMessage('engine.noDataset'));
    const set = ds.landmarkSet;
    if (!set || set.symbols.length === 0)
      throw new TrainError(trainMessage('engine.detector.needsLandmarks', { dataset: ds.info.name }));
    if (cfg.direction === 'BtoA') {
      this.warn(
        trainMessage('engine.trace.failed', { error: 'the predictions are photos (direction BtoA)' }),
      );
      return null;
    }
    const detector = await this.detectors.load(ref);
    const base = ds.info.preprocessing;
    const spec: PreprocessSpec = {
      ...base,
      size: cfg.size,
      mode: cfg.preprocess === 'roi' && !base.roi ? 'letterbox' : cfg.preprocess,
    };
    const cases = await traceCases(
      this.need().storage,
      {
        id: ds.info.source.kind === 'stored' ? ds.info.source.datasetId : ds.info.id,
        kind: ds.info.source.kind,
      },
      spec,
      prepared.val,
      (id) => prepared.landmarks?.spacingOf(id) ?? null,
    );
    return new RoundTracer(
      detector,
      cases,
      // the same net while cached; loaded again if the cache let it go (another detector used
      // meanwhile) or a lost device took it
      async (d, img) => this.detectors.detectOne(await this.detectors.current(d), img),
      ds.info.name,
      set.symbols,
    );
  }

  /** A round's traceability hook: a failure is a warning, never the end of the round. */
  private roundTrace(tracer: RoundTracer | null): RoundTrace | null {
    if (!tracer || tracer.caseIds.length === 0) return null;
    return {
      caseIds: tracer.caseIds,
      score: async (grid) => {
        try {
          return await tracer.score(grid);
        } catch (e) {
          this.warn(trainMessage('engine.trace.failed', { error: errorText(e) }));
          return null;
        }
      },
    };
  }

  async listDetectors(): Promise<DetectorSummary[]> {
    return this.detectors.listDetectors();
  }

  async trainDetector(params: TrainDetectorOptions): Promise<DetectorSummary> {
    this.need();
    return this.detectors.trainDetector(params);
  }

  async stopDetector(): Promise<DetectorSummary | null> {
    return this.detectors.stopDetector();
  }

  async resumeDetector(params: { detectorId: string }): Promise<DetectorSummary> {
    this.need();
    return this.detectors.resumeDetector(params);
  }

  async deleteDetector(params: { detectorId: string }): Promise<void> {
    this.need();
    return this.detectors.deleteDetector(params);
  }

  async detect(params: DetectParams): Promise<DetectResult> {
    this.need();
    return this.detectors.detect(params);
  }

  // ----- device questions (deviceQueries.ts, under the GPU lock) ------------------------------

  private readonly device = new DeviceQueries({
    home: () => this.home,
    selection: () => this.need().selection,
    gpu: (fn) => this.gpu.run(fn),
    assertIdle: () => {
      if (this.run && !this.run.session.ended)
        throw new TrainError(trainMessage('engine.busy', { run: this.run.id }));
      this.detectors.assertNotTraining();
    },
    emit: (e) => this.emit(e),
    yieldNow: () => this.opts.yieldNow(),
  });

  selfTest(): Promise<SelfTestResult> {
    return this.device.selfTest();
  }

  environmentReport(): Promise<EngineEnvReport> {
    return this.device.environmentReport();
  }

  benchmark(params: BenchmarkOptions): Promise<BenchmarkRecord[]> {
    return this.device.benchmark(params);
  }

  /** For tests: the active run's trainer. */
  get trainerForTests(): Trainer | null {
    return this.run?.trainer ?? null;
  }
}

/** The traceability detector as a run record keeps it (its card without the curves). */
function runTraceabilityOf(d: DetectorSummary): Omit<DetectorSummary, 'history'> {
  const { history: _history, ...card } = d;
  void _history;
  return card;
}

function bestMetricOf(key: string): BestMetric {
  return key === 'mean_psnr'
    ? 'psnr'
    : key === 'mean_ssim'
      ? 'ssim'
      : key === 'lm_sharp'
        ? 'lmSharp'
        : key === 'trace_mre'
          ? 'traceMre'
          : 'l1';
}
