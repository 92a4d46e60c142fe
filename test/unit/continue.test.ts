/**
 * Continue training from a checkpoint's weights in a new run (core/train/continue.ts,
 * Trainer.fromWeights): the config rules, completed-epoch counting, and that the new trainer
 * starts with exactly the checkpoint's networks (also through a .pth round trip), at the next
 * epoch, step 0, with a fresh optimizer.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedConfig, withDefaults, type RunConfig } from '../../src/core/config';
import { readCheckpointFile } from '../../src/core/io/formats';
import { writePth } from '../../src/core/io/pth';
import { stateDictOf, type StateDict } from '../../src/core/model';
import { Rng } from '../../src/core/rng';
import {
  completedEpochs,
  continuedConfig,
  proposedContinueConfig,
  structureMismatches,
} from '../../src/core/train/continue';
import { createInMemoryDataSource, type ImagePair } from '../../src/core/train/data';
import { learningRateAt } from '../../src/core/train/schedule';
import { Trainer } from '../../src/core/train/trainer';
import { checkRunConfig } from '../../src/engine/configCheck';

function tiny(over: Partial<RunConfig> = {}): RunConfig {
  return withDefaults({
    netG: 'unet_32',
    size: 32,
    ngf: 4,
    ndf: 4,
    log_every: 1,
    seed: 7,
    n_epochs: 1,
    n_epochs_decay: 1,
    ...over,
  });
}

function pairs(n: number, seed = 3): ImagePair[] {
  const rng = new Rng(seed);
  const img = (grey: boolean) => {
    const data = new Uint8ClampedArray(32 * 32 * 4);
    for (let i = 0; i < 32 * 32; i++) {
      const g = rng.int(256);
      data.set([g, grey ? g : rng.int(256), grey ? g : rng.int(256), 255], i * 4);
    }
    return { width: 32, height: 32, data };
  };
  return Array.from({ length: n }, (_, i) => ({ id: `c${i}`, photo: img(false), xray: img(true) }));
}

const sameDict = (a: StateDict, b: StateDict): boolean =>
  a.length === b.length &&
  a.every((e, i) => e.key === b[i].key && e.data.every((v, j) => Object.is(v, b[i].data[j])));

let prev = '';
beforeAll(async () => {
  prev = tf.getBackend();
  await tf.setBackend('cpu');
});
afterAll(async () => {
  if (prev) await tf.setBackend(prev);
});

describe('continue: config rules', () => {
  it('counts an epoch as completed once its last batch is done', () => {
    const c = { batch_size: 2 };
    // 5 cases, batch 2 -> 3 steps per epoch
    expect(completedEpochs({ epoch: 1, iterInEpoch: 0, trainCount: 5, config: c })).toBe(0);
    expect(completedEpochs({ epoch: 1, iterInEpoch: 2, trainCount: 5, config: c })).toBe(0);
    expect(completedEpochs({ epoch: 1, iterInEpoch: 3, trainCount: 5, config: c })).toBe(1);
    expect(completedEpochs({ epoch: 4, iterInEpoch: 1, trainCount: 5, config: c })).toBe(3);
    // imported weights: trainCount 0, the manifest epoch is completed + 1
    expect(completedEpochs({ epoch: 201, iterInEpoch: 0, trainCount: 0, config: c })).toBe(200);
  });

  it('keeps the checkpoint structure, takes the rest from the request, starts at the next epoch', () => {
    const ckpt = tiny({ ngf: 4, norm: 'batch', lambda_L1: 100 });
    const asked = tiny({ ngf: 16, norm: 'instance', lambda_L1: 50, lambda_grad: 5, n_epochs: 6 });
    const cfg = continuedConfig(asked, { config: ckpt, completedEpochs: 2 });
    expect([cfg.ngf, cfg.norm, cfg.lambda_L1, cfg.lambda_grad, cfg.epoch_count]).toEqual([
      4,
      'batch',
      50,
      5,
      3,
    ]);
    expect(structureMismatches(asked, ckpt).map((m) => m.key)).toEqual(['ngf', 'norm']);
    expect(structureMismatches(cfg, ckpt)).toEqual([]);
  });

  it('--continue_train --epoch_count N: the continued run gets the lr the checkpoint’s schedule had at N, either convention', () => {
    for (const at of ['epoch_end', 'epoch_start'] as const) {
      const ckpt = tiny({ n_epochs: 3, n_epochs_decay: 4, lr_step_at: at });
      const uninterrupted = (e: number): number => learningRateAt(ckpt, e, 0);
      for (const completed of [1, 3, 5]) {
        const next = proposedContinueConfig({ config: ckpt, completedEpochs: completed });
        expect([next.epoch_count, next.lr_step_at]).toEqual([completed + 1, at]);
        for (let e = next.epoch_count; e <= 7; e++) expect(learningRateAt(next, e, 0)).toBe(uninterrupted(e));
      }
      // the new run's own choice wins over the checkpoint's (like running another train.py)
      const other = at === 'epoch_end' ? 'epoch_start' : 'epoch_end';
      const asked = continuedConfig(tiny({ n_epochs: 3, n_epochs_decay: 4, lr_step_at: other }), {
        config: ckpt,
        completedEpochs: 3,
      });
      expect([asked.epoch_count, asked.lr_step_at]).toEqual([4, other]);
    }
    // epoch 4 of 3 + 4: 1 - 1/5 at epoch_end, 1 - 2/5 at epoch_start
    const end = continuedConfig(tiny({ n_epochs: 3, n_epochs_decay: 4 }), {
      config: tiny(),
      completedEpochs: 3,
    });
    expect(learningRateAt(end, 4, 0) / end.lr).toBeCloseTo(0.8, 15);
    expect(learningRateAt({ ...end, lr_step_at: 'epoch_start' }, 4, 0) / end.lr).toBeCloseTo(0.6, 15);
  });

  it('a checkpoint stored without lr_step_at continues with the convention it ran (epoch_start)', () => {
    const { lr_step_at: _omit, ...stored } = tiny({ n_epochs: 3, n_epochs_decay: 4 });
    const next = proposedContinueConfig({ config: storedConfig(stored), completedEpochs: 5 });
    expect(next.lr_step_at).toBe('epoch_start');
    expect(learningRateAt(next, 6, 0) / next.lr).toBeCloseTo(1 - 4 / 5, 15);
  });

  it('extends a finished schedule by its own n_epochs, keeps one with epochs left', () => {
    const done = proposedContinueConfig({
      config: tiny({ n_epochs: 1, n_epochs_decay: 1 }),
      completedEpochs: 2,
    });
    expect([done.epoch_count, done.n_epochs, done.n_epochs_decay]).toEqual([3, 3, 1]);
    expect(checkRunConfig(done)).toEqual([]);
    // lr_step_at epoch_end (the current train.py): epoch 3 at the full lr, epoch 4 at half
    expect(done.lr_step_at).toBe('epoch_end');
    expect([3, 4].map((e) => learningRateAt(done, e, 0) / done.lr)).toEqual([1, 0.5]);
    // a run with epoch_start (the 2020 train.py) continues with its own convention: epoch 3 at
    // half the lr (the decay starts in epoch n_epochs), epoch 4 at 0
    const old = proposedContinueConfig({
      config: tiny({ n_epochs: 1, n_epochs_decay: 1, lr_step_at: 'epoch_start' }),
      completedEpochs: 2,
    });
    expect([old.epoch_count, old.n_epochs, old.lr_step_at]).toEqual([3, 3, 'epoch_start']);
    expect([3, 4].map((e) => learningRateAt(old, e, 0) / old.lr)).toEqual([0.5, 0]);
    const left = proposedContinueConfig({
      config: tiny({ n_epochs: 100, n_epochs_decay: 100 }),
      completedEpochs: 40,
    });
    expect([left.epoch_count, left.n_epochs, left.n_epochs_decay]).toEqual([41, 100, 100]);
    // and a config whose schedule is over is refused with a message naming both epochs
    const over = checkRunConfig(tiny({ epoch_count: 3 }));
    expect(over.map((i) => i.option)).toEqual(['epoch_count']);
    expect(over[0].message.text).toMatch(/start at epoch 3 .* ends at epoch 2/);
  });
});

describe('Trainer.fromWeights', () => {
  it('starts a new run with the checkpoint’s exact networks at the next epoch with a fresh Adam', async () => {
    const cfg = tiny();
    const data = createInMemoryDataSource(pairs(3), { size: 32 });
    const a = Trainer.create(cfg, data);
    for (let i = 0; i < 3; i++) a.step();
    await a.drainMetrics();
    const state = await a.getState();
    expect(completedEpochs(state)).toBe(1);
    const cfgB = continuedConfig({ ...cfg, lambda_L1: 10 }, { config: state.config, completedEpochs: 1 });
    const b = Trainer.fromWeights(cfgB, { G: state.G, D: state.D }, data);
    try {
      expect(sameDict(await stateDictOf(b.G), state.G)).toBe(true);
      expect(sameDict(await stateDictOf(b.D), state.D)).toBe(true);
      expect([b.globalStep, b.epoch]).toEqual([0, 2]);
      expect(b.nextLearningRate).toBe(learningRateAt(cfgB, 2, 0));
      const bState = await b.getState();
      expect(bState.optimizer.G.iterations).toBe(0);
      expect(bState.optimizer.G.m.every((e) => e.data.every((v) => v === 0))).toBe(true);
      // the restored run (resume) has non-zero moments: fromWeights is not a resume
      expect(state.optimizer.G.m.some((e) => e.data.some((v) => v !== 0))).toBe(true);
      // it trains: one step changes G and logs finite losses at step 1, epoch 2
      b.step();
      const m = await b.readMetrics();
      expect([m.step, m.epoch, m.finite]).toEqual([1, 2, true]);
      expect(sameDict(await stateDictOf(b.G), state.G)).toBe(false);
    } finally {
      b.dispose();
      a.dispose();
      data.dispose();
    }
  });

  it('loads a generator from a .pth (server format) and keeps a fresh seeded D without one', async () => {
    const cfg = tiny({ norm: 'instance' });
    const data = createInMemoryDataSource(pairs(2), { size: 32 });
    const a = Trainer.create(cfg, data);
    a.step();
    await a.drainMetrics();
    const sd = await stateDictOf(a.G);
    const loaded = readCheckpointFile('latest_net_G.pth', writePth(sd));
    expect(loaded.kind).toBe('G');
    const b = Trainer.fromWeights(cfg, { G: loaded.stateDict }, data);
    const fresh = Trainer.create(cfg, data);
    const photo = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
    try {
      const pa = a.predict(photo, { evalMode: true });
      const pb = b.predict(photo, { evalMode: true });
      expect(tf.max(tf.abs(tf.sub(pa, pb))).dataSync()[0]).toBe(0);
      tf.dispose([pa, pb]);
      expect(sameDict(await stateDictOf(b.D), await stateDictOf(fresh.D))).toBe(true);
    } finally {
      photo.dispose();
      fresh.dispose();
      b.dispose();
      a.dispose();
      data.dispose();
    }
  });

  it('refuses weights of another network, naming the key, and frees what it built', async () => {
    const data = createInMemoryDataSource(pairs(2), { size: 32 });
    const small = Trainer.create(tiny({ ngf: 4 }), data);
    const G = await stateDictOf(small.G);
    small.dispose();
    const before = tf.memory().numTensors;
    expect(() => Trainer.fromWeights(tiny({ ngf: 8 }), { G }, data)).toThrow(/model\.0\.weight|shape/);
    expect(tf.memory().numTensors).toBe(before);
    data.dispose();
  });
});
