/**
 * Import throughput benchmark (not a test): decode + preprocess (+ audit features) for
 * 1520×1236 photo/X-ray pairs, the clinic's image size, at 512 px letterbox, in Node on one core.
 * The photo is a JPEG (quality 90), the X-ray an 8-bit grey PNG, as the clinic exports them.
 * Also: preprocessing alone at 256 / 512 / 768 / 1024 and per mode, and decoding of the real
 * 1935×2400 ISBI films when ../shared/fixtures is present.
 *
 *   npx tsx test/bench/import.ts [cases=12]
 *
 * Prints a table; numbers depend on the machine and on its load (take the median of a few runs).
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createImage, type RgbaImage } from '../../src/core/image';
import { auditCase } from '../../src/core/data/audit';
import { DEFAULT_PREPROCESS, preprocessImage, type PreprocessSpec } from '../../src/core/data/preprocess';
import { decodeImageNode, encodeJpegNode, encodePngNode } from '../../src/core/io/decodeNode';
import { Rng } from '../../src/core/rng';

const W = 1520;
const H = 1236;
const cases = Math.max(2, Number(process.argv[2] ?? 12) || 12);

/** A smooth synthetic picture with edges and mild noise (compresses like a real photo / film). */
function synthetic(seed: number, grey: boolean): RgbaImage {
  const rng = new Rng(seed);
  const img = createImage(W, H);
  const cx = W * rng.uniform(0.4, 0.6);
  const cy = H * rng.uniform(0.4, 0.6);
  const rx = W * 0.3;
  const ry = H * 0.35;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const e = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2;
      const base = e < 1 ? 170 - 60 * e : 40 + (30 * x) / W;
      const n = rng.normal(0, 4);
      const o = (y * W + x) * 4;
      const v = base + n;
      img.data[o] = v;
      img.data[o + 1] = grey ? v : v * 0.85 + 20;
      img.data[o + 2] = grey ? v : v * 0.7 + 30;
    }
  return img;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function time<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

const photos: Uint8Array[] = [];
const xrays: Uint8Array[] = [];
for (let i = 0; i < Math.min(cases, 4); i++) {
  photos.push(encodeJpegNode(synthetic(2 * i + 1, false), 90));
  xrays.push(encodePngNode(synthetic(2 * i + 2, true)));
}
const spec: PreprocessSpec = { ...DEFAULT_PREPROCESS, size: 512 };

const t = {
  decodeJpeg: [] as number[],
  decodePng: [] as number[],
  prePhoto: [] as number[],
  preXray: [] as number[],
  audit: [] as number[],
};
// warm-up (JIT), not measured
for (let i = 0; i < 2; i++) {
  const p = decodeImageNode(photos[0], 'p.jpg');
  const x = decodeImageNode(xrays[0], 'x.png');
  if (p.ok) preprocessImage(p.image, spec);
  if (x.ok) preprocessImage(x.image, spec);
}
const wall0 = performance.now();
for (let i = 0; i < cases; i++) {
  const [p, tp] = time(() => decodeImageNode(photos[i % photos.length], 'photo.jpg'));
  const [x, tx] = time(() => decodeImageNode(xrays[i % xrays.length], 'xray.png'));
  if (!p.ok || !x.ok) throw new Error('synthetic image failed to decode');
  t.decodeJpeg.push(tp);
  t.decodePng.push(tx);
  t.prePhoto.push(time(() => preprocessImage(p.image, spec))[1]);
  t.preXray.push(time(() => preprocessImage(x.image, spec))[1]);
  t.audit.push(time(() => auditCase({ id: String(i), photo: p.image, xray: x.image }))[1]);
}
const wall = performance.now() - wall0;

const rows: [string, string, string][] = [];
const ms = (v: number): string => `${v.toFixed(1)} ms`;
const row = (name: string, times: number[], unit: string): void => {
  const m = median(times);
  rows.push([name, ms(m), `${(1000 / m).toFixed(1)} ${unit}`]);
};
row('decode photo JPEG 1520×1236 (q90, jpeg-js)', t.decodeJpeg, 'images/s');
row('decode X-ray PNG 1520×1236 (8-bit grey, fast-png)', t.decodePng, 'images/s');
row('letterbox 512, photo (RGB)', t.prePhoto, 'images/s');
row('letterbox 512, X-ray (grey one-channel path)', t.preXray, 'images/s');
row('audit features, photo + X-ray', t.audit, 'pairs/s');
const perCase = median(t.decodeJpeg) + median(t.decodePng) + median(t.prePhoto) + median(t.preXray);
rows.push([
  'decode + preprocess, per pair (sum of medians)',
  ms(perCase),
  `${(1000 / perCase).toFixed(2)} cases/s`,
]);
rows.push([
  `decode + preprocess + audit, wall clock (${cases} pairs)`,
  ms(wall / cases),
  `${((cases * 1000) / wall).toFixed(2)} cases/s`,
]);

// preprocessing alone per size and mode (one 1520×1236 image)
const one = synthetic(99, false);
for (let i = 0; i < 3; i++) preprocessImage(one, spec);
const roi = { x: 200, y: 100, w: 1100, h: 1000, refWidth: W, refHeight: H };
const variants: [string, PreprocessSpec][] = [
  ...[256, 512, 768, 1024].map((size): [string, PreprocessSpec] => [
    `letterbox ${size}`,
    { ...DEFAULT_PREPROCESS, size },
  ]),
  ['letterbox 512 edge padding', { ...DEFAULT_PREPROCESS, size: 512, pad: 'edge' }],
  ['stretch 512', { ...DEFAULT_PREPROCESS, size: 512, mode: 'stretch' }],
  ['roi 1100×1000 -> 512', { ...DEFAULT_PREPROCESS, size: 512, mode: 'roi', roi }],
];
for (const [name, s] of variants) {
  const runs: number[] = [];
  for (let i = 0; i < 7; i++) runs.push(time(() => preprocessImage(one, s))[1]);
  row(`${name} (one RGB image 1520×1236)`, runs, 'images/s');
}

// real films, if the shared fixtures are there
const film = new URL('../../../shared/fixtures/isbi2015-sample/001.jpg', import.meta.url);
if (existsSync(film)) {
  const bytes = new Uint8Array(readFileSync(film));
  const runs: number[] = [];
  let img: RgbaImage | null = null;
  for (let i = 0; i < 3; i++) {
    const [r, dt] = time(() => decodeImageNode(bytes, '001.jpg'));
    runs.push(dt);
    if (r.ok) img = r.image;
  }
  row('decode ISBI film JPEG 1935×2400', runs, 'images/s');
  if (img) {
    const real = img;
    const pre = [0, 1, 2].map(() => time(() => preprocessImage(real, spec))[1]);
    row('letterbox 512 of an ISBI film 1935×2400 (grey)', pre, 'images/s');
    const au = [0, 1, 2].map(() => time(() => auditCase({ id: 'film', xray: real }))[1]);
    row('audit features of an ISBI film', au, 'images/s');
  }
}

const w0 = Math.max(...rows.map((r) => r[0].length));
const w1 = Math.max(...rows.map((r) => r[1].length));
console.log(
  `Import benchmark — Node ${process.version}, ${cases} pairs of 1520×1236 -> 512 px letterbox, medians; ` +
    `1-min load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores\n`,
);
console.log(`| ${'step'.padEnd(w0)} | ${'time'.padStart(w1)} | throughput |`);
console.log(`|${'-'.repeat(w0 + 2)}|${'-'.repeat(w1 + 2)}|------------|`);
for (const [a, b, c] of rows) console.log(`| ${a.padEnd(w0)} | ${b.padStart(w1)} | ${c} |`);
