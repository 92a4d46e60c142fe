/**
 * Learning-rate schedule: the server's `--lr_policy linear` per epoch, times an optional linear
 * warmup per step (studio-only, `warmup_steps`).
 *
 * The server (pytorch-CycleGAN-and-pix2pix, 2025 `train.py`) builds a `LambdaLR` whose counter k
 * starts at 0 and calls `scheduler.step()` at the BEGINNING of every epoch, so training epoch E
 * (1-based, starting at `epoch_count`) runs with k = E - epoch_count + 1 and
 *
 *     factor(k) = 1 - max(0, k + epoch_count - n_epochs) / (n_epochs_decay + 1)
 *               = 1 - max(0, E + 1 - n_epochs) / (n_epochs_decay + 1).
 *
 * Consequences, kept on purpose so a run matches the server's: the decay starts in epoch
 * `n_epochs` (factor 1 - 1/(n_epochs_decay+1)), and the last epoch (`n_epochs + n_epochs_decay`)
 * runs at factor 0. Epochs past the end stay at 0 (the factor is clamped, never negative).
 */
import type { RunConfig } from '../config';

type ScheduleConfig = Pick<RunConfig, 'lr' | 'n_epochs' | 'n_epochs_decay' | 'epoch_count' | 'warmup_steps'>;

/** The server's `lambda_rule(k)` for scheduler counter k (k = number of `scheduler.step()` calls). */
export function linearPolicyFactor(k: number, cfg: ScheduleConfig): number {
  const f = 1 - Math.max(0, k + cfg.epoch_count - cfg.n_epochs) / (cfg.n_epochs_decay + 1);
  return Math.max(0, f);
}

/** LR factor during training epoch `epoch` (1-based server numbering, first epoch = epoch_count). */
export function epochLrFactor(epoch: number, cfg: ScheduleConfig): number {
  return linearPolicyFactor(epoch - cfg.epoch_count + 1, cfg);
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
