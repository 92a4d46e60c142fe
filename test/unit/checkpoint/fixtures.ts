/** Shared fixtures of the engine/checkpoint tests (stored runs, networks, server run folders). */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { type RunConfig, withDefaults } from '../../../src/core/config';
import { formatTrainOpt, serverOptionsFor } from '../../../src/core/io/serverBundle';
import { writePth } from '../../../src/core/io/pth';
import { createDiscriminator, createGenerator, loadStateDict, stateDictOf } from '../../../src/core/model';
import type { StateDict } from '../../../src/core/model/types';
import { encodeTrainerState, type TrainerState } from '../../../src/core/train/checkpoint';
import { freshAdam } from '../../../src/core/train/adam';
import type { ImportSource } from '../../../src/engine/checkpoint';
import { createRun, saveCheckpoint } from '../../../src/store';
import { openStudioStorage } from '../../../src/store/storage';

export const open = () => openStudioStorage({ prefix: `ckio-${globalThis.crypto.randomUUID()}` });

export const SMALL: RunConfig = withDefaults({ netG: 'unet_32', size: 32, ngf: 4, ndf: 4, seed: 7 });
export const SERVER_OK: RunConfig = withDefaults({ netG: 'unet_128', size: 128, ngf: 2, ndf: 2, seed: 3 });

export async function nets(cfg: RunConfig, seed = cfg.seed): Promise<{ G: StateDict; D: StateDict }> {
  const g = createGenerator(cfg, seed);
  const d = createDiscriminator(cfg, seed + 1);
  try {
    // non-trivial BatchNorm statistics, so they must survive the round trip too
    const G = (await stateDictOf(g)).map((e) =>
      e.key.endsWith('running_mean')
        ? { ...e, data: Float32Array.from(e.data as Float32Array, (_, i) => 0.01 * (i % 7)) }
        : e.key.endsWith('num_batches_tracked')
          ? { ...e, data: BigInt64Array.of(123n) }
          : e,
    );
    return { G, D: await stateDictOf(d) };
  } finally {
    g.dispose();
    d.dispose();
  }
}

export function trainerState(
  cfg: RunConfig,
  G: StateDict,
  D: StateDict,
  step: number,
  epoch: number,
): TrainerState {
  return {
    config: cfg,
    step,
    epoch,
    iterInEpoch: 0,
    trainCount: 4,
    dataOrder: [2, 0, 3, 1],
    historyLength: 0,
    metrics: { val_mean_l1: 0.25, val_mean_psnr: 11.5 },
    G,
    D,
    optimizer: { G: freshAdam(G, cfg), D: freshAdam(D, cfg) },
  };
}

/** A run with checkpoint `last` at (step, epoch) in a fresh store. */
export async function storedRun(cfg: RunConfig, name = 'demo run', step = 40, epoch = 6) {
  const storage = await open();
  const { G, D } = await nets(cfg);
  const run = await createRun(storage.runs, {
    name,
    datasetId: 'demo-20-1',
    config: cfg,
    preprocessing: { mode: 'letterbox', size: cfg.size, pad: 'constant', padColor: [0, 0, 0], roi: null },
    backend: 'cpu',
    adapter: null,
  });
  await saveCheckpoint(
    storage.checkpoints,
    run.id,
    'last',
    encodeTrainerState(trainerState(cfg, G, D, step, epoch)),
  );
  return { storage, run, G, D };
}

export function expectSameStateDict(a: StateDict, b: StateDict): void {
  expect(a.map((e) => e.key)).toEqual(b.map((e) => e.key));
  a.forEach((e, i) => {
    expect(b[i].shape, e.key).toEqual(e.shape);
    expect(b[i].dtype, e.key).toBe(e.dtype);
    expect(
      Buffer.compare(
        Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength),
        Buffer.from(b[i].data.buffer, b[i].data.byteOffset, b[i].data.byteLength),
      ),
      e.key,
    ).toBe(0);
  });
}

/** Eval-mode output of a generator state dict on a fixed input. */
export async function evalOutput(cfg: RunConfig, sd: StateDict): Promise<Float32Array> {
  const g = createGenerator(cfg, 1);
  try {
    loadStateDict(g, sd, { strict: true });
    const x = tf.tidy(
      () => tf.sin(tf.range(0, cfg.size * cfg.size * 3).reshape([1, cfg.size, cfg.size, 3])) as tf.Tensor4D,
    );
    const y = g.apply(x, { training: false, dropout: false, updateStats: false });
    const out = (await y.data()) as Float32Array;
    tf.dispose([x, y]);
    return out;
  } finally {
    g.dispose();
  }
}

export const freshD = async (cfg: RunConfig): Promise<StateDict> => {
  const d = createDiscriminator(cfg, cfg.seed);
  try {
    return await stateDictOf(d);
  } finally {
    d.dispose();
  }
};

/** Sources that count their reads. */
export function counted(files: Record<string, Uint8Array>): {
  sources: ImportSource[];
  reads: Map<string, number>;
} {
  const reads = new Map<string, number>();
  const sources = Object.entries(files).map(([path, bytes]) => ({
    path,
    size: bytes.length,
    read: async () => {
      reads.set(path, (reads.get(path) ?? 0) + 1);
      return bytes;
    },
  }));
  return { sources, reads };
}

export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

export const enc = (s: string) => new TextEncoder().encode(s);

export const LOSS_LOG = [
  '================ Training Loss (Sat Nov 22 00:00:00 2025) ================',
  '(epoch: 1, iters: 2, time: 0.011, data: 0.002) G_GAN: 0.700 G_L1: 3.800 D_real: 0.600 D_fake: 0.710 ',
  '(epoch: 1, iters: 4, time: 0.012, data: 0.002) G_GAN: 0.800 G_L1: 3.500 D_real: 0.500 D_fake: 0.650 ',
  '(epoch: 2, iters: 2, time: 0.010, data: 0.001) G_GAN: 0.900 G_L1: nan D_real: 0.400 D_fake: 0.600 ',
  '',
].join('\n');

export async function serverFolder(cfg: RunConfig, prefix = 'checkpoints/ceph_a') {
  const { G, D } = await nets(cfg);
  const old = await nets(cfg, cfg.seed + 10);
  const files: Record<string, Uint8Array> = {
    [`${prefix}/latest_net_G.pth`]: writePth(G, { archiveName: 'latest_net_G' }),
    [`${prefix}/latest_net_D.pth`]: writePth(D, { archiveName: 'latest_net_D' }),
    [`${prefix}/5_net_G.pth`]: writePth(old.G, { archiveName: 'archive' }),
    [`${prefix}/train_opt.txt`]: enc(formatTrainOpt(serverOptionsFor(cfg, 'ceph_a', 2))),
    [`${prefix}/loss_log.txt`]: enc(LOSS_LOG),
    [`${prefix}/web/images/epoch001_fake_B.png`]: new Uint8Array([0x89, 0x50]),
  };
  return { G, D, files };
}
