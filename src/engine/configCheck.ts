/**
 * Checks a run configuration before Start (in the page, for the form) and again in the engine.
 * Pure arithmetic, no TF.js: every problem is a `ConfigIssue` naming the option (server name)
 * and saying what to change, in the UI language through TrainMessage.
 */
import type { RunConfig } from '../core/config';
import { trainMessage, type TrainMessage } from './trainMessages';

export interface ConfigIssue {
  option: keyof RunConfig;
  message: TrainMessage;
}

/** Smallest U-Net with the server's structure: unet_32 (5 down-steps; core/model/unet.ts). */
export const MIN_UNET_DOWNS = 5;

/** U-Net down-steps for `unet_<N>`, or null when N is not a power of two >= 32. */
export function unetDowns(netG: string): number | null {
  const m = /^unet_(\d+)$/.exec(netG);
  if (!m) return null;
  const d = Math.log2(Number(m[1]));
  return Number.isInteger(d) && d >= MIN_UNET_DOWNS ? d : null;
}

/**
 * Side of the PatchGAN logit map at input side `size` px: n stride-2 k4 p1 convs halve (floor),
 * then two stride-1 k4 p1 convs each remove one pixel (256 px, 3 layers -> 30; 512 -> 62).
 */
export function patchLogitSide(size: number, nLayers: number): number {
  let s = size;
  for (let i = 0; i < nLayers; i++) s = Math.floor((s + 2 - 4) / 2) + 1;
  return s - 2;
}

/** Smallest input side for which the PatchGAN still has an output pixel. */
export function minPatchInput(nLayers: number): number {
  let s = 1;
  while (patchLogitSide(s, nLayers) < 1) s++;
  return s;
}

type NumericKey = {
  [K in keyof RunConfig]: RunConfig[K] extends number ? K : never;
}[keyof RunConfig];

export function checkRunConfig(cfg: RunConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (option: keyof RunConfig, message: TrainMessage): void => {
    issues.push({ option, message });
  };
  const integer = (option: NumericKey, min: number): boolean => {
    const v = cfg[option];
    if (!Number.isInteger(v) || v < min) {
      add(option, trainMessage('config.integer', { option, min, value: String(v) }));
      return false;
    }
    return true;
  };
  const positive = (option: NumericKey): void => {
    const v = cfg[option];
    if (!(Number.isFinite(v) && v > 0))
      add(option, trainMessage('config.positive', { option, value: String(v) }));
  };
  const nonNegative = (option: NumericKey): void => {
    const v = cfg[option];
    if (!(Number.isFinite(v) && v >= 0))
      add(option, trainMessage('config.nonNegative', { option, value: String(v) }));
  };
  const range = (option: NumericKey, min: number, max: number, maxOpen: boolean): void => {
    const v = cfg[option];
    if (!(Number.isFinite(v) && v >= min && (maxOpen ? v < max : v <= max))) {
      add(
        option,
        trainMessage('config.range', {
          option,
          min,
          max: maxOpen ? `${max} (exclusive)` : max,
          value: String(v),
        }),
      );
    }
  };
  const choice = <K extends keyof RunConfig>(option: K, choices: readonly RunConfig[K][]): void => {
    if (!choices.includes(cfg[option])) {
      add(
        option,
        trainMessage('config.choice', { option, choices: choices.join(' | '), value: String(cfg[option]) }),
      );
    }
  };

  // networks
  const downs = unetDowns(cfg.netG);
  if (downs === null) add('netG', trainMessage('config.netG', { value: cfg.netG }));
  integer('ngf', 1);
  integer('ndf', 1);
  const layersOk = integer('n_layers_D', 1);
  const scalesOk = integer('num_D', 1);
  if (scalesOk && cfg.num_D > 3)
    add('num_D', trainMessage('config.range', { option: 'num_D', min: 1, max: 3, value: cfg.num_D }));
  choice('norm', ['batch', 'instance']);
  nonNegative('init_gain');
  for (const option of ['input_nc', 'output_nc'] as const) {
    if (cfg[option] !== 1 && cfg[option] !== 3)
      add(option, trainMessage('config.channels', { option, value: String(cfg[option]) }));
  }
  // losses
  choice('gan_mode', ['vanilla', 'lsgan']);
  for (const k of ['lambda_L1', 'lambda_grad', 'lambda_lap', 'lambda_fm', 'lambda_ssim'] as const)
    nonNegative(k);
  choice('grad_loss', ['l1', 'mse']);
  const levelsOk = integer('ms_levels', 1);
  // optimisation
  positive('lr');
  range('beta1', 0, 1, true);
  range('beta2', 0, 1, true);
  positive('adam_epsilon');
  integer('batch_size', 1);
  const e1 = integer('n_epochs', 0);
  const e2 = integer('n_epochs_decay', 0);
  if (e1 && e2 && cfg.n_epochs + cfg.n_epochs_decay < 1) add('n_epochs', trainMessage('config.noEpochs'));
  integer('warmup_steps', 0);
  const firstOk = integer('epoch_count', 1);
  if (
    e1 &&
    e2 &&
    firstOk &&
    cfg.n_epochs + cfg.n_epochs_decay >= 1 &&
    cfg.epoch_count > cfg.n_epochs + cfg.n_epochs_decay
  ) {
    add(
      'epoch_count',
      trainMessage('config.scheduleOver', {
        first: cfg.epoch_count,
        last: cfg.n_epochs + cfg.n_epochs_decay,
      }),
    );
  }
  integer('seed', 0);
  // data
  const sizeOk = integer('size', 8);
  choice('preprocess', ['letterbox', 'stretch', 'roi']);
  choice('direction', ['AtoB', 'BtoA']);
  // logging
  integer('log_every', 1);
  integer('val_every', 0);
  integer('save_every', 1);

  if (sizeOk && downs !== null) {
    const factor = 2 ** downs;
    if (cfg.size % factor !== 0) {
      add('size', trainMessage('config.sizeDivisible', { size: cfg.size, downs, factor, netG: cfg.netG }));
    }
  }
  if (sizeOk && layersOk && scalesOk && cfg.num_D <= 3) {
    // scale s of a multi-scale D sees the input average-pooled s times
    const smallest = Math.floor(cfg.size / 2 ** (cfg.num_D - 1));
    if (patchLogitSide(smallest, cfg.n_layers_D) < 1) {
      add(
        'n_layers_D',
        trainMessage('config.patchTooSmall', {
          layers: cfg.n_layers_D,
          scales: cfg.num_D,
          size: cfg.size,
          need: minPatchInput(cfg.n_layers_D) * 2 ** (cfg.num_D - 1),
        }),
      );
    }
  }
  if (sizeOk && levelsOk && cfg.ms_levels > 1) {
    const smallest = Math.floor(cfg.size / 2 ** (cfg.ms_levels - 1));
    if (smallest < 8) {
      add(
        'ms_levels',
        trainMessage('config.pyramidTooDeep', { levels: cfg.ms_levels, size: cfg.size, smallest }),
      );
    }
  }
  return issues;
}
