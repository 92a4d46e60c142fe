/**
 * Fault recovery of a training run (part of the engine, see engineCore.ts): what a fault is (a
 * NaN/Inf in a logged value or in weights about to be saved, a diverging GAN), the message and
 * checklist input that explain it, the run's last good checkpoint to roll back to, and the watch on
 * the WebGPU device (`device.lost`, or a failed read that turns out to be a lost device). The
 * engine's onFault / rollback / recoverDevice use these; injectFault's NaN poisoning lives here too.
 */
import * as tf from '@tensorflow/tfjs';
import type { InputRange } from '../../core/eval/checklist';
import { loadTrainerState, type TrainerState } from '../../core/train/checkpoint';
import type { ImagePair } from '../../core/train/data';
import type { Trainer } from '../../core/train/trainer';
import { getCheckpoint, loadCheckpoint, type CheckpointRecord, type StudioStorage } from '../../store';
import { activeGpuDevice, type LosableDevice } from '../backend';
import { trainMessage, type TrainMessage } from '../trainMessages';

/** A number for a fault message (learning rates, losses). */
export function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : String(Number(v.toPrecision(3)));
}

/** Range of the tensors fed to the model ([-1,1] scale) over a few cases, for the checklist. */
export function inputRangeOf(pairs: readonly ImagePair[]): InputRange | null {
  if (pairs.length === 0) return null;
  const r = { photoMin: Infinity, photoMax: -Infinity, xrayMin: Infinity, xrayMax: -Infinity };
  for (const p of pairs.slice(0, 4)) {
    for (const [img, lo, hi] of [
      [p.photo, 'photoMin', 'photoMax'],
      [p.xray, 'xrayMin', 'xrayMax'],
    ] as const) {
      const d = img.data;
      for (let i = 0; i < d.length; i += 4) {
        for (let c = 0; c < 3; c++) {
          const v = d[i + c] / 127.5 - 1;
          if (v < r[lo]) r[lo] = v;
          if (v > r[hi]) r[hi] = v;
        }
      }
    }
  }
  return r;
}

/** Test hook (injectFault): G's first weight becomes NaN, as a real overflow would leave it. */
export function poisonGenerator(trainer: Trainer): void {
  const first = trainer.G.params.values().next();
  if (first.done) return;
  const v = first.value;
  tf.tidy(() => v.assign(tf.fill(v.shape, NaN)));
}

/** A fault found at a metric read or a checkpoint save (onFault). */
export type Fault =
  | {
      kind: 'nonFinite';
      step: number;
      what: string;
      value: string;
      losses: Record<string, number | null>;
      lr: number;
    }
  | {
      kind: 'ganDiverged';
      step: number;
      dLoss: number;
      gGan: number;
      reads: number;
      losses: Record<string, number | null>;
      lr: number;
    };

/** The warning that explains a fault: the step, what was wrong, the step restored and the halved lr. */
export function faultMessage(f: Fault, restored: number, lr: number, newLr: number): TrainMessage {
  const common = { step: f.step, restored, lr: num(lr), newLr: num(newLr) };
  return f.kind === 'nonFinite'
    ? trainMessage('engine.fault.nonFinite', { ...common, what: f.what, value: f.value })
    : trainMessage('engine.fault.ganDiverged', {
        ...common,
        dLoss: num(f.dLoss),
        gGan: num(f.gGan),
        reads: f.reads,
      });
}

/** The newest stored checkpoint of a run (`last` or `best`): every stored one is finite (saveNow). */
export async function lastGoodState(
  checkpoints: StudioStorage['checkpoints'],
  runId: string,
  runName: string,
): Promise<TrainerState | null> {
  let pick: CheckpointRecord | null = null;
  for (const name of ['last', 'best']) {
    const rec = await getCheckpoint(checkpoints, runId, name);
    if (rec && (!pick || rec.step > pick.step)) pick = rec;
  }
  if (!pick) return null;
  const { files } = await loadCheckpoint(checkpoints, runId, pick.name);
  return loadTrainerState(files, `run ${runName}, checkpoint "${pick.name}"`);
}

/** The WebGPU device in use, and why it was lost (null while it works). */
export class DeviceWatch {
  private device: LosableDevice | null = null;
  /** Why the device was lost; null while it works. */
  lost: string | null = null;

  /** Notice when the WebGPU device in use is lost (driver reset, another app, device.destroy()). */
  watch(): void {
    const device = activeGpuDevice();
    this.device = device;
    this.lost = null;
    if (!device) return;
    void device.lost.then((info) => {
      if (this.device === device) this.lost ??= info.message || info.reason || 'device lost';
    });
  }

  /** Whether the device is lost (waits briefly for `device.lost`: it may settle after a failed read). */
  async isLost(): Promise<boolean> {
    if (this.lost !== null) return true;
    const d = this.device;
    if (!d) return false;
    const lost = await Promise.race([
      d.lost.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 300)),
    ]);
    if (lost && this.device === d) this.lost ??= 'device lost';
    return this.lost !== null;
  }

  /** injectFault off WebGPU: there is no device to destroy, so the engine is told it is lost. */
  simulateLoss(reason: string): void {
    this.lost = reason;
  }
}
