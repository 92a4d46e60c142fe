/**
 * `cli train-landmarks`: train the heatmap landmark detector (src/core/detector) headless in Node
 * on a folder of X-rays with landmarks (a CSV `image_path,1_x,1_y,…` such as ISBI's senior.csv,
 * or one ISBI `.txt` per image with the same base name).
 *
 * Holds out K films (chosen by the seed), prints per-epoch loss and held-out MRE / SDR@2mm in mm,
 * writes the best-by-held-out-MRE detector to `<out>/` (float16, detector.json +
 * weights.safetensors + metrics.json) and the last state to `<out>/last/` (float32 weights, Adam
 * moments, trainer state) after every epoch, so a time budget always leaves a usable model;
 * `--resume` continues from `<out>/last/`.
 */
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { caseBaseName } from '../core/data/layout';
import { ISBI_LANDMARKS } from '../core/data/landmarkSet';
import { generatePhantomDataset } from '../core/data/phantom';
import type { Point } from '../core/image';
import { decodeFileNode } from '../core/io/decodeNode';
import { parseIsbiText, parseLandmarkCsv } from '../core/io/landmarks';
import { DEFAULT_AUGMENT } from '../core/detector/augment';
import {
  DETECTOR_META_FILE,
  DETECTOR_WEIGHTS_FILE,
  decodeDetector,
  encodeDetector,
  landmarkSetMismatch,
  parseDetectorMeta,
  type DetectorMeta,
} from '../core/detector/checkpoint';
import type { ErrorSummary } from '../core/detector/errors';
import type { Decoder } from '../core/detector/heatmap';
import { DEFAULT_CHANNELS, paramCount, type DetectorArch } from '../core/detector/model';
import {
  DetectorTrainer,
  evaluateDetector,
  makeSample,
  type DetectorSample,
  type DetectorTrainConfig,
} from '../core/detector/train';
import { Rng } from '../core/rng';
import {
  BACKEND_OPTION,
  backendOption,
  HELP_OPTION,
  helpText,
  numberOption,
  parse,
  stringOption,
  UsageError,
  type OptionSpecs,
} from './args';
import { loadDetectorDir } from './detect';
import { startBackend } from './env';

const OPTIONS: OptionSpecs = {
  data: {
    type: 'string',
    arg: '<dir>',
    help: 'X-rays + senior.csv (image_path,1_x,1_y,…) or one ISBI .txt per image',
  },
  demo: {
    type: 'string',
    arg: '<n>',
    help: 'instead of --data: n demo phantom cases at --size (as the studio generates them); their val split is held out',
  },
  out: { type: 'string', arg: '<dir>', help: 'output folder (best detector; last/ for --resume)' },
  size: {
    type: 'string',
    arg: '<px>',
    help: 'square input size (letterbox), multiple of 2^depth (default 256)',
  },
  epochs: { type: 'string', arg: '<n>', help: 'epochs (default 200; the time budget may stop earlier)' },
  holdout: { type: 'string', arg: '<k>', help: 'films held out for MRE/SDR (chosen by the seed; default 0)' },
  'time-budget-min': {
    type: 'string',
    arg: '<min>',
    help: 'stop after this many minutes (lr schedule follows it)',
  },
  seed: {
    type: 'string',
    arg: '<n>',
    help: 'seed: weights, hold-out choice, order, augmentation (default 1)',
  },
  'sigma-mm': { type: 'string', arg: '<mm>', help: 'Gaussian heatmap sigma in mm (default 3)' },
  lr: { type: 'string', arg: '<lr>', help: 'Adam learning rate (default 0.001, cosine decay)' },
  batch: { type: 'string', arg: '<n>', help: 'films per step (default 1)' },
  channels: {
    type: 'string',
    arg: '<c0,c1,…>',
    help: `channels per level (default ${DEFAULT_CHANNELS.join(',')})`,
  },
  'mm-per-px': { type: 'string', arg: '<mm>', help: 'pixel spacing of the films (default 0.1, ISBI)' },
  limit: { type: 'string', arg: '<n>', help: 'use only the first n films (quick design runs)' },
  loss: {
    type: 'string',
    arg: '<ce|mse>',
    help: 'ce: spatial softmax cross-entropy to the Gaussian (default); mse: heatmap regression',
  },
  stride: { type: 'string', arg: '<1|2|4>', help: 'heatmap stride (default 2: maps at half the input size)' },
  'no-augment': { type: 'boolean', help: 'no augmentation' },
  resume: { type: 'boolean', help: 'continue from <out>/last/' },
  init: {
    type: 'string',
    arg: '<dir>',
    help: 'fine-tune from this detector (its size, network and sigma; same landmark set required)',
  },
  quiet: { type: 'boolean', help: 'print only the summary' },
};

export const TRAIN_LANDMARKS_HELP = helpText(
  'train-landmarks (--data <dir> | --demo <n>) --out <dir> [--size 256] [--epochs N] [--holdout K] [--time-budget-min M] [--seed S]',
  'Train the heatmap landmark detector on X-rays with landmarks (wasm backend in Node).',
  [
    ['options', OPTIONS],
    ['backend', BACKEND_OPTION],
    ['other', HELP_OPTION],
  ],
);

const IMAGE_EXT = /\.(png|jpe?g)$/i;

export interface LandmarkCase {
  id: string;
  imagePath: string;
  points: Point[];
}

async function walk(dir: string, depth = 2): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new UsageError(`cannot read the folder ${dir} (${(e as Error).message})`);
  }
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory() && depth > 0) out.push(...(await walk(p, depth - 1)));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

/** Symbols of a set of `n` landmarks: the ISBI names for 19, else L1..Ln. */
export function symbolsFor(n: number): string[] {
  return n === ISBI_LANDMARKS.length
    ? ISBI_LANDMARKS.map((l) => l.id)
    : Array.from({ length: n }, (_, i) => `L${i + 1}`);
}

/** Images of a folder matched to landmarks (CSV first, else per-image .txt). */
export async function loadLandmarkFolder(
  dir: string,
): Promise<{ cases: LandmarkCase[]; symbols: string[]; warnings: string[] }> {
  const files = await walk(dir);
  const images = files.filter((f) => IMAGE_EXT.test(f));
  if (!images.length) throw new UsageError(`${dir}: no PNG or JPEG images found`);
  const warnings: string[] = [];
  const byCase = new Map<string, Point[]>();
  const csvs = files.filter((f) => /\.csv$/i.test(f));
  let count = 0;
  for (const csv of csvs) {
    const parsed = parseLandmarkCsv(await readFile(csv, 'utf8'), relative(dir, csv) || csv, {
      expected: null,
    });
    for (const p of parsed.problems) if (p.severity === 'error') warnings.push(p.message);
    if (!parsed.rows.length) continue;
    count = parsed.count;
    for (const [k, v] of parsed.byCase) if (!byCase.has(k)) byCase.set(k, v);
  }
  if (!byCase.size) {
    for (const txt of files.filter((f) => /\.txt$/i.test(f))) {
      const parsed = parseIsbiText(await readFile(txt, 'utf8'), relative(dir, txt), { expected: null });
      if (!parsed.points) {
        warnings.push(...parsed.problems.map((p) => p.message));
        continue;
      }
      byCase.set(caseBaseName(txt), parsed.points);
    }
  }
  if (!byCase.size)
    throw new UsageError(
      `${dir}: no landmarks found. A detector needs landmarks: add a CSV (image_path,1_x,1_y,…) or one ISBI .txt per image, or trace the films in the studio first.`,
    );
  const cases: LandmarkCase[] = [];
  for (const img of images) {
    const id = caseBaseName(img);
    const pts = byCase.get(id);
    if (!pts) {
      warnings.push(`${relative(dir, img)}: no landmarks for this image; skipped.`);
      continue;
    }
    cases.push({ id, imagePath: img, points: pts });
  }
  const n = count || cases[0]?.points.length || 0;
  const bad = cases.filter((c) => c.points.length !== n);
  if (bad.length)
    throw new UsageError(`${bad[0].imagePath}: ${bad[0].points.length} landmarks, the others have ${n}`);
  if (!cases.length) throw new UsageError(`${dir}: no image matches a landmark row`);
  return { cases, symbols: symbolsFor(n), warnings };
}

/**
 * The demo phantom as the studio's engine generates it (engine/demoData.ts: n cases square at
 * `size`, a fifth in val), as detector samples: train split and val split (held out).
 */
export function demoSamples(
  n: number,
  seed: number,
  size: number,
): { train: DetectorSample[]; val: DetectorSample[]; mmPerPx: number } {
  const ds = generatePhantomDataset({
    n,
    seed,
    width: size,
    height: size,
    valCount: Math.max(1, Math.round(n * 0.2)),
  });
  const train: DetectorSample[] = [];
  const val: DetectorSample[] = [];
  for (const c of ds.cases) {
    const s = makeSample(c.id, c.xray, c.landmarks, size, ds.mmPerPx);
    if (c.split === 'val') val.push(s);
    else train.push(s);
  }
  return { train, val, mmPerPx: ds.mmPerPx };
}

/** Decode and letterbox cases into detector samples. */
export async function loadSamples(
  cases: LandmarkCase[],
  size: number,
  mmPerPx: number,
): Promise<DetectorSample[]> {
  const out: DetectorSample[] = [];
  for (const c of cases) {
    const r = await decodeFileNode(c.imagePath);
    if (!r.ok) throw new UsageError(r.problem.message);
    out.push(makeSample(c.id, r.image, c.points, size, mmPerPx));
  }
  return out;
}

async function writeFilesAtomically(dir: string, files: Record<string, Uint8Array | string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) {
    const tmp = join(dir, `.${name}.tmp`);
    await writeFile(tmp, bytes);
    await rename(tmp, join(dir, name));
  }
}

function fmtPct(v: number): string {
  return `${(v * 100).toFixed(1)} %`;
}

/** A millimetre figure with 2 decimals ('-' when there is none). */
function mm(v: number | null): string {
  return v === null ? '-' : v.toFixed(2);
}

function summaryLine(s: ErrorSummary): string {
  return `MRE ${mm(s.mreMm)} ± ${mm(s.sdMm)} mm, SDR 2/2.5/3/4 mm ${fmtPct(s.sdr['2'])} / ${fmtPct(s.sdr['2.5'])} / ${fmtPct(s.sdr['3'])} / ${fmtPct(s.sdr['4'])}`;
}

interface TrainState {
  epoch: number;
  step: number;
  elapsedSec: number;
  rng: [number, number, number, number];
  bestMre: number | null;
  bestEpoch: number | null;
  history: Record<string, unknown>[];
  config: DetectorTrainConfig;
  holdoutIds: string[];
}

/**
 * Learning rate: linear warm-up over `warmup` steps (100, or a tenth of a short run), then cosine
 * to 2 % of lr over the run's progress (0..1).
 */
export function lrAt(lr: number, step: number, progress: number, warmup = 100): number {
  const warm = Math.min(1, (step + 1) / Math.max(1, warmup));
  const p = Math.min(1, Math.max(0, progress));
  return lr * warm * (0.02 + 0.98 * 0.5 * (1 + Math.cos(Math.PI * p)));
}

export async function run(argv: string[]): Promise<number> {
  const values = parse(argv, { ...OPTIONS, ...BACKEND_OPTION, ...HELP_OPTION }, 'train-landmarks');
  if (values.help) {
    console.log(TRAIN_LANDMARKS_HELP);
    return 0;
  }
  const dataDir = stringOption(values, 'data');
  const outDir = stringOption(values, 'out');
  const demoN = numberOption(values, 'demo', { integer: true, min: 5 });
  if (!dataDir && demoN === undefined)
    throw new UsageError('train-landmarks: --data <dir> (or --demo <n>) is required');
  if (dataDir && demoN !== undefined) throw new UsageError('give either --data or --demo, not both');
  if (!outDir) throw new UsageError('train-landmarks: --out <dir> is required');
  const size = numberOption(values, 'size', { integer: true, min: 16, max: 2048 }) ?? 256;
  const epochs = numberOption(values, 'epochs', { integer: true, min: 1 }) ?? 200;
  const holdout = numberOption(values, 'holdout', { integer: true, min: 0 }) ?? 0;
  const budgetMin = numberOption(values, 'time-budget-min', { min: 0 });
  const seed = numberOption(values, 'seed', { integer: true, min: 0 }) ?? 1;
  const sigmaMm = numberOption(values, 'sigma-mm', { min: 0.01 }) ?? 3;
  const lr = numberOption(values, 'lr', { min: 0 }) ?? 1e-3;
  const batch = numberOption(values, 'batch', { integer: true, min: 1 }) ?? 1;
  let mmPerPx = numberOption(values, 'mm-per-px', { min: 1e-6 }) ?? 0.1;
  const limit = numberOption(values, 'limit', { integer: true, min: 2 });
  const chRaw = stringOption(values, 'channels');
  const channels = chRaw ? chRaw.split(',').map((c) => Number(c)) : DEFAULT_CHANNELS;
  if (channels.some((c) => !Number.isInteger(c) || c < 1))
    throw new UsageError(`--channels must be whole numbers separated by commas, got "${chRaw}"`);
  const depth = channels.length - 1;
  if (size % 2 ** depth !== 0)
    throw new UsageError(
      `--size ${size} must be a multiple of ${2 ** depth} for ${channels.length} channel levels`,
    );
  const quiet = values.quiet === true;
  const log = (s: string): void => {
    if (!quiet) console.log(s);
  };

  const loaded =
    demoN !== undefined
      ? { cases: [] as LandmarkCase[], symbols: symbolsFor(ISBI_LANDMARKS.length), warnings: [] as string[] }
      : await loadLandmarkFolder(dataDir as string);
  for (const w of loaded.warnings.slice(0, 5)) console.error(`warning: ${w}`);
  let cases = loaded.cases;
  if (limit) cases = cases.slice(0, limit);
  if (demoN === undefined && holdout >= cases.length)
    throw new UsageError(`--holdout ${holdout} leaves no film to train on (${cases.length} films)`);
  const symbols = loaded.symbols;

  const sel = await startBackend(backendOption(values));
  const lastDir = join(outDir, 'last');
  let state: TrainState | null = null;
  let resumeMeta: DetectorMeta | null = null;
  if (values.resume === true) {
    try {
      state = JSON.parse(await readFile(join(lastDir, 'state.json'), 'utf8')) as TrainState;
      resumeMeta = parseDetectorMeta(
        await readFile(join(lastDir, DETECTOR_META_FILE), 'utf8'),
        join(lastDir, DETECTOR_META_FILE),
      );
    } catch (e) {
      throw new UsageError(`--resume: no usable training state in ${lastDir} (${(e as Error).message})`);
    }
  }
  const initDir = stringOption(values, 'init');
  if (initDir && state) throw new UsageError('give either --resume or --init, not both');
  const init = initDir ? await loadDetectorDir(initDir) : null;
  for (const [what, m] of [
    [`--init ${initDir}`, init?.meta],
    [`--resume ${lastDir}`, resumeMeta],
  ] as const) {
    const mismatch = m ? landmarkSetMismatch(m.symbols, symbols) : null;
    if (mismatch) {
      init?.net.dispose();
      throw new UsageError(`${what}: ${mismatch}`);
    }
  }
  const lossKind = stringOption(values, 'loss') ?? 'ce';
  if (lossKind !== 'mse' && lossKind !== 'ce')
    throw new UsageError(`--loss must be mse or ce, got "${lossKind}"`);
  const arch: DetectorArch = state
    ? state.config.arch
    : init
      ? init.meta.arch
      : {
          size,
          channels,
          landmarks: symbols.length,
          head: lossKind === 'ce' ? 'softmax' : 'heatmap',
          outStride: numberOption(values, 'stride', { integer: true, min: 1, max: 8 }) ?? 2,
        };
  if (arch.landmarks !== symbols.length)
    throw new UsageError(
      `--resume: the checkpoint has ${arch.landmarks} landmarks, the data ${symbols.length}`,
    );
  const cfg: DetectorTrainConfig = state
    ? state.config
    : {
        arch,
        symbols,
        sigmaMm: values['sigma-mm'] === undefined && init ? init.meta.sigmaMm : sigmaMm,
        lr,
        batchSize: batch,
        seed,
        augment: DEFAULT_AUGMENT,
      };
  if (values['no-augment'] === true)
    cfg.augment = {
      ...DEFAULT_AUGMENT,
      rotateDeg: 0,
      scale: 0,
      translate: 0,
      contrast: 0,
      brightness: 0,
      gamma: 1,
      noise: 0,
    };

  // hold-out: a seeded permutation of the sorted ids
  const ids = cases.map((c) => c.id).sort();
  const perm = new Rng(seed ^ 0x401d).permutation(ids.length);
  const demo = demoN !== undefined ? demoSamples(demoN, seed, arch.size) : null;
  if (demo) mmPerPx = demo.mmPerPx;
  const holdoutIds = state
    ? state.holdoutIds
    : demo
      ? demo.val.map((s) => s.id)
      : perm
          .slice(0, holdout)
          .map((i) => ids[i])
          .sort();
  const hold = new Set(holdoutIds);
  const trainCases = cases.filter((c) => !hold.has(c.id));
  const valCases = cases.filter((c) => hold.has(c.id));
  const t0 = Date.now();
  const trainSet = demo ? demo.train : await loadSamples(trainCases, arch.size, mmPerPx);
  const valSet = demo ? demo.val : await loadSamples(valCases, arch.size, mmPerPx);
  log(
    `backend ${sel.backend}; ${trainSet.length} train + ${valSet.length} held-out films at ${arch.size} px ` +
      `(loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s); ` +
      `${symbols.length} landmarks; ${paramCount(arch)} parameters; sigma ${cfg.sigmaMm} mm; loss ${arch.head === 'softmax' ? 'ce' : 'mse'}; heatmap stride ${arch.outStride ?? 1}`,
  );
  if (valSet.length) log(`held out: ${holdoutIds.join(' ')}`);

  let net = init?.net;
  if (init) log(`fine-tuning from ${initDir} (${init.meta.arch.size} px, sigma ${init.meta.sigmaMm} mm)`);
  if (state && resumeMeta) {
    net = decodeDetector(resumeMeta, new Uint8Array(await readFile(join(lastDir, DETECTOR_WEIGHTS_FILE))));
  }
  const trainer = new DetectorTrainer(cfg, net);
  let epoch = 0;
  let bestMre = Infinity;
  let bestEpoch: number | null = null;
  let priorSec = 0;
  const history: Record<string, unknown>[] = [];
  if (state) {
    epoch = state.epoch;
    trainer.step = state.step;
    trainer.rng.setState(state.rng);
    bestMre = state.bestMre ?? Infinity;
    bestEpoch = state.bestEpoch;
    priorSec = state.elapsedSec;
    history.push(...state.history);
    try {
      const opt = await readFile(join(lastDir, 'optimizer.safetensors'));
      const { readSafetensors } = await import('../core/io/safetensors');
      const st = readSafetensors(new Uint8Array(opt), 'optimizer.safetensors');
      await trainer.optimizer.setWeights(
        st.tensors.map((t) => ({
          name: t.key,
          tensor:
            t.key === 'iter'
              ? tf.scalar(Number((t.data as Float32Array)[0]))
              : tf.tensor(t.data as Float32Array, t.shape),
        })),
      );
    } catch (e) {
      console.error(`warning: Adam moments not restored (${(e as Error).message}); they restart at zero`);
    }
    log(`resumed at epoch ${epoch}, step ${trainer.step} (${(priorSec / 60).toFixed(1)} min trained)`);
  }

  const stepsPerEpoch = Math.ceil(trainSet.length / cfg.batchSize);
  const totalSteps = epochs * stepsPerEpoch;
  const budgetSec = budgetMin !== undefined ? budgetMin * 60 : Infinity;
  const start = Date.now();
  const elapsed = (): number => priorSec + (Date.now() - start) / 1000;
  const progress = (): number => Math.max(trainer.step / totalSteps, elapsed() / budgetSec);
  const command = `npm run cli -- train-landmarks ${argv.join(' ')}`;
  const rng = new Rng(seed ^ 0x0de7);
  let stepMsTotal = 0;
  let stepCount = 0;
  let lastEval: Awaited<ReturnType<typeof evaluateDetector>> | null = null;

  const saveBest = async (
    ev: Awaited<ReturnType<typeof evaluateDetector>> | null,
    ep: number,
  ): Promise<void> => {
    const decoder: Decoder = ev ? ev.best : 'dark';
    const enc = await encodeDetector(
      trainer.net,
      {
        symbols,
        preprocess: 'letterbox',
        sigmaMm: cfg.sigmaMm,
        mmPerPx,
        decoder,
        training: {
          epoch: ep,
          step: trainer.step,
          minutes: +(elapsed() / 60).toFixed(1),
          command,
          seed,
          holdout: holdoutIds.length,
        },
      },
      'float16',
    );
    const metrics = {
      command,
      data: dataDir ?? `demo phantom (${demoN} cases, seed ${seed}, ${arch.size} px)`,
      films: { train: trainSet.length, heldOut: valSet.length, heldOutIds: holdoutIds },
      size: arch.size,
      channels: arch.channels,
      parameters: paramCount(arch),
      sigmaMm: cfg.sigmaMm,
      lr: cfg.lr,
      batch: cfg.batchSize,
      augment: cfg.augment,
      backend: sel.backend,
      epoch: ep,
      step: trainer.step,
      minutes: +(elapsed() / 60).toFixed(1),
      msPerStep: stepCount ? +(stepMsTotal / stepCount).toFixed(0) : null,
      decoder,
      heldOut: ev ? ev.byDecoder[decoder] : null,
      heldOutByDecoder: ev
        ? Object.fromEntries(
            Object.entries(ev.byDecoder).map(([k, v]) => [k, { mreMm: v.mreMm, sdr2: v.sdr['2'] }]),
          )
        : null,
      history,
    };
    await writeFilesAtomically(outDir, {
      ...enc.files,
      'metrics.json': JSON.stringify(metrics, null, 2) + '\n',
    });
  };

  const saveLast = async (ep: number): Promise<void> => {
    const enc = await encodeDetector(
      trainer.net,
      { symbols, preprocess: 'letterbox', sigmaMm: cfg.sigmaMm, mmPerPx, decoder: 'dark' },
      'float32',
    );
    const optW = await trainer.optimizer.getWeights();
    const { writeSafetensors } = await import('../core/io/safetensors');
    const opt = writeSafetensors(
      optW.map((w) => ({
        key: w.name,
        dtype: 'float32' as const,
        shape: w.tensor.shape.slice(),
        data: Float32Array.from(w.tensor.dataSync() as Float32Array),
      })),
    );
    // getWeights returns the optimizer's own variables plus a fresh step counter: dispose only that
    tf.dispose(optW.filter((w) => w.name === 'iter').map((w) => w.tensor));
    const st: TrainState = {
      epoch: ep,
      step: trainer.step,
      elapsedSec: elapsed(),
      rng: trainer.rng.getState(),
      bestMre: Number.isFinite(bestMre) ? bestMre : null,
      bestEpoch,
      history,
      config: cfg,
      holdoutIds,
    };
    await writeFilesAtomically(lastDir, {
      ...enc.files,
      'optimizer.safetensors': opt,
      'state.json': JSON.stringify(st),
    });
  };

  let stopped = '';
  while (epoch < epochs) {
    if (elapsed() >= budgetSec) {
      stopped = 'time budget';
      break;
    }
    const order = rng.permutation(trainSet.length);
    let lossSum = 0;
    let n = 0;
    const te = Date.now();
    for (let b = 0; b < order.length; b += cfg.batchSize) {
      trainer.setLearningRate(
        lrAt(cfg.lr, trainer.step, progress(), Math.min(100, Math.ceil(totalSteps / 10))),
      );
      const ts = performance.now();
      const loss = await trainer.trainStep(
        order.slice(b, b + cfg.batchSize).map((i) => trainSet[i]),
        true,
      );
      stepMsTotal += performance.now() - ts;
      stepCount++;
      if (!Number.isFinite(loss))
        throw new Error(`the heatmap loss became ${loss} at step ${trainer.step}; lower --lr`);
      lossSum += loss;
      n++;
      if (elapsed() >= budgetSec) break;
    }
    epoch++;
    const row: Record<string, unknown> = {
      epoch,
      step: trainer.step,
      loss: +(lossSum / n).toFixed(4),
      lr: +trainer.learningRate.toExponential(3),
      minutes: +(elapsed() / 60).toFixed(2),
      epochSec: +((Date.now() - te) / 1000).toFixed(1),
    };
    let line = `epoch ${epoch}: loss ${(lossSum / n).toFixed(4)} (${row.epochSec} s, lr ${trainer.learningRate.toExponential(2)})`;
    if (valSet.length) {
      const ev = await evaluateDetector(trainer.net, valSet, symbols, cfg.sigmaMm);
      lastEval = ev;
      const s = ev.byDecoder[ev.best];
      const mre = s.mreMm ?? Infinity;
      row.heldOutMreMm = s.mreMm === null ? null : +s.mreMm.toFixed(3);
      row.heldOutSdr2 = +s.sdr['2'].toFixed(4);
      row.decoder = ev.best;
      row.byDecoder = Object.fromEntries(
        Object.entries(ev.byDecoder).map(([k, v]) => [k, v.mreMm === null ? null : +v.mreMm.toFixed(3)]),
      );
      line += `; held-out ${summaryLine(s)} [${ev.best}; argmax ${mm(ev.byDecoder.argmax.mreMm)} mm]`;
      history.push(row);
      if (mre < bestMre) {
        bestMre = mre;
        bestEpoch = epoch;
        await saveBest(ev, epoch);
        line += ' *best';
      }
    } else {
      history.push(row);
      await saveBest(null, epoch);
    }
    log(line);
    await saveLast(epoch);
  }
  if (!stopped && epoch >= epochs) stopped = `${epochs} epochs`;
  const ms = stepCount ? stepMsTotal / stepCount : NaN;
  console.log(
    `done (${stopped}): ${epoch} epochs, ${trainer.step} steps, ${ms.toFixed(0)} ms/step (${sel.backend}), ${(elapsed() / 60).toFixed(1)} min` +
      (valSet.length && lastEval
        ? `; best held-out MRE ${bestMre.toFixed(2)} mm at epoch ${bestEpoch}; last ${summaryLine(lastEval.byDecoder[lastEval.best])}`
        : ''),
  );
  console.log(
    `detector: ${outDir}/ (${DETECTOR_META_FILE}, ${DETECTOR_WEIGHTS_FILE}, metrics.json); resumable state: ${lastDir}/`,
  );
  trainer.dispose();
  await stat(outDir);
  return 0;
}
