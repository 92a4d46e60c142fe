/**
 * The training engine's interface and its wire protocol (web-llm's pattern): one `Engine`
 * interface with two homes — a dedicated module Worker (client.ts → worker.ts) or the page itself
 * (inPage.ts) — so the UI does not care where training runs.
 *
 * Commands are request/response pairs matched by `id`; everything the engine volunteers (step
 * metrics, validation rounds, checkpoints, previews, warnings, status) arrives through one typed
 * event callback. Every message is structured-clone data (no classes, no tensors), so the same
 * objects cross `postMessage` and stay valid in the page.
 */
import type { RunConfig } from '../core/config';
import type { PreprocessSpec } from '../core/data/preprocess';
import type { AggregateMetrics, CaseMetrics } from '../core/eval/metrics';
import type { Point, RgbaImage } from '../core/image';
import type {
  DetectorRef,
  DetectorSummary,
  TraceabilityMeasurement,
  TraceabilityResult,
} from '../core/detector/traceability';
import type { CheckpointRecord } from '../store/checkpoints';
import type { MetricPoint, RunRecord, RunSweep } from '../store/runs';
import type { BackendChoice, BackendSelection } from './backend';
import type { ConfigEstimate } from './memoryEstimate';
import type { CheckpointEvaluation, EvaluateCheckpointOptions, ValidationRound } from './evaluation';
import {
  connect,
  serve,
  toWireError,
  transfer,
  type FromServer,
  type Handlers,
  type Port,
  type ToServer,
  type WireError,
} from './rpc';
import { TRAIN_MESSAGES, trainMessage, TrainError, type TrainMessage } from './trainMessages';
import type { ChecklistItem } from '../core/eval/checklist';
import type { BenchmarkOptions, BenchmarkRecord, EngineEnvReport } from './benchmark';
import type { SelfTestResult } from './selftest';

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/** Where the engine runs. */
export type EngineHome = 'worker' | 'page' | 'node';

export interface ProbeResult {
  home: EngineHome;
  /** A WebGPU adapter could be obtained here. */
  webgpu: boolean;
  /** Why not, when webgpu is false (English). */
  webgpuReason?: string;
}

export interface InitOptions {
  backend: BackendChoice;
  /** IndexedDB database prefix (default `ceph-gan-studio`; tests use their own). */
  storagePrefix?: string;
}

export interface EngineInfo {
  home: EngineHome;
  selection: BackendSelection;
}

/** Where a dataset comes from. */
export type DatasetSource =
  | {
      kind: 'demo';
      /** Number of phantom cases (80 % train, 20 % val by the generator's split). */
      cases: number;
      seed: number;
    }
  | {
      kind: 'stored';
      datasetId: string;
      /** Override of the dataset's stored preprocessing (mode, padding, ROI); size comes from the run config. */
      preprocessing?: PreprocessSpec;
    };

export interface DatasetInfo {
  /** Stable id recorded with runs: the stored dataset id, or `demo-<cases>-<seed>`. */
  id: string;
  name: string;
  source: DatasetSource;
  trainCount: number;
  valCount: number;
  /** The fixed evaluation list (first cases shown in the live preview). */
  evalCaseIds: string[];
  /** Case ids of the live preview (the first 3 of the evaluation list). */
  previewCaseIds: string[];
  hasLandmarks: boolean;
  /** Symbols of the dataset's landmarks in file order (`S`, `N`, ...), when it has landmarks. */
  landmarkSymbols?: string[];
  /** Full English names of the landmarks, same order (the overlay's hover names). */
  landmarkNames?: string[];
  /** Preprocessing the images get (its size is replaced by the run's `size`). */
  preprocessing: PreprocessSpec;
}

/** Validation metric that picks the `best` checkpoint. */
export type BestMetric = 'l1' | 'psnr' | 'ssim' | 'lmSharp' | 'traceMre';

export interface StartOptions {
  config: RunConfig;
  /** Display name of the run (default: preset + time). */
  name?: string;
  /**
   * Default 'l1' (lower is better; PSNR and SSIM: higher is better; 'lmSharp', the landmark-region
   * sharpness pred ÷ X-ray of datasets with landmarks: closest to 1 is better).
   */
  bestMetric?: BestMetric;
  /** Steps between live previews (default: every log_every * 4 steps, at least every 20). */
  previewEvery?: number;
  /**
   * Start from a stored checkpoint's G and D weights instead of fresh networks (the server's
   * `--continue_train`): the network structure and `epoch_count` come from the checkpoint, the
   * rest of `config` from the caller; Adam starts fresh. See core/train/continue.ts.
   */
  init?: ContinueFrom;
  /**
   * The landmark detector that scores each validation round for traceability (detector on the
   * prediction vs the real film's landmarks, in mm); default null = no traceability.
   */
  traceability?: DetectorRef | null;
  /** What to do after a non-finite value or a diverging GAN (default: pause and offer). */
  recovery?: RecoveryPolicy;
  /** The sweep or study this run belongs to (kept in its RunRecord; issue 15). */
  sweep?: RunSweep;
}

/**
 * After NaN/Inf or a diverging GAN the run is always rolled back to its last good checkpoint;
 * `autoResume` then resumes at once with the learning rate halved (at most `maxAuto` times per run,
 * default 3), otherwise the run pauses and offers it (EngineStatus.recovery).
 */
export interface RecoveryPolicy {
  autoResume?: boolean;
  maxAuto?: number;
}

/** A fault the engine recovered from (shown in the Train view until the user acts). */
export interface RunRecovery {
  kind: 'nonFinite' | 'ganDiverged' | 'deviceLost';
  runId: string;
  /** Step at which it was detected (the metric read, or the step in flight for a lost device). */
  step: number;
  /** Step of the checkpoint the run was rolled back to (0: no checkpoint yet, a fresh start). */
  restoredStep: number;
  /** Learning rate before, and the one the offered resume uses. */
  lr: number;
  proposedLr: number;
  /** The run waits for the user (false: it resumed by itself). */
  waiting: boolean;
  message: TrainMessage;
  /** The clinic's checklist, answered from the run (GAN divergence and non-finite values). */
  checklist: ChecklistItem[];
}

/** Resume a paused run (`resume`); `lrScale` multiplies the learning rate (0.5 = the offered halving). */
export interface ResumeActiveOptions {
  lrScale?: number;
}

/** Test-only faults (harmless: a real fault does the same). */
export type FaultInjection = { kind: 'nonFinite'; atStep?: number } | { kind: 'destroyDevice' };

/** Continue training from a checkpoint: the stored checkpoint a NEW run starts from (`start` with `init`). */
export interface ContinueFrom {
  runId: string;
  /** Checkpoint pointer name (`last`, `best`, …). */
  checkpoint: string;
}

/** Recover interrupted run (`recoverRun`): the same run goes on from its checkpoint. */
export interface RecoverOptions {
  runId: string;
  /** Checkpoint to recover from (default `last`). */
  checkpoint?: string;
  /** Engine storage prefix is the engine's; the dataset is reloaded from the run record when needed. */
  bestMetric?: BestMetric;
  previewEvery?: number;
  /** The landmark detector that scores each validation round (default null: none). */
  traceability?: DetectorRef | null;
  recovery?: RecoveryPolicy;
}

export interface RunStarted {
  run: RunRecord;
  /** Step the run continues from (0 for a new run). */
  fromStep: number;
  totalSteps: number;
  stepsPerEpoch: number;
}

/** The model an evaluate/predict command uses. */
export type ModelSource = { kind: 'current' } | { kind: 'checkpoint'; runId: string; name: string };

export interface EvaluateOptions {
  model?: ModelSource;
  /** Cases to evaluate (default: the dataset's val split). */
  split?: 'train' | 'val';
  /** Restrict to these case ids (e.g. the fixed evaluation list or a train subset). */
  caseIds?: string[];
  /** Server `--eval` (BatchNorm running stats, no dropout). Default: the run config's eval_mode. */
  evalMode?: boolean;
  /** Also return photo, X-ray and prediction images per case. */
  withImages?: boolean;
}

export interface EvaluatedCase extends CaseMetrics {
  id: string;
  photo?: RgbaImage;
  xray?: RgbaImage;
  prediction?: RgbaImage;
  /** With images: the case's ground-truth landmarks in the X-ray's preprocessed pixels (when it has them). */
  landmarks?: Point[];
}

export interface EvaluationSummary {
  step: number;
  cases: EvaluatedCase[];
  aggregate: AggregateMetrics;
}

export interface PredictOptions {
  model?: ModelSource;
  /** Photos at the run's training size. */
  photos: RgbaImage[];
  evalMode?: boolean;
}

export interface SaveCheckpointOptions {
  /** Pointer name: `last`, `best` or a user name. Default `last`. */
  name?: string;
}

export interface ExportCheckpointOptions {
  runId: string;
  name: string;
  /** `zip` (one file, stored uncompressed) or `files` (each file separately). Default zip. */
  format?: 'zip' | 'files';
}

export interface ExportedFile {
  name: string;
  bytes: Uint8Array;
}

export interface ExportedCheckpoint {
  record: CheckpointRecord;
  /** One `<run>-<name>.zip` for format zip, else the checkpoint's files. */
  files: ExportedFile[];
}

export type EnginePhase =
  | 'created'
  | 'initializing'
  | 'ready'
  | 'loadingDataset'
  | 'starting'
  | 'running'
  | 'paused'
  | 'stopping'
  | 'failed';

export interface EngineStatus {
  phase: EnginePhase;
  runId: string | null;
  dataset: DatasetInfo | null;
  /** Backend in use once initialised. */
  backend: string | null;
  /** What the engine is doing right now inside a run (validation, saving, ...), for a status line. */
  activity: 'training' | 'validating' | 'saving' | 'previewing' | null;
  /** The last fault the active run recovered from (null/absent: none). */
  recovery?: RunRecovery | null;
}

export interface TrainProgress {
  runId: string;
  step: number;
  totalSteps: number;
  epoch: number;
  /** First epoch of the run (cfg.epoch_count) and last one (n_epochs + n_epochs_decay). */
  firstEpoch: number;
  lastEpoch: number;
  iterInEpoch: number;
  stepsPerEpoch: number;
  /** Training steps per second (validation, saving and previews excluded); null before the first measurement. */
  itPerSec: number | null;
  /** itPerSec x batch_size. */
  imagesPerSec: number | null;
  /** Seconds left at the current speed; null when unknown. */
  etaSec: number | null;
  /** Active training time of the run, ms (pauses excluded). */
  durationMs: number;
  /** `tf.memory().numBytesAllocatedInGPU` (WebGPU: pooled buffers included), null off the GPU. */
  gpuBytesAllocated: number | null;
  /** `tf.memory().numBytesInGPU` when the backend reports it. */
  gpuBytesInUse: number | null;
  /** `tf.memory().numBytes` (all tensors, any backend). */
  tensorBytes: number;
  numTensors: number;
  lr: number;
}

/**
 * What the network sees for one case (the Train view's thumbnail): the first case of the
 * evaluation list preprocessed exactly as a run with this config gets it (size, mode, direction),
 * with its landmarks in that frame (null when the dataset has none).
 */
export interface NetworkInput {
  datasetId: string;
  caseId: string;
  /** Network input (A) and target (B) at the training size. */
  input: RgbaImage;
  target: RgbaImage;
  landmarks: Point[] | null;
  size: number;
  /** The preprocessing mode actually used (an ROI run without a box is letterboxed). */
  mode: PreprocessSpec['mode'];
}

export interface PreviewCase {
  id: string;
  photo: RgbaImage;
  xray: RgbaImage;
  /** Ground-truth landmarks in the preprocessed X-ray's pixels (training size), when the case has them. */
  landmarks?: Point[];
}

// ---------------------------------------------------------------------------------------------
// Landmark detector (CONTRACTS2.md)
// ---------------------------------------------------------------------------------------------

export type { DetectorRef, DetectorSummary, TraceabilityMeasurement, TraceabilityResult };

export interface TrainDetectorOptions {
  /** A stored dataset id, or 'demo' = the loaded demo phantom dataset. */
  datasetId: string | 'demo';
  name?: string;
  size?: number;
  epochs?: number;
  sigmaMm?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  /** Fine-tune from this detector (landmark sets must match; refused naming both). */
  init?: DetectorRef;
  /** Tests: tiny runs. */
  maxStepsPerEpoch?: number;
}

export interface DetectorEpochPoint {
  epoch: number;
  step: number;
  /** Mean training heatmap loss of the epoch. */
  loss: number;
  valMreMm: number | null;
  /** Fraction 0..1. */
  valSdr2: number | null;
  timeMs: number;
}

export interface DetectParams {
  detector: DetectorRef;
  images: RgbaImage[];
}

export interface DetectResult {
  /** Per image, in that image's own pixel frame. */
  points: (Point | null)[][];
  symbols: string[];
}

export type EngineEvent =
  | { type: 'status'; status: EngineStatus }
  | { type: 'progress'; progress: TrainProgress }
  /**
   * Logged step losses (`values`: G_GAN, G_L1, G_grad, G_lap, G_fm, G_ssim, D_real, D_fake, lr) and
   * gradient norms (`grad:<group>`, `grad:fake/<term>`: core/train/trainer.ts gradNormPointValues).
   */
  | { type: 'metrics'; runId: string; points: MetricPoint[] }
  /**
   * One validation round: `point.values` is its summary (mean_l1 on [0,1], mean_psnr in dB,
   * mean_ssim, 0-255 diagnostics, gap, ...); `round` is the whole round for the Evaluate section.
   */
  | { type: 'validation'; runId: string; point: MetricPoint; isBest: boolean; round?: ValidationRound }
  | { type: 'checkpoint'; runId: string; record: CheckpointRecord }
  /** The fixed preview cases of the run (sent once at start). */
  | { type: 'previewCases'; runId: string; cases: PreviewCase[] }
  /** Current predictions for the preview cases, same order. */
  | { type: 'preview'; runId: string; step: number; predictions: RgbaImage[] }
  /** The run record changed (status, best, duration, checkpoints). */
  | { type: 'run'; run: RunRecord }
  | { type: 'datasetProgress'; done: number; total: number }
  | { type: 'warning'; message: TrainMessage }
  | { type: 'error'; message: TrainMessage }
  | {
      type: 'detectorProgress';
      detectorId: string;
      epoch: number;
      epochs: number;
      step: number;
      stepsPerEpoch: number;
      etaSec: number | null;
    }
  | { type: 'detectorEpoch'; detectorId: string; point: DetectorEpochPoint }
  | { type: 'detectorDone'; summary: DetectorSummary }
  /** The device benchmark (deviceQueries.ts): `done` of `total` measured steps of `config`. */
  | { type: 'benchmarkProgress'; config: string; done: number; total: number };

export type EngineEventListener = (event: EngineEvent) => void;

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

/** Every command: its parameters and its result. */
export interface EngineCommands {
  probe: { params: void; result: ProbeResult };
  init: { params: InitOptions; result: EngineInfo };
  loadDataset: { params: DatasetSource; result: DatasetInfo };
  start: { params: StartOptions; result: RunStarted };
  /** Recover interrupted run: an interrupted/stopped/failed run goes on from its checkpoint (after a reload, a crash, a closed tab). */
  recoverRun: { params: RecoverOptions; result: RunStarted };
  pause: { params: void; result: void };
  /** Resume a paused run (optionally with the learning rate scaled, e.g. halved after NaN). */
  resume: { params: ResumeActiveOptions | void; result: void };
  /** Stop the active run (saves `last` first). */
  stop: { params: void; result: RunRecord | null };
  evaluate: { params: EvaluateOptions; result: EvaluationSummary };
  /** The Evaluate section's full evaluation of the current weights or a stored checkpoint (evaluation.ts). */
  evaluateCheckpoint: { params: EvaluateCheckpointOptions; result: CheckpointEvaluation };
  predict: { params: PredictOptions; result: RgbaImage[] };
  saveCheckpoint: { params: SaveCheckpointOptions; result: CheckpointRecord };
  exportCheckpoint: { params: ExportCheckpointOptions; result: ExportedCheckpoint };
  getStatus: { params: void; result: EngineStatus };
  /** Parameters, FLOPs and the memory a config needs, checked against this backend's limits. */
  describeConfig: { params: RunConfig; result: ConfigEstimate };
  /** The first evaluation case as a run with this config would feed it to the network (prepares and caches the data). */
  networkInput: { params: RunConfig; result: NetworkInput };
  /** Free every tensor and the dataset (stops a run first). */
  dispose: { params: void; result: void };
  /** The shipped detector (when present) and the stored ones. */
  listDetectors: { params: void; result: DetectorSummary[] };
  /** Start training a landmark detector (returns at once; progress through detector* events). */
  trainDetector: { params: TrainDetectorOptions; result: DetectorSummary };
  /** Stop the detector training (its last checkpoint is kept). */
  stopDetector: { params: void; result: DetectorSummary | null };
  /** Continue a stopped/interrupted detector from its last checkpoint. */
  resumeDetector: { params: { detectorId: string }; result: DetectorSummary };
  deleteDetector: { params: { detectorId: string }; result: void };
  /** Landmarks of images (points in each image's own pixel frame). */
  detect: { params: DetectParams; result: DetectResult };
  /** Tests only: inject a fault into the active run (NaN weights, or destroy the WebGPU device). */
  injectFault: { params: FaultInjection; result: void };
  /** Device questions (deviceQueries.ts), under the GPU lock in the home that trains: the numerical self-test of the engine's backend. */
  selfTest: { params: void; result: SelfTestResult };
  /** The environment report as the engine's home sees it (selection, self-test, browser/Node, storage). */
  environmentReport: { params: void; result: EngineEnvReport };
  /** The training-step benchmark on this device (refused while a run or a detector trains). */
  benchmark: { params: BenchmarkOptions; result: BenchmarkRecord[] };
}

export type CommandName = keyof EngineCommands;
export type CommandParams<M extends CommandName> = EngineCommands[M]['params'];
export type CommandResult<M extends CommandName> = EngineCommands[M]['result'];

export const COMMAND_NAMES: readonly CommandName[] = [
  'probe',
  'init',
  'loadDataset',
  'start',
  'recoverRun',
  'pause',
  'resume',
  'stop',
  'evaluate',
  'evaluateCheckpoint',
  'predict',
  'saveCheckpoint',
  'exportCheckpoint',
  'getStatus',
  'describeConfig',
  'networkInput',
  'dispose',
  'listDetectors',
  'trainDetector',
  'stopDetector',
  'resumeDetector',
  'deleteDetector',
  'detect',
  'injectFault',
  'selfTest',
  'environmentReport',
  'benchmark',
];

/** The command methods, one per command (void params make the argument optional). */
export type EngineApi = {
  [M in CommandName]: (params: CommandParams<M>) => Promise<CommandResult<M>>;
};

/** The interface both homes implement. */
export interface Engine extends EngineApi {
  readonly home: EngineHome;
  /** Subscribe to the event stream; returns the unsubscribe function. */
  onEvent(listener: EngineEventListener): () => void;
  /** Drop the engine for good (terminates a worker). */
  terminate(): void;
}

// ---------------------------------------------------------------------------------------------
// Wire: the engine over the one worker RPC (rpc.ts)
// ---------------------------------------------------------------------------------------------

/** The engine's commands as an RPC command map. */
export type EngineRpcCommands = {
  [M in CommandName]: { params: CommandParams<M>; result: CommandResult<M> };
};

/** What the page sends to the engine's worker, and what comes back (rpc.ts's wire messages). */
export type ToEngine = ToServer;
export type FromEngine = FromServer<EngineEvent>;
export type { Port };

export function isCommandName(s: unknown): s is CommandName {
  return typeof s === 'string' && (COMMAND_NAMES as readonly string[]).includes(s);
}

/** Buffers of the images in an event/result, to transfer instead of copy. */
export function transferablesOf(value: unknown): Transferable[] {
  const out = new Set<ArrayBuffer>();
  const visit = (v: unknown, depth: number): void => {
    if (depth > 6 || v === null || typeof v !== 'object') return;
    if (ArrayBuffer.isView(v)) {
      const buf = v.buffer;
      // only whole, non-shared buffers can be transferred
      if (buf instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === buf.byteLength) out.add(buf);
      return;
    }
    if (Array.isArray(v)) {
      for (const x of v) visit(x, depth + 1);
      return;
    }
    for (const x of Object.values(v as Record<string, unknown>)) visit(x, depth + 1);
  };
  visit(value, 0);
  return [...out];
}

/**
 * Commands whose results are made fresh for the caller, so their buffers can be transferred.
 * (evaluate/evaluateCheckpoint results hold the engine's own dataset images: those are copied.)
 */
const TRANSFER_RESULTS: ReadonlySet<CommandName> = new Set(['predict', 'exportCheckpoint']);

/** A TrainMessage crosses as the wire error's code + params, its English text as the message. */
function engineWireError(e: unknown): WireError {
  const tm = e instanceof Error ? (e as { trainMessage?: TrainMessage }).trainMessage : undefined;
  if (e instanceof Error && tm) return { name: e.name, message: e.message, code: tm.code, params: tm.params };
  return toWireError(e);
}

/** An Error rebuilt from a WireError on the calling side (with its TrainMessage when it had one). */
export class EngineCallError extends Error {
  readonly trainMessage?: TrainMessage;
  readonly method: CommandName;
  constructor(method: CommandName, wire: WireError) {
    super(wire.message);
    this.name = wire.name === 'Error' ? 'EngineCallError' : wire.name;
    this.method = method;
    if (wire.code === 'rpc.unknownMethod')
      this.trainMessage = trainMessage('engine.unknownMethod', wire.params ?? {});
    else if (wire.code !== undefined && wire.code in TRAIN_MESSAGES)
      this.trainMessage = {
        code: wire.code as TrainMessage['code'],
        params: wire.params ?? {},
        text: wire.message,
      };
  }
}

/**
 * Serve an engine implementation on a port (the worker side), a thin typed wrapper over rpc.ts's
 * `serve`. Requests run concurrently (pause and stop must get through while start's run is going);
 * events are forwarded as they come, preview images transferred rather than copied. Returns a
 * function that stops serving.
 */
export function serveEngine(
  api: EngineApi & { onEvent(listener: EngineEventListener): () => void },
  port: Port<ToEngine, FromEngine>,
): () => void {
  const handlers = Object.fromEntries(
    COMMAND_NAMES.map((m) => [
      m,
      async (params: unknown) => {
        const fn = api[m] as ((p: unknown) => Promise<unknown>) | undefined;
        if (typeof fn !== 'function')
          throw new TrainError(trainMessage('engine.unknownMethod', { method: m }));
        const result = await fn.call(api, params);
        return TRANSFER_RESULTS.has(m) ? transfer(result, transferablesOf(result)) : result;
      },
    ]),
  ) as unknown as Handlers<EngineRpcCommands>;
  const server = serve<EngineRpcCommands, EngineEvent>(port, handlers, { errorOf: engineWireError });
  const offEvents = api.onEvent((event) =>
    server.emit(event.type === 'preview' ? transfer(event, transferablesOf(event.predictions)) : event),
  );
  return () => {
    offEvents();
    server.stop();
  };
}

/**
 * The calling side: an `Engine` whose commands are RPC calls on a port. `terminate` is called by
 * `Engine.terminate()` (e.g. `worker.terminate()`). `failAll` rejects every pending call (the
 * worker crashed); `emitLocal` delivers an event to the listeners from this side (e.g. the crash).
 */
export function connectEngine(
  port: Port<FromEngine, ToEngine>,
  home: EngineHome,
  terminate: () => void = () => undefined,
): Engine & { failAll(error: Error): void; emitLocal(event: EngineEvent): void } {
  const rpc = connect<EngineRpcCommands, EngineEvent>(port, {
    rebuildError: (method, wire) => new EngineCallError(method as CommandName, wire),
  });
  const api = Object.fromEntries(
    COMMAND_NAMES.map((m) => [m, (params: unknown) => rpc.call(m, params as never)]),
  ) as unknown as EngineApi;
  return {
    ...api,
    home,
    onEvent: (listener) => rpc.onEvent(listener),
    terminate() {
      rpc.close(new Error('the training engine was terminated'));
      terminate();
    },
    failAll: (error) => rpc.failAll(error),
    emitLocal: (event) => rpc.emitLocal(event),
  };
}
