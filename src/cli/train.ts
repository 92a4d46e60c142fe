/**
 * `cli train`: train pix2pix headless in Node (wasm backend by default) on the demo phantom or a
 * folder of pairs; writes a studio checkpoint (`<out>/last/`, atomic) and `<out>/metrics.json`.
 */
import { mkdir, readdir, rename, stat, writeFile, readFile } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import type { RunConfig } from '../core/config';
import type { CaseSplit } from '../core/data/dataset';
import { detectLayout } from '../core/data/layout';
import {
  computeTransform,
  pointsToPreprocessed,
  preprocessImage,
  splitAlignedImage,
  type PreprocessSpec,
  type Transform,
} from '../core/data/preprocess';
import {
  assignSplits,
  compareIds,
  EVAL_LIST_SIZE,
  proposedSplitCounts,
  proposedSplitRatios,
  SMALL_EVAL_CASES,
} from '../core/data/splits';
import { DEFAULT_FAILURE_RULE, failureStats } from '../core/eval/failures';
import { DEFAULT_GATE, evaluateGate } from '../core/eval/gate';
import type { AggregateMetrics } from '../core/eval/metrics';
import {
  chooseTrainSubset,
  evaluateModel,
  type EvalLandmarkOptions,
  type ModelEvaluation,
} from '../core/eval/round';
import { contentRect, type RegionPair } from '../core/eval/contentRegion';
import { preprocessedSpacing } from '../core/eval/landmarkSharpnessSummary';
import type { TraceabilityResult } from '../core/detector/traceability';
import { ISBI_LANDMARKS } from '../core/data/landmarkSet';
import { DEFAULT_MM_PER_PX } from '../core/data/dataset';
import { parseLandmarkFile } from '../core/io/landmarks';
import type { RgbaImage } from '../core/image';
import { decodeFileNode } from '../core/io/decodeNode';
import { readCheckpointFile } from '../core/io/formats';
import type { StateDict } from '../core/model';
import {
  loadTrainerState,
  readCheckpointFiles,
  saveTrainerState,
  writeCheckpointAtomically,
} from '../core/train/checkpoint';
import {
  completedEpochs,
  continuedConfig,
  proposedContinueConfig,
  structureMismatches,
} from '../core/train/continue';
import { augmentationDefaults, createInMemoryDataSource } from '../core/train/data';
import { lastEpoch, stepsPerEpoch } from '../core/train/schedule';
import { LOSS_NAMES, Trainer, type StepMetrics } from '../core/train/trainer';
import { describeConfig } from '../core/train/info';
import { wasmHeapRefusal } from '../engine/memoryEstimate';
import { trainMessageText } from '../engine/trainMessages';
import {
  BACKEND_OPTION,
  backendOption,
  checkNetworkFits,
  CONFIG_OPTIONS,
  configFromOptions,
  configOverrides,
  HELP_OPTION,
  helpText,
  numberOption,
  parse,
  stringOption,
  UsageError,
  type OptionSpecs,
} from './args';
import { startBackend } from './env';
import { studioVersionDir } from './export';
import { readImport } from './import';
import { createFsStorage } from './fsStorage';
import {
  CliTracer,
  detectorMismatch,
  loadCliDetector,
  traceCasesOf,
  type CaseFrame,
  type CliDetector,
} from './trace';

export type { CaseFrame } from './trace';

/** Validation options shared by train, sweep and study (traceability, film pixel spacing). */
export const VALIDATION_OPTIONS: OptionSpecs = {
  detector: {
    type: 'string',
    arg: '<dir>',
    help:
      'landmark detector for traceability (detector on the prediction vs ground truth, mm); ' +
      'default: the shipped public/detector/ when the data has landmarks',
  },
  'no-traceability': { type: 'boolean', help: 'do not score traceability (no detector runs)' },
  preprocess: {
    type: 'string',
    arg: '<letterbox|stretch>',
    help: '--data: fit non-square images by letterbox (default) or stretch (the demo is generated square)',
  },
  'mm-per-px': {
    type: 'string',
    arg: '<mm>',
    help: `--data: pixel spacing of the original films, mm (default ${DEFAULT_MM_PER_PX}, ISBI 2015)`,
  },
};

const TRAIN_OPTIONS: OptionSpecs = {
  demo: { type: 'boolean', help: 'train on the built-in phantom dataset (default preset: demo, 64 px)' },
  data: {
    type: 'string',
    arg: '<dir>',
    help: 'folder of pairs: server aligned layout (train/*.png) or photo/ + xray/',
  },
  out: {
    type: 'string',
    arg: '<dir>',
    help: 'output folder for the checkpoint (last/) and metrics.json (required)',
  },
  steps: { type: 'string', arg: '<n>', help: 'training steps (default: n_epochs + n_epochs_decay epochs)' },
  cases: {
    type: 'string',
    arg: '<n>',
    help: 'demo: number of phantom cases (default 100: 80 train + 20 val)',
  },
  log_every: { type: 'string', arg: '<n>', help: 'print losses every n steps (default from the config)' },
  val_every: { type: 'string', arg: '<n>', help: 'validate every n steps (0 = only at the end)' },
  save_every: { type: 'string', arg: '<n>', help: 'save the checkpoint every n steps (0 = only at the end)' },
  eval: {
    type: 'boolean',
    help: 'validate in eval mode (server --eval: BatchNorm running stats, no dropout)',
  },
  jitter: { type: 'boolean', help: 'random jitter crop (server resize_and_crop 286 -> 256)' },
  no_jitter: { type: 'boolean', help: 'no jitter crop' },
  flip: { type: 'boolean', help: 'random horizontal flip' },
  no_flip: { type: 'boolean', help: 'no horizontal flip (server --no_flip)' },
  resume: { type: 'boolean', help: 'continue the run in --out from its last checkpoint' },
  init: {
    type: 'string',
    arg: '<checkpoint>',
    help:
      'start a NEW run from trained weights (server --continue_train; fresh optimizer): a studio ' +
      'checkpoint folder, a server checkpoints/<name>/ folder or ZIP, a *_net_G.pth / .safetensors ' +
      'generator (its *_net_D beside it is used when present) or a TF.js model.json',
  },
  epoch_count: {
    type: 'string',
    arg: '<n>',
    help: "with --init: the first epoch (default: the checkpoint's completed epochs + 1)",
  },
  quiet: { type: 'boolean', help: 'print only the final summary' },
  force: {
    type: 'boolean',
    help: 'train even when the wasm heap estimate exceeds the 4 GiB WebAssembly ceiling',
  },
  ...VALIDATION_OPTIONS,
};

export const TRAIN_HELP = helpText(
  'train (--demo | --data <dir>) --out <dir> [--size N] [--steps N] [options]',
  'Train pix2pix (photo -> X-ray) in Node. Writes <out>/last/ (a studio checkpoint: manifest.json,\n' +
    'G/D/optim .safetensors; G.safetensors loads on the server as is) and <out>/metrics.json\n' +
    '(loss history and validation metrics with the clinic names: mean_l1 on [0,1], mean_psnr in dB, mean_ssim;\n' +
    'sharpness ratio, 0-255 gradient/extremum diagnostics, landmark-region sharpness, train/val gap, gate and\n' +
    "traceability MRE in mm as the Evaluate view shows them). Image metrics are computed on each case's\n" +
    'content region (letterbox/ROI padding excluded, metrics_region "content"); mean_l1_whole etc. include it.',
  [
    ['Training', TRAIN_OPTIONS],
    ['Run config (server option names)', CONFIG_OPTIONS],
    ['Runtime', { ...BACKEND_OPTION, ...HELP_OPTION }],
  ],
);

/** The data of a run: training pairs, the validation pairs (at most the fixed evaluation list's 20). */
export interface LoadedData {
  source: string;
  /**
   * Pairs at the training size. `content` (RegionPair): the X-ray's content region (the film, not
   * the padding) — validation metrics are computed on it; absent: derived from `frames`, else the
   * whole image.
   */
  train: RegionPair[];
  val: RegionPair[];
  hasLandmarks: boolean;
  notes: string[];
  /** mm per pixel of every image at the training size (the demo phantom), for landmark-region sharpness. */
  mmPerPx?: number;
  /**
   * Per case id: where the training-size X-ray sits in its original film (preprocess transform and
   * mm per original px). Gives the content region, the landmark windows' spacing and the original
   * frame traceability is scored in.
   */
  frames?: Record<string, CaseFrame>;
  /** The landmark symbols of `landmarks` (default: ISBI 2015's 19). */
  symbols?: string[];
}

async function listFiles(dir: string): Promise<{ path: string; size: number }[]> {
  const out: { path: string; size: number }[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile())
        out.push({ path: relative(dir, p).split(sep).join('/'), size: (await stat(p)).size });
    }
  };
  await walk(dir);
  return out;
}

function toSize(
  img: RgbaImage,
  cfg: RunConfig,
  file: string,
  notes: Set<string>,
): { image: RgbaImage; transform: Transform } {
  const mode = cfg.preprocess === 'stretch' ? 'stretch' : 'letterbox';
  const spec: PreprocessSpec = { mode, size: cfg.size, pad: 'constant', padColor: [0, 0, 0], roi: null };
  if (img.width === cfg.size && img.height === cfg.size)
    return { image: img, transform: computeTransform(img.width, img.height, spec) };
  // one note for the whole folder, naming the first such image (not one line per image)
  const note = `images that are not ${cfg.size}x${cfg.size} px are ${mode === 'stretch' ? 'stretched' : 'letterboxed'} to it`;
  if (![...notes].some((n) => n.startsWith(note))) notes.add(`${note} (e.g. ${file})`);
  return preprocessImage(img, spec);
}

export async function loadFolder(
  dir: string,
  cfg: RunConfig,
  opts: { mmPerPx?: number } = {},
): Promise<LoadedData> {
  const mmPerPx = opts.mmPerPx ?? DEFAULT_MM_PER_PX;
  const frames: Record<string, CaseFrame> = {};
  let files;
  try {
    files = await listFiles(dir);
  } catch (e) {
    throw new UsageError(`--data ${dir}: cannot read the folder (${(e as Error).message})`);
  }
  const plan = detectLayout(files);
  const notes = new Set<string>();
  const cases: { id: string; split?: CaseSplit; pair: RegionPair }[] = [];
  for (const c of plan.cases) {
    const read = async (p: string): Promise<RgbaImage> => {
      const r = await decodeFileNode(join(dir, p));
      if (!r.ok) throw new UsageError(r.problem.message);
      return r.image;
    };
    let photo: RgbaImage;
    let xray: RgbaImage;
    if (c.alignedPath) {
      ({ photo, xray } = splitAlignedImage(await read(c.alignedPath)));
    } else if (c.photoPath && c.xrayPath) {
      photo = await read(c.photoPath);
      xray = await read(c.xrayPath);
    } else {
      continue; // unpaired: reported in the plan's summary
    }
    const name = c.alignedPath ?? c.photoPath ?? c.id;
    const x = toSize(xray, cfg, name, notes);
    const pair: RegionPair = {
      id: c.id,
      photo: toSize(photo, cfg, name, notes).image,
      xray: x.image,
      content: contentRect(x.transform),
    };
    frames[c.id] = { transform: x.transform, mmPerPx };
    if (c.landmarkPath) {
      // per-case landmark file in original X-ray px -> training-size px
      const text = await readFile(join(dir, c.landmarkPath), 'utf8');
      const parsed = parseLandmarkFile(c.landmarkPath, text);
      if (parsed.points) pair.landmarks = pointsToPreprocessed(x.transform, parsed.points);
      else notes.add(`landmarks skipped: ${parsed.problems.map((p) => p.message).join(' ')}`);
    }
    cases.push({ id: c.id, split: c.split, pair });
  }
  if (cases.length === 0) {
    throw new UsageError(`--data ${dir}: no photo/X-ray pairs found. ${plan.summary}`);
  }
  cases.sort((a, b) => compareIds(a.id, b.id));
  let splits: Record<string, CaseSplit>;
  if (plan.splitsFromFolders) {
    splits = Object.fromEntries(cases.map((c) => [c.id, c.split ?? 'train']));
  } else {
    const ratios = proposedSplitRatios(cases.length);
    splits = assignSplits(
      cases.map((c) => c.id),
      { seed: cfg.seed, ratios },
    );
    const c = proposedSplitCounts(cases.length);
    notes.add(
      `no train/ val/ folders: cases split ${c.train} train / ${c.val} val / ${c.test} test (seeded); validation uses the val split`,
    );
  }
  let train = cases.filter((c) => splits[c.id] === 'train').map((c) => c.pair);
  let val = cases.filter((c) => splits[c.id] === 'val').map((c) => c.pair);
  if (val.length === 0) val = cases.filter((c) => splits[c.id] === 'test').map((c) => c.pair);
  if (train.length === 0) {
    train = cases.map((c) => c.pair);
    notes.add('no training split: training on every case');
  }
  if (val.length === 0) {
    val = train.slice(0, Math.min(4, train.length));
    notes.add('no validation cases: validation uses the first training cases (optimistic)');
  }
  for (const p of plan.problems) if (p.severity === 'error') notes.add(`skipped: ${p.message}`);
  const evalCount = Math.min(val.length, EVAL_LIST_SIZE);
  if (evalCount < SMALL_EVAL_CASES)
    notes.add(
      `only ${evalCount} validation cases: the metrics rest on ${evalCount} films and are anecdotal (a failure rate counts out of ${evalCount})`,
    );
  return {
    source: dir,
    train,
    val: val.slice(0, EVAL_LIST_SIZE),
    hasLandmarks: plan.counts.withLandmarks > 0,
    notes: [...notes],
    frames,
  };
}

export async function loadDemo(cfg: RunConfig, count: number): Promise<LoadedData> {
  const valCount = Math.max(1, Math.round(count * 0.2));
  // loaded on demand: `train --data` does not pay for the phantom generator
  const { generatePhantomDataset } = await import('../core/data/phantom');
  const ds = generatePhantomDataset({
    n: count,
    seed: cfg.seed,
    width: cfg.size,
    height: cfg.size,
    valCount,
  });
  const pair = (c: (typeof ds.cases)[number]): RegionPair => ({
    id: c.id,
    photo: c.photo,
    xray: c.xray,
    landmarks: c.landmarks,
  });
  return {
    source: 'demo phantom',
    train: ds.cases.filter((c) => c.split === 'train').map(pair),
    val: ds.cases
      .filter((c) => c.split === 'val')
      .map(pair)
      .slice(0, EVAL_LIST_SIZE),
    hasLandmarks: true,
    notes: [],
    mmPerPx: ds.mmPerPx,
    // generated at the training size: the frame is the image itself (no padding)
    frames: Object.fromEntries(
      ds.cases.map((c) => [
        c.id,
        {
          transform: computeTransform(cfg.size, cfg.size, {
            mode: 'letterbox',
            size: cfg.size,
            pad: 'constant',
            padColor: [0, 0, 0],
            roi: null,
          }),
          mmPerPx: ds.mmPerPx,
        },
      ]),
    ),
  };
}

type HistoryRow = { step: number; epoch: number; lr: number } & Record<string, number>;
/**
 * One validation round in metrics.json: the clinic's names (mean_l1 on [0,1], mean_psnr dB,
 * mean_ssim) and, with the full evaluation (sweeps and studies), what the Evaluate view shows.
 */
export type ValRow = { step: number; eval_mode: boolean } & AggregateMetrics & Partial<FullValues>;

/**
 * The Evaluate view's figures of a round (evaluateModel), flat for metrics.json. Image figures
 * (mean_l1/psnr/ssim above them, sharpness, diagnostics, lm_sharp, train_l1) are over each case's
 * content region when `metrics_region` is 'content' (padding excluded); `*_whole` include the padding.
 */
export interface FullValues {
  /** 'content': the figures are over each case's content region; 'whole': whole image (older files). */
  metrics_region: 'content' | 'whole';
  /** Mean share of the image inside the content region (1 = no padding). */
  content_fraction: number | null;
  /** Whole-image L1 on [0,1], PSNR dB, SSIM (padding included, as the server's test.py). */
  mean_l1_whole: number | null;
  mean_psnr_whole: number | null;
  mean_ssim_whole: number | null;
  /** Pooled prediction / X-ray mean Sobel gradient (the gate's sharpness ratio). */
  sharpness_ratio: number | null;
  mean_sharpness_ratio: number | null;
  /** Pooled prediction mean gradient and maximum, 0-255 units. */
  pred_grad_mean_255: number | null;
  pred_max_255: number | null;
  target_grad_mean_255: number | null;
  /** Pooled 0-255 diagnostics: p99 gradient, p99.9 intensity, X-ray maximum. */
  pred_grad_p99_255: number | null;
  target_grad_p99_255: number | null;
  pred_p999_255: number | null;
  target_p999_255: number | null;
  target_max_255: number | null;
  /** pred / X-ray: p99 gradient (strong edges), maximum (the clinic's 极值), p99.9 intensity. */
  edge_ratio: number | null;
  max_ratio: number | null;
  p999_ratio: number | null;
  /** The clinic's plan-002 thresholds on the prediction: mean gradient > 3.0, maximum > 140 (0-255). */
  plan002_grad_ok: boolean | null;
  plan002_max_ok: boolean | null;
  /** Mean |difference| between predictions for two different photos, 0-255 (near 0: input ignored). */
  sensitivity_255: number | null;
  /** Landmark-region sharpness ratio (10 mm windows); null without landmarks. */
  lm_sharp: number | null;
  /** Per landmark symbol (null where no case had a window). */
  lm_sharp_by_landmark: Record<string, number | null> | null;
  /** Fixed training subset's mean L1 on [0,1], and val / train. */
  train_l1: number | null;
  gap_ratio: number | null;
  /** Failed / evaluated cases under the default failure rule. */
  failure_rate: number | null;
  /** The default gate's verdict (advisory). */
  gate: 'pass' | 'fail' | 'incomplete';
  /**
   * Traceability (null: no detector, no landmarks or --no-traceability): detector on the
   * prediction vs ground truth, mean radial error mm and SDR within 2 mm (fraction); its floor on
   * the real X-ray; cases scored; the detector used.
   */
  trace_mre_mm: number | null;
  trace_sdr2: number | null;
  trace_floor_mre_mm: number | null;
  trace_cases: number | null;
  trace_detector: string | null;
}

function historyRow(m: StepMetrics): HistoryRow {
  const row: HistoryRow = { step: m.step, epoch: m.epoch, lr: m.lr };
  for (const n of LOSS_NAMES) row[n] = m.losses[n];
  return row;
}

function progressLine(m: StepMetrics, total: number, itPerS: number, spe: number, cfg: RunConfig): string {
  const shown = LOSS_NAMES.filter(
    (n) =>
      n === 'G_GAN' ||
      n === 'G_L1' ||
      n === 'D_real' ||
      n === 'D_fake' ||
      (n === 'G_grad' && cfg.lambda_grad > 0) ||
      (n === 'G_lap' && cfg.lambda_lap > 0) ||
      (n === 'G_fm' && cfg.lambda_fm > 0) ||
      (n === 'G_ssim' && cfg.lambda_ssim > 0),
  );
  const losses = shown.map((n) => `${n} ${m.losses[n].toFixed(3)}`).join(' ');
  const warn = m.finite ? '' : '  (non-finite loss: the run has diverged; lower --lr)';
  return (
    `step ${m.step}/${total} (epoch ${m.epoch}, ${m.iterInEpoch}/${spe}) ${losses} ` +
    `lr ${m.lr.toExponential(2)} | ${itPerS.toFixed(2)} it/s${warn}`
  );
}

function valLine(step: number, a: ValRow): string {
  const f = (x: number | null | undefined, d: number): string =>
    x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d);
  const region =
    a.metrics_region === 'content'
      ? (a.content_fraction ?? 1) < 1
        ? `content region, ${(100 * (a.content_fraction ?? 1)).toFixed(0)} % of the image; whole image L1 ${f(a.mean_l1_whole, 4)}`
        : 'content region = whole image'
      : 'whole image';
  let line =
    `val @ step ${step}: mean_l1 ${a.mean_l1.toFixed(4)} (on [0,1]), mean_psnr ${a.mean_psnr.toFixed(2)} dB, ` +
    `mean_ssim ${a.mean_ssim.toFixed(4)} (${a.n_cases} cases; ${region})`;
  if (a.metrics_region !== undefined)
    line +=
      `; sharpness ${f(a.sharpness_ratio, 3)}, pred grad ${f(a.pred_grad_mean_255, 2)} / max ${f(a.pred_max_255, 1)} (0-255)` +
      (a.lm_sharp !== null && a.lm_sharp !== undefined
        ? `, landmark-region sharpness ${f(a.lm_sharp, 3)}`
        : '') +
      (a.trace_mre_mm !== null && a.trace_mre_mm !== undefined
        ? `, traceability MRE ${f(a.trace_mre_mm, 2)} mm (floor ${f(a.trace_floor_mre_mm, 2)} mm)`
        : '');
  return line;
}

async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.partial`;
  await writeFile(
    tmp,
    JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1),
  );
  await rename(tmp, path);
}

/** Trained weights a new run starts from (`--init`). */
interface InitWeights {
  config: RunConfig;
  G: StateDict;
  /** Undefined: the discriminator starts fresh. */
  D?: StateDict;
  /** Epochs the weights have completed (0 when unknown). */
  completed: number;
  epochKnown: boolean;
  source: string;
  notes: string[];
}

async function readInitWeights(path: string): Promise<InitWeights> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    throw new UsageError(`--init ${path}: no such file or folder`);
  }
  const version = isDir ? await studioVersionDir(path) : undefined;
  if (version) {
    const files = new Map<string, Uint8Array>();
    for (const e of await readdir(version, { withFileTypes: true }))
      if (e.isFile()) files.set(e.name, new Uint8Array(await readFile(join(version, e.name))));
    const state = loadTrainerState(files, version);
    return {
      config: state.config,
      G: state.G,
      D: state.D,
      completed: completedEpochs(state),
      epochKnown: true,
      source: `studio checkpoint ${version} (step ${state.step})`,
      notes: [],
    };
  }
  const r = await readImport(path);
  const notes = [...r.warnings];
  let config = r.config;
  let D = r.D;
  const m = /^(.*)_net_G(\.(?:pth|safetensors))$/i.exec(path);
  if (!D && !isDir && m) {
    // a lone generator file: use the discriminator saved beside it (server naming)
    const dPath = `${m[1]}_net_D${m[2]}`;
    try {
      const loaded = readCheckpointFile(basename(dPath), new Uint8Array(await readFile(dPath)));
      if (loaded.kind === 'D') {
        D = loaded.stateDict;
        // the D's own width, depth and scales (a lone G says nothing about them)
        const { ndf, n_layers_D, num_D } = loaded.config ?? {};
        config = {
          ...config,
          ...(ndf !== undefined ? { ndf } : {}),
          ...(n_layers_D !== undefined ? { n_layers_D } : {}),
          ...(num_D !== undefined ? { num_D } : {}),
        };
      } else notes.push(`${dPath} is not a discriminator; the discriminator starts fresh`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  const fileEpoch = /(?:^|[/\\])(\d+)_net_G\.[a-z]+$/i.exec(path);
  const completed = r.epoch > 0 ? r.epoch : fileEpoch ? Number(fileEpoch[1]) : 0;
  if (!D && !isDir && /\.pth$/i.test(path) && config.ndf !== config.ngf) {
    // as the studio's import: without a discriminator its width follows ngf (server 64/64)
    notes.push(`no discriminator beside ${basename(path)}: it starts fresh with ndf = ngf = ${config.ngf}`);
    config = { ...config, ndf: config.ngf };
  }
  return {
    config,
    G: r.G,
    D,
    completed,
    epochKnown: completed > 0,
    source: r.source,
    notes,
  };
}

/**
 * A continued run's config: the checkpoint's config, the options given on the command line, the
 * checkpoint's network structure (a differing --netG/--ngf/... is refused) and --epoch_count
 * (default: the checkpoint's epoch in progress). A schedule that is already over is extended by
 * the checkpoint's own n_epochs unless --n_epochs / --n_epochs_decay were given.
 */
function initConfig(init: InitWeights, values: Parameters<typeof configOverrides>[0]): RunConfig {
  const overrides = configOverrides(values);
  const clash = structureMismatches({ ...init.config, ...overrides }, init.config)[0];
  if (clash) {
    throw new UsageError(
      `--${clash.key} ${clash.run}: the weights in --init were trained with ${clash.key} = ${clash.checkpoint}; ` +
        'a continued run keeps the checkpoint’s network (leave the option out)',
    );
  }
  const first = numberOption(values, 'epoch_count', { integer: true, min: 1 });
  if (first === undefined && !init.epochKnown)
    init.notes.push(
      'the checkpoint does not say how many epochs it was trained; starting at epoch 1 (set --epoch_count)',
    );
  const from = { config: init.config, completedEpochs: first !== undefined ? first - 1 : init.completed };
  let cfg = continuedConfig({ ...init.config, ...overrides }, from);
  if (lastEpoch(cfg) < cfg.epoch_count) {
    if (overrides.n_epochs !== undefined || overrides.n_epochs_decay !== undefined) {
      throw new UsageError(
        `--epoch_count ${cfg.epoch_count} is past the end of the schedule (n_epochs + n_epochs_decay = ${lastEpoch(cfg)}): ` +
          'raise --n_epochs or --n_epochs_decay',
      );
    }
    cfg = proposedContinueConfig({ config: cfg, completedEpochs: cfg.epoch_count - 1 });
    init.notes.push(
      `the checkpoint's schedule was over; extended to n_epochs ${cfg.n_epochs} + n_epochs_decay ${cfg.n_epochs_decay} ` +
        '(give --n_epochs / --n_epochs_decay / --lr to choose)',
    );
  }
  checkNetworkFits(cfg);
  return cfg;
}

export async function run(argv: string[]): Promise<number> {
  const values = parse(
    argv,
    { ...TRAIN_OPTIONS, ...CONFIG_OPTIONS, ...BACKEND_OPTION, ...HELP_OPTION },
    'train',
  );
  if (values.help) {
    console.log(TRAIN_HELP);
    return 0;
  }
  const dataDir = stringOption(values, 'data');
  const out = stringOption(values, 'out');
  if (!values.demo && dataDir === undefined)
    throw new UsageError('train: give --demo or --data <dir> (see --help)');
  if (values.demo && dataDir !== undefined)
    throw new UsageError('train: give either --demo or --data, not both');
  if (out === undefined)
    throw new UsageError('train: --out <dir> is required (where the checkpoint and metrics.json go)');
  const quiet = values.quiet === true;
  const say = (s: string): void => {
    if (!quiet) console.log(s);
  };

  const initPath = stringOption(values, 'init');
  if (initPath !== undefined && values.resume)
    throw new UsageError('train: give either --resume (same run) or --init (new run from weights), not both');
  if (initPath !== undefined && values.preset !== undefined)
    throw new UsageError(
      'train: --preset and --init do not combine: a continued run starts from the checkpoint’s config',
    );
  if (initPath === undefined && values.epoch_count !== undefined)
    throw new UsageError('train: --epoch_count needs --init (a new run from weights)');
  const storage = createFsStorage(out);
  const resumeFiles = values.resume ? await readCheckpointFiles(storage, 'last') : undefined;
  if (values.resume && !resumeFiles)
    throw new UsageError(`--resume: ${out}/last has no checkpoint to continue from`);
  const resumeState = resumeFiles ? loadTrainerState(resumeFiles, join(out, 'last')) : undefined;
  const init = initPath !== undefined ? await readInitWeights(initPath) : undefined;

  let cfg: RunConfig = resumeState
    ? resumeState.config
    : init
      ? initConfig(init, values)
      : configFromOptions(values, values.demo ? 'demo' : undefined);
  const overrides: Partial<RunConfig> = {};
  for (const k of ['log_every', 'val_every', 'save_every'] as const) {
    const v = numberOption(values, k, { integer: true, min: k === 'log_every' ? 1 : 0 });
    if (v !== undefined) overrides[k] = v;
  }
  const pre = stringOption(values, 'preprocess');
  if (pre !== undefined) {
    if (pre !== 'letterbox' && pre !== 'stretch')
      throw new UsageError(
        `--preprocess ${pre}: use letterbox or stretch (roi needs a crop box drawn in the studio)`,
      );
    overrides.preprocess = pre;
  }
  cfg = { ...cfg, ...overrides };
  checkNetworkFits(cfg);
  // the app's before-Start memory check (engine/memoryEstimate.ts), before any data is loaded
  const backendChoice = backendOption(values);
  if ((backendChoice === 'wasm' || backendChoice === 'auto') && values.force !== true) {
    const refusal = wasmHeapRefusal({ cfg, totalBytesOf: (c) => describeConfig(c).memory.totalBytes });
    if (refusal) throw new UsageError(`train: ${trainMessageText(refusal, 'en')} (--force trains anyway)`);
  }
  const count = numberOption(values, 'cases', { integer: true, min: 2 }) ?? 100;

  const data = values.demo
    ? await loadDemo(cfg, count)
    : await loadFolder(dataDir as string, cfg, { mmPerPx: numberOption(values, 'mm-per-px', { min: 1e-9 }) });
  const detectorDir = stringOption(values, 'detector');
  if (detectorDir !== undefined && values['no-traceability'] === true)
    throw new UsageError('train: give either --detector <dir> or --no-traceability, not both');
  const aug = augmentationDefaults(data.hasLandmarks);
  if (!resumeState) {
    const jitter = values.jitter === true ? true : values.no_jitter === true ? false : aug.jitter;
    const flip = values.flip === true ? true : values.no_flip === true ? false : aug.flip;
    cfg = { ...cfg, jitter, flip };
  }
  const sel = await startBackend(backendChoice);
  say(
    `backend ${sel.backend}; data: ${data.source}, ${data.train.length} train + ${data.val.length} val cases at ${cfg.size} px`,
  );
  for (const n of data.notes) say(`note: ${n}`);
  say(`augmentation: jitter ${cfg.jitter ? 'on' : 'off'}, flip ${cfg.flip ? 'on' : 'off'} — ${aug.reason}`);
  await trainRun({
    cfg,
    data,
    out,
    backend: sel.backend,
    steps: numberOption(values, 'steps', { integer: true, min: 1 }),
    evalMode: values.eval === true || cfg.eval_mode,
    resumeState,
    init,
    // a detector folder is loaded once the backend is up; default: the shipped one (in trainRun)
    detector:
      values['no-traceability'] === true
        ? null
        : detectorDir !== undefined
          ? await loadCliDetector(detectorDir)
          : undefined,
    say,
  });
  return 0;
}

export interface TrainRunOptions {
  cfg: RunConfig;
  data: LoadedData;
  /** Output folder: `last/` (the checkpoint) and `metrics.json`. */
  out: string;
  /** The backend in use (recorded in metrics.json). */
  backend: string;
  /** Train until this global step; default: the config's schedule (epochs) on this data. */
  steps?: number;
  /** Train this many epochs of this data instead (steps = epochs x steps per epoch). */
  epochs?: number;
  /** Validate in eval mode (server --eval). */
  evalMode: boolean;
  /** Continue this run from its checkpoint (the config is the checkpoint's). */
  resumeState?: ReturnType<typeof loadTrainerState>;
  /** Start a new run from trained weights (`--init`). */
  init?: InitWeights;
  /**
   * Evaluate every round as the Evaluate view does (evaluateModel: content-region metrics,
   * sharpness, diagnostics, landmark-region sharpness, train/val gap, failure rate, gate,
   * traceability) — the default; false: whole-image L1/PSNR/SSIM only (Trainer.evaluate).
   */
  fullEvaluation?: boolean;
  /**
   * Traceability detector: undefined = the shipped one when the data has landmarks and frames
   * (loaded once per process), null = none.
   */
  detector?: CliDetector | null;
  say: (line: string) => void;
  /** Print the closing `done:` line (default true). */
  printDone?: boolean;
}

export interface TrainRunResult {
  steps: number;
  epoch: number;
  msPerStep: number;
  /** Wall time of the whole run (training, validation, saving), ms. */
  durationMs: number;
  final: ValRow;
  valHistory: ValRow[];
  metricsPath: string;
}

function fullValues(ev: ModelEvaluation): FullValues {
  const num = (x: number | null | undefined): number | null =>
    x === null || x === undefined || Number.isNaN(x) ? null : x;
  const failures = failureStats(
    ev.cases.map((c) => ({
      id: c.id,
      l1_01: c.l1_01,
      psnr_db: c.psnr_db,
      ssim: c.ssim,
      sharpnessRatio: c.sharpnessRatio,
    })),
    DEFAULT_FAILURE_RULE,
  );
  const sharpness = num(ev.diagnosis?.sharpnessRatio);
  const gate = evaluateGate(
    {
      mean_l1: num(ev.aggregate.mean_l1),
      mean_psnr: num(ev.aggregate.mean_psnr),
      failure_rate: ev.cases.length > 0 ? failures.rate : null,
      sharpness_ratio: sharpness,
    },
    DEFAULT_GATE,
  );
  const d = ev.diagnosis;
  const a = ev.aggregate;
  const lm = ev.landmarkSharpness;
  const tr = ev.traceability;
  return {
    metrics_region: ev.metricsRegion ?? 'whole',
    content_fraction: num(a.mean_content_fraction),
    mean_l1_whole: num(a.mean_l1_whole),
    mean_psnr_whole: num(a.mean_psnr_whole),
    mean_ssim_whole: num(a.mean_ssim_whole),
    sharpness_ratio: sharpness,
    mean_sharpness_ratio: num(a.mean_sharpness_ratio),
    pred_grad_mean_255: num(d?.pred.gradMean_255),
    pred_max_255: num(d?.pred.intensityMax_255),
    target_grad_mean_255: num(d?.target.gradMean_255),
    pred_grad_p99_255: num(d?.pred.gradP99_255),
    target_grad_p99_255: num(d?.target.gradP99_255),
    pred_p999_255: num(d?.pred.intensityP999_255),
    target_p999_255: num(d?.target.intensityP999_255),
    target_max_255: num(d?.target.intensityMax_255),
    edge_ratio: num(d?.edgeRatio),
    max_ratio: num(d?.maxRatio),
    p999_ratio: num(d?.p999Ratio),
    plan002_grad_ok: d ? d.clinicPlan002.gradOk : null,
    plan002_max_ok: d ? d.clinicPlan002.maxOk : null,
    sensitivity_255: num(ev.sensitivity_255),
    lm_sharp: num(lm?.meanRatio),
    lm_sharp_by_landmark: lm
      ? Object.fromEntries(lm.perLandmark.map((r) => [r.symbol, num(r.meanRatio)]))
      : null,
    train_l1: num(ev.gap?.train_l1_01),
    gap_ratio: num(ev.gap?.ratio),
    failure_rate: ev.cases.length > 0 ? failures.rate : null,
    gate: gate.status,
    trace_mre_mm: num(tr?.synthetic.mreMm),
    trace_sdr2: num(tr?.synthetic.sdr['2']),
    trace_floor_mre_mm: num(tr?.floor.mreMm),
    trace_cases: tr ? tr.cases : null,
    trace_detector: tr ? tr.detector.name : null,
  };
}

/**
 * Train one run on loaded data and write `<out>/last/` and `<out>/metrics.json` — the loop of
 * `cli train`, callable by `sweep` and `study` (same data, splits and validation cases per run).
 */
/** The shipped detector, loaded once per process (null when it cannot be loaded). */
let shippedDetector: Promise<CliDetector | null> | null = null;
function defaultDetector(say: (s: string) => void): Promise<CliDetector | null> {
  shippedDetector ??= loadCliDetector().catch((e: unknown) => {
    say(`note: traceability off: the shipped detector could not be loaded (${(e as Error).message})`);
    return null;
  });
  return shippedDetector;
}

export async function trainRun(o: TrainRunOptions): Promise<TrainRunResult> {
  const { cfg, data, out, say, resumeState, init } = o;
  const full = o.fullEvaluation !== false;
  const started = performance.now();
  const storage = createFsStorage(out);
  const source = createInMemoryDataSource(data.train, {
    size: cfg.size,
    photoChannels: cfg.input_nc,
    xrayChannels: cfg.output_nc,
  });
  const spe = stepsPerEpoch(source.trainCount, cfg.batch_size);
  const totalSteps =
    o.steps ?? (o.epochs !== undefined ? o.epochs * spe : (lastEpoch(cfg) - cfg.epoch_count + 1) * spe);
  // a resumed run keeps its config; only the logging cadence (log/val/save_every) may change
  const trainer = resumeState
    ? Trainer.restore({ ...resumeState, config: cfg }, source)
    : init
      ? Trainer.fromWeights(cfg, { G: init.G, D: init.D }, source)
      : Trainer.create(cfg, source);
  if (init) {
    for (const n of init.notes) say(`note: ${n}`);
    say(
      `starting from ${init.source} (${init.completed} epochs trained): ` +
        `epochs ${cfg.epoch_count}..${lastEpoch(cfg)}, fresh optimizer, discriminator ` +
        (init.D ? 'from the checkpoint' : 'fresh (none in the checkpoint)'),
    );
  }
  await mkdir(out, { recursive: true });
  const metricsPath = join(out, 'metrics.json');
  let history: HistoryRow[] = [];
  let valHistory: ValRow[] = [];
  if (resumeState) {
    try {
      const prev = JSON.parse(await readFile(metricsPath, 'utf8')) as {
        history?: HistoryRow[];
        val_history?: ValRow[];
      };
      history = (prev.history ?? []).filter((r) => r.step <= resumeState.step);
      valHistory = (prev.val_history ?? []).filter((r) => r.step <= resumeState.step);
    } catch {
      // no previous metrics: the curves start at the checkpoint
    }
    say(`resuming at step ${trainer.globalStep} (epoch ${trainer.epoch})`);
  }
  const evalMode = o.evalMode;
  // each pair's content region (from its frame when the loader did not set one): metrics never count padding
  const frames = data.frames ?? {};
  const withContent = (p: RegionPair): RegionPair => {
    const f = p.content === undefined && p.id !== undefined ? frames[p.id] : undefined;
    return f ? { ...p, content: contentRect(f.transform) } : p;
  };
  const val = data.val.map(withContent);
  const trainSubset = full ? chooseTrainSubset(data.train, cfg.seed).map(withContent) : [];
  const mmPerPx = data.mmPerPx;
  const symbols = data.symbols ?? ISBI_LANDMARKS.map((l) => l.id);
  const hasLm = val.some((p) => p.landmarks && p.landmarks.length > 0);
  const spacingOf = (id: string): { x: number; y: number } | null => {
    const f = frames[id];
    if (f) return preprocessedSpacing(f.transform, f.mmPerPx);
    return mmPerPx !== undefined ? { x: mmPerPx, y: mmPerPx } : null;
  };
  const landmarks: EvalLandmarkOptions | null =
    full && hasLm && cfg.direction !== 'BtoA'
      ? {
          symbols,
          names: symbols.map((sym) => ISBI_LANDMARKS.find((l) => l.id === sym)?.name ?? ''),
          spacingOf,
        }
      : null;
  // traceability: the detector on the predictions of val cases with landmarks, in the original frame
  let tracer: CliTracer | null = null;
  if (full && landmarks && o.detector !== null) {
    const det = o.detector ?? (await defaultDetector(say));
    const why = det ? detectorMismatch(det, symbols) : null;
    const cases = det && !why ? traceCasesOf(val, (id) => frames[id]) : [];
    if (why) say(`note: ${why}`);
    else if (det && cases.length > 0) tracer = new CliTracer(det, cases);
  }
  let lastLosses: Record<string, number | null> | null = null;
  const validate = async (): Promise<ValRow> => {
    let row: ValRow;
    if (full) {
      const { grid, ...ev } = await evaluateModel(trainer.G, trainer.D, cfg, val, trainSubset, {
        step: trainer.globalStep,
        epoch: trainer.epoch,
        evalMode,
        balanceCases: 0,
        losses: lastLosses,
        landmarks,
        ...(tracer ? { gridCaseIds: tracer.caseIds } : {}),
      });
      let traceability: TraceabilityResult | null = null;
      if (tracer) traceability = await tracer.score(grid);
      const {
        mean_l1_pm1: _a,
        median_l1_pm1: _b,
        mean_l1_whole: _c,
        mean_psnr_whole: _d,
        mean_ssim_whole: _e,
        mean_content_fraction: _f,
        ...agg
      } = ev.aggregate;
      row = {
        step: trainer.globalStep,
        eval_mode: evalMode,
        ...agg,
        ...fullValues({ ...ev, traceability }),
      };
    } else {
      const r = await trainer.evaluate(data.val, { evalMode });
      row = { step: trainer.globalStep, eval_mode: evalMode, ...r.aggregate };
    }
    valHistory.push(row);
    say(valLine(trainer.globalStep, row));
    return row;
  };
  const save = async (metrics: Record<string, number | null> = {}): Promise<void> => {
    await writeCheckpointAtomically(storage, 'last', await saveTrainerState(trainer, { metrics }));
  };

  let stepMs = 0;
  let stepsTimed = 0;
  let windowStart = performance.now();
  let windowSteps = 0;
  let last: ValRow | undefined;
  try {
    while (trainer.globalStep < totalSteps) {
      const t0 = performance.now();
      const info = trainer.step();
      stepMs += performance.now() - t0;
      stepsTimed++;
      windowSteps++;
      if (info.logged) {
        const m = await trainer.readMetrics();
        history.push(historyRow(m));
        lastLosses = { ...m.losses };
        const now = performance.now();
        say(progressLine(m, totalSteps, (1000 * windowSteps) / Math.max(1e-9, now - windowStart), spe, cfg));
        windowStart = now;
        windowSteps = 0;
        if (!m.finite)
          throw new Error(`training diverged at step ${m.step} (a loss is NaN or infinite); lower --lr`);
      }
      const s = trainer.globalStep;
      if (cfg.val_every > 0 && s % cfg.val_every === 0 && s < totalSteps) last = await validate();
      if (cfg.save_every > 0 && s % cfg.save_every === 0 && s < totalSteps) await save();
    }
    last = await validate();
    await save({
      val_mean_l1: last.mean_l1,
      val_mean_psnr: last.mean_psnr,
      val_mean_ssim: last.mean_ssim,
    });
    const msPerStep = stepsTimed > 0 ? stepMs / stepsTimed : 0;
    const durationMs = performance.now() - started;
    await writeJsonAtomically(metricsPath, {
      format: 'ceph-gan-studio-metrics',
      version: 1,
      created: new Date().toISOString(),
      config: cfg,
      backend: o.backend,
      data: { source: data.source, train_cases: data.train.length, val_cases: data.val.length },
      ...(init
        ? {
            init: {
              source: init.source,
              completed_epochs: init.completed,
              epoch_count: cfg.epoch_count,
              discriminator: init.D ? 'checkpoint' : 'fresh',
            },
          }
        : {}),
      steps: trainer.globalStep,
      epoch: trainer.epoch,
      ms_per_step: msPerStep,
      it_per_s: msPerStep > 0 ? 1000 / msPerStep : 0,
      // this session's wall time (a resumed run counts from its resume)
      duration_s: durationMs / 1000,
      checkpoint: 'last',
      history,
      val_history: valHistory,
      final: last,
    });
    if (o.printDone !== false)
      console.log(
        `done: ${trainer.globalStep} steps, ${msPerStep.toFixed(1)} ms/step (${o.backend}); ` +
          `${valLine(trainer.globalStep, last)}; wrote ${join(out, 'last')} and ${metricsPath}`,
      );
    return {
      steps: trainer.globalStep,
      epoch: trainer.epoch,
      msPerStep,
      durationMs,
      final: last,
      valHistory,
      metricsPath,
    };
  } finally {
    trainer.dispose();
    source.dispose();
  }
}
