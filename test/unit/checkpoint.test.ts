/**
 * Studio checkpoints: format round trip, sharding, validation errors, atomic writes, and resume
 * equality (N steps straight = k steps + save/load + N - k steps, bit for bit on the cpu backend).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDefaults, type RunConfig } from '../../src/core/config';
import type { RgbaImage } from '../../src/core/image';
import { CheckpointFormatError } from '../../src/core/io/checkpointError';
import { readSafetensors } from '../../src/core/io/safetensors';
import { Rng } from '../../src/core/rng';
import {
  crc32Hex,
  createMemoryStorage,
  currentPointerKey,
  encodeTrainerState,
  loadTrainerState,
  MANIFEST_FILE,
  parseManifest,
  readCheckpointFiles,
  saveTrainerState,
  shardFileName,
  splitIntoShards,
  writeCheckpointAtomically,
  type CheckpointFiles,
  type KeyValueStorage,
  type TrainerState,
} from '../../src/core/train/checkpoint';
import { createInMemoryDataSource, type DataSource, type ImagePair } from '../../src/core/train/data';
import { Trainer, type StepMetrics } from '../../src/core/train/trainer';

function noisePairs(n: number, size: number, seed: number): ImagePair[] {
  const rng = new Rng(seed);
  const img = (grey: boolean): RgbaImage => {
    const data = new Uint8ClampedArray(size * size * 4);
    for (let i = 0; i < size * size; i++) {
      const g = rng.int(256);
      data.set([g, grey ? g : rng.int(256), grey ? g : rng.int(256), 255], i * 4);
    }
    return { width: size, height: size, data };
  };
  return Array.from({ length: n }, (_, i) => ({ id: `c${i}`, photo: img(false), xray: img(true) }));
}

/**
 * Everything that carries state across a resume: 3 cases at batch 2 (partial batches, epoch
 * rollovers), jitter + flip, dropout, BatchNorm, LR decay per epoch and warmup.
 */
const RESUME_CFG: RunConfig = withDefaults({
  netG: 'unet_32',
  size: 32,
  ngf: 4,
  ndf: 4,
  batch_size: 2,
  jitter: true,
  flip: true,
  n_epochs: 1,
  n_epochs_decay: 4,
  warmup_steps: 2,
  lr: 1e-3,
  lambda_grad: 2,
  log_every: 1,
  seed: 11,
});

async function steps(trainer: Trainer, n: number): Promise<StepMetrics[]> {
  const out: StepMetrics[] = [];
  for (let i = 0; i < n; i++) {
    trainer.step();
    out.push(await trainer.readMetrics());
  }
  return out;
}

let savedBackend = '';
let data: DataSource;
beforeAll(async () => {
  savedBackend = tf.getBackend();
  await tf.setBackend('cpu');
  data = createInMemoryDataSource(noisePairs(3, 32, 3), { size: 32 });
});
afterAll(async () => {
  data.dispose();
  if (savedBackend) await tf.setBackend(savedBackend);
});

describe('resume equality (cpu backend)', () => {
  it('6 steps straight = 3 steps + save/load through checkpoint files + 3 steps', async () => {
    const N = 6;
    const k = 3; // mid-epoch (epoch 2, 1 of 2 batches done)
    const straight = Trainer.create(RESUME_CFG, data);
    const a = await steps(straight, N);
    const finalStraight = await straight.getState();
    straight.dispose();

    const first = Trainer.create(RESUME_CFG, data);
    const b1 = await steps(first, k);
    const files = await saveTrainerState(first);
    first.dispose(); // nothing of the first trainer survives but the bytes

    const state = loadTrainerState(new Map(files));
    expect(state.step).toBe(k);
    expect(state.epoch).toBe(2);
    expect(state.iterInEpoch).toBe(1);
    const resumed = Trainer.restore(state, data);
    expect(resumed.globalStep).toBe(k);
    expect(resumed.historyLength).toBe(k);
    const b2 = await steps(resumed, N - k);
    const finalResumed = await resumed.getState();
    resumed.dispose();

    const b = [...b1, ...b2];
    expect(b.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(b.map((m) => m.losses)).toEqual(a.map((m) => m.losses));
    expect(b.map((m) => m.lr)).toEqual(a.map((m) => m.lr));
    expect(b.map((m) => m.gradNorms)).toEqual(a.map((m) => m.gradNorms));
    // weights, BatchNorm buffers, num_batches_tracked and optimizer moments all identical
    expect(finalResumed.G).toEqual(finalStraight.G);
    expect(finalResumed.D).toEqual(finalStraight.D);
    expect(finalResumed.optimizer).toEqual(finalStraight.optimizer);
    expect(finalResumed.epoch).toBe(finalStraight.epoch);
    // the run changed the weights (the comparison above is not trivially true)
    expect(new Set(a.map((m) => m.losses.G_L1)).size).toBe(N);
  });
});

describe('checkpoint files', () => {
  let state: TrainerState;
  beforeAll(async () => {
    const t = Trainer.create(RESUME_CFG, data);
    await steps(t, 2);
    state = await t.getState({ val_mean_l1: 0.25, val_mean_psnr: Infinity });
    t.dispose();
  });

  it('CRC-32 matches the standard check value', () => {
    expect(crc32Hex(new TextEncoder().encode('123456789'))).toBe('cbf43926');
    expect(crc32Hex(new Uint8Array(0))).toBe('00000000');
  });

  it('writes manifest + G/D/optim safetensors that round-trip exactly', () => {
    const files = encodeTrainerState(state, { created: new Date('2026-01-02T03:04:05Z') });
    expect([...files.keys()].sort()).toEqual([
      'D.safetensors',
      'G.safetensors',
      MANIFEST_FILE,
      'optim.safetensors',
    ]);
    const manifest = parseManifest(files.get(MANIFEST_FILE) as Uint8Array);
    expect(manifest.format).toBe('ceph-gan-studio-checkpoint');
    expect(manifest.formatVersion).toBe(1);
    expect(manifest.created).toBe('2026-01-02T03:04:05.000Z');
    expect(manifest.step).toBe(2);
    expect(manifest.metrics.val_mean_l1).toBe(0.25);
    expect(manifest.metrics.val_mean_psnr).toBeNull(); // JSON cannot hold Infinity
    expect(typeof manifest.metrics.G_L1).toBe('number');
    for (const s of manifest.shards) {
      const bytes = files.get(s.file) as Uint8Array;
      expect(s.bytes).toBe(bytes.length);
      expect(s.crc32).toBe(crc32Hex(bytes));
    }
    // G.safetensors holds the server's key names and PyTorch layout
    const g = readSafetensors(files.get('G.safetensors') as Uint8Array).tensors;
    expect(g[0].key).toBe('model.model.0.weight');
    expect(g[0].shape).toEqual([4, 3, 4, 4]);
    const back = loadTrainerState(files);
    expect(back.G).toEqual(state.G);
    expect(back.D).toEqual(state.D);
    expect(back.optimizer).toEqual(state.optimizer);
    expect(back.dataOrder).toEqual(state.dataOrder);
    expect(back.config).toEqual(state.config);
  });

  it('splits big roles into ≤ limit pieces named G-00001-of-0000N and reads them back', () => {
    const files = encodeTrainerState(state, { maxShardBytes: 4096 });
    const gShards = [...files.keys()].filter((f) => f.startsWith('G-')).sort();
    expect(gShards.length).toBeGreaterThan(2);
    expect(gShards[0]).toBe(`G-00001-of-${String(gShards.length).padStart(5, '0')}.safetensors`);
    expect([...files.keys()].some((f) => f.startsWith('optim-00001-of-'))).toBe(true);
    const back = loadTrainerState(files);
    expect(back.G).toEqual(state.G);
    expect(back.optimizer).toEqual(state.optimizer);
    // whole tensors per piece; a tensor larger than the limit gets a piece of its own
    const sd = state.G;
    const pieces = splitIntoShards(sd, 100);
    expect(pieces.flat()).toEqual(sd);
    for (const p of pieces) {
      const bytes = p.reduce((a, e) => a + e.data.byteLength, 0);
      expect(p.length === 1 || bytes <= 100).toBe(true);
    }
    expect(shardFileName('D', 0, 1)).toBe('D.safetensors');
    expect(shardFileName('optim', 11, 12)).toBe('optim-00012-of-00012.safetensors');
  });

  it('refuses damaged checkpoints with an error naming the file', () => {
    const good = encodeTrainerState(state);
    const copy = (): CheckpointFiles => new Map([...good].map(([k, v]) => [k, v.slice()]));

    const flipped = copy();
    (flipped.get('D.safetensors') as Uint8Array)[100] ^= 0xff;
    expect(() => loadTrainerState(flipped, 'ckpt')).toThrow(CheckpointFormatError);
    expect(() => loadTrainerState(flipped, 'ckpt')).toThrow(/ckpt\/D.safetensors: checksum .* corrupted/);

    const truncated = copy();
    truncated.set('G.safetensors', (truncated.get('G.safetensors') as Uint8Array).subarray(0, 50));
    expect(() => loadTrainerState(truncated, 'ckpt')).toThrow(
      /ckpt\/G.safetensors: 50 bytes, the manifest says/,
    );

    const missing = copy();
    missing.delete('optim.safetensors');
    expect(() => loadTrainerState(missing, 'ckpt')).toThrow(
      /optim.safetensors: listed in the manifest but missing/,
    );

    const noManifest = copy();
    noManifest.delete(MANIFEST_FILE);
    expect(() => loadTrainerState(noManifest, 'ckpt')).toThrow(/manifest.json is missing/);

    const foreign = copy();
    foreign.set(MANIFEST_FILE, new TextEncoder().encode(JSON.stringify({ format: 'other' })));
    expect(() => loadTrainerState(foreign, 'ckpt')).toThrow(/not a studio checkpoint/);

    const future = copy();
    const m = JSON.parse(new TextDecoder().decode(future.get(MANIFEST_FILE)));
    future.set(MANIFEST_FILE, new TextEncoder().encode(JSON.stringify({ ...m, formatVersion: 99 })));
    expect(() => loadTrainerState(future, 'ckpt')).toThrow(/newer than this studio reads/);
  });

  it('refuses to resume on a dataset of another size or another network', async () => {
    const other = createInMemoryDataSource(noisePairs(4, 32, 5), { size: 32 });
    expect(() => Trainer.restore(state, other)).toThrow(
      /trained on 3 training cases, the current dataset has 4/,
    );
    other.dispose();
    const t = Trainer.create({ ...RESUME_CFG, ngf: 8 }, data);
    expect(() => t.setState(state)).toThrow(/ngf = 4, this run has 8/);
    t.dispose();
  });
});

describe('atomic checkpoint writes', () => {
  /** Memory storage whose `put` throws on the n-th call from now (1-based). */
  function failingStorage(): KeyValueStorage & {
    failOnPut: number;
    data: Map<string, Uint8Array>;
    resetCount(): void;
  } {
    const inner = createMemoryStorage();
    let puts = 0;
    const s = {
      data: inner.data,
      failOnPut: 0,
      get: inner.get,
      delete: inner.delete,
      list: inner.list,
      async put(key: string, value: Uint8Array) {
        puts++;
        if (s.failOnPut > 0 && puts === s.failOnPut) throw new Error('QuotaExceededError (simulated)');
        await inner.put(key, value);
      },
      resetCount() {
        puts = 0;
      },
    };
    return s;
  }

  function files(tag: number): CheckpointFiles {
    // a small but valid checkpoint: manifest + shards, distinguishable by its step
    return new Map([
      ['G.safetensors', new Uint8Array([tag, 1, 2])],
      ['D.safetensors', new Uint8Array([tag, 3])],
      ['optim.safetensors', new Uint8Array([tag])],
      [MANIFEST_FILE, new TextEncoder().encode(JSON.stringify({ step: tag }))],
    ]);
  }

  it('a write interrupted at any point leaves the previous checkpoint readable and current', async () => {
    for (let failAt = 1; failAt <= 5; failAt++) {
      const storage = failingStorage();
      const v1 = await writeCheckpointAtomically(storage, 'runA/last', files(1));
      storage.resetCount();
      storage.failOnPut = failAt; // 4 file puts, then the pointer put (5)
      await expect(writeCheckpointAtomically(storage, 'runA/last', files(2))).rejects.toThrow(/simulated/);
      const current = new TextDecoder().decode(await storage.get(currentPointerKey('runA/last')));
      expect(current, `failure at put ${failAt}`).toBe(v1);
      const read = await readCheckpointFiles(storage, 'runA/last');
      expect(read).toEqual(files(1));
      // the next successful write cleans up the debris of the failed one and the old version
      storage.failOnPut = 0;
      const v3 = await writeCheckpointAtomically(storage, 'runA/last', files(3));
      expect(await readCheckpointFiles(storage, 'runA/last')).toEqual(files(3));
      const keys = [...storage.data.keys()].sort();
      expect(keys).toEqual(
        [...[...files(3).keys()].map((f) => `runA/last/${v3}/${f}`), 'runA/last/current'].sort(),
      );
    }
  });

  it('works end to end with real trainer checkpoints', async () => {
    const storage = createMemoryStorage();
    const t = Trainer.create(RESUME_CFG, data);
    await steps(t, 1);
    await writeCheckpointAtomically(storage, 'run/last', await saveTrainerState(t));
    await steps(t, 1);
    const second = await saveTrainerState(t, { maxShardBytes: 2048 });
    await writeCheckpointAtomically(storage, 'run/last', second);
    t.dispose();
    const read = await readCheckpointFiles(storage, 'run/last');
    expect(loadTrainerState(read as CheckpointFiles).step).toBe(2);
    expect(await readCheckpointFiles(storage, 'missing')).toBeUndefined();
  });
});
