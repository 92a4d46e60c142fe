/**
 * `npm run bench -- steps` (or `npx tsx test/bench/steps.ts`): the training-step table of issue 16
 * (not a test; nothing depends on an absolute time).
 *
 * For `unet_128 ngf16 @128`, `unet_256 ngf64 @256` and `unet_256 ngf64 @512` (batch 1, G + D full
 * step, GAN + L1 + gradient loss; src/engine/benchmark.ts) it measures, per backend, the median step
 * and inference time over the measured steps after warm-up, GFLOP per step from the layer shapes and
 * the achieved GFLOP/s, peak bytes (WebGPU `numBytesAllocatedInGPU`, the wasm heap), tensors leaked
 * per step and the first step (kernel / shader warm-up):
 *   - node-wasm, node-cpu: the engine's own measurement (deviceQueries.ts measureConfig) in Node;
 *   - chromium-webgpu, chromium-webgl, chromium-wasm, chromium-cpu: the built app (STUDIO_DIST, default dist) in
 *     headless Chromium (WebGPU on SwiftShader here), through the engine's `benchmark` command in its
 *     worker — exactly what the Environment page's button runs;
 *   - pytorch: the server's networks in PyTorch CPU at the same thread count (steps_torch.py), and
 *     each record's ratio studio ÷ PyTorch.
 * A per-kernel profile of one step (tf.profile, time per kernel type) is printed for wasm and WebGPU.
 *
 *   npx tsx test/bench/steps.ts [--quick] [--configs unet_128-ngf16-128,...] [--steps 10]
 *     [--backends node-wasm,node-cpu,chromium-webgpu,chromium-webgl,chromium-wasm,chromium-cpu]
 *     [--gpu-steps N] [--threads 1] [--budget 600] [--no-pytorch] [--no-profile] [--json out.json]
 *     [--md out.md] [--webgpu-batch 1,5,15,30] [--no-warm-shaders] [--memory-only] [--gpu-pool on|off|both]
 * `--webgpu-batch-cycle 15,1,5,40`, `--pool-trim-cycle on,off`, `--norm-grad-cycle closed,autodiff`
 * measure those variants in one run, the variant changing at every measured step (load drift hits
 * each alike; use --steps/--gpu-steps a multiple of the count); `--webgpu-batch` measures chromium-webgpu once per WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE value (TF.js's
 * default is 15); `--no-warm-shaders` leaves shader compilation inside the first step (the
 * default compiles them first, engine/shaderWarmup.ts, like a run's start; first_step_ms before/after).
 * `--memory-only` (chromium-webgpu): GPU memory of the warm-up and two training steps without running
 * them (engine/kernels/webgpuMemory.ts dryRun: seconds instead of SwiftShader's hour per 512-px step);
 * `--gpu-pool off|on|both` measures with the studio's pool trimming off (TF.js's pool), on (the
 * default), or both back to back (`--gpu-slack MiB`: the free bytes the trimmed pool keeps); the memory table shows allocated / in-use peaks against the theory.
 * `--md` also writes the printed tables (with the machine and load average) to a file.
 * `--quick` = the smallest configuration only. A configuration whose steps would exceed the budget
 * (seconds per configuration and backend) is reported as "skipped: …" with the time of one step.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  BENCH_CONFIGS,
  benchConfig,
  benchmarkMarkdown,
  isBenchConfigId,
  memoryMarkdown,
  profileMarkdown,
  type BenchConfig,
  type BenchConfigId,
  type BenchmarkOptions,
  type BenchmarkRecord,
  type BenchVariant,
} from '../../src/engine/benchmark';

const args = process.argv.slice(2).filter((a) => a !== 'steps');
const flag = (name: string): boolean => args.includes(`--${name}`);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};

const quick = flag('quick');
const configIds = arg('configs', quick ? 'unet_128-ngf16-128' : BENCH_CONFIGS.map((c) => c.id).join(','))
  .split(',')
  .filter(Boolean);
for (const id of configIds) if (!isBenchConfigId(id)) throw new Error(`unknown --configs entry "${id}"`);
const configs = (configIds as BenchConfigId[]).map(benchConfig);
const steps = Number(arg('steps', '10'));
const gpuSteps = Number(arg('gpu-steps', String(steps)));
const threads = Number(arg('threads', '1'));
const budgetSec = Number(arg('budget', '600'));
const backends = arg(
  'backends',
  'node-wasm,node-cpu,chromium-webgpu,chromium-webgl,chromium-wasm,chromium-cpu',
).split(',');
const profile = !flag('no-profile');
const jsonOut = arg('json', '');
const mdOut = arg('md', '');
const warmShaders = !flag('no-warm-shaders');
const memoryOnly = flag('memory-only');
const gpuPool = arg('gpu-pool', 'on');
if (!['on', 'off', 'both'].includes(gpuPool))
  throw new Error(`--gpu-pool: "${gpuPool}" is not on, off or both`);
const slackMiB = arg('gpu-slack', '');
const poolModes: boolean[] = gpuPool === 'both' ? [false, true] : [gpuPool === 'on'];
const listArg = (name: string): string[] => arg(name, '').split(',').filter(Boolean);
const variantCycle: BenchVariant[] = [
  ...listArg('webgpu-batch-cycle').map((b): BenchVariant => {
    if (!/^[1-9]\d*$/.test(b)) throw new Error(`--webgpu-batch-cycle: "${b}" is not a whole number ≥ 1`);
    return { submitBatch: Number(b) };
  }),
  ...listArg('pool-trim-cycle').map((v): BenchVariant => {
    if (v !== 'on' && v !== 'off') throw new Error(`--pool-trim-cycle: "${v}" is not on or off`);
    return { poolTrim: v === 'on' };
  }),
  ...listArg('norm-grad-cycle').map((v): BenchVariant => {
    if (v !== 'closed' && v !== 'autodiff')
      throw new Error(`--norm-grad-cycle: "${v}" is not closed or autodiff`);
    return { normGrad: v };
  }),
];
const webgpuBatches = arg('webgpu-batch', '').split(',').filter(Boolean).map(Number);
for (const b of webgpuBatches)
  if (!Number.isInteger(b) || b < 1) throw new Error(`--webgpu-batch: "${b}" is not a whole number ≥ 1`);

function log(s: string): void {
  process.stderr.write(`${s}\n`);
}

async function nodeRecords(backend: 'wasm' | 'cpu'): Promise<BenchmarkRecord[]> {
  const { selectBackend } = await import('../../src/engine/backend');
  const { measureConfig } = await import('../../src/engine/deviceQueries');
  const sel = await selectBackend(backend);
  if (sel.backend !== backend) throw new Error(`the ${backend} backend did not start in Node`);
  const out: BenchmarkRecord[] = [];
  for (const c of configs) {
    log(`node ${backend}: ${c.label} …`);
    const r = await measureConfig(
      c,
      {
        steps,
        warmup: 2,
        inferRuns: 5,
        profile: profile && backend === 'wasm',
        budgetSec,
        warmShaders,
        ...(variantCycle.length ? { variantCycle } : {}),
      },
      { where: 'node', emit: () => undefined, yieldNow: () => Promise.resolve() },
    );
    out.push(r);
    log(`  ${r.skipped ? `skipped: ${r.skipped}` : `${r.step_ms_median?.toFixed(0)} ms/step`}`);
  }
  return out;
}

async function chromiumRecords(backend: 'webgpu' | 'webgl' | 'wasm' | 'cpu'): Promise<BenchmarkRecord[]> {
  const dist = resolve(process.env.STUDIO_DIST ?? 'dist');
  if (!existsSync(resolve(dist, 'index.html'))) {
    log(`chromium ${backend} skipped: no build in ${dist} (npx vite build, or set STUDIO_DIST)`);
    return configs.map((c) => skippedRecord(c, backend, 'chromium', `no build in ${dist}`));
  }
  const { chromium } = await import('playwright-core');
  const { serveStatic } = await import('../e2e/server');
  const server = await serveStatic(dist);
  // the e2e tests' browser (test/e2e/browser.ts needs vitest's injected context, so not imported)
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--enable-unsafe-webgpu',
      '--enable-unsafe-swiftshader',
    ],
  });
  try {
    const context = await browser.newContext();
    await context.addInitScript(
      (b: string) => localStorage.setItem('ceph-gan-studio.backend', b),
      backend as string,
    );
    const page = await context.newPage();
    await page.goto(`${server.url}#/environment`);
    const chosen = page.getByTestId('env-backend');
    await chosen.waitFor({ timeout: 180_000 });
    const actual = (await chosen.getAttribute('data-backend')) ?? '?';
    if (actual !== backend) {
      return configs.map((c) =>
        skippedRecord(c, backend, 'chromium', `the engine selected ${actual}, not ${backend}`),
      );
    }
    const out: BenchmarkRecord[] = [];
    const batches: (number | undefined)[] =
      backend === 'webgpu' && webgpuBatches.length > 0 ? webgpuBatches : [undefined];
    const pools: (boolean | undefined)[] = backend === 'webgpu' ? poolModes : [undefined];
    for (const c of configs)
      for (const batch of batches)
        for (const trim of pools) {
          log(
            `chromium ${backend}: ${c.label}${batch === undefined ? '' : `, deferred submit batch ${batch}`}` +
              `${trim === undefined ? '' : `, pool trim ${trim ? 'on' : 'off'}`}${memoryOnly ? ', memory only' : ''} …`,
          );
          const opts: BenchmarkOptions = {
            configs: [c.id],
            steps: backend === 'wasm' || backend === 'cpu' ? steps : gpuSteps,
            warmup: 2,
            inferRuns: 5,
            profile: profile && backend !== 'webgl',
            budgetSec,
            warmShaders,
            ...(batch === undefined ? {} : { webgpuDeferredSubmitBatch: batch }),
            ...(variantCycle.length ? { variantCycle } : {}),
            ...(trim === undefined ? {} : { gpuPoolTrim: trim }),
            ...(trim && slackMiB !== '' ? { gpuPoolSlackBytes: Number(slackMiB) * 2 ** 20 } : {}),
            ...(memoryOnly && backend === 'webgpu' ? { memoryOnly: true } : {}),
          };
          const [r] = await page.evaluate(
            (o) =>
              (
                window as unknown as {
                  __studio: { benchmark(o: BenchmarkOptions): Promise<BenchmarkRecord[]> };
                }
              ).__studio.benchmark(o),
            opts,
          );
          out.push({ ...r, where: 'chromium' });
          const mem =
            r.memory_kind === undefined
              ? ''
              : `, GPU allocated peak ${((r.peak_bytes ?? 0) / 2 ** 20).toFixed(0)} MiB, in use ${((r.peak_in_use_bytes ?? 0) / 2 ** 20).toFixed(0)} MiB`;
          log(`  ${r.skipped ? `skipped: ${r.skipped}` : `${r.step_ms_median?.toFixed(0)} ms/step`}${mem}`);
        }
    return out;
  } finally {
    await browser.close();
    await server.close();
  }
}

function skippedRecord(
  c: BenchConfig,
  backend: string,
  where: BenchmarkRecord['where'],
  why: string,
): BenchmarkRecord {
  return {
    config: c.label,
    config_id: c.id,
    backend,
    where,
    threads,
    steps: 0,
    step_ms_median: null,
    step_ms_min: null,
    infer_ms_median: null,
    first_step_ms: null,
    warmup_ms: null,
    gflops_per_step: 0,
    gflops_inference: 0,
    gflops_per_s: null,
    peak_bytes: null,
    peak_bytes_kind: 'tensorBytes',
    tensors_leaked_per_step: null,
    pytorch_step_ms_median: null,
    ratio_vs_pytorch: null,
    skipped: why,
  };
}

interface TorchResult {
  id: BenchConfigId;
  step_ms_median?: number;
  infer_ms_median?: number;
  first_step_ms?: number;
  steps?: number;
  threads?: number;
  torch?: string;
  skipped?: string;
}

function pytorch(): TorchResult[] {
  const spec = {
    configs: configs.map((c) => ({
      id: c.id,
      num_downs: Number(c.netG.split('_')[1]) === 256 ? 8 : 7,
      ngf: c.ngf,
      ndf: c.ndf,
      size: c.size,
    })),
    steps,
    warmup: 2,
    infer_runs: 5,
    threads,
    budget_sec: budgetSec,
  };
  log(`pytorch (${threads} thread${threads === 1 ? '' : 's'}) …`);
  const r = spawnSync('/usr/bin/python3', ['test/bench/steps_torch.py', JSON.stringify(spec)], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) {
    log(`pytorch failed: ${r.stderr.slice(-2000)}`);
    return [];
  }
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '[]') as TorchResult[];
}

const t0 = Date.now();
const load0 = loadavg();
const records: BenchmarkRecord[] = [];
for (const b of backends) {
  const [where, name] = b.split('-') as ['node' | 'chromium', string];
  try {
    if (where === 'node' && (name === 'wasm' || name === 'cpu')) records.push(...(await nodeRecords(name)));
    else if (
      where === 'chromium' &&
      (name === 'webgpu' || name === 'webgl' || name === 'wasm' || name === 'cpu')
    )
      records.push(...(await chromiumRecords(name)));
    else throw new Error(`unknown backend "${b}"`);
  } catch (e) {
    log(`${b} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}
const torch = flag('no-pytorch') ? [] : pytorch();
for (const t of torch) {
  for (const r of records.filter((x) => x.config_id === t.id)) {
    r.pytorch_step_ms_median = t.step_ms_median ?? null;
    r.ratio_vs_pytorch =
      r.step_ms_median !== null && t.step_ms_median ? r.step_ms_median / t.step_ms_median : null;
  }
}
const torchRows: BenchmarkRecord[] = torch.map((t) => {
  const c = benchConfig(t.id);
  const base = records.find((r) => r.config_id === t.id);
  const gflop = base?.gflops_per_step ?? 0;
  return {
    ...skippedRecord(c, `pytorch ${t.torch ?? ''}`.trim(), 'node', ''),
    skipped: t.skipped,
    threads: t.threads ?? threads,
    steps: t.steps ?? 0,
    step_ms_median: t.step_ms_median ?? null,
    infer_ms_median: t.infer_ms_median ?? null,
    first_step_ms: t.first_step_ms ?? null,
    gflops_per_step: gflop,
    gflops_per_s: t.step_ms_median && gflop ? gflop / (t.step_ms_median / 1000) : null,
    pytorch_step_ms_median: t.step_ms_median ?? null,
    ratio_vs_pytorch: t.step_ms_median ? 1 : null,
  };
});
for (const r of torchRows) if (!r.skipped) delete r.skipped;
const all = [...records, ...torchRows];
const load1 = loadavg();

const mdParts = [
  `\n## Training step, batch 1 (${new Date().toISOString().slice(0, 16)}Z, ${cpus().length} cores ` +
    `${cpus()[0]?.model ?? ''}, load average ${load0[0].toFixed(2)} → ${load1[0].toFixed(2)}, ` +
    `tfjs ${tf.version_core}, ${steps} steps (GPU backends ${gpuSteps}) after 2 warm-up steps, ` +
    `shaders ${warmShaders ? 'compiled before the first step' : 'compiled in the first step'}, ` +
    `${Math.round((Date.now() - t0) / 1000)} s)\n`,
  benchmarkMarkdown(all),
];
if (records.some((r) => r.memory_kind !== undefined))
  mdParts.push('WebGPU memory (engine/kernels/webgpuMemory.ts):\n\n' + memoryMarkdown(records));
const batched = records.filter((r) => r.webgpu_deferred_submit_batch !== undefined);
if (webgpuBatches.length > 0 && batched.length > 0) {
  mdParts.push(
    [
      'WebGPU deferred-submit batch size (WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE):',
      '',
      '| config | batch | step ms (median) | step ms (min) | first step ms | shader warm-up ms |',
      '| --- | --- | --- | --- | --- | --- |',
      ...batched.map(
        (r) =>
          `| ${r.config} | ${r.webgpu_deferred_submit_batch} | ${r.step_ms_median?.toFixed(0) ?? '–'} | ` +
          `${r.step_ms_min?.toFixed(0) ?? '–'} | ${r.first_step_ms?.toFixed(0) ?? '–'} | ` +
          `${r.shader_warmup_ms?.toFixed(0) ?? '–'} |`,
      ),
    ].join('\n') + '\n',
  );
}
for (const r of records)
  if (r.variant_cycle?.length)
    mdParts.push(
      [
        `Variants in one run, the variant changing every step (${r.config}, ${r.backend}, ${r.where}):`,
        '',
        '| variant | steps | step ms (median) |',
        '| --- | --- | --- |',
        ...r.variant_cycle.map(
          (b) => `| ${b.variant} | ${b.steps} | ${b.step_ms_median?.toFixed(0) ?? '–'} |`,
        ),
      ].join('\n') + '\n',
    );
for (const r of records) if (r.profile?.length) mdParts.push(profileMarkdown(r));
console.log(mdParts.join('\n'));
if (mdOut) {
  writeFileSync(mdOut, mdParts.join('\n'));
  log(`wrote ${mdOut}`);
}
if (jsonOut) {
  writeFileSync(
    jsonOut,
    JSON.stringify(
      {
        schema: 'ceph-gan-studio/bench-steps@1',
        generatedAt: new Date().toISOString(),
        machine: { cores: cpus().length, cpu: cpus()[0]?.model, loadavgStart: load0, loadavgEnd: load1 },
        records: all,
      },
      null,
      2,
    ) + '\n',
  );
  log(`wrote ${jsonOut}`);
}
process.exit(0);
