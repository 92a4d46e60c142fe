/**
 * wasm memory benchmark (not a test): per training step, the tensors alive, the bytes they hold,
 * the peak bytes of live tensors during the step, the WebAssembly heap size (it only grows) and the
 * process's resident size. Shows whether memory grows per step (a leak), or how far the heap
 * stands above the live tensors (allocator fragmentation, XNNPACK operator caches).
 *
 *   npx tsx test/bench/memory.ts [--config 128|256|512] [--steps 6] [--batch 1] [--log-every 1000]
 *                                [--grad-norms] [--finish] [--keep-xnn-cache]
 *
 * `--keep-xnn-cache` convolves with the layer weights themselves (TF.js's behaviour: XNNPACK
 * keeps each weight's operator until Adam replaces the weight) for the before/after comparison.
 *
 * `--finish` then does what the CLI does at the end of a run: one validation pass
 * (Trainer.evaluate on the validation cases) and the checkpoint serialization (saveTrainerState:
 * every weight and Adam moment read into JavaScript and written as safetensors bytes), printing the
 * heap and resident size after each (those copies live in the JavaScript heap, not in wasm's).
 *
 * `--grad-norms` and `--log-every` as the CLI trains (it keeps gradient norms at log steps).
 *
 * wasm backend, 1 thread (SIMD build), like the CLI. Prints one Markdown row per step.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { withDefaults, type RunConfig } from '../../src/core/config';
import { generatePhantomDataset } from '../../src/core/data/phantom';
import { createInMemoryDataSource } from '../../src/core/train/data';
import { Trainer } from '../../src/core/train/trainer';
import { saveTrainerState } from '../../src/core/train/checkpoint';
import { setReleaseXnnCache } from '../../src/core/model/layers';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};

const CONFIGS: Record<string, Partial<RunConfig>> = {
  '128': { netG: 'unet_128', ngf: 16, ndf: 16, size: 128 },
  '256': { netG: 'unet_256', ngf: 64, ndf: 64, size: 256 },
  '512': { netG: 'unet_256', ngf: 64, ndf: 64, size: 512 },
};
const which = arg('config', '128');
const steps = Number(arg('steps', '6'));
const batch = Number(arg('batch', '1'));
const logEvery = Number(arg('log-every', '1000'));
const gradNorms = args.includes('--grad-norms');

const MiB = 1024 ** 2;

interface WasmModule {
  HEAPU8: Uint8Array;
}

function heapBytes(): number {
  return (tf.backend() as unknown as { wasm: WasmModule }).wasm.HEAPU8.buffer.byteLength;
}

/** Peak of tf.memory().numBytes observed after each kernel (every kernel wrapped once). */
let peakLive = 0;
let kernelIndex = 0;
let peakAt = '';
function trackPeak(backend: string): void {
  for (const k of tf.getKernelsForBackend(backend)) {
    const inner = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, backend);
    tf.registerKernel({
      ...k,
      kernelFunc: (a) => {
        const r = inner(a);
        const live = tf.memory().numBytes;
        kernelIndex++;
        if (live > peakLive) {
          peakLive = live;
          peakAt = `${k.kernelName} #${kernelIndex}`;
        }
        return r;
      },
    });
  }
}

async function main(): Promise<void> {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await tf.setBackend('wasm');
  await tf.ready();
  trackPeak('wasm');
  setReleaseXnnCache(!args.includes('--keep-xnn-cache'));
  const cfg = withDefaults({ ...CONFIGS[which], batch_size: batch, log_every: logEvery, seed: 1 });
  const ds = generatePhantomDataset({ n: batch + 2, valCount: 1, width: cfg.size, height: cfg.size });
  const pairs = ds.cases.filter((c) => c.split === 'train');
  const data = createInMemoryDataSource(pairs, { size: cfg.size });
  const trainer = Trainer.create(cfg, data, { gradNorms });
  const m0 = tf.memory();
  console.log(
    `# ${cfg.netG} ngf${cfg.ngf} ndf${cfg.ndf} @${cfg.size} batch ${batch}, wasm 1 thread, ` +
      `log_every ${logEvery}, gradient norms ${gradNorms ? 'on' : 'off'}, XNNPACK weight cache ` +
      `${args.includes('--keep-xnn-cache') ? 'kept (TF.js)' : 'released per call (studio)'}; ` +
      `after model creation: ${m0.numTensors} tensors, ${(m0.numBytes / MiB).toFixed(0)} MiB, ` +
      `heap ${(heapBytes() / MiB).toFixed(0)} MiB`,
  );
  console.log(
    '| step | ms | tensors | live MiB | peak live MiB (in step) | peak at kernel (of all in the step) | wasm heap MiB | rss MiB |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (let s = 1; s <= steps; s++) {
    peakLive = 0;
    kernelIndex = 0;
    const t0 = performance.now();
    trainer.step();
    await trainer.drainMetrics();
    const ms = performance.now() - t0;
    const m = tf.memory();
    console.log(
      `| ${s} | ${ms.toFixed(0)} | ${m.numTensors} | ${(m.numBytes / MiB).toFixed(0)} | ` +
        `${(peakLive / MiB).toFixed(0)} | ${peakAt} (${kernelIndex}) | ${(heapBytes() / MiB).toFixed(0)} | ` +
        `${(process.memoryUsage().rss / MiB).toFixed(0)} |`,
    );
  }
  if (args.includes('--finish')) {
    const val = ds.cases.filter((c) => c.split === 'val');
    const report = (what: string): void =>
      console.log(
        `after ${what}: ${tf.memory().numTensors} tensors, wasm heap ${(heapBytes() / MiB).toFixed(0)} MiB, ` +
          `rss ${(process.memoryUsage().rss / MiB).toFixed(0)} MiB, JS heap ` +
          `${((process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers) / MiB).toFixed(0)} MiB`,
      );
    await trainer.evaluate(val);
    report(`validation (${val.length} case)`);
    const files = await saveTrainerState(trainer);
    let bytes = 0;
    for (const b of files.values()) bytes += b.length;
    report(`checkpoint serialization (${(bytes / MiB).toFixed(0)} MiB of files)`);
  }
  trainer.dispose();
  data.dispose();
}

await main();
