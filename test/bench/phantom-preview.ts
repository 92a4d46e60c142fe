/**
 * Contact sheet and timing of the demo phantom.
 *
 *   npx tsx test/bench/phantom-preview.ts [outfile.png] [--size WxH] [--cases N] [--seed S] [--first I] [--no-dataset]
 *
 * Writes a PNG with N cases (default 8) as pairs "photo | X-ray with the 19 landmarks dotted",
 * two pairs per row, and prints how long the generator takes: the contact-sheet cases and (unless
 * --no-dataset) a full default dataset (100 cases at 256x320 px), wall and CPU time.
 */
import { writeFileSync } from 'node:fs';
import { encode } from 'fast-png';
import {
  generatePhantomCase,
  generatePhantomDataset,
  PHANTOM_DEFAULTS,
  type PhantomCase,
} from '../../src/core/data/phantom';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const out =
  process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : '/tmp/phantom-contact-sheet.png';
const [w, h] = arg('--size', '256x320').split('x').map(Number);
const count = Number(arg('--cases', '8'));
const seed = Number(arg('--seed', String(PHANTOM_DEFAULTS.seed)));
const first = Number(arg('--first', '0'));

// landmark colours: cranial base red, maxilla orange, mandible yellow/green, teeth cyan, soft tissue magenta
const COLORS: [number, number, number][] = [
  [255, 40, 40], // S
  [255, 40, 40], // N
  [255, 40, 40], // Or
  [255, 40, 40], // Po
  [255, 150, 0], // A
  [220, 220, 0], // B
  [220, 220, 0], // Pog
  [220, 220, 0], // Me
  [220, 220, 0], // Gn
  [220, 220, 0], // Go
  [0, 220, 255], // L1
  [0, 220, 255], // U1
  [255, 0, 255], // Ls
  [255, 0, 255], // Li
  [255, 0, 255], // Sn
  [255, 0, 255], // PogS
  [255, 150, 0], // PNS
  [255, 150, 0], // ANS
  [255, 40, 40], // Ar
];

const t0 = performance.now();
const cases: PhantomCase[] = [];
for (let i = 0; i < count; i++) cases.push(generatePhantomCase(seed, first + i, { width: w, height: h }));
const tSheet = performance.now() - t0;

const gap = 4;
const perRow = 2;
const rows = Math.ceil(count / perRow);
const cellW = 2 * w + gap;
const W = perRow * cellW + (perRow - 1) * gap * 3;
const H = rows * h + (rows - 1) * gap;
const sheet = new Uint8Array(W * H * 4).fill(255);
const blit = (
  img: { width: number; height: number; data: Uint8ClampedArray },
  ox: number,
  oy: number,
): void => {
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const s = (y * img.width + x) * 4;
      const d = ((oy + y) * W + ox + x) * 4;
      sheet[d] = img.data[s];
      sheet[d + 1] = img.data[s + 1];
      sheet[d + 2] = img.data[s + 2];
      sheet[d + 3] = 255;
    }
  }
};
const dot = (cx: number, cy: number, c: [number, number, number], ox: number, oy: number): void => {
  const r = Math.max(1, Math.round(w / 160));
  for (let dy = -r; dy <= r; dy++) {
    for (let dx = -r; dx <= r; dx++) {
      if (dx * dx + dy * dy > r * r + 1) continue;
      const x = Math.floor(cx) + dx;
      const y = Math.floor(cy) + dy;
      if (x < 0 || y < 0 || x >= w || y >= h) continue;
      const d = ((oy + y) * W + ox + x) * 4;
      sheet[d] = c[0];
      sheet[d + 1] = c[1];
      sheet[d + 2] = c[2];
    }
  }
};
cases.forEach((c, k) => {
  const ox = (k % perRow) * (cellW + gap * 3);
  const oy = Math.floor(k / perRow) * (h + gap);
  blit(c.photo, ox, oy);
  blit(c.xray, ox + w + gap, oy);
  c.landmarks.forEach(([x, y], i) => dot(x, y, COLORS[i], ox + w + gap, oy));
});
writeFileSync(out, encode({ width: W, height: H, data: sheet, channels: 4 }));

const flags = cases
  .map((c, k) => {
    const f = Object.entries(c.flags)
      .filter(([, v]) => v)
      .map(([n]) => n);
    return f.length ? `#${first + k}: ${f.join('+')}` : '';
  })
  .filter(Boolean);
console.log(`contact sheet: ${out} (${count} cases at ${w}x${h} px, ${cases[0].mmPerPx.toFixed(3)} mm/px)`);
console.log(`  generated in ${tSheet.toFixed(0)} ms (${(tSheet / count).toFixed(1)} ms per case)`);
if (flags.length) console.log(`  artefacts: ${flags.join(', ')}`);

if (process.argv.includes('--no-dataset')) process.exit(0);
const t1 = performance.now();
const c1 = process.cpuUsage();
const ds = generatePhantomDataset();
const cpu = process.cpuUsage(c1);
const tDs = performance.now() - t1;
const nVal = ds.cases.filter((c) => c.split === 'val').length;
console.log(
  `default dataset: ${ds.cases.length} cases at ${ds.width}x${ds.height} px (${ds.cases.length - nVal} train / ${nVal} val) in ${(tDs / 1000).toFixed(2)} s wall (${(tDs / ds.cases.length).toFixed(1)} ms per case), ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU`,
);
