/**
 * Command-line parsing shared by the CLI commands: option names follow the server's pix2pix
 * (`--netG`, `--ngf`, `--lambda_L1`, ...), studio-only options use the run config's names.
 * A mistake the user can make is a UsageError: cli.ts prints its one-line message and exits 2.
 */
import { parseArgs } from 'node:util';
import { numDowns, PRESETS, withDefaults, type NetG, type Preset, type RunConfig } from '../core/config';
import { isBackendChoice, type BackendChoice } from '../engine/backend';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type OptionType = 'string' | 'boolean';

export interface OptionSpec {
  type: OptionType;
  /** One line for --help. */
  help: string;
  /** Placeholder in --help, e.g. `<n>`. */
  arg?: string;
}

export type OptionSpecs = Record<string, OptionSpec>;
export type ParsedValues = Record<string, string | boolean | undefined>;

/** Run-config options, named like the server's where it has one. */
export const CONFIG_OPTIONS: OptionSpecs = {
  preset: {
    type: 'string',
    arg: '<id>',
    help: `start from a preset: ${PRESETS.map((p) => p.id).join(' | ')}`,
  },
  netG: { type: 'string', arg: '<unet_N>', help: 'generator: unet_256 (8 down-steps), unet_128, unet_<2^d>' },
  ngf: { type: 'string', arg: '<n>', help: 'generator filters in the first layer (server default 64)' },
  ndf: { type: 'string', arg: '<n>', help: 'discriminator filters in the first layer (server default 64)' },
  norm: { type: 'string', arg: '<batch|instance>', help: 'normalisation layers (server default batch)' },
  n_layers_D: { type: 'string', arg: '<n>', help: 'PatchGAN layers (server --netD basic = 3)' },
  num_D: { type: 'string', arg: '<1-3>', help: 'studio: discriminator scales (1 = the server’s PatchGAN)' },
  no_dropout: { type: 'boolean', help: 'no dropout in the generator' },
  gan_mode: { type: 'string', arg: '<vanilla|lsgan>', help: 'GAN loss (server default vanilla)' },
  lambda_L1: { type: 'string', arg: '<w>', help: 'weight of the L1 loss (server default 100)' },
  lambda_grad: { type: 'string', arg: '<w>', help: 'studio: Sobel gradient loss weight (clinic plan 5-10)' },
  lambda_lap: { type: 'string', arg: '<w>', help: 'studio: Laplacian loss weight' },
  lambda_fm: { type: 'string', arg: '<w>', help: 'studio: discriminator feature-matching loss weight' },
  lambda_ssim: { type: 'string', arg: '<w>', help: 'studio: SSIM loss weight (loss = 1 - SSIM)' },
  lr: { type: 'string', arg: '<lr>', help: 'Adam learning rate (server default 0.0002)' },
  beta1: { type: 'string', arg: '<b>', help: 'Adam beta1 (server default 0.5)' },
  n_epochs: { type: 'string', arg: '<n>', help: 'epochs at the initial learning rate' },
  n_epochs_decay: { type: 'string', arg: '<n>', help: 'epochs of linear decay to zero' },
  warmup_steps: { type: 'string', arg: '<n>', help: 'studio: linear learning-rate warmup steps (0 = off)' },
  lr_step_at: {
    type: 'string',
    arg: '<epoch_end|epoch_start>',
    help: 'when the lr schedule steps: epoch_end (default, train.py 2025: no epoch at lr 0) or epoch_start (2020 code)',
  },
  batch_size: { type: 'string', arg: '<n>', help: 'images per step (server default 1)' },
  seed: { type: 'string', arg: '<n>', help: 'random seed: weights, data order, augmentation, dropout' },
  size: { type: 'string', arg: '<px>', help: 'square training size in px' },
};

export const BACKEND_OPTION: OptionSpecs = {
  backend: {
    type: 'string',
    arg: '<wasm|cpu|auto>',
    help: 'TF.js backend (default wasm; cpu is exact but slow)',
  },
};

export const HELP_OPTION: OptionSpecs = { help: { type: 'boolean', help: 'show this help' } };

/** Parse argv against specs; unknown options and stray arguments are UsageErrors. */
export function parse(argv: string[], specs: OptionSpecs, command: string): ParsedValues {
  const options: Record<string, { type: OptionType }> = {};
  for (const [name, s] of Object.entries(specs)) options[name] = { type: s.type };
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    if (positionals.length > 0) {
      throw new UsageError(`${command}: unexpected argument "${positionals[0]}" (see --help)`);
    }
    return values as ParsedValues;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // node's messages go on with advice about positionals after '--'; the first sentence says it
    const msg = (e as Error).message.split('\n')[0].replace(/\. To specify a positional.*$/, '');
    throw new UsageError(`${command}: ${msg} (see --help)`);
  }
}

/** The --help text of a command. */
export function helpText(usage: string, description: string, groups: [string, OptionSpecs][]): string {
  const lines = [`usage: npm run cli -- ${usage}`, '', description, ''];
  for (const [title, specs] of groups) {
    lines.push(`${title}:`);
    for (const [name, s] of Object.entries(specs)) {
      const left = `  --${name}${s.arg ? ` ${s.arg}` : ''}`;
      lines.push(`${left.padEnd(34)} ${s.help}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

function str(values: ParsedValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A number option, or undefined when absent. */
export function numberOption(
  values: ParsedValues,
  name: string,
  check: { integer?: boolean; min?: number; max?: number } = {},
): number | undefined {
  const raw = str(values, name);
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v))
    throw new UsageError(`--${name} must be a number, got "${raw}"`);
  if (check.integer && !Number.isInteger(v))
    throw new UsageError(`--${name} must be a whole number, got "${raw}"`);
  if (check.min !== undefined && v < check.min)
    throw new UsageError(`--${name} must be at least ${check.min}, got ${raw}`);
  if (check.max !== undefined && v > check.max)
    throw new UsageError(`--${name} must be at most ${check.max}, got ${raw}`);
  return v;
}

export function stringOption(values: ParsedValues, name: string): string | undefined {
  return str(values, name);
}

export function backendOption(values: ParsedValues): BackendChoice {
  const b = str(values, 'backend') ?? 'wasm';
  if (!isBackendChoice(b))
    throw new UsageError(`--backend must be wasm, cpu, webgpu, webgl or auto; got "${b}"`);
  return b;
}

function presetById(id: string): Preset {
  const p = PRESETS.find((x) => x.id === id);
  if (!p)
    throw new UsageError(`--preset "${id}" is unknown; use one of ${PRESETS.map((x) => x.id).join(', ')}`);
  return p;
}

/**
 * Run config from options: defaults, then the preset (`--preset`, or `fallbackPreset`), then every
 * option given. Checks what the networks need (netG name, size a multiple of 2^depth, ...).
 */
export function configFromOptions(values: ParsedValues, fallbackPreset?: Preset['id']): RunConfig {
  const presetId = str(values, 'preset') ?? fallbackPreset;
  const preset: Partial<RunConfig> = presetId ? { ...presetById(presetId).config } : {};
  const cfg = withDefaults({ ...preset, ...configOverrides(values) });
  checkNetworkFits(cfg);
  return cfg;
}

/** Only the run-config options given on the command line (no preset, no defaults). */
export function configOverrides(values: ParsedValues): Partial<RunConfig> {
  const partial: Partial<RunConfig> = {};
  const netG = str(values, 'netG');
  if (netG !== undefined) {
    if (!/^unet_\d+$/.test(netG))
      throw new UsageError(`--netG must be unet_<size>, e.g. unet_256; got "${netG}"`);
    partial.netG = netG as NetG;
  }
  const int = (name: keyof RunConfig, min: number, max?: number): void => {
    const v = numberOption(values, name, { integer: true, min, max });
    if (v !== undefined) (partial as Record<string, unknown>)[name] = v;
  };
  const num = (name: keyof RunConfig, min: number): void => {
    const v = numberOption(values, name, { min });
    if (v !== undefined) (partial as Record<string, unknown>)[name] = v;
  };
  int('ngf', 1);
  int('ndf', 1);
  int('n_layers_D', 1, 8);
  int('num_D', 1, 3);
  int('n_epochs', 0);
  int('n_epochs_decay', 0);
  int('warmup_steps', 0);
  int('batch_size', 1);
  int('seed', 0);
  int('size', 8);
  for (const w of ['lambda_L1', 'lambda_grad', 'lambda_lap', 'lambda_fm', 'lambda_ssim'] as const) num(w, 0);
  num('lr', 0);
  num('beta1', 0);
  const norm = str(values, 'norm');
  if (norm !== undefined) {
    if (norm !== 'batch' && norm !== 'instance')
      throw new UsageError(`--norm must be batch or instance; got "${norm}"`);
    partial.norm = norm;
  }
  const gan = str(values, 'gan_mode');
  if (gan !== undefined) {
    if (gan !== 'vanilla' && gan !== 'lsgan')
      throw new UsageError(`--gan_mode must be vanilla or lsgan; got "${gan}"`);
    partial.gan_mode = gan;
  }
  const lrStep = str(values, 'lr_step_at');
  if (lrStep !== undefined) {
    if (lrStep !== 'epoch_end' && lrStep !== 'epoch_start')
      throw new UsageError(`--lr_step_at must be epoch_end or epoch_start; got "${lrStep}"`);
    partial.lr_step_at = lrStep;
  }
  if (values.no_dropout === true) partial.no_dropout = true;
  return partial;
}

/** The U-Net needs at least 5 down-steps and sides that are multiples of 2^depth. */
export function checkNetworkFits(cfg: RunConfig): void {
  let d: number;
  try {
    d = numDowns(cfg.netG);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (d < 5)
    throw new UsageError(`--netG ${cfg.netG} is too shallow: the pix2pix U-Net needs unet_32 or larger`);
  const m = 2 ** d;
  if (cfg.size % m !== 0) {
    throw new UsageError(
      `--size ${cfg.size} does not fit --netG ${cfg.netG}: the size must be a multiple of ${m} px ` +
        `(e.g. --size ${Math.max(m, Math.round(cfg.size / m) * m)}` +
        ((cfg.size & -cfg.size) >= 32 ? `, or --netG unet_${cfg.size & -cfg.size})` : ')'),
    );
  }
  if (cfg.beta1 >= 1) throw new UsageError(`--beta1 must be below 1, got ${cfg.beta1}`);
}
