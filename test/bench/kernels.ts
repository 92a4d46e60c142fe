/**
 * wasm kernel benchmark (not a test): where a pix2pix training step spends its time on the wasm
 * backend (1 thread, SIMD build, like the CLI and the studio), and how fast each variant of the
 * transposed-conv / conv-gradient forms is per layer shape.
 *
 *   npx tsx test/bench/kernels.ts [--config 128|256] [--steps 4] [--profile] [--ops] [--variants a,b]
 *
 *   --config   128: unet_128 ngf16 ndf16 @128 (default); 256: unet_256 ngf64 ndf64 @256
 * Times are CPU milliseconds of this process (process.cpuUsage), not wall time: the machine is
 * shared and the wasm backend runs on one thread.
 *
 *   --steps    timed full training steps after one warm-up step (median printed)
 *   --profile  also print milliseconds per kernel type over the timed steps (wrapping every
 *              registered wasm kernel with a timer; wasm kernels run synchronously)
 *   --ops      per-op timings of each conv layer shape of the config: forward, input gradient and
 *              filter gradient through TF.js's own kernels and through the studio's forms
 *   --layers   with --ops: only the layers whose name contains one of these (comma list, e.g. "up1,up2")
 *   --fast-only with --ops: skip the slow columns (im2col matmul, TF.js's naive Conv2DBackpropInput)
 *   --variants which layer paths the full steps use, comma list: studio (default), no-parity (3x3
 *              sub-pixel form only), tfjs-convT (TF.js's Conv2DBackpropInput everywhere)
 *
 *   npx tsx test/bench/kernels.ts --backend webgpu [--configs 128,256] [--reps 5] [--batch 1]
 * runs in headless Chromium (WebGPU; SwiftShader, a CPU rasteriser, on these machines) instead:
 * per layer shape, TF.js's Conv2DBackpropFilter vs the studio's tiled one, and TF.js's
 * Conv2DBackpropInput with WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE true vs false (test/bench/kernelsWebgpu.ts).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadavg } from 'node:os';
import { withDefaults, type RunConfig } from '../../src/core/config';
import { generatePhantomDataset } from '../../src/core/data/phantom';
import { createInMemoryDataSource } from '../../src/core/train/data';
import { Trainer } from '../../src/core/train/trainer';
import * as layers from '../../src/core/model/layers';
import { layerList } from './convLayers';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const flag = (name: string): boolean => args.includes(`--${name}`);

const CONFIGS: Record<string, { label: string; cfg: Partial<RunConfig> }> = {
  '128': { label: 'unet_128 ngf16 ndf16 @128', cfg: { netG: 'unet_128', ngf: 16, ndf: 16, size: 128 } },
  '256': { label: 'unet_256 ngf64 ndf64 @256', cfg: { netG: 'unet_256', ngf: 64, ndf: 64, size: 256 } },
};
const which = arg('config', '128');
const steps = Number(arg('steps', '4'));

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[s.length >> 1];
}

// ---------------------------------------------------------------------------------------------
// per-kernel profile
// ---------------------------------------------------------------------------------------------
const kernelMs = new Map<string, { ms: number; calls: number }>();
let profiling = false;

function wrapKernels(backend: string): void {
  for (const k of tf.getKernelsForBackend(backend)) {
    const inner = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, backend);
    tf.registerKernel({
      ...k,
      kernelFunc: (a) => {
        if (!profiling) return inner(a);
        const t0 = cpuMs();
        const r = inner(a);
        const ms = cpuMs() - t0;
        const keys = [k.kernelName];
        if (
          flag('by-shape') &&
          (k.kernelName.startsWith('Conv2D') || k.kernelName === 'Tile' || k.kernelName === 'Concat')
        ) {
          const ins = Object.values(a.inputs).map((t) => `[${(t as tf.TensorInfo).shape.join(',')}]`);
          const at = a.attrs as Record<string, unknown>;
          keys.push(`  ${k.kernelName} ${ins.join(' ')} s${String(at.strides)} d${String(at.dilations)}`);
        }
        for (const key of keys) {
          const e = kernelMs.get(key) ?? { ms: 0, calls: 0 };
          e.ms += ms;
          e.calls++;
          kernelMs.set(key, e);
        }
        return r;
      },
    });
  }
}

async function trainSteps(partial: Partial<RunConfig>, n: number): Promise<number[]> {
  const cfg = withDefaults({ ...partial, log_every: 1000, seed: 1 });
  const ds = generatePhantomDataset({ n: 4, valCount: 1, width: cfg.size, height: cfg.size });
  const pairs = ds.cases.filter((c) => c.split === 'train');
  const data = createInMemoryDataSource(pairs, { size: cfg.size });
  const trainer = Trainer.create(cfg, data, { gradNorms: false });
  trainer.step();
  await trainer.drainMetrics();
  const times: number[] = [];
  profiling = flag('profile');
  for (let i = 0; i < n; i++) {
    const t0 = cpuMs();
    trainer.step();
    await trainer.drainMetrics();
    times.push(cpuMs() - t0);
  }
  profiling = false;
  trainer.dispose();
  data.dispose();
  return times;
}

// ---------------------------------------------------------------------------------------------
// per-op timings
// ---------------------------------------------------------------------------------------------
/**
 * CPU milliseconds of this process (user + system): on a shared, loaded machine the wall clock
 * counts other processes' time slices; the wasm backend runs on this one thread.
 */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function timeOp(fn: () => tf.Tensor | tf.Tensor[], reps: number): number {
  tf.dispose(fn()); // warm-up
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = cpuMs();
    const r = fn();
    t.push(cpuMs() - t0);
    tf.dispose(r);
  }
  return median(t);
}

async function main(): Promise<void> {
  if (arg('backend', 'wasm') === 'webgpu') {
    const { webgpuMain } = await import('./kernelsWebgpu');
    await webgpuMain(args);
    return;
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await tf.setBackend('wasm');
  await tf.ready();
  if (flag('profile')) wrapKernels('wasm');
  const c = CONFIGS[which];
  console.log(`# ${c.label}, wasm 1 thread, batch 1 (load average ${loadavg()[0].toFixed(1)})`);
  const modes = arg('variants', 'studio').split(',');
  for (const mode of steps > 0 ? modes : []) {
    applyMode(mode);
    kernelMs.clear();
    const times = await trainSteps(c.cfg, steps);
    console.log(
      `full step [${mode}]: median ${median(times).toFixed(0)} ms CPU (steps: ${times.map((t) => t.toFixed(0)).join(', ')})`,
    );
    if (flag('profile')) {
      const rows = [...kernelMs.entries()].sort((a, b) => b[1].ms - a[1].ms);
      const total = rows.filter(([n]) => !n.startsWith(' ')).reduce((s, [, v]) => s + v.ms, 0);
      console.log(`| kernel | ms/step | calls/step |`);
      console.log('|---|---|---|');
      for (const [name, v] of rows.slice(0, flag('by-shape') ? 80 : 25)) {
        console.log(`| ${name} | ${(v.ms / steps).toFixed(1)} | ${(v.calls / steps).toFixed(0)} |`);
      }
      console.log(`| (all kernels) | ${(total / steps).toFixed(1)} | |`);
    }
  }
  applyMode('studio');
  if (flag('ops')) opTable();
}

/** Layer paths for the whole-step comparison. */
function applyMode(mode: string): void {
  layers.setXnnPathMinPositions(layers.XNN_PATH_MIN_POSITIONS);
  layers.setConvGradMode('auto');
  layers.setParityThresholds(layers.PARITY_MIN_POSITIONS, layers.PARITY_MIN_CHANNEL_PRODUCT);
  layers.setReleaseXnnCache(true);
  // TF.js's own Conv2DBackpropInput for every transposed conv / conv input gradient
  if (mode === 'tfjs-convT') layers.setXnnPathMinPositions(Infinity);
  // the 3x3 sub-pixel form only (before the four 2x2 parity convs)
  if (mode === 'no-parity') layers.setParityThresholds(Infinity, Infinity);
}

/**
 * Measured and rejected (slower than the dilated conv of layers.ts at every layer of unet_128:
 * wasm's rank-6 Transpose and Slice cost more than the product saves).
 * The same filter gradient as one matrix product on XNNPACK's fully-connected kernel (wasm runs
 * a batch-1, untransposed BatchMatMul there; the dilated conv of `conv2dFilterGrad` has one
 * input channel per pixel, a poor fit for XNNPACK's indirect GEMM):
 *   P[(kh,kw,c), (n,i,j)] = xp[n, i*s+kh, j*s+kw, c]   (im2col, built channel-major)
 *   dW[(kh,kw,c), o]      = P · dy[(n,i,j), o]         -> reshape [kH,kW,C,O], no transpose.
 * P is built from one Transpose and kH*kW plain rank-4 slices concatenated on the outermost axis
 * (a memcpy): for stride 2 the transpose is a space-to-depth, xp [N, 2(Ho+1), 2(Wo+1), C] ->
 * [(r,q), C*N, Ho+1, Wo+1], and tap (kh,kw) = (2a+r, 2b+q) is the slice at (r,q) shifted by (a,b)
 * (wasm's strided slice is several times slower than a plain slice). Strides 1 and 2 only.
 */
function conv2dFilterGradMatMul(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  kH: number,
  kW: number,
  stride: number,
  pad: number,
): tf.Tensor4D {
  if (stride !== 1 && stride !== 2) throw new Error(`conv2dFilterGradMatMul: stride ${stride} (1 or 2 only)`);
  return tf.tidy(() => {
    const [n, ho, wo, o] = dy.shape;
    const [, h, w, c] = x.shape;
    const taps: tf.Tensor4D[] = [];
    if (stride === 1) {
      const xp =
        pad > 0
          ? tf.pad(x, [
              [0, 0],
              [pad, pad],
              [pad, pad],
              [0, 0],
            ])
          : x;
      const xc = tf.transpose(xp, [3, 0, 1, 2]) as tf.Tensor4D; // [C, N, Hp, Wp]
      for (let kh = 0; kh < kH; kh++) {
        for (let kw = 0; kw < kW; kw++) taps.push(tf.slice(xc, [0, 0, kh, kw], [c, n, ho, wo]));
      }
    } else {
      // rows 0 .. 2(Ho+1)-1 of the padded input: pad (or crop) the bottom/right to that size
      const th = 2 * (ho + Math.ceil(kH / 2) - 1);
      const tw = 2 * (wo + Math.ceil(kW / 2) - 1);
      let xp = tf.pad(x, [
        [0, 0],
        [pad, Math.max(0, th - h - pad)],
        [pad, Math.max(0, tw - w - pad)],
        [0, 0],
      ]);
      if (xp.shape[1] !== th || xp.shape[2] !== tw) xp = tf.slice(xp, [0, 0, 0, 0], [n, th, tw, c]);
      const hb = th / 2;
      const wb = tw / 2;
      const s2d = tf.reshape(
        tf.transpose(tf.reshape(xp, [n, hb, 2, wb, 2, c]), [2, 4, 5, 0, 1, 3]), // [r, q, C, N, hb, wb]
        [4, c * n, hb, wb],
      ) as tf.Tensor4D;
      for (let kh = 0; kh < kH; kh++) {
        for (let kw = 0; kw < kW; kw++) {
          const rq = (kh & 1) * 2 + (kw & 1);
          taps.push(tf.slice(s2d, [rq, 0, kh >> 1, kw >> 1], [1, c * n, ho, wo]));
        }
      }
    }
    const p = tf.reshape(tf.concat(taps, 0), [kH * kW * c, n * ho * wo]) as tf.Tensor2D;
    const dW = tf.matMul(p, tf.reshape(dy, [n * ho * wo, o]) as tf.Tensor2D);
    return tf.reshape(dW, [kH, kW, c, o]) as tf.Tensor4D;
  });
}

const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '-');

function opTable(): void {
  const cfg = withDefaults(CONFIGS[which].cfg);
  const reps = Number(arg('reps', '5'));
  console.log(`\n# per layer (batch 1, median of ${reps}), ms`);
  console.log(
    '| layer | x | filter grad: dilated conv | filter grad: im2col matmul | input grad / convT fwd: TF.js | 3x3 sub-pixel conv | four 2x2 parity convs |',
  );
  console.log('|---|---|---|---|---|---|---|');
  const sums = [0, 0, 0, 0, 0];
  const only = arg('layers', '')
    .split(',')
    .filter((v) => v !== '');
  const fastOnly = flag('fast-only');
  for (const l of layerList(cfg).filter((v) => only.length === 0 || only.some((o) => v.name.includes(o)))) {
    const x = tf.randomNormal([1, l.hw, l.hw, l.cin]) as tf.Tensor4D;
    const w = tf.randomNormal(
      l.kind === 'conv' ? [4, 4, l.cin, l.cout] : [4, 4, l.cout, l.cin],
    ) as tf.Tensor4D;
    const pad = 1;
    const y =
      l.kind === 'conv'
        ? tf.conv2d(x, w, l.stride, [
            [0, 0],
            [pad, pad],
            [pad, pad],
            [0, 0],
          ])
        : tf.conv2dTranspose(x, w, [1, l.hw * 2, l.hw * 2, l.cout], 2, [
            [0, 0],
            [1, 1],
            [1, 1],
            [0, 0],
          ]);
    const dy = tf.randomNormal(y.shape) as tf.Tensor4D;
    // filter gradient: for convT the roles of x and dy swap
    const [fx, fdy] = l.kind === 'conv' ? [x, dy] : [dy, x];
    const tDil = timeOp(() => layers.conv2dFilterGrad(fx, fdy, 4, 4, l.stride, pad), reps);
    const tMm = fastOnly ? NaN : timeOp(() => conv2dFilterGradMatMul(fx, fdy, 4, 4, l.stride, pad), reps);
    // input gradient of conv (= a convT of dy) or forward of convT
    const src = l.kind === 'conv' ? dy : x;
    const native = (): tf.Tensor =>
      tf.conv2dTranspose(
        src,
        w,
        l.kind === 'conv' ? x.shape : (y.shape as [number, number, number, number]),
        l.stride,
        [
          [0, 0],
          [pad, pad],
          [pad, pad],
          [0, 0],
        ],
      );
    const tNat = fastOnly ? NaN : timeOp(native, reps);
    const xnn =
      l.stride === 2 && src.shape[1] * 2 === (l.kind === 'conv' ? x.shape[1] : y.shape[1])
        ? () => layers.subPixelConvT(src, w)
        : l.stride === 1
          ? () => layers.stride1ConvInputGrad(src, w, pad)
          : null;
    const tXnn = xnn ? timeOp(xnn, reps) : NaN;
    const tPar =
      l.stride === 2 && src.shape[1] * 2 === (l.kind === 'conv' ? x.shape[1] : y.shape[1])
        ? timeOp(() => layers.parityConvT(src, w), reps)
        : NaN;
    sums[0] += tDil;
    sums[1] += tMm;
    sums[2] += tNat;
    sums[3] += Number.isFinite(tXnn) ? tXnn : tNat;
    sums[4] += Number.isFinite(tPar) ? tPar : Number.isFinite(tXnn) ? tXnn : tNat;
    console.log(
      `| ${l.name} ${l.kind} s${l.stride} | ${l.hw}x${l.hw}x${l.cin} -> ${l.cout} | ${[tDil, tMm, tNat, tXnn, tPar].map(fmt).join(' | ')} |`,
    );
    tf.dispose([x, w, y, dy]);
  }
  console.log(`| all layers once | | ${sums.map((v) => v.toFixed(1)).join(' | ')} |`);
}

await main();
