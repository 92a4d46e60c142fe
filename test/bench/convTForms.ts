/**
 * wasm benchmark (not a test) of the transposed-conv forms of core/model/layers.ts, with the studio's
 * copy kernels (engine/kernels/wasmCopies.ts), process CPU ms (the wasm backend runs on one thread):
 *   npx tsx test/bench/convTForms.ts [reps]            the weight rebuilds before (selection / flip
 *                                                      matmuls) and now (tap gathers), per shape
 *   npx tsx test/bench/convTForms.ts [reps] --forms [--eight]   subPixel vs parity vs TF.js per shape
 *   npx tsx test/bench/convTForms.ts [reps] --layers 128|256    subPixel vs parity at every stride-2
 *        transposed conv / conv input gradient of unet_128 ngf16 @128 or unet_256 ngf64 @256
 *        (alternating, fastest run of each: the PARITY_MIN_* thresholds)
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadavg } from 'node:os';
import { setupWasmKernels } from '../../src/engine/kernels/wasmCopies';
import * as layers from '../../src/core/model/layers';

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
await tf.setBackend('wasm');
await tf.ready();
setupWasmKernels();
const pad1 = (p: number): [[number, number], [number, number], [number, number], [number, number]] => [
  [0, 0],
  [p, p],
  [p, p],
  [0, 0],
];
const SEL = (() => {
  const tap = [
    [3, 1, -1],
    [-1, 2, 0],
  ];
  const m = new Float32Array(36 * 16);
  for (let a = 0; a < 3; a++)
    for (let b = 0; b < 3; b++)
      for (let r = 0; r < 2; r++)
        for (let c = 0; c < 2; c++) {
          const kh = tap[r][a];
          const kw = tap[c][b];
          if (kh >= 0 && kw >= 0) m[(((a * 3 + b) * 2 + r) * 2 + c) * 16 + kh * 4 + kw] = 1;
        }
  return m;
})();
const FLIP = (() => {
  const m = new Float32Array(256);
  for (let kh = 0; kh < 4; kh++)
    for (let kw = 0; kw < 4; kw++) m[(kh * 4 + kw) * 16 + (3 - kh) * 4 + (3 - kw)] = 1;
  return m;
})();
function oldSubPixel(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, wd, inC] = x.shape;
    const outC = w.shape[2];
    const wt = tf.reshape(tf.transpose(w, [0, 1, 3, 2]), [16, inC * outC]);
    const picked = tf.matMul(tf.tensor2d(SEL, [36, 16]), wt);
    const sub = tf.reshape(tf.transpose(tf.reshape(picked, [9, 4, inC, outC]), [0, 2, 1, 3]), [
      3,
      3,
      inC,
      4 * outC,
    ]);
    const y = tf.conv2d(tf.pad(x, pad1(1)), sub as tf.Tensor4D, 1, 'valid');
    const rows = tf.transpose(tf.reshape(y, [n * h, wd, 2, 2 * outC]), [0, 2, 1, 3]);
    return tf.reshape(rows, [n, 2 * h, 2 * wd, outC]) as tf.Tensor4D;
  });
}
function oldStride1(dy: tf.Tensor4D, w: tf.Tensor4D, pad: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [, , inC, outC] = w.shape;
    const wt = tf.reshape(tf.transpose(w, [0, 1, 3, 2]), [16, outC * inC]);
    const flipped = tf.reshape(tf.matMul(tf.tensor2d(FLIP, [16, 16]), wt), [4, 4, outC, inC]) as tf.Tensor4D;
    return tf.conv2d(tf.pad(dy, pad1(3 - pad)), flipped, 1, 'valid');
  });
}
const reps = Number(process.argv[2] ?? '5');
function time(fn: () => tf.Tensor): number {
  tf.dispose(fn());
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = cpuMs();
    tf.dispose(fn());
    t.push(cpuMs() - t0);
  }
  return t.sort((a, b) => a - b)[reps >> 1];
}
console.log(`load ${loadavg()[0].toFixed(1)}`);
const only = process.argv.includes('--forms') || process.argv.includes('--layers');
for (const [hw, inC, outC] of [
  [8, 1024, 512],
  [4, 1024, 512],
  [2, 1024, 512],
  [8, 256, 128],
].filter(() => !only)) {
  const x = tf.randomNormal([1, hw, hw, inC]) as tf.Tensor4D;
  const w = tf.randomNormal([4, 4, outC, inC]) as tf.Tensor4D;
  const a = time(() => oldSubPixel(x, w));
  const b = time(() => layers.subPixelConvT(x, w));
  const a2 = time(() => oldSubPixel(x, w));
  const b2 = time(() => layers.subPixelConvT(x, w));
  console.log(
    `subPixel ${hw}x${hw}x${inC}->${outC}: old ${a.toFixed(1)} / ${a2.toFixed(1)}, new ${b.toFixed(1)} / ${b2.toFixed(1)} ms`,
  );
  tf.dispose([x, w]);
}
for (const [hw, inC, outC] of [
  [31, 256, 512],
  [30, 512, 1],
].filter(() => !only)) {
  const dy = tf.randomNormal([1, hw, hw, outC]) as tf.Tensor4D;
  const w = tf.randomNormal([4, 4, inC, outC]) as tf.Tensor4D;
  const a = time(() => oldStride1(dy, w, 1));
  const b = time(() => layers.stride1ConvInputGrad(dy, w, 1));
  const a2 = time(() => oldStride1(dy, w, 1));
  const b2 = time(() => layers.stride1ConvInputGrad(dy, w, 1));
  console.log(
    `stride1 ${hw}x${hw}x${outC}->${inC}: old ${a.toFixed(1)} / ${a2.toFixed(1)}, new ${b.toFixed(1)} / ${b2.toFixed(1)} ms`,
  );
  tf.dispose([dy, w]);
}
console.log('--- convT forms (forward of convT / input grad of conv), wasm');
for (const [hw, inC, outC] of (process.argv.includes('--layers')
  ? []
  : [
      ...(process.argv.includes('--eight')
        ? [
            [8, 1024, 512],
            [8, 512, 512],
            [8, 256, 128],
            [8, 256, 64],
            [8, 128, 64],
            [8, 128, 128],
            [8, 64, 64],
            [8, 64, 32],
            [8, 32, 16],
          ]
        : [
            [8, 1024, 512],
            [4, 1024, 512],
            [2, 1024, 512],
            [1, 512, 512],
            [8, 256, 128],
            [16, 128, 64],
          ]),
    ]) as number[][]) {
  const x = tf.randomNormal([1, hw, hw, inC]) as tf.Tensor4D;
  const w = tf.randomNormal([4, 4, outC, inC]) as tf.Tensor4D;
  const sp = time(() => layers.subPixelConvT(x, w));
  const par = time(() => layers.parityConvT(x, w));
  const nat = time(() => tf.conv2dTranspose(x, w, [1, 2 * hw, 2 * hw, outC], 2, pad1(1)));
  const sp2 = time(() => layers.subPixelConvT(x, w));
  const par2 = time(() => layers.parityConvT(x, w));
  console.log(
    `${hw}x${hw}x${inC}->${outC} (product ${inC * outC}): subPixel ${sp.toFixed(2)} / ${sp2.toFixed(2)}, parity ${par.toFixed(2)} / ${par2.toFixed(2)}, TF.js ${nat.toFixed(2)} ms`,
  );
  tf.dispose([x, w]);
}
// --layers 128|256: subPixel vs parity at every stride-2 transposed conv / input gradient of the config
const li = process.argv.indexOf('--layers');
if (li > 0) {
  const { layerList } = await import('./convLayers');
  const { withDefaults } = await import('../../src/core/config');
  const cfgs: Record<string, object> = {
    '128': { netG: 'unet_128', ngf: 16, ndf: 16, size: 128 },
    '256': { netG: 'unet_256', ngf: 64, ndf: 64, size: 256 },
  };
  const cfg = withDefaults(cfgs[process.argv[li + 1]]);
  let sumSp = 0;
  let sumPar = 0;
  let sumBest = 0;
  for (const l of layerList(cfg)) {
    if (l.stride !== 2) continue;
    // convT forward: x [hw, cin] -> cout; conv input grad: dy [hw/2, cout] -> cin (filter read as convT [4,4,cin,cout])
    const [hw, inC, outC] = l.kind === 'convT' ? [l.hw, l.cin, l.cout] : [l.hw / 2, l.cout, l.cin];
    if (hw * hw < 64) continue;
    const x = tf.randomNormal([1, hw, hw, inC]) as tf.Tensor4D;
    const w = tf.randomNormal([4, 4, outC, inC]) as tf.Tensor4D;
    // alternate the two forms, keep each one's fastest run (the least disturbed by other processes)
    let sp = Infinity;
    let par = Infinity;
    tf.dispose([layers.subPixelConvT(x, w), layers.parityConvT(x, w)]);
    for (let r = 0; r < reps; r++) {
      let t0 = cpuMs();
      tf.dispose(layers.subPixelConvT(x, w));
      sp = Math.min(sp, cpuMs() - t0);
      t0 = cpuMs();
      tf.dispose(layers.parityConvT(x, w));
      par = Math.min(par, cpuMs() - t0);
    }
    const chosen =
      hw * hw >= layers.PARITY_MIN_POSITIONS && inC * outC >= layers.PARITY_MIN_CHANNEL_PRODUCT
        ? 'parity'
        : 'subPixel';
    sumSp += sp;
    sumPar += par;
    sumBest += Math.min(sp, par);
    console.log(
      `${l.name} ${l.kind}: ${hw}x${hw}x${inC}->${outC} (product ${inC * outC}): subPixel ${sp.toFixed(2)}, parity ${par.toFixed(2)} ms; now ${chosen}`,
    );
    tf.dispose([x, w]);
  }
  console.log(
    `sum: subPixel ${sumSp.toFixed(1)}, parity ${sumPar.toFixed(1)}, best ${sumBest.toFixed(1)} ms`,
  );
}
