/**
 * Learning, not timing (issue 3 acceptance): on the demo phantom at 64 px (unet_64, ngf 8, ndf 8,
 * the demo preset's networks, server defaults otherwise: Adam 2e-4 / 0.5, lambda_L1 100, vanilla
 * GAN, batch 1), 300 steps on the wasm backend lower the validation L1 on a fixed set of val cases
 * by at least 40 % from step 0 and move the predictions' mean Sobel gradient toward the target's.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PRESETS, withDefaults } from '../../src/core/config';
import { generatePhantomDataset } from '../../src/core/data/phantom';
import { diagnose } from '../../src/core/eval/diagnostics';
import { createInMemoryDataSource, imageToTensor, type ImagePair } from '../../src/core/train/data';
import { Trainer } from '../../src/core/train/trainer';

const STEPS = 300;
const VAL_CASES = 8;

let prev = '';
beforeAll(async () => {
  prev = tf.getBackend();
  await tf.setBackend('wasm');
});
afterAll(async () => {
  if (prev) await tf.setBackend(prev);
});

it('300 steps at 64 px cut val L1 by >= 40 % and move the Sobel gradient toward the target', async () => {
  const demo = PRESETS.find((p) => p.id === 'demo')?.config ?? {};
  const cfg = withDefaults({
    ...demo,
    netG: 'unet_64',
    size: 64,
    ngf: 8,
    ndf: 8,
    jitter: false,
    flip: false,
    seed: 3,
  });
  const ds = generatePhantomDataset({ n: 100, seed: 2026, width: 64, height: 64, valCount: 20 });
  const pair = (c: (typeof ds.cases)[number]): ImagePair => ({ id: c.id, photo: c.photo, xray: c.xray });
  const train = ds.cases.filter((c) => c.split === 'train').map(pair);
  const val = ds.cases
    .filter((c) => c.split === 'val')
    .map(pair)
    .slice(0, VAL_CASES);
  expect(train.length).toBe(80);
  expect(val.length).toBe(VAL_CASES);
  const data = createInMemoryDataSource(train, { size: 64 });
  const trainer = Trainer.create(cfg, data, { logEvery: 100, gradNorms: false });
  const targets = tf.concat(val.map((c) => imageToTensor(c.xray, 3))) as tf.Tensor4D;
  try {
    // server default test mode (train-mode BatchNorm, dropout on, seeded)
    const before = await trainer.evaluate(val, { evalMode: false, keepPredictions: true });
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < STEPS; i++) {
      const info = trainer.step();
      if (info.logged) {
        const m = await trainer.readMetrics();
        expect(m.finite).toBe(true);
      }
    }
    const trainMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const after = await trainer.evaluate(val, { evalMode: false, keepPredictions: true });
    const d0 = await diagnose(before.predictions as tf.Tensor4D, targets);
    const d1 = await diagnose(after.predictions as tf.Tensor4D, targets);
    tf.dispose([before.predictions as tf.Tensor, after.predictions as tf.Tensor]);
    const l1Before = before.aggregate.mean_l1;
    const l1After = after.aggregate.mean_l1;
    const gT = d0.target.gradMean_255;
    console.log(
      `learning: val mean_l1 ${l1Before.toFixed(4)} -> ${l1After.toFixed(4)} ` +
        `(-${(100 * (1 - l1After / l1Before)).toFixed(1)} %), mean Sobel gradient (0-255) ` +
        `${d0.pred.gradMean_255.toFixed(2)} -> ${d1.pred.gradMean_255.toFixed(2)}, target ${gT.toFixed(2)}; ` +
        `${STEPS} steps in ${(trainMs / 1000).toFixed(1)} s wall, ${(cpuMs / 1000).toFixed(1)} s CPU ` +
        `(${(cpuMs / STEPS).toFixed(1)} ms CPU/step, wasm)`,
    );
    expect(l1After).toBeLessThanOrEqual(0.6 * l1Before);
    expect(Math.abs(d1.pred.gradMean_255 - gT)).toBeLessThan(Math.abs(d0.pred.gradMean_255 - gT));
  } finally {
    targets.dispose();
    trainer.dispose();
    data.dispose();
  }
});
