/**
 * Learning-rate schedule: the server's `--lr_policy linear` per epoch, times an optional linear
 * warmup per step (studio-only, `warmup_steps`).
 *
 * The server (pytorch-CycleGAN-and-pix2pix, models/networks.py `get_scheduler`) builds a `LambdaLR`
 * whose counter k starts at 0, with
 *
 *     lambda_rule(k) = 1 - max(0, k + epoch_count - n_epochs) / (n_epochs_decay + 1),
 *
 * and train.py steps it (`model.update_learning_rate()`) once per epoch. WHEN it steps is the
 * run config's `lr_step_at`:
 *
 * - `epoch_end` (default; the current upstream train.py, 2025 "upgrade code to python 3.11 and
 *   pytorch 2.4", kept by its DDP version): after each epoch, so training epoch E (1-based, first
 *   = epoch_count) runs with k = E - epoch_count and
 *       factor(E) = 1 - max(0, E - n_epochs) / (n_epochs_decay + 1).
 *   The decay starts in epoch n_epochs + 1 and the last epoch (n_epochs + n_epochs_decay) runs at
 *   1 / (n_epochs_decay + 1): no epoch of the schedule runs at lr 0.
 * - `epoch_start` (the 2020 train.py, "update lr in the beginning of each epoch", and the studio's
 *   only convention before the option existed): before each epoch, one epoch ahead, k = E -
 *   epoch_count + 1 and
 *       factor(E) = 1 - max(0, E + 1 - n_epochs) / (n_epochs_decay + 1).
 *   The decay starts in epoch n_epochs and the last epoch runs at factor 0.
 *
 * Either way the factor of epoch E does not depend on epoch_count, so `--continue_train
 * --epoch_count N` picks the schedule up where it was. Epochs past the end stay at 0 (the factor is
 * clamped, never negative). A config without `lr_step_at` (stored before the option existed) ran
 * `epoch_start` and keeps it here.
 */
import { LEGACY_LR_STEP_AT, type LrStepAt, type RunConfig } from '../config';

type ScheduleConfig = Pick<
  RunConfig,
  'lr' | 'n_epochs' | 'n_epochs_decay' | 'epoch_count' | 'warmup_steps'
> & {
  /** Missing in configs stored before the option existed: they ran LEGACY_LR_STEP_AT. */
  lr_step_at?: LrStepAt;
};

/** The convention of a config (a missing option is the legacy `epoch_start`); throws on anything else. */
export function lrStepAt(cfg: { lr_step_at?: LrStepAt }): LrStepAt {
  const v = cfg.lr_step_at ?? LEGACY_LR_STEP_AT;
  if (v !== 'epoch_end' && v !== 'epoch_start') {
    throw new Error(
      `lr_step_at is "${String(v)}"; it must be epoch_end (train.py 2025) or epoch_start (2020)`,
    );
  }
  return v;
}

/** The server's `lambda_rule(k)` for scheduler counter k (k = number of `scheduler.step()` calls). */
export function linearPolicyFactor(k: number, cfg: ScheduleConfig): number {
  const f = 1 - Math.max(0, k + cfg.epoch_count - cfg.n_epochs) / (cfg.n_epochs_decay + 1);
  return Math.max(0, f);
}

/** Scheduler steps taken before training epoch `epoch` runs (0 for the first epoch at `epoch_end`). */
export function schedulerCounter(epoch: number, cfg: ScheduleConfig): number {
  return epoch - cfg.epoch_count + (lrStepAt(cfg) === 'epoch_start' ? 1 : 0);
}

/** LR factor during training epoch `epoch` (1-based server numbering, first epoch = epoch_count). */
export function epochLrFactor(epoch: number, cfg: ScheduleConfig): number {
  return linearPolicyFactor(schedulerCounter(epoch, cfg), cfg);
}

/** Warmup factor for global step `step` (0-based): (step+1)/warmup_steps up to 1; 1 when warmup is off. */
export function warmupFactor(step: number, cfg: Pick<RunConfig, 'warmup_steps'>): number {
  if (cfg.warmup_steps <= 0) return 1;
  return Math.min(1, (step + 1) / cfg.warmup_steps);
}

/** Learning rate used by the optimizer step with global index `step` (0-based) in epoch `epoch`. */
export function learningRateAt(cfg: ScheduleConfig, epoch: number, step: number): number {
  return cfg.lr * epochLrFactor(epoch, cfg) * warmupFactor(step, cfg);
}

/** Total epochs of a full server run: n_epochs + n_epochs_decay (epochs epoch_count..this number). */
export function lastEpoch(cfg: Pick<RunConfig, 'n_epochs' | 'n_epochs_decay'>): number {
  return cfg.n_epochs + cfg.n_epochs_decay;
}

/** Batches per epoch: the server's DataLoader keeps the last partial batch (drop_last = False). */
export function stepsPerEpoch(trainCount: number, batchSize: number): number {
  if (trainCount <= 0) throw new Error('the training set is empty: add at least one photo/xray pair');
  return Math.ceil(trainCount / batchSize);
}
