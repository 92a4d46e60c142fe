/**
 * The engine's training path reads nothing back synchronously (issue 16 item 5, ARCHITECTURE.md
 * "A training step reads nothing back synchronously"): a whole GAN run through EngineCore on the
 * cpu backend — steps, metric reads at log steps, the recorder's events and history, previews,
 * validation rounds and checkpoints — with every synchronous read of the TF.js engine counted
 * (`tf.engine().readSync`, which `dataSync`, `arraySync` and `bufferSync` all go through, and the
 * three Tensor methods themselves). On WebGPU each such read would stall the device queue.
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../src/core/config';
import type { RgbaImage } from '../../src/core/image';
import { Rng } from '../../src/core/rng';
import { demoValCount, type DemoGenerator, type SourceCase } from '../../src/engine/datasetIds';
import { EngineCore } from '../../src/engine/engineCore';
import type { EngineEvent } from '../../src/engine/protocol';

function image(size: number, rng: Rng): RgbaImage {
  const data = new Uint8ClampedArray(size * size * 4);
  for (let i = 0; i < data.length; i++) data[i] = i % 4 === 3 ? 255 : rng.int(256);
  return { width: size, height: size, data };
}

const toyDemo: DemoGenerator = async (n, seed, size) => {
  const rng = new Rng(seed);
  const val = demoValCount(n);
  const cases: SourceCase[] = Array.from({ length: n }, (_, i) => ({
    id: `toy${i}`,
    split: i < n - val ? 'train' : 'val',
    landmarks: null,
    photo: image(size, rng),
    xray: image(size, rng),
  }));
  return { cases };
};

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('engine training path (cpu backend)', () => {
  it('a run with metrics every step, previews, validation and checkpoints does no synchronous read', async () => {
    const core = new EngineCore({ home: 'node', demo: toyDemo, eventEveryMs: 0, historyEveryMs: 0 });
    const events: EngineEvent[] = [];
    core.onEvent((e) => events.push(e));
    await core.init({ backend: 'cpu', storagePrefix: `syncreads-${globalThis.crypto.randomUUID()}` });
    await core.loadDataset({ kind: 'demo', cases: 6, seed: 3 });

    const engine = tf.engine() as unknown as { readSync: (...a: unknown[]) => unknown };
    const proto = tf.Tensor.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
    const names = ['dataSync', 'arraySync', 'bufferSync'];
    const originals = names.map((n) => proto[n]);
    const engineRead = engine.readSync;
    const seen: string[] = [];
    names.forEach((n, i) => {
      proto[n] = function (this: unknown, ...a: unknown[]) {
        seen.push(`Tensor.${n}: ${new Error().stack?.split('\n').slice(2, 5).join(' | ')}`);
        return originals[i].apply(this, a);
      };
    });
    engine.readSync = function (this: unknown, ...a: unknown[]) {
      seen.push(`engine.readSync: ${new Error().stack?.split('\n').slice(2, 5).join(' | ')}`);
      return engineRead.apply(this, a);
    };
    try {
      const config: Partial<RunConfig> = {
        netG: 'unet_32',
        size: 32,
        ngf: 4,
        ndf: 4,
        n_epochs: 1,
        n_epochs_decay: 0,
        log_every: 1,
        val_every: 4,
        save_every: 3,
        seed: 7,
        lambda_grad: 5,
        flip: true,
      };
      await core.start({ config: config as RunConfig, name: 'syncreads', previewEvery: 2 });
      const t0 = Date.now();
      while (!events.some((e) => e.type === 'run' && e.run.status === 'finished')) {
        if (Date.now() - t0 > 150_000) throw new Error('the run did not finish in 150 s');
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      names.forEach((n, i) => (proto[n] = originals[i]));
      engine.readSync = engineRead;
    }
    // the run really did what the test claims to watch
    const steps = events.flatMap((e) => (e.type === 'metrics' ? e.points.map((p) => p.step) : []));
    expect(steps).toEqual([1, 2, 3, 4, 5]);
    expect(events.filter((e) => e.type === 'preview').length).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === 'validation').length).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === 'checkpoint').length).toBeGreaterThan(0);
    expect(seen).toEqual([]);
    await core.dispose();
  }, 200_000);
});
