/**
 * wasm benchmark (not a test): whole training steps (the benchmark's losses: GAN + L1 + gradient)
 * under several variants in ONE process, alternating step by step, with the process CPU ms per step
 * and per kernel (and per input shape for the kernels named in --kernels):
 *   npx tsx test/bench/stepVariants.ts [--config 128|256] [--steps 6] [--rows 40]
 *     [--variants tfjs,studio,studio-old-parity] [--kernels SplitV,Concat,Transpose,...]
 * Variants: 'studio' registers the studio's wasm copy kernels (engine/kernels/wasmCopies.ts), 'tfjs'
 * uses TF.js's own; '-old-parity' sets the parity-convT thresholds used before (256 positions,
 * 8192 channel pairs).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadavg } from 'node:os';
import { benchConfig, type BenchConfigId } from '../../src/engine/benchmark';
import { benchRunConfig } from '../../src/engine/deviceQueries';
import { generatePhantomDataset } from '../../src/core/data/phantom';
import { createInMemoryDataSource } from '../../src/core/train/data';
import { Trainer } from '../../src/core/train/trainer';
import { removeWasmKernels, setupWasmKernels } from '../../src/engine/kernels/wasmCopies';
import * as layers from '../../src/core/model/layers';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const CONFIG_IDS: Record<string, BenchConfigId> = {
  '128': 'unet_128-ngf16-128',
  '256': 'unet_256-ngf64-256',
};
const detail = arg('kernels', 'SplitV,Concat,Transpose,GatherV2,Slice,Tile,Pad').split(',');
const steps = Number(arg('steps', '3'));
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const stat = new Map<string, { ms: number; calls: number }>();
let on = false;
const wrapped = new WeakSet<object>();
function wrap(): void {
  for (const k of tf.getKernelsForBackend('wasm')) {
    if (wrapped.has(k.kernelFunc)) continue;
    const inner = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, 'wasm');
    const kernelFunc: tf.KernelFunc = (a) => {
      if (!on) return inner(a);
      const t0 = cpuMs();
      const r = inner(a);
      const ms = cpuMs() - t0;
      const keys = [k.kernelName];
      if (detail.includes(k.kernelName)) {
        const ins = Object.values(a.inputs).map((t) => `[${(t as tf.TensorInfo).shape.join(',')}]`);
        keys.push(`  ${k.kernelName} ${ins.join(' ')} ${JSON.stringify(a.attrs)}`.slice(0, 160));
      }
      for (const key of keys) {
        const e = stat.get(key) ?? { ms: 0, calls: 0 };
        e.ms += ms;
        e.calls++;
        stat.set(key, e);
      }
      return r;
    };
    wrapped.add(kernelFunc);
    tf.registerKernel({ ...k, kernelFunc });
  }
}
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
await tf.setBackend('wasm');
await tf.ready();
const cfg = benchRunConfig(benchConfig(CONFIG_IDS[arg('config', '128')])); // the benchmark's own run config
const ds = generatePhantomDataset({ n: 4, valCount: 1, width: cfg.size, height: cfg.size });
const data = createInMemoryDataSource(
  ds.cases.filter((c) => c.split === 'train'),
  { size: cfg.size },
);
const trainer = Trainer.create(cfg, data, { gradNorms: false });
trainer.step();
await trainer.drainMetrics();
const variants = arg('variants', 'studio').split(',');
const apply = (v: string): void => {
  removeWasmKernels();
  if (v.includes('studio')) setupWasmKernels();
  // 'old-parity': the parity thresholds before this session (256 positions, 8192 channel pairs)
  if (v.includes('old-parity')) layers.setParityThresholds(256, 8192);
  else layers.setParityThresholds(layers.PARITY_MIN_POSITIONS, layers.PARITY_MIN_CHANNEL_PRODUCT);
};
const stats = new Map<string, Map<string, { ms: number; calls: number }>>();
const times = new Map<string, number[]>();
for (let i = 0; i < steps; i++) {
  const order = i % 2 === 0 ? variants : [...variants].reverse();
  for (const v of order) {
    apply(v);
    wrap();
    stat.clear();
    on = true;
    const t0 = cpuMs();
    trainer.step();
    await trainer.drainMetrics();
    const t = cpuMs() - t0;
    on = false;
    times.set(v, [...(times.get(v) ?? []), t]);
    const acc = stats.get(v) ?? new Map<string, { ms: number; calls: number }>();
    for (const [k, e] of stat) {
      const a = acc.get(k) ?? { ms: 0, calls: 0 };
      a.ms += e.ms;
      a.calls += e.calls;
      acc.set(k, a);
    }
    stats.set(v, acc);
  }
}
const med = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1];
for (const v of variants) {
  const t = times.get(v) ?? [];
  console.log(
    `\n[${v}] load ${loadavg()[0].toFixed(1)}; median ${med(t).toFixed(0)} ms CPU; steps: ${t.map((x) => x.toFixed(0)).join(', ')}`,
  );
  const rows = [...(stats.get(v) ?? new Map()).entries()].sort((a, b) => b[1].ms - a[1].ms);
  for (const [name, e] of rows.slice(0, Number(arg('rows', '40')))) {
    if (e.ms / steps < 0.3 && name.startsWith(' ')) continue;
    console.log(
      `${(e.ms / steps).toFixed(1).padStart(7)} ms ${(e.calls / steps).toFixed(0).padStart(5)}x  ${name}`,
    );
  }
}
trainer.dispose();
data.dispose();
