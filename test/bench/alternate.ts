/**
 * Studio vs PyTorch CPU, measured in ALTERNATION (not a test): one studio training step (Node, wasm,
 * 1 thread, the engine's Trainer exactly as `steps.ts` measures it), then one PyTorch step of the
 * server's networks (`steps_torch.py --serve`, a process kept alive), then the next studio step, and so
 * on; then inference (one G forward on one image, batch statistics) the same way. On a shared machine
 * whose load drifts, both sides see the same conditions, so the ratio holds where separate runs
 * (`steps.ts`: all studio steps, then all PyTorch steps) can be off by the drift.
 *
 *   npx tsx test/bench/alternate.ts [--configs unet_256-ngf64-512] [--steps 10] [--infer 10]
 *     [--warmup 2] [--threads 1] [--json out.json] [--md out.md]
 * `--steps 0` measures inference only (the issue's "one 512 px X-ray no slower than PyTorch").
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import * as tf from '@tensorflow/tfjs';
import { benchConfig, isBenchConfigId, median, type BenchConfig } from '../../src/engine/benchmark';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const ids = arg('configs', 'unet_256-ngf64-512').split(',').filter(Boolean);
for (const id of ids) if (!isBenchConfigId(id)) throw new Error(`unknown --configs entry "${id}"`);
const steps = Number(arg('steps', '10'));
const inferRuns = Number(arg('infer', '10'));
const warmup = Number(arg('warmup', '2'));
const threads = Number(arg('threads', '1'));
const jsonOut = arg('json', '');
const mdOut = arg('md', '');

const log = (s: string): void => void process.stderr.write(`${s}\n`);
const now = (): number => performance.now();

/** PyTorch's side: one process per configuration answering `step` / `infer` with the ms it took. */
async function torchServer(
  c: BenchConfig,
): Promise<{ run(cmd: 'step' | 'infer'): Promise<number>; version: string; close(): void }> {
  const spec = {
    config: {
      id: c.id,
      num_downs: Number(c.netG.split('_')[1]) === 256 ? 8 : 7,
      ngf: c.ngf,
      ndf: c.ndf,
      size: c.size,
    },
    threads,
  };
  const p = spawn('/usr/bin/python3', ['test/bench/steps_torch.py', '--serve', JSON.stringify(spec)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: p.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const r = await lines.next();
    if (r.done) throw new Error('PyTorch ended early (see its error above)');
    return r.value;
  };
  const ready = JSON.parse(await next()) as { torch: string; threads: number };
  if (ready.threads !== threads) throw new Error(`PyTorch runs ${ready.threads} threads, not ${threads}`);
  return {
    version: ready.torch,
    async run(cmd) {
      p.stdin.write(`${cmd}\n`);
      return Number(await next());
    },
    close() {
      p.stdin.end('quit\n');
    },
  };
}

interface Row {
  config: string;
  config_id: string;
  threads: number;
  steps: number;
  studio_step_ms_median: number | null;
  pytorch_step_ms_median: number | null;
  step_ratio: number | null;
  infer_runs: number;
  studio_infer_ms_median: number | null;
  pytorch_infer_ms_median: number | null;
  infer_ratio: number | null;
  studio_step_ms: number[];
  pytorch_step_ms: number[];
  studio_infer_ms: number[];
  pytorch_infer_ms: number[];
  torch: string;
  load_start: number;
  load_end: number;
}

const ratio = (a: number | null, b: number | null): number | null => (a !== null && b ? a / b : null);

async function measure(c: BenchConfig): Promise<Row> {
  const { benchRunConfig, syntheticPairs } = await import('../../src/engine/deviceQueries');
  const { createInMemoryDataSource } = await import('../../src/core/train/data');
  const { Trainer } = await import('../../src/core/train/trainer');
  const load0 = loadavg()[0];
  const cfg = benchRunConfig(c);
  const data = createInMemoryDataSource(syntheticPairs(cfg.size, 2), { size: cfg.size });
  const t = Trainer.create(cfg, data, { gradNorms: false });
  const torch = await torchServer(c);
  const row: Row = {
    config: c.label,
    config_id: c.id,
    threads,
    steps,
    studio_step_ms_median: null,
    pytorch_step_ms_median: null,
    step_ratio: null,
    infer_runs: inferRuns,
    studio_infer_ms_median: null,
    pytorch_infer_ms_median: null,
    infer_ratio: null,
    studio_step_ms: [],
    pytorch_step_ms: [],
    studio_infer_ms: [],
    pytorch_infer_ms: [],
    torch: torch.version,
    load_start: load0,
    load_end: load0,
  };
  const studioStep = async (): Promise<number> => {
    const t0 = now();
    t.step();
    await t.drainMetrics();
    return now() - t0;
  };
  const photo = tf.randomUniform([1, cfg.size, cfg.size, cfg.input_nc], -1, 1, 'float32', 7) as tf.Tensor4D;
  const studioInfer = async (): Promise<number> => {
    const t0 = now();
    const y = t.predict(photo, { evalMode: false });
    await y.data();
    y.dispose();
    return now() - t0;
  };
  try {
    // warm-up: kernels, XNNPACK operators, PyTorch's allocator (not counted)
    for (let i = 0; i < (steps > 0 ? warmup : 0); i++) {
      log(
        `${c.label}: warm-up step ${i + 1}: studio ${(await studioStep()).toFixed(0)} ms, PyTorch ${(await torch.run('step')).toFixed(0)} ms`,
      );
    }
    for (let i = 0; i < steps; i++) {
      // alternate which side goes first, so neither always follows the other's cache state
      const first = i % 2 === 0 ? 'studio' : 'torch';
      const a = first === 'studio' ? await studioStep() : await torch.run('step');
      const b = first === 'studio' ? await torch.run('step') : await studioStep();
      const [s, p] = first === 'studio' ? [a, b] : [b, a];
      row.studio_step_ms.push(s);
      row.pytorch_step_ms.push(p);
      log(`${c.label}: step ${i + 1}/${steps}: studio ${s.toFixed(0)} ms, PyTorch ${p.toFixed(0)} ms`);
    }
    await studioInfer();
    await torch.run('infer');
    for (let i = 0; i < inferRuns; i++) {
      const s = await studioInfer();
      const p = await torch.run('infer');
      row.studio_infer_ms.push(s);
      row.pytorch_infer_ms.push(p);
    }
  } finally {
    photo.dispose();
    t.dispose();
    torch.close();
  }
  row.studio_step_ms_median = median(row.studio_step_ms);
  row.pytorch_step_ms_median = median(row.pytorch_step_ms);
  row.step_ratio = ratio(row.studio_step_ms_median, row.pytorch_step_ms_median);
  row.studio_infer_ms_median = median(row.studio_infer_ms);
  row.pytorch_infer_ms_median = median(row.pytorch_infer_ms);
  row.infer_ratio = ratio(row.studio_infer_ms_median, row.pytorch_infer_ms_median);
  row.load_end = loadavg()[0];
  return row;
}

const { selectBackend } = await import('../../src/engine/backend');
const sel = await selectBackend('wasm');
if (sel.backend !== 'wasm') throw new Error('the wasm backend did not start in Node');
const rows: Row[] = [];
for (const id of ids) rows.push(await measure(benchConfig(id as Parameters<typeof benchConfig>[0])));

const f = (v: number | null, d = 0): string => (v === null ? '–' : v.toFixed(d));
const md = [
  `## Studio (Node wasm) and PyTorch CPU in alternation, ${threads} thread${threads === 1 ? '' : 's'} ` +
    `(${new Date().toISOString().slice(0, 16)}Z, ${cpus().length} cores ${cpus()[0]?.model.trim() ?? ''}, ` +
    `tfjs ${tf.version_core})`,
  '',
  '| config | steps | studio step ms (median) | PyTorch step ms (median) | ratio | inference runs | studio infer ms | PyTorch infer ms | ratio | load average |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map(
    (r) =>
      `| ${r.config} | ${r.steps} | ${f(r.studio_step_ms_median)} | ${f(r.pytorch_step_ms_median)} | ` +
      `${r.step_ratio === null ? '–' : `${r.step_ratio.toFixed(2)}×`} | ${r.infer_runs} | ` +
      `${f(r.studio_infer_ms_median)} | ${f(r.pytorch_infer_ms_median)} | ` +
      `${r.infer_ratio === null ? '–' : `${r.infer_ratio.toFixed(2)}×`} | ${r.load_start.toFixed(1)} → ${r.load_end.toFixed(1)} |`,
  ),
  '',
].join('\n');
console.log(md);
if (mdOut) writeFileSync(mdOut, md);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(rows, null, 2) + '\n');
