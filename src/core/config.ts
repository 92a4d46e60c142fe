/**
 * Run configuration: one schema shared by the page, the worker, the CLI and the server bundle.
 * Option names follow the server's pix2pix (`--netG`, `--ngf`, `--lambda_L1`, ...) wherever the
 * server has the option; studio-only options are marked `studioOnly` in OPTION_INFO.
 */

export type NetG = `unet_${number}`;
export type Norm = 'batch' | 'instance';
export type GanMode = 'vanilla' | 'lsgan';
export type Preprocess = 'letterbox' | 'stretch' | 'roi';
/** When the linear LR policy steps: after each epoch (the server's train.py since 2025) or before (2020). */
export type LrStepAt = 'epoch_end' | 'epoch_start';
export const LR_STEP_AT: readonly LrStepAt[] = ['epoch_end', 'epoch_start'];
/** What a config stored without `lr_step_at` ran: the studio followed the 2020 train.py until then. */
export const LEGACY_LR_STEP_AT: LrStepAt = 'epoch_start';

export interface RunConfig {
  // --- networks (server names) ---
  /** U-Net depth: `unet_256` = 8 down-steps, `unet_128` = 7; `unet_N` = log2(N) down-steps. */
  netG: NetG;
  ngf: number;
  ndf: number;
  /** PatchGAN layers (server `--n_layers_D`, `--netD basic` = 3). */
  n_layers_D: number;
  /** Studio-only: number of discriminator scales (1 = server's single PatchGAN; 2-3 = multi-scale). */
  num_D: number;
  norm: Norm;
  /** Server `--no_dropout`. */
  no_dropout: boolean;
  /** Server `--init_gain` (std of N(0, gain) init). */
  init_gain: number;
  input_nc: number;
  output_nc: number;
  // --- losses ---
  gan_mode: GanMode;
  lambda_L1: number;
  /** Studio-only: Sobel gradient loss weight (clinic plan: 5-10). */
  lambda_grad: number;
  grad_loss: 'l1' | 'mse';
  /** Studio-only: Laplacian loss weight. */
  lambda_lap: number;
  /** Studio-only: feature-matching (discriminator features) loss weight. */
  lambda_fm: number;
  /** Studio-only: SSIM loss weight (loss = 1 - SSIM). */
  lambda_ssim: number;
  /** Studio-only: pyramid levels for multi-scale L1/gradient (1 = full resolution only). */
  ms_levels: number;
  // --- optimisation ---
  lr: number;
  beta1: number;
  beta2: number;
  /**
   * Always passed to Adam explicitly. Default 1e-8 = the server's (torch.optim.Adam's default; the
   * server has no option for it). TF.js's own default is 1e-7, which makes Adam's steps measurably
   * different from the server's (test/parity/train-step.test.ts); webgl's float16 needs 1e-4.
   */
  adam_epsilon: number;
  batch_size: number;
  /** Epochs at the initial learning rate. */
  n_epochs: number;
  /** Epochs of linear decay to zero. */
  n_epochs_decay: number;
  /** Studio-only: linear warmup over this many steps (0 = off). */
  warmup_steps: number;
  /**
   * When the server's linear policy steps (core/train/schedule.ts): `epoch_end` = the current
   * upstream train.py (2025), `update_learning_rate()` after each epoch, so epoch E runs at
   * 1 - max(0, E - n_epochs) / (n_epochs_decay + 1) and no epoch at lr 0; `epoch_start` = the 2020
   * train.py, one epoch ahead, its last epoch at lr 0. Configs stored before this option existed ran
   * `epoch_start` (storedConfig).
   */
  lr_step_at: LrStepAt;
  /** Server `--epoch_count` (starting epoch, 1-based). */
  epoch_count: number;
  seed: number;
  // --- data ---
  /** Square training size in px (server load_size = crop_size with `--preprocess none`). */
  size: number;
  preprocess: Preprocess;
  /** Random jitter: resize to size*286/256 then random crop back to size (server resize_and_crop). */
  jitter: boolean;
  /** Random horizontal flip (server default on; `--no_flip` off). */
  flip: boolean;
  direction: 'AtoB' | 'BtoA';
  /**
   * Studio-only (sample-size study, issue 15): train on the first N training cases of the seeded
   * nested order (core/experiments/subsets.ts `trainSubsetIds`; 0 = every training case). Val,
   * test and the fixed evaluation list are unchanged. The server bundle has no such option.
   */
  train_subset: number;
  /**
   * Studio-only: stop after this many steps even if the epochs are not done (0 = the epochs'
   * length). A study that holds steps equal sets it (CLI `study --steps`).
   */
  max_steps: number;
  // --- inference ---
  /** Server `--eval`: BatchNorm running stats and no dropout at inference. */
  eval_mode: boolean;
  // --- logging ---
  log_every: number;
  val_every: number;
  save_every: number;
}

export const DEFAULT_CONFIG: RunConfig = {
  netG: 'unet_256',
  ngf: 64,
  ndf: 64,
  n_layers_D: 3,
  num_D: 1,
  norm: 'batch',
  no_dropout: false,
  init_gain: 0.02,
  input_nc: 3,
  output_nc: 3,
  gan_mode: 'vanilla',
  lambda_L1: 100,
  lambda_grad: 0,
  grad_loss: 'l1',
  lambda_lap: 0,
  lambda_fm: 0,
  lambda_ssim: 0,
  ms_levels: 1,
  lr: 2e-4,
  beta1: 0.5,
  beta2: 0.999,
  adam_epsilon: 1e-8,
  batch_size: 1,
  n_epochs: 100,
  n_epochs_decay: 100,
  warmup_steps: 0,
  lr_step_at: 'epoch_end',
  epoch_count: 1,
  seed: 42,
  size: 256,
  preprocess: 'letterbox',
  jitter: false,
  flip: true,
  direction: 'AtoB',
  train_subset: 0,
  max_steps: 0,
  eval_mode: false,
  log_every: 10,
  val_every: 200,
  save_every: 200,
};

/** Number of U-Net down-steps for a netG name (`unet_256` -> 8). */
export function numDowns(netG: NetG): number {
  const n = Number(netG.slice(5));
  const d = Math.log2(n);
  if (!Number.isInteger(d) || d < 2) throw new Error(`netG "${netG}" is not unet_<power of two>`);
  return d;
}

export interface Preset {
  id: 'demo' | 'paper' | 'clinic_baseline' | 'clinic_p25';
  config: Partial<RunConfig>;
}

export const PRESETS: Preset[] = [
  {
    id: 'demo',
    config: {
      netG: 'unet_64',
      size: 64,
      ngf: 8,
      ndf: 8,
      n_epochs: 5,
      n_epochs_decay: 5,
      log_every: 5,
      val_every: 50,
      save_every: 20,
    },
  },
  { id: 'paper', config: { netG: 'unet_256', size: 256, ngf: 64, ndf: 64, jitter: true, flip: true } },
  {
    id: 'clinic_baseline',
    config: { netG: 'unet_256', size: 512, ngf: 64, ndf: 64, lambda_L1: 100, preprocess: 'stretch' },
  },
  {
    id: 'clinic_p25',
    config: {
      netG: 'unet_256',
      size: 512,
      ngf: 64,
      ndf: 64,
      lambda_L1: 100,
      preprocess: 'roi',
      lambda_grad: 5,
    },
  },
];

/** The generator's loss terms in the server's names (G_GAN, G_L1) and the studio's extra ones. */
export type GTerm = 'G_GAN' | 'G_L1' | 'G_grad' | 'G_lap' | 'G_fm' | 'G_ssim';
export const G_TERMS: readonly GTerm[] = ['G_GAN', 'G_L1', 'G_grad', 'G_lap', 'G_fm', 'G_ssim'];

/** Every logged loss: the generator terms, then the discriminator's (the server's names). */
export type LossName = GTerm | 'D_real' | 'D_fake';
/** Loss names in display order (the server's names first). */
export const LOSS_NAMES: readonly LossName[] = [...G_TERMS, 'D_real', 'D_fake'];

/** The option that weights each generator loss term; G_GAN has weight 1 and no option. */
export const TERM_WEIGHT: Readonly<Record<GTerm, keyof RunConfig | null>> = {
  G_GAN: null,
  G_L1: 'lambda_L1',
  G_grad: 'lambda_grad',
  G_lap: 'lambda_lap',
  G_fm: 'lambda_fm',
  G_ssim: 'lambda_ssim',
};

/** Weight of a generator term in a run config (`G_GAN` always has weight 1, like the server). */
export function termWeight(cfg: RunConfig, term: GTerm): number {
  const key = TERM_WEIGHT[term];
  return key === null ? 1 : (cfg[key] as number);
}

/** Whether a loss name (e.g. a chart series) is a generator term. */
export function isGTerm(name: string): name is GTerm {
  return (G_TERMS as readonly string[]).includes(name);
}

export function withDefaults(partial: Partial<RunConfig>): RunConfig {
  return { ...DEFAULT_CONFIG, ...partial };
}

/**
 * A config read back from storage (a run record, a checkpoint manifest, a studio file's metadata):
 * the defaults for missing options, except `lr_step_at`, which such a config only lacks when it was
 * written before the option existed — that run stepped its schedule at the start of each epoch, so
 * resuming or continuing it keeps that schedule.
 */
export function storedConfig(partial: Partial<RunConfig>): RunConfig {
  return withDefaults({ ...partial, lr_step_at: partial.lr_step_at ?? LEGACY_LR_STEP_AT });
}
