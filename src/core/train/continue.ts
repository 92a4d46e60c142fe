/**
 * Continue training from a checkpoint's weights in a NEW run: the studio's counterpart of the
 * server's `train.py --continue_train --epoch_count N`.
 *
 * What carries over and what starts again (the server does the same):
 * - G and D weights (and BatchNorm running statistics) come from the checkpoint;
 * - the network structure (netG, ngf, ndf, n_layers_D, num_D, norm, channels) is the checkpoint's
 *   and cannot be changed, everything else (losses, lr, schedule, batch size, size, data) is the
 *   new run's;
 * - Adam starts fresh (zero moments: the server's .pth files hold no optimizer state, and an
 *   imported checkpoint has none either);
 * - the epoch counter continues: the first epoch is the checkpoint's epoch in progress
 *   (= completed epochs + 1), so the linear LR policy picks up where the schedule was — in either
 *   `lr_step_at` convention the factor of epoch E does not depend on epoch_count, and the server's
 *   `--epoch_count N` with a LambdaLR restarted at 0 gives epoch N the same factor (schedule.ts);
 * - the convention is part of "everything else": the proposal (proposedContinueConfig) keeps the
 *   checkpoint's (a checkpoint stored before the option existed ran `epoch_start`: storedConfig),
 *   the user may choose the other one, as the server would run another train.py;
 * - the step counter, curves and data order start at 0 in the new run.
 *
 * This is different from *resuming* a run (Trainer.restore), which continues the same run
 * bit-exactly with its optimizer moments and data order.
 */
import type { RunConfig } from '../config';
import { lastEpoch } from './schedule';

/** Network-structure fields: weights can only be loaded into networks that agree on these. */
export const STRUCTURE_KEYS = [
  'netG',
  'ngf',
  'ndf',
  'n_layers_D',
  'num_D',
  'norm',
  'input_nc',
  'output_nc',
] as const;

export type StructureKey = (typeof STRUCTURE_KEYS)[number];

/** What a continued run needs to know about the checkpoint it starts from. */
export interface ContinueSource {
  config: RunConfig;
  /** Epochs the checkpoint's weights have completed (see completedEpochs). */
  completedEpochs: number;
}

/** The position fields of a checkpoint manifest / TrainerState. */
export interface EpochPosition {
  /** Epoch in progress (1-based server numbering). */
  epoch: number;
  /** Batches done in that epoch. */
  iterInEpoch: number;
  /** Training cases of the run (0 for imported weights: position unknown beyond `epoch`). */
  trainCount: number;
  config: Pick<RunConfig, 'batch_size'>;
}

/**
 * Completed epochs of a checkpoint. The trainer moves to the next epoch only when the next step
 * starts, so a checkpoint saved right after an epoch's last batch still says that epoch with
 * `iterInEpoch` = steps per epoch: that epoch counts as completed (a finished 2-epoch run has
 * completed 2 epochs, and the server continues it with --epoch_count 3).
 */
export function completedEpochs(p: EpochPosition): number {
  const spe = p.trainCount > 0 ? Math.ceil(p.trainCount / Math.max(1, p.config.batch_size)) : Infinity;
  return Math.max(0, Math.floor(p.epoch) - 1 + (p.iterInEpoch >= spe ? 1 : 0));
}

/**
 * The config of a run continuing from `from`: `requested` with the checkpoint's network structure
 * and `epoch_count` = the checkpoint's completed epochs + 1.
 */
export function continuedConfig(requested: RunConfig, from: ContinueSource): RunConfig {
  const cfg: RunConfig = { ...requested, epoch_count: Math.max(0, Math.floor(from.completedEpochs)) + 1 };
  for (const k of STRUCTURE_KEYS) (cfg as unknown as Record<string, unknown>)[k] = from.config[k];
  return cfg;
}

/**
 * The config proposed when the user chooses "continue training" on a checkpoint: the checkpoint's
 * own config continued. When its schedule is already over (a finished run, or a server model
 * trained for its full n_epochs + n_epochs_decay), the schedule is extended by the checkpoint's
 * own length: n_epochs more epochs at the full lr, then n_epochs_decay epochs of linear decay
 * (the user may lower lr for a fine-tune).
 */
export function proposedContinueConfig(from: ContinueSource): RunConfig {
  const cfg = continuedConfig(from.config, from);
  if (lastEpoch(cfg) >= cfg.epoch_count) return cfg;
  const done = cfg.epoch_count - 1;
  const nEpochs = Math.max(1, from.config.n_epochs);
  return { ...cfg, n_epochs: done + nEpochs };
}

/** Structure fields where `cfg` differs from the checkpoint's (empty when the weights fit). */
export function structureMismatches(
  cfg: RunConfig,
  from: RunConfig,
): { key: StructureKey; checkpoint: string; run: string }[] {
  return STRUCTURE_KEYS.filter((k) => cfg[k] !== from[k]).map((key) => ({
    key,
    checkpoint: String(from[key]),
    run: String(cfg[key]),
  }));
}
