/**
 * One landmark detector training as the training session's work (session/session.ts drives the
 * loop, as it drives the GAN run's `ganWork` in engineCore.ts): its step is one detector batch
 * under the GPU lock (warm-up + cosine learning rate, as cli train-landmarks), a progress event at
 * most every 250 ms, and at the epoch's last step the epoch's end — held-out MRE / SDR on the val
 * split, the history point, the `best` checkpoint when the MRE improved, the `last` checkpoint with
 * the position to resume from (epoch, step, generator states), the `detectorEpoch` event. A stop in
 * the middle of an epoch ends that epoch the same way first. The run closes once: its record's final
 * status (finished / stopped / failed with the error), the trainer freed, then `detectorDone`.
 */
import { encodeDetector, DETECTOR_WEIGHTS_FILE } from '../../core/detector/checkpoint';
import type { ErrorSummary } from '../../core/detector/errors';
import { evaluateDetector, type DetectorSample, type DetectorTrainer } from '../../core/detector/train';
import type { Rng } from '../../core/rng';
import { patchDetector, saveDetectorCheckpoint, type DetectorRecord } from '../../store/detectors';
import type { StudioStorage } from '../../store/storage';
import type { DetectorEpochPoint, DetectorSummary, EngineEvent } from '../protocol';
import type { SessionWork, TrainingSession } from '../session/session';
import { trainMessage } from '../trainMessages';

/** Where a detector training stands (stored with its `last` checkpoint: resume continues from it). */
export interface DetectorTrainState {
  epoch: number;
  step: number;
  rng: [number, number, number, number];
  orderRng: [number, number, number, number];
  bestMre: number | null;
  elapsedMs: number;
}

/** One detector training: what it trains on and where it stands. */
export interface DetectorRun {
  id: string;
  record: DetectorRecord;
  trainer: DetectorTrainer;
  train: DetectorSample[];
  val: DetectorSample[];
  symbols: string[];
  mmPerPx: number;
  epochs: number;
  maxSteps: number | null;
  state: DetectorTrainState;
  history: DetectorEpochPoint[];
  orderRng: Rng;
}

/** What the work needs from the engine. */
export interface DetectorWorkHost {
  storage(): StudioStorage;
  emit(event: EngineEvent): void;
  now(): number;
  /** The engine's GPU lock. */
  gpu<T>(fn: () => Promise<T>): Promise<T>;
}

/** Learning rate: warm-up over `warmup` steps, then cosine to 2 % (as cli train-landmarks). */
export function lrAt(lr: number, step: number, progress: number, warmup: number): number {
  const warm = Math.min(1, (step + 1) / Math.max(1, warmup));
  const p = Math.min(1, Math.max(0, progress));
  return lr * warm * (0.02 + 0.98 * 0.5 * (1 + Math.cos(Math.PI * p)));
}

export function sdrOf(s: ErrorSummary): { '2': number; '2.5': number; '3': number; '4': number } {
  return { '2': s.sdr['2'], '2.5': s.sdr['2.5'], '3': s.sdr['3'], '4': s.sdr['4'] };
}

/** The epoch in progress: its data order, start time, loss sum and steps done. */
interface Epoch {
  order: number[];
  t0: number;
  lossSum: number;
  steps: number;
}

/**
 * The detector run as the work of `session` (which the work ends when it closes the run);
 * `summaryOf` makes the stored record's card for `detectorDone`.
 */
export function detectorWork(
  run: DetectorRun,
  session: TrainingSession,
  host: DetectorWorkHost,
  summaryOf: (rec: DetectorRecord) => DetectorSummary,
): SessionWork {
  const kv = host.storage().checkpoints;
  const cfg = run.trainer.cfg;
  const bs = cfg.batchSize;
  const fullSteps = Math.ceil(run.train.length / bs);
  const stepsPerEpoch = run.maxSteps ? Math.min(fullSteps, run.maxSteps) : fullSteps;
  const totalSteps = run.epochs * stepsPerEpoch;
  const warmup = Math.min(100, Math.ceil(totalSteps / 10));
  let epoch: Epoch | null = null;
  let lastEventAt = 0;

  const progress = (e: Epoch): void => {
    const now = host.now();
    if (now - lastEventAt < 250 && e.steps !== stepsPerEpoch) return;
    lastEventAt = now;
    const done = run.state.epoch * stepsPerEpoch + e.steps;
    const msPerStep = (run.state.elapsedMs + (now - e.t0)) / Math.max(1, done);
    host.emit({
      type: 'detectorProgress',
      detectorId: run.id,
      epoch: run.state.epoch + 1,
      epochs: run.epochs,
      step: e.steps,
      stepsPerEpoch,
      etaSec: done > 0 ? Math.round(((totalSteps - done) * msPerStep) / 1000) : null,
    });
  };

  /** The epoch's end: held-out evaluation, history point, best / last checkpoints, event. */
  const endEpoch = async (e: Epoch): Promise<void> => {
    epoch = null;
    const s = run.state;
    s.epoch++;
    const ev = run.val.length
      ? await host.gpu(async () => evaluateDetector(run.trainer.net, run.val, run.symbols, cfg.sigmaMm))
      : null;
    const sum = ev ? ev.byDecoder[ev.best] : null;
    s.elapsedMs += host.now() - e.t0;
    const point: DetectorEpochPoint = {
      epoch: s.epoch,
      step: run.trainer.step,
      loss: e.lossSum / e.steps,
      valMreMm: sum?.mreMm ?? null,
      valSdr2: sum ? sum.sdr['2'] : null,
      timeMs: host.now(),
    };
    run.history.push(point);
    const mre = sum?.mreMm ?? null;
    const isBest = ev === null || (mre !== null && (s.bestMre === null || mre < s.bestMre));
    const info = {
      epoch: s.epoch,
      step: run.trainer.step,
      valMreMm: mre,
      valSdr: sum ? sdrOf(sum) : null,
      valN: sum?.cases ?? 0,
    };
    const metaBase = {
      symbols: run.symbols,
      preprocess: 'letterbox' as const,
      sigmaMm: cfg.sigmaMm,
      mmPerPx: run.mmPerPx,
      decoder: ev ? ev.best : ('dark' as const),
      training: { epoch: s.epoch, step: run.trainer.step, detectorId: run.id },
    };
    if (isBest) {
      if (mre !== null) s.bestMre = mre;
      const enc = await encodeDetector(run.trainer.net, metaBase, 'float16');
      await saveDetectorCheckpoint(kv, run.id, 'best', enc.files[DETECTOR_WEIGHTS_FILE], {
        meta: enc.meta,
        ...info,
      });
    }
    s.step = run.trainer.step;
    s.rng = run.trainer.rng.getState();
    s.orderRng = run.orderRng.getState();
    const enc = await encodeDetector(run.trainer.net, metaBase, 'float32');
    run.record = await saveDetectorCheckpoint(
      kv,
      run.id,
      'last',
      enc.files[DETECTOR_WEIGHTS_FILE],
      { meta: enc.meta, ...info },
      {
        history: [...run.history],
        epochsDone: s.epoch,
        options: { ...run.record.options, trainState: { ...s } },
      },
      host.now(),
    );
    host.emit({ type: 'detectorEpoch', detectorId: run.id, point });
  };

  /** The run's closing steps, once: final status in the record, trainer freed, session ended, event. */
  const close = async (status: DetectorRecord['status'], error?: string): Promise<void> => {
    try {
      run.record = await patchDetector(
        kv,
        run.id,
        () => ({ status, ...(error ? { error } : {}) }),
        host.now(),
      );
    } catch {
      // the record was deleted while training
    }
    // free the trainer and end the session before telling anyone (a listener may start the next)
    session.end();
    run.trainer.dispose();
    host.emit({ type: 'detectorDone', summary: summaryOf(run.record) });
  };

  return {
    done: () => run.state.epoch >= run.epochs,
    // a lost device fails a detector training (it is not rebuilt like the GAN run)
    repair: async () => false,
    step: async () => {
      const e = (epoch ??= {
        order: run.orderRng.permutation(run.train.length),
        t0: host.now(),
        lossSum: 0,
        steps: 0,
      });
      const k = e.steps;
      const batch = e.order.slice(k * bs, k * bs + bs).map((i) => run.train[i]);
      const loss = await host.gpu(async () => {
        run.trainer.setLearningRate(lrAt(cfg.lr, run.trainer.step, run.trainer.step / totalSteps, warmup));
        return run.trainer.trainStep(batch, true);
      });
      if (!Number.isFinite(loss))
        throw new Error(
          `the heatmap loss became ${loss} at step ${run.trainer.step}; lower the learning rate`,
        );
      e.lossSum += loss;
      e.steps++;
      progress(e);
      if (e.steps === stepsPerEpoch) await endEpoch(e);
      return 'ok';
    },
    classify: (e) => Promise.reject(e),
    finish: () => close('finished'),
    stopped: async () => {
      // the epoch in progress counts with the steps it made
      if (epoch && epoch.steps > 0) await endEpoch(epoch);
      await close(run.state.epoch < run.epochs ? 'stopped' : 'finished');
    },
    failed: async (e) => {
      const error = e instanceof Error ? e.message : String(e);
      host.emit({ type: 'error', message: trainMessage('engine.detector.failed', { error }) });
      await close('failed', error);
    },
  };
}
