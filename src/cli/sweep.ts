/**
 * `cli sweep`: train the runs of a sweep (up to three options, each with a list of values) one after
 * another on the same data, splits and validation cases, then write the comparison table.
 * Also the queue that `cli study` shares: `<out>/queue.json` holds the plan and each run's status,
 * every run trains into `<out>/runs/<name>/` (checkpoint `last/` + `metrics.json`), and a rerun on
 * the same --out (or --resume) skips the finished runs and continues an interrupted one from its
 * checkpoint, so the queue survives a crash.
 */
import { DEFAULT_MM_PER_PX } from '../core/data/dataset';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunConfig } from '../core/config';
import { messageText } from '../core/messages';
import {
  bestAndLast,
  comparisonCsv,
  comparisonMarkdown,
  comparisonTable,
  expandSweep,
  parseVary,
  runDirName,
  sweepPresetById,
  sweepRunConfig,
  SweepError,
  SWEEP_PRESETS,
  type RunSummary,
  type SweepParam,
  type SweepRun,
  type ValPoint,
} from '../core/experiments';
import { loadTrainerState, readCheckpointFiles } from '../core/train/checkpoint';
import { augmentationDefaults } from '../core/train/data';
import {
  BACKEND_OPTION,
  backendOption,
  checkNetworkFits,
  CONFIG_OPTIONS,
  configFromOptions,
  HELP_OPTION,
  helpText,
  numberOption,
  parse,
  stringOption,
  UsageError,
  type OptionSpecs,
  type ParsedValues,
} from './args';
import { startBackend } from './env';
import { createFsStorage } from './fsStorage';
import { loadDemo, loadFolder, trainRun, type LoadedData, type ValRow } from './train';

/** Options `sweep` and `study` share. */
export const EXPERIMENT_OPTIONS: OptionSpecs = {
  demo: { type: 'boolean', help: 'use the built-in phantom dataset (default preset: demo, 64 px)' },
  data: {
    type: 'string',
    arg: '<dir>',
    help: 'folder of pairs: server aligned layout (train/*.png) or photo/ + xray/',
  },
  out: {
    type: 'string',
    arg: '<dir>',
    help: 'output folder: queue.json, runs/<name>/, comparison.md/.json/.csv (required)',
  },
  steps: { type: 'string', arg: '<n>', help: 'training steps of every run (held equal)' },
  cases: {
    type: 'string',
    arg: '<n>',
    help: 'demo: number of phantom cases (default 100: 80 train + 20 val)',
  },
  log_every: { type: 'string', arg: '<n>', help: 'print losses every n steps (default from the config)' },
  val_every: { type: 'string', arg: '<n>', help: 'validate every n steps (0 = only at the end)' },
  'mm-per-px': {
    type: 'string',
    arg: '<mm>',
    help: `--data: pixel spacing of the images in the folder, mm (default ${DEFAULT_MM_PER_PX}, ISBI 2015 films); landmark windows and traceability in mm use it`,
  },
  save_every: {
    type: 'string',
    arg: '<n>',
    help: 'save each run’s checkpoint every n steps (0 = only at the end)',
  },
  eval: { type: 'boolean', help: 'validate in eval mode (server --eval)' },
  resume: { type: 'boolean', help: 'continue the queue in --out (a rerun on the same --out does too)' },
  quiet: { type: 'boolean', help: 'print only the plan, one line per run and the files written' },
};

const SWEEP_OPTIONS: OptionSpecs = {
  vary: {
    type: 'string',
    arg: '<option=v1,v2,...>',
    help: 'an option and its values (repeat for up to 3 options), e.g. --vary lambda_L1=100,80,60',
  },
  sweep_preset: {
    type: 'string',
    arg: '<id>',
    help: `a planned sweep instead of --vary: ${SWEEP_PRESETS.map((p) => `${p.id} (${messageText(p.label, 'en')}: ${messageText(p.description, 'en')})`).join('; ')}`,
  },
};

export const SWEEP_HELP = helpText(
  'sweep (--demo | --data <dir>) --vary <option=v1,v2,...> [--vary ...] --out <dir> [--steps N] [options]',
  'Train every combination of the varied options (up to 3 options) one after another on the same data,\n' +
    'splits and validation cases (full evaluation: L1, PSNR, SSIM, sharpness, diagnostics, landmark-region\n' +
    'sharpness, train/val gap, gate). Writes <out>/runs/<name>/ per run and <out>/comparison.md (en + zh),\n' +
    'comparison.csv, comparison.zh.csv and comparison.json: the table with only the options that differ.\n' +
    'Steps are held equal (--steps, or the config’s epochs on the same data). Rerun on the same --out to\n' +
    'continue after a crash: finished runs are skipped.',
  [
    ['Sweep', { ...SWEEP_OPTIONS, ...EXPERIMENT_OPTIONS }],
    ['Base run config (server option names)', CONFIG_OPTIONS],
    ['Runtime', { ...BACKEND_OPTION, ...HELP_OPTION }],
  ],
);

/** Take every `--name value` / `--name=value` out of argv (parse() takes each option once). */
export function takeRepeated(argv: readonly string[], name: string): { values: string[]; rest: string[] } {
  const values: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === `--${name}`) {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`--${name} needs a value (see --help)`);
      values.push(v);
      i++;
    } else if (a.startsWith(`--${name}=`)) values.push(a.slice(name.length + 3));
    else rest.push(a);
  }
  return { values, rest };
}

/** One run of a queue. */
export interface QueueRun {
  name: string;
  /** Folder under <out>/runs/. */
  dir: string;
  config: RunConfig;
  /** Training case ids (a study's subset); undefined: every training case. */
  trainIds?: string[];
  /** Steps or epochs of this run (the one held equal is the same for every run). */
  steps?: number;
  epochs?: number;
}

export type RunStatus = 'pending' | 'running' | 'done' | 'failed';

export interface QueueFile {
  format: 'ceph-gan-studio-queue';
  version: 1;
  kind: 'sweep' | 'study';
  created: string;
  data: string;
  /** Which of steps or epochs is the same for every run. */
  held: 'steps' | 'epochs';
  runs: (QueueRun & { status: RunStatus; error?: string })[];
}

async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.partial`;
  await writeFile(
    tmp,
    JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1),
  );
  await rename(tmp, path);
}

/** Logging cadence: may change between a queue's sessions (as with `train --resume`). */
const CADENCE = new Set(['log_every', 'val_every', 'save_every']);

function modelConfig(c: RunConfig): Record<string, unknown> {
  return Object.fromEntries(Object.entries(c).filter(([k]) => !CADENCE.has(k)));
}

/** What must be the same for a rerun to continue a queue (not the logging cadence). */
function planKey(q: Pick<QueueFile, 'kind' | 'data' | 'held' | 'runs'>): string {
  return JSON.stringify({
    kind: q.kind,
    data: q.data,
    held: q.held,
    runs: q.runs.map((r) => ({
      n: r.name,
      c: r.config,
      t: r.trainIds ?? null,
      s: r.steps ?? null,
      e: r.epochs ?? null,
    })),
  });
}

function firstDifference(a: QueueFile, b: Omit<QueueFile, 'created'>): string {
  if (a.kind !== b.kind) return `it holds a ${a.kind}, not a ${b.kind}`;
  if (a.data !== b.data) return `its data was ${a.data}`;
  if (a.held !== b.held) return `it held ${a.held} equal`;
  if (a.runs.length !== b.runs.length) return `it has ${a.runs.length} runs, this one ${b.runs.length}`;
  for (let i = 0; i < a.runs.length; i++) {
    const x = a.runs[i];
    const y = b.runs[i];
    if (x.name !== y.name) return `its run ${i + 1} is ${x.name}`;
    for (const k of Object.keys(modelConfig(y.config)) as (keyof RunConfig)[])
      if (JSON.stringify(x.config[k]) !== JSON.stringify(y.config[k]))
        return `run ${x.name} had ${k} = ${JSON.stringify(x.config[k])}`;
    if (JSON.stringify(x.trainIds ?? null) !== JSON.stringify(y.trainIds ?? null))
      return `run ${x.name} trained on other cases`;
    if ((x.steps ?? null) !== (y.steps ?? null) || (x.epochs ?? null) !== (y.epochs ?? null))
      return `run ${x.name} had ${x.steps ?? x.epochs} ${x.steps !== undefined ? 'steps' : 'epochs'}`;
  }
  return 'its plan differs';
}

/** A run's summary for the comparison, from its metrics.json. */
export function summaryFromMetrics(name: string, m: MetricsFile): RunSummary {
  const points: ValPoint[] = (m.val_history ?? []).map(valPoint);
  const { best, last } = bestAndLast(points);
  return {
    name,
    config: m.config as unknown as Record<string, unknown>,
    status: 'done',
    train_cases: m.data.train_cases,
    val_cases: m.data.val_cases,
    steps: m.steps,
    epochs: m.epoch,
    best,
    last,
    gate: m.final?.gate ?? null,
    duration_s: m.duration_s ?? null,
    backend: m.backend,
  };
}

export function valPoint(r: ValRow): ValPoint {
  return {
    step: r.step,
    mean_l1: r.mean_l1 ?? null,
    mean_psnr: r.mean_psnr ?? null,
    mean_ssim: r.mean_ssim ?? null,
    sharpness_ratio: r.sharpness_ratio ?? null,
    pred_grad_mean_255: r.pred_grad_mean_255 ?? null,
    pred_max_255: r.pred_max_255 ?? null,
    lm_sharp: r.lm_sharp ?? null,
    train_l1: r.train_l1 ?? null,
    gap_ratio: r.gap_ratio ?? null,
    failure_rate: r.failure_rate ?? null,
    // content-region metrics and traceability (fairmetrics); absent in older metrics.json files
    metrics_region: r.metrics_region ?? null,
    mean_l1_whole: r.mean_l1_whole ?? null,
    content_fraction: r.content_fraction ?? null,
    edge_ratio: r.edge_ratio ?? null,
    max_ratio: r.max_ratio ?? null,
    trace_mre_mm: r.trace_mre_mm ?? null,
    trace_floor_mre_mm: r.trace_floor_mre_mm ?? null,
    trace_sdr2: r.trace_sdr2 ?? null,
  };
}

/** The parts of a run's metrics.json the comparison reads. */
export interface MetricsFile {
  config: RunConfig;
  backend: string;
  data: { source: string; train_cases: number; val_cases: number };
  steps: number;
  epoch: number;
  duration_s?: number;
  val_history?: ValRow[];
  final?: ValRow;
}

async function readMetrics(path: string): Promise<MetricsFile | null> {
  try {
    const m = JSON.parse(await readFile(path, 'utf8')) as MetricsFile;
    return m.final ? m : null;
  } catch {
    return null;
  }
}

export interface QueueContext {
  kind: 'sweep' | 'study';
  out: string;
  values: ParsedValues;
  /** Loads the data a run trains on (cached by the caller where runs share it). */
  dataFor: (run: QueueRun) => Promise<LoadedData>;
  dataLabel: string;
  held: 'steps' | 'epochs';
  runs: QueueRun[];
  say: (line: string) => void;
  /** Always printed (the plan, one line per run). */
  tell: (line: string) => void;
}

export interface QueueResult {
  summaries: RunSummary[];
  backend: string;
}

/**
 * Train the runs of a queue in order: finished runs (metrics.json with a final round) are skipped,
 * an interrupted run continues from its checkpoint, a failed run is recorded and the next one starts.
 */
export async function runQueue(ctx: QueueContext): Promise<QueueResult> {
  const { out, values, say, tell } = ctx;
  for (const r of ctx.runs) checkNetworkFits(r.config);
  await mkdir(join(out, 'runs'), { recursive: true });
  const queuePath = join(out, 'queue.json');
  let existing: QueueFile | null = null;
  try {
    existing = JSON.parse(await readFile(queuePath, 'utf8')) as QueueFile;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new UsageError(`${queuePath}: not a readable queue (${(e as Error).message}); use another --out`);
  }
  const plan: Omit<QueueFile, 'created'> = {
    format: 'ceph-gan-studio-queue',
    version: 1,
    kind: ctx.kind,
    data: ctx.dataLabel,
    held: ctx.held,
    runs: ctx.runs.map((r) => ({ ...r, status: 'pending' as RunStatus })),
  };
  if (values.resume && !existing) throw new UsageError(`--resume: ${out} has no queue.json to continue`);
  if (existing && planKey(existing) !== planKey(plan))
    throw new UsageError(
      `${out} holds a different ${existing.kind} (${firstDifference(existing, plan)}); ` +
        'give the same options to continue it, or another --out for a new one',
    );
  const queue: QueueFile = existing ?? { ...plan, created: new Date().toISOString() };
  if (existing) tell(`continuing the ${ctx.kind} in ${out}: finished runs are skipped`);
  await writeJsonAtomically(queuePath, queue);
  const sel = await startBackend(backendOption(values));
  const summaries: RunSummary[] = [];
  const n = ctx.runs.length;
  for (let i = 0; i < n; i++) {
    const run = ctx.runs[i];
    const entry = queue.runs[i];
    const tag = `[${i + 1}/${n} ${run.name}]`;
    const runOut = join(out, 'runs', run.dir);
    const done = await readMetrics(join(runOut, 'metrics.json'));
    const target = run.steps;
    if (done && (target === undefined || done.steps >= target)) {
      tell(`${tag} finished earlier: skipped`);
      entry.status = 'done';
      summaries.push(summaryFromMetrics(run.name, done));
      continue;
    }
    const files = await readCheckpointFiles(createFsStorage(runOut), 'last');
    const resumeState = files ? loadTrainerState(files, join(runOut, 'last')) : undefined;
    entry.status = 'running';
    delete entry.error;
    await writeJsonAtomically(queuePath, queue);
    try {
      const data = await ctx.dataFor(run);
      const aug = augmentationDefaults(data.hasLandmarks);
      const cfg: RunConfig = resumeState
        ? resumeState.config
        : { ...run.config, jitter: aug.jitter, flip: aug.flip };
      tell(
        `${tag} ${resumeState ? `resuming at step ${resumeState.step}` : 'training'}: ${data.train.length} train + ` +
          `${data.val.length} val cases, ${run.steps !== undefined ? `${run.steps} steps` : `${run.epochs} epochs`}`,
      );
      const res = await trainRun({
        cfg,
        data,
        out: runOut,
        backend: sel.backend,
        steps: run.steps,
        epochs: run.epochs,
        evalMode: values.eval === true || cfg.eval_mode,
        resumeState,
        fullEvaluation: true,
        say: (s) => say(`${tag} ${s}`),
        printDone: false,
      });
      const m = await readMetrics(res.metricsPath);
      if (!m) throw new Error(`${res.metricsPath} was not written`);
      entry.status = 'done';
      summaries.push(summaryFromMetrics(run.name, m));
      tell(
        `${tag} done: ${res.steps} steps in ${(res.durationMs / 1000).toFixed(1)} s; val L1 ${res.final.mean_l1.toFixed(4)} ` +
          `(on [0,1]), PSNR ${res.final.mean_psnr.toFixed(2)} dB`,
      );
    } catch (e) {
      if (e instanceof UsageError) throw e;
      entry.status = 'failed';
      entry.error = (e as Error).message;
      tell(`${tag} failed: ${entry.error}`);
      summaries.push({
        name: run.name,
        config: run.config as unknown as Record<string, unknown>,
        status: 'failed',
        error: entry.error,
        train_cases: run.trainIds?.length ?? 0,
        val_cases: 0,
        steps: 0,
        epochs: 0,
        best: null,
        last: null,
        gate: null,
        duration_s: null,
        backend: sel.backend,
      });
    }
    await writeJsonAtomically(queuePath, queue);
  }
  return { summaries, backend: sel.backend };
}

/** How the report says what was held equal. */
export function heldText(held: 'steps' | 'epochs', runs: readonly QueueRun[]): { en: string; zh: string } {
  const n = held === 'steps' ? runs[0]?.steps : runs[0]?.epochs;
  return held === 'steps'
    ? { en: `Steps held equal: ${n} steps per run.`, zh: `步数相同：每个训练 ${n} 步。` }
    : {
        en: `Epochs held equal: ${n} epoch${n === 1 ? '' : 's'} per run (the number of steps grows with the training cases).`,
        zh: `轮数（epoch）相同：每个训练 ${n} 轮（步数随训练病例数增加）。`,
      };
}

/** Write comparison.md (en + zh), comparison.csv, comparison.zh.csv and comparison.json. */
export async function writeComparison(
  out: string,
  title: { en: string; zh: string },
  summaries: readonly RunSummary[],
  held: { en: string; zh: string },
  extra: Record<string, unknown> = {},
): Promise<string[]> {
  const table = comparisonTable(summaries);
  const md = [
    `# ${title.en}`,
    '',
    held.en,
    '',
    comparisonMarkdown(table, 'en'),
    '',
    `# ${title.zh}`,
    '',
    held.zh,
    '',
    comparisonMarkdown(table, 'zh'),
    '',
  ].join('\n');
  const files = ['comparison.md', 'comparison.csv', 'comparison.zh.csv', 'comparison.json'];
  await writeFile(join(out, files[0]), md);
  await writeFile(join(out, files[1]), comparisonCsv(table, 'en'));
  await writeFile(join(out, files[2]), comparisonCsv(table, 'zh'));
  await writeJsonAtomically(join(out, files[3]), {
    format: 'ceph-gan-studio-comparison',
    version: 1,
    created: new Date().toISOString(),
    held: held.en,
    differing_keys: table.differingKeys,
    shared_config: table.shared,
    columns: table.columns,
    rows: table.rows,
    runs: summaries,
    ...extra,
  });
  return files.map((f) => join(out, f));
}

/** Common start of `sweep` and `study`: data source, output folder, quiet printing. */
export function experimentBasics(values: ParsedValues, command: string) {
  const dataDir = stringOption(values, 'data');
  const out = stringOption(values, 'out');
  if (!values.demo && dataDir === undefined)
    throw new UsageError(`${command}: give --demo or --data <dir> (see --help)`);
  if (values.demo && dataDir !== undefined)
    throw new UsageError(`${command}: give either --demo or --data, not both`);
  if (out === undefined)
    throw new UsageError(`${command}: --out <dir> is required (where the runs and the tables go)`);
  const quiet = values.quiet === true;
  const say = (s: string): void => {
    if (!quiet) console.log(s);
  };
  const tell = (s: string): void => console.log(s);
  const base = configFromOptions(values, values.demo ? 'demo' : undefined);
  const logging: Partial<RunConfig> = {};
  for (const k of ['log_every', 'val_every', 'save_every'] as const) {
    const v = numberOption(values, k, { integer: true, min: k === 'log_every' ? 1 : 0 });
    if (v !== undefined) logging[k] = v;
  }
  const count = numberOption(values, 'cases', { integer: true, min: 2 }) ?? 100;
  const steps = numberOption(values, 'steps', { integer: true, min: 1 });
  const mmPerPx = numberOption(values, 'mm-per-px', { min: 1e-9 });
  /** Data for a config: the demo at its size, or the folder at its size and preprocessing (base seed: same splits). */
  const load = (cfg: RunConfig): Promise<LoadedData> =>
    values.demo
      ? loadDemo({ ...cfg, seed: base.seed }, count)
      : loadFolder(dataDir as string, { ...cfg, seed: base.seed }, { mmPerPx });
  const dataLabel = values.demo ? `demo phantom (${count} cases, seed ${base.seed})` : `folder ${dataDir}`;
  return { out, say, tell, base: { ...base, ...logging }, steps, load, dataLabel };
}

export async function run(argv: string[]): Promise<number> {
  const { values: varySpecs, rest } = takeRepeated(argv, 'vary');
  const values = parse(
    rest,
    { ...SWEEP_OPTIONS, ...EXPERIMENT_OPTIONS, ...CONFIG_OPTIONS, ...BACKEND_OPTION, ...HELP_OPTION },
    'sweep',
  );
  if (values.help) {
    console.log(SWEEP_HELP);
    return 0;
  }
  const { out, say, tell, base, steps, load, dataLabel } = experimentBasics(values, 'sweep');
  const presetId = stringOption(values, 'sweep_preset');
  let params: SweepParam[];
  let shared: Partial<RunConfig> = {};
  let sweepRuns: SweepRun[];
  try {
    if (presetId !== undefined) {
      if (varySpecs.length > 0) throw new SweepError('give either --sweep_preset or --vary, not both');
      const p = sweepPresetById(presetId);
      params = p.vary;
      shared = p.base;
    } else {
      if (varySpecs.length === 0)
        throw new SweepError(
          'give the options to vary, e.g. --vary lambda_L1=100,80,60 --vary lambda_grad=0,5',
        );
      params = varySpecs.map(parseVary);
    }
    sweepRuns = expandSweep(params);
  } catch (e) {
    if (e instanceof SweepError) throw new UsageError(`sweep: ${e.message}`);
    throw e;
  }
  const runs: QueueRun[] = sweepRuns.map((r) => {
    const config = sweepRunConfig(base, shared, r);
    return {
      name: r.name,
      dir: runDirName(r.name),
      config,
      ...(steps !== undefined ? { steps } : { epochs: config.n_epochs + config.n_epochs_decay }),
    };
  });
  const held = steps !== undefined ? 'steps' : 'epochs';
  tell(
    `sweep: ${runs.length} runs (${params.map((p) => `${p.key} ∈ {${p.values.join(', ')}}`).join(' × ')}) on ${dataLabel}; ` +
      `${held === 'steps' ? `${steps} steps` : `${runs[0].epochs} epochs`} per run; out ${out}`,
  );
  const cache = new Map<string, Promise<LoadedData>>();
  const dataFor = (r: QueueRun): Promise<LoadedData> => {
    const key = `${r.config.size}|${r.config.preprocess}`;
    let d = cache.get(key);
    if (!d) {
      d = load(r.config);
      cache.set(key, d);
    }
    return d;
  };
  const { summaries } = await runQueue({
    kind: 'sweep',
    out,
    values,
    dataFor,
    dataLabel,
    held,
    runs,
    say,
    tell,
  });
  const files = await writeComparison(
    out,
    {
      en: `Sweep: ${params.map((p) => p.key).join(' × ')} (${dataLabel})`,
      zh: `参数扫描：${params.map((p) => p.key).join(' × ')}（${dataLabel}）`,
    },
    summaries,
    heldText(held, runs),
    { kind: 'sweep', vary: params, shared_options: shared, data: dataLabel },
  );
  tell(`wrote ${files.join(', ')}`);
  return summaries.some((s) => s.status === 'failed') ? 1 : 0;
}
