/**
 * Every RunConfig option as the configuration panel shows it: its group, the input it needs, the
 * server's option name beside it (`--lambda_L1`) or the mark "studio only", and the i18n key of
 * its one-line explanation (`train.opt.<key>`).
 */
import { LR_STEP_AT, type RunConfig } from '../../core/config';

export type OptionGroup = 'networks' | 'losses' | 'optimisation' | 'data' | 'inference' | 'logging';
export const OPTION_GROUPS: readonly OptionGroup[] = [
  'networks',
  'losses',
  'optimisation',
  'data',
  'inference',
  'logging',
];

export type OptionKind =
  | { type: 'int'; min: number; max?: number; step?: number }
  | { type: 'number'; min: number; max?: number; step: number | 'any' }
  | { type: 'bool' }
  | { type: 'choice'; choices: readonly string[] };

export interface OptionInfo {
  key: keyof RunConfig;
  group: OptionGroup;
  kind: OptionKind;
  /** The server's command-line option, null for studio-only options. */
  server: string | null;
  /** Shown first (the options most runs change); the rest sit in "more options". */
  main?: boolean;
}

const NETG_CHOICES = ['unet_32', 'unet_64', 'unet_128', 'unet_256', 'unet_512'] as const;

export const OPTIONS: readonly OptionInfo[] = [
  // networks
  {
    key: 'netG',
    group: 'networks',
    kind: { type: 'choice', choices: NETG_CHOICES },
    server: '--netG',
    main: true,
  },
  { key: 'ngf', group: 'networks', kind: { type: 'int', min: 1, max: 256 }, server: '--ngf', main: true },
  { key: 'ndf', group: 'networks', kind: { type: 'int', min: 1, max: 256 }, server: '--ndf', main: true },
  { key: 'n_layers_D', group: 'networks', kind: { type: 'int', min: 1, max: 6 }, server: '--n_layers_D' },
  { key: 'num_D', group: 'networks', kind: { type: 'int', min: 1, max: 3 }, server: null },
  {
    key: 'norm',
    group: 'networks',
    kind: { type: 'choice', choices: ['batch', 'instance'] },
    server: '--norm',
  },
  { key: 'no_dropout', group: 'networks', kind: { type: 'bool' }, server: '--no_dropout' },
  {
    key: 'init_gain',
    group: 'networks',
    kind: { type: 'number', min: 0, step: 'any' },
    server: '--init_gain',
  },
  { key: 'input_nc', group: 'networks', kind: { type: 'choice', choices: ['1', '3'] }, server: '--input_nc' },
  {
    key: 'output_nc',
    group: 'networks',
    kind: { type: 'choice', choices: ['1', '3'] },
    server: '--output_nc',
  },
  // losses
  {
    key: 'gan_mode',
    group: 'losses',
    kind: { type: 'choice', choices: ['vanilla', 'lsgan'] },
    server: '--gan_mode',
  },
  {
    key: 'lambda_L1',
    group: 'losses',
    kind: { type: 'number', min: 0, step: 'any' },
    server: '--lambda_L1',
    main: true,
  },
  {
    key: 'lambda_grad',
    group: 'losses',
    kind: { type: 'number', min: 0, step: 'any' },
    server: null,
    main: true,
  },
  { key: 'grad_loss', group: 'losses', kind: { type: 'choice', choices: ['l1', 'mse'] }, server: null },
  { key: 'lambda_lap', group: 'losses', kind: { type: 'number', min: 0, step: 'any' }, server: null },
  { key: 'lambda_fm', group: 'losses', kind: { type: 'number', min: 0, step: 'any' }, server: null },
  { key: 'lambda_ssim', group: 'losses', kind: { type: 'number', min: 0, step: 'any' }, server: null },
  { key: 'ms_levels', group: 'losses', kind: { type: 'int', min: 1, max: 5 }, server: null },
  // optimisation
  {
    key: 'lr',
    group: 'optimisation',
    kind: { type: 'number', min: 0, step: 'any' },
    server: '--lr',
    main: true,
  },
  {
    key: 'beta1',
    group: 'optimisation',
    kind: { type: 'number', min: 0, max: 0.9999, step: 'any' },
    server: '--beta1',
  },
  {
    key: 'beta2',
    group: 'optimisation',
    kind: { type: 'number', min: 0, max: 0.9999, step: 'any' },
    server: null,
  },
  { key: 'adam_epsilon', group: 'optimisation', kind: { type: 'number', min: 0, step: 'any' }, server: null },
  {
    key: 'batch_size',
    group: 'optimisation',
    kind: { type: 'int', min: 1, max: 64 },
    server: '--batch_size',
    main: true,
  },
  { key: 'n_epochs', group: 'optimisation', kind: { type: 'int', min: 0 }, server: '--n_epochs', main: true },
  {
    key: 'n_epochs_decay',
    group: 'optimisation',
    kind: { type: 'int', min: 0 },
    server: '--n_epochs_decay',
    main: true,
  },
  { key: 'warmup_steps', group: 'optimisation', kind: { type: 'int', min: 0 }, server: null },
  {
    key: 'lr_step_at',
    group: 'optimisation',
    kind: { type: 'choice', choices: LR_STEP_AT },
    server: null,
  },
  { key: 'epoch_count', group: 'optimisation', kind: { type: 'int', min: 1 }, server: '--epoch_count' },
  { key: 'seed', group: 'optimisation', kind: { type: 'int', min: 0 }, server: null },
  // data
  {
    key: 'size',
    group: 'data',
    kind: { type: 'int', min: 8, max: 2048, step: 1 },
    server: '--load_size / --crop_size',
    main: true,
  },
  {
    key: 'preprocess',
    group: 'data',
    kind: { type: 'choice', choices: ['letterbox', 'stretch', 'roi'] },
    server: null,
    main: true,
  },
  { key: 'jitter', group: 'data', kind: { type: 'bool' }, server: '--preprocess resize_and_crop' },
  { key: 'flip', group: 'data', kind: { type: 'bool' }, server: '--no_flip (off)' },
  {
    key: 'direction',
    group: 'data',
    kind: { type: 'choice', choices: ['AtoB', 'BtoA'] },
    server: '--direction',
  },
  // inference
  { key: 'eval_mode', group: 'inference', kind: { type: 'bool' }, server: '--eval' },
  // logging
  { key: 'log_every', group: 'logging', kind: { type: 'int', min: 1 }, server: '≈ --print_freq' },
  { key: 'val_every', group: 'logging', kind: { type: 'int', min: 0 }, server: null },
  { key: 'save_every', group: 'logging', kind: { type: 'int', min: 1 }, server: '≈ --save_latest_freq' },
];

/** Parse a form input into the option's value (numbers stay NaN when unparsable, so the check reports them). */
export function parseOption(info: OptionInfo, raw: string | boolean): RunConfig[keyof RunConfig] {
  const k = info.kind;
  if (k.type === 'bool') return Boolean(raw);
  if (k.type === 'choice') {
    if (info.key === 'input_nc' || info.key === 'output_nc') return Number(raw);
    return String(raw) as RunConfig[keyof RunConfig];
  }
  const s = String(raw).trim();
  return s === '' ? NaN : Number(s);
}
