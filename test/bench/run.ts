/**
 * `npm run bench`: every benchmark in turn (timings only; never part of `npm test`).
 *   - training step times on the Node backends (wasm, cpu)
 *   - import throughput: decode + letterbox (+ audit) of 1520x1236 pairs at 512 px
 *   - phantom generation (100 demo cases) and a contact sheet PNG
 *   - soak: 2,000 demo steps at 64 px on wasm (tensors, heap, stored checkpoints over time), then
 *     the demo in the Train view in Chromium (page heap, GPU memory) when a build is there
 * Numbers depend on the machine and its load; each script prints the load average with its table.
 */
import { spawnSync } from 'node:child_process';

const scripts: [string, string[]][] = [
  ['test/bench/train-step.ts', []],
  ['test/bench/import.ts', []],
  ['test/bench/phantom-preview.ts', ['test-results/phantom-contact-sheet.png']],
  ['test/bench/soak.ts', ['--steps', '2000', '--browser-steps', '300']],
];

let failed = 0;
for (const [file, args] of scripts) {
  console.log(`\n## ${file}\n`);
  const r = spawnSync('npx', ['tsx', file, ...args], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
