/**
 * `npm run bench`: every benchmark in turn (timings only; never part of `npm test`).
 *   - training step times on the Node backends (wasm, cpu)
 *   - import throughput: decode + letterbox (+ audit) of 1520x1236 pairs at 512 px
 *   - phantom generation (100 demo cases) and a contact sheet PNG
 *   - soak: 2,000 demo steps at 64 px on wasm (tensors, heap, stored checkpoints over time), then
 *     the demo in the Train view in Chromium (page heap, GPU memory) when a build is there
 * Numbers depend on the machine and its load; each script prints the load average with its table.
 *
 * `npm run bench -- <name> [options]` runs one benchmark with its options instead: train-step,
 * import, phantom-preview, soak, traceability, bundle, any other test/bench/<name>.ts, or `study` (the real-anatomy benchmark,
 * test/bench/study.ts: soft-tissue profile -> film pairs from the ISBI films, baseline vs P2.5 and
 * the sample-size study; not part of the default list: it trains 7 runs, 15-60 min).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const scripts: [string, string[]][] = [
  ['test/bench/train-step.ts', []],
  ['test/bench/import.ts', []],
  ['test/bench/phantom-preview.ts', ['test-results/phantom-contact-sheet.png']],
  ['test/bench/soak.ts', ['--steps', '2000', '--browser-steps', '300']],
];

/** Benchmarks by name (`npm run bench -- <name> [options]`). */
const named: Record<string, string> = {
  'train-step': 'test/bench/train-step.ts',
  import: 'test/bench/import.ts',
  'phantom-preview': 'test/bench/phantom-preview.ts',
  soak: 'test/bench/soak.ts',
  traceability: 'test/bench/traceability.ts',
  bundle: 'test/bench/bundle.ts',
  study: 'test/bench/study.ts',
};

const [name, ...rest] = process.argv.slice(2);
if (name !== undefined) {
  // a listed name, any test/bench/<name>.ts, or a path to a .ts file
  const file =
    named[name] ??
    (existsSync(`test/bench/${name}.ts`) ? `test/bench/${name}.ts` : name.endsWith('.ts') ? name : undefined);
  if (!file) {
    console.error(
      `unknown benchmark "${name}"; one of: ${Object.keys(named).join(', ')} (or any test/bench/<name>.ts)`,
    );
    process.exit(2);
  }
  const r = spawnSync('npx', ['tsx', file, ...rest], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

let failed = 0;
for (const [file, args] of scripts) {
  console.log(`\n## ${file}\n`);
  const r = spawnSync('npx', ['tsx', file, ...args], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
