/**
 * Sweeps (issue 15): up to three run-config options, each with a list of values, expanded to the
 * cartesian list of runs. Every run is the base config plus its overrides and has a stable name
 * built from them in the order the options were given (`lambda_L1=80,lambda_grad=5`), so a
 * queue written to disk or the UI's store finds its runs again after a crash or a reload.
 * Values are checked against the run config's option names and types (config.ts) with a message
 * that names the option and says what to do. TF.js-free.
 */
import { DEFAULT_CONFIG, type RunConfig } from '../config';
import type { Message } from '../messages/form';

/** Most options a sweep varies at once (3 options of 3 values = 27 runs already). */
export const MAX_SWEEP_PARAMS = 3;

/** Runs a sweep may expand to (a guard against a typo such as 30 values instead of 3). */
export const MAX_SWEEP_RUNS = 64;

export type SweepValue = number | string | boolean;

export interface SweepParam {
  key: keyof RunConfig;
  values: SweepValue[];
}

export interface SweepRun {
  /** Stable name: `key=value` pairs joined by commas, in the order the options were given. */
  name: string;
  /** The varied options of this run. */
  overrides: Partial<RunConfig>;
}

/** The enumerated options and their allowed values. */
const ENUMS: Partial<Record<keyof RunConfig, readonly string[]>> = {
  norm: ['batch', 'instance'],
  gan_mode: ['vanilla', 'lsgan'],
  preprocess: ['letterbox', 'stretch', 'roi'],
  grad_loss: ['l1', 'mse'],
  direction: ['AtoB', 'BtoA'],
  lr_step_at: ['epoch_end', 'epoch_start'],
};

/** Whole-number options and their smallest value. */
const INTEGERS: Partial<Record<keyof RunConfig, number>> = {
  ngf: 1,
  ndf: 1,
  n_layers_D: 1,
  num_D: 1,
  input_nc: 1,
  output_nc: 1,
  ms_levels: 1,
  batch_size: 1,
  n_epochs: 0,
  n_epochs_decay: 0,
  warmup_steps: 0,
  epoch_count: 1,
  seed: 0,
  size: 8,
  log_every: 1,
  val_every: 0,
  save_every: 0,
  train_subset: 0,
  max_steps: 0,
};

/** Options that only change logging: sweeping them trains the same model several times. */
const NOT_SWEEPABLE: ReadonlySet<keyof RunConfig> = new Set(['log_every', 'val_every', 'save_every']);

/** The option names a sweep accepts, in the run config's order. */
export const SWEEPABLE_KEYS: readonly (keyof RunConfig)[] = (
  Object.keys(DEFAULT_CONFIG) as (keyof RunConfig)[]
).filter((k) => !NOT_SWEEPABLE.has(k));

export class SweepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SweepError';
  }
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length];
}

/** The closest option name (case-insensitive first), for "did you mean". */
function closestKey(name: string): string | null {
  const lower = name.toLowerCase();
  const exact = SWEEPABLE_KEYS.find((k) => k.toLowerCase() === lower);
  if (exact) return exact;
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of SWEEPABLE_KEYS) {
    const dist = editDistance(lower, k.toLowerCase());
    if (dist < bestD) {
      bestD = dist;
      best = k;
    }
  }
  return bestD <= 3 ? best : null;
}

/** Check an option name; throws a SweepError naming it and the closest valid name. */
export function checkSweepKey(name: string): keyof RunConfig {
  if ((SWEEPABLE_KEYS as readonly string[]).includes(name)) return name as keyof RunConfig;
  if (NOT_SWEEPABLE.has(name as keyof RunConfig))
    throw new SweepError(
      `"${name}" only changes logging; sweep an option that changes the model or the data`,
    );
  const near = closestKey(name);
  throw new SweepError(
    `"${name}" is not a run-config option${near ? ` (did you mean ${near}?)` : ''}; ` +
      `options: ${SWEEPABLE_KEYS.join(', ')}`,
  );
}

/** One value of an option, parsed from text (or checked when already typed). */
export function parseSweepValue(key: keyof RunConfig, raw: SweepValue): SweepValue {
  const text = String(raw).trim();
  const enumValues = ENUMS[key];
  if (enumValues) {
    if (!enumValues.includes(text))
      throw new SweepError(`${key}: "${text}" is not one of ${enumValues.join(', ')}`);
    return text;
  }
  if (key === 'netG') {
    const m = /^unet_(\d+)$/.exec(text);
    const n = m ? Number(m[1]) : NaN;
    if (!m || !Number.isInteger(Math.log2(n)) || n < 32)
      throw new SweepError(`netG: "${text}" is not unet_<power of two, 32 or more> (e.g. unet_256)`);
    return text;
  }
  const def = DEFAULT_CONFIG[key];
  if (typeof def === 'boolean') {
    if (raw === true || text === 'true' || text === '1' || text === 'on') return true;
    if (raw === false || text === 'false' || text === '0' || text === 'off') return false;
    throw new SweepError(`${key}: "${text}" is not true or false`);
  }
  if (typeof def === 'number') {
    const v = typeof raw === 'number' ? raw : Number(text);
    if (text === '' || !Number.isFinite(v)) throw new SweepError(`${key}: "${text}" is not a number`);
    const min = INTEGERS[key];
    if (min !== undefined) {
      if (!Number.isInteger(v)) throw new SweepError(`${key}: "${text}" must be a whole number`);
      if (v < min) throw new SweepError(`${key}: ${text} must be at least ${min}`);
    } else if (v < 0) {
      throw new SweepError(`${key}: ${text} must not be negative`);
    }
    if ((key === 'beta1' || key === 'beta2') && v >= 1)
      throw new SweepError(`${key}: ${text} must be below 1`);
    return v;
  }
  throw new SweepError(`${key} cannot be swept`);
}

/** `lambda_L1=100,80,60` -> { key: 'lambda_L1', values: [100, 80, 60] }. */
export function parseVary(spec: string): SweepParam {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new SweepError(`"${spec}": write option=value,value,... (e.g. lambda_L1=100,80,60)`);
  const key = checkSweepKey(spec.slice(0, eq).trim());
  const parts = spec
    .slice(eq + 1)
    .split(',')
    .map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => p === ''))
    throw new SweepError(`${key}: give values separated by commas, none empty (e.g. ${key}=a,b)`);
  return checkParam({ key, values: parts });
}

/** Typed values, no repeats, at least one. */
export function checkParam(p: { key: string; values: readonly SweepValue[] }): SweepParam {
  const key = checkSweepKey(p.key);
  if (p.values.length === 0) throw new SweepError(`${key}: give at least one value`);
  const values = p.values.map((v) => parseSweepValue(key, v));
  const seen = new Set<string>();
  for (const v of values) {
    const s = formatSweepValue(v);
    if (seen.has(s)) throw new SweepError(`${key}: the value ${s} is given twice`);
    seen.add(s);
  }
  return { key, values };
}

/** A value as it appears in a run's name (numbers in their shortest form: 0.0002, 100). */
export function formatSweepValue(v: SweepValue): string {
  return String(v);
}

/** The stable name of a run from its overrides in the given key order. */
export function sweepRunName(keys: readonly (keyof RunConfig)[], overrides: Partial<RunConfig>): string {
  return keys.map((k) => `${k}=${formatSweepValue(overrides[k] as SweepValue)}`).join(',');
}

/** A folder name for a run: its name with anything but letters, digits and `_.=,-` as `_`. */
export function runDirName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.=,-]/g, '_') || 'run';
}

/**
 * The cartesian list of runs: the first option varies slowest (runs of the same first value are
 * neighbours), so `lambda_L1=100,80 x lambda_grad=0,5` gives 100/0, 100/5, 80/0, 80/5.
 */
export function expandSweep(params: readonly { key: string; values: readonly SweepValue[] }[]): SweepRun[] {
  if (params.length === 0)
    throw new SweepError('give at least one option to vary (e.g. lambda_L1=100,80,60)');
  if (params.length > MAX_SWEEP_PARAMS)
    throw new SweepError(
      `a sweep varies at most ${MAX_SWEEP_PARAMS} options; got ${params.length} (${params.map((p) => p.key).join(', ')})`,
    );
  const checked = params.map(checkParam);
  const keys = checked.map((p) => p.key);
  const dup = keys.find((k, i) => keys.indexOf(k) !== i);
  if (dup) throw new SweepError(`${dup} is varied twice; give all its values in one list`);
  const total = checked.reduce((n, p) => n * p.values.length, 1);
  if (total > MAX_SWEEP_RUNS)
    throw new SweepError(`the sweep expands to ${total} runs; at most ${MAX_SWEEP_RUNS} (fewer values)`);
  let combos: Partial<RunConfig>[] = [{}];
  for (const p of checked) {
    const next: Partial<RunConfig>[] = [];
    for (const c of combos) for (const v of p.values) next.push({ ...c, [p.key]: v });
    combos = next;
  }
  return combos.map((overrides) => ({ name: sweepRunName(keys, overrides), overrides }));
}

/** A sweep the clinic planned: a base (options every run shares) and the varied options. */
export interface SweepPreset {
  id: string;
  /** Name and description: render with `messageText` (core/messages/experiments.ts). */
  label: Message;
  description: Message;
  /** Options every run of the preset shares (on top of the user's config). */
  base: Partial<RunConfig>;
  vary: SweepParam[];
}

/**
 * The clinic's plan (seeds/000, section 4.2 "P2.5 提质动作"): keep the aspect ratio with padding
 * (letterbox) and crop a fixed ROI, add an edge/gradient loss of weight 5-10, and grid lambda_L1
 * from 100 to 80 / 60. `preprocess: 'roi'` is ROI crop then letterbox (preprocess.ts); without a
 * stored ROI box (the CLI) it is the plain letterbox.
 */
export const SWEEP_PRESETS: readonly SweepPreset[] = [
  {
    id: 'p25',
    label: { code: 'experiments.preset.p25.label', params: {} },
    description: { code: 'experiments.preset.p25.description', params: {} },
    base: { preprocess: 'roi' },
    vary: [
      { key: 'lambda_grad', values: [5, 10] },
      { key: 'lambda_L1', values: [100, 80, 60] },
    ],
  },
];

export function sweepPresetById(id: string): SweepPreset {
  const p = SWEEP_PRESETS.find((x) => x.id === id);
  if (!p)
    throw new SweepError(
      `sweep preset "${id}" is unknown; use one of ${SWEEP_PRESETS.map((x) => x.id).join(', ')}`,
    );
  return p;
}

/** The config of one run of a sweep: the base config, the preset's shared options, the run's overrides. */
export function sweepRunConfig(base: RunConfig, shared: Partial<RunConfig>, run: SweepRun): RunConfig {
  return { ...base, ...shared, ...run.overrides };
}
