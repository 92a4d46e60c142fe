/**
 * Training-step benchmark (not a test): median ms per full pix2pix step (G forward, D update,
 * G update; batch 1) for a few configurations on the Node backends (wasm, cpu), on phantom data.
 *
 *   npx tsx test/bench/train-step.ts [--steps 8] [--backends wasm,cpu]
 *
 * WebGPU is measured in the browser (the Train view shows it/s); see the README's table.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadavg } from 'node:os';
import { withDefaults, type RunConfig } from '../../src/core/config';
import { generatePhantomDataset } from '../../src/core/data/phantom';
import { createInMemoryDataSource } from '../../src/core/train/data';
import { Trainer } from '../../src/core/train/trainer';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const steps = Number(arg('steps', '8'));
const backends = arg('backends', 'wasm,cpu').split(',');

const CONFIGS: { label: string; cfg: Partial<RunConfig>; backends: string[] }[] = [
  {
    label: 'demo: unet_64 ngf8 @64',
    cfg: { netG: 'unet_64', ngf: 8, ndf: 8, size: 64 },
    backends: ['wasm', 'cpu'],
  },
  {
    label: 'unet_128 ngf16 @128',
    cfg: { netG: 'unet_128', ngf: 16, ndf: 16, size: 128 },
    backends: ['wasm'],
  },
];

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[s.length >> 1];
}

async function bench(partial: Partial<RunConfig>, backend: string): Promise<number> {
  await tf.setBackend(backend);
  await tf.ready();
  const cfg = withDefaults({ ...partial, log_every: 1, seed: 1 });
  const ds = generatePhantomDataset({ n: 4, valCount: 1, width: cfg.size, height: cfg.size });
  const pairs = ds.cases.filter((c) => c.split === 'train');
  const data = createInMemoryDataSource(pairs, { size: cfg.size });
  const trainer = Trainer.create(cfg, data, { gradNorms: false });
  // warm up (kernel compilation, allocator)
  trainer.step();
  await trainer.drainMetrics();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    trainer.step();
    // wasm and cpu execute eagerly: the step's work is done when step() returns; reading the
    // logged losses also waits for it on any backend
    await trainer.drainMetrics();
    times.push(performance.now() - t0);
  }
  trainer.dispose();
  data.dispose();
  return median(times);
}

console.log(`# training step, batch 1 (median of ${steps}; load average ${loadavg()[0].toFixed(1)})`);
console.log('| config | backend | ms/step |');
console.log('|---|---|---|');
for (const c of CONFIGS) {
  for (const b of c.backends.filter((x) => backends.includes(x))) {
    const ms = await bench(c.cfg, b);
    console.log(`| ${c.label} | ${b} | ${ms.toFixed(0)} |`);
  }
}
