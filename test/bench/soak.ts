/**
 * Soak: one long demo run through the engine core (the code the Worker runs) on a Node backend
 * (wasm by default, cpu possible), the store on fake-indexeddb, with validation rounds and the
 * `last` checkpoint rotated every `save_every` steps (and each epoch end). Every `sampleEvery`
 * steps it records tf.memory().numTensors / numBytes and the process heap after a forced GC, so a
 * leak shows as a count or a slope. test/unit/soak.test.ts runs a short soak and asserts on it;
 * `npm run bench` runs the full one (2,000 steps at 64 px) and prints the table:
 *
 *   npx tsx test/bench/soak.ts [--steps 2000] [--backend wasm] [--browser-steps 300]
 *                              [--browser-backend wasm|auto|webgpu] [--browser-minutes 15]
 *
 * With `--browser-steps N` (N > 0) it also soaks the built app in Debian Chromium: the Train view
 * trains the demo for N steps (WebGPU on SwiftShader here) and the page's JS heap and the engine's
 * reported GPU memory are printed over time (needs a build: STUDIO_DIST or dist/).
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { RunConfig } from '../../src/core/config';
import { EngineCore } from '../../src/engine/engineCore';
import type { EngineEvent } from '../../src/engine/protocol';
import { getRun, listCheckpoints, openStudioStorage, readHistory } from '../../src/store';
import { keysUnder } from '../../src/store/kv';

export interface SoakSample {
  step: number;
  numTensors: number;
  numBytes: number;
  /** process.memoryUsage().heapUsed after a forced full GC, bytes */
  heapUsed: number;
  /** ArrayBuffers (incl. Blob-backed buffers of fake-indexeddb), bytes */
  arrayBuffers: number;
  rss: number;
  /** ms since the run started */
  ms: number;
}

export interface SoakOptions {
  steps: number;
  backend?: 'wasm' | 'cpu';
  size?: number;
  netG?: RunConfig['netG'];
  ngf?: number;
  /** demo cases; 20 = 16 train + 4 val, so an epoch is 16 steps (batch 1) */
  cases?: number;
  valEvery?: number;
  saveEvery?: number;
  logEvery?: number;
  sampleEvery?: number;
  /**
   * Test hook for the protection-removal check: called after each training step's metric event
   * (e.g. to leak a tensor per step and see the soak assertions trip).
   */
  onStep?: (step: number) => void;
  log?: (line: string) => void;
}

export interface SoakResult {
  steps: number;
  status: string | undefined;
  seconds: number;
  samples: SoakSample[];
  valRounds: number;
  /** `checkpoint` events (saves of `last` and `best`) */
  checkpointSaves: number;
  /** distinct stored versions the saves produced (each save writes a new version) */
  versionsWritten: number;
  /** checkpoint pointers of the run in the store at the end (`last`, `best`) */
  storedPointers: string[];
  /** distinct versions whose parts are still in the store at the end */
  storedVersions: number;
  /** versions in the store that no pointer refers to (rotation leftovers) */
  orphanVersions: number;
  historyPoints: { train: number; val: number };
  tensorsBeforeRun: number;
  tensorsAfterDispose: number;
}

/** A full GC (so heap samples compare live data, not garbage). */
export function forceGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const log = opts.log ?? (() => undefined);
  const cases = opts.cases ?? 20;
  const valCount = Math.max(1, Math.round(cases * 0.2));
  const perEpoch = cases - valCount;
  if (opts.steps % perEpoch !== 0) throw new Error(`steps must be a multiple of ${perEpoch} (one epoch)`);
  const epochs = opts.steps / perEpoch;
  const sampleEvery = opts.sampleEvery ?? 25;
  const gc = forceGc();
  const prefix = `soak-${globalThis.crypto.randomUUID()}`;
  const core = new EngineCore({ home: 'node', eventEveryMs: 0, useLocks: false });
  const samples: SoakSample[] = [];
  const versions = new Set<string>();
  let valRounds = 0;
  let checkpointSaves = 0;
  let t0 = 0;
  let lastSampled = -1;
  let done: (status: string) => void = () => undefined;
  const ended = new Promise<string>((ok) => (done = ok));
  const sample = (step: number): void => {
    gc();
    const m = tf.memory();
    const p = process.memoryUsage();
    samples.push({
      step,
      numTensors: m.numTensors,
      numBytes: m.numBytes,
      heapUsed: p.heapUsed,
      arrayBuffers: p.arrayBuffers,
      rss: p.rss,
      ms: Date.now() - t0,
    });
    const s = samples[samples.length - 1];
    log(
      `step ${String(step).padStart(5)}  tensors ${s.numTensors}  tensor MB ${(s.numBytes / 2 ** 20).toFixed(2)}  ` +
        `heap MB ${(s.heapUsed / 2 ** 20).toFixed(1)}  arrayBuffers MB ${(s.arrayBuffers / 2 ** 20).toFixed(1)}  ` +
        `rss MB ${(s.rss / 2 ** 20).toFixed(0)}  ${(s.ms / 1000).toFixed(1)} s`,
    );
  };
  core.onEvent((e: EngineEvent) => {
    if (e.type === 'metrics') {
      // emitted after the step's losses were read (every log_every steps): all of the step's
      // tensors are disposed here, the same point of the loop every time
      const step = e.points[e.points.length - 1].step;
      opts.onStep?.(step);
      if (step % sampleEvery === 0 && step !== lastSampled) {
        lastSampled = step;
        sample(step);
      }
    } else if (e.type === 'validation') valRounds++;
    else if (e.type === 'checkpoint') {
      checkpointSaves++;
      versions.add(e.record.versionId);
    } else if (e.type === 'run' && ['finished', 'failed', 'stopped'].includes(e.run.status)) {
      done(e.run.status);
    }
  });
  await core.init({ backend: opts.backend ?? 'wasm', storagePrefix: prefix });
  await core.loadDataset({ kind: 'demo', cases, seed: 1 });
  const tensorsBeforeRun = tf.memory().numTensors;
  const config = {
    netG: opts.netG ?? 'unet_64',
    size: opts.size ?? 64,
    ngf: opts.ngf ?? 8,
    ndf: opts.ngf ?? 8,
    n_epochs: Math.ceil(epochs / 2),
    n_epochs_decay: Math.floor(epochs / 2),
    log_every: opts.logEvery ?? 5,
    val_every: opts.valEvery ?? 100,
    save_every: opts.saveEvery ?? 50,
    seed: 1,
  } as RunConfig;
  t0 = Date.now();
  const started = await core.start({ config, name: 'soak', bestMetric: 'l1' });
  if (started.totalSteps !== opts.steps)
    throw new Error(`the run has ${started.totalSteps} steps, expected ${opts.steps}`);
  const status = await ended;
  const seconds = (Date.now() - t0) / 1000;
  const storage = await openStudioStorage({ prefix });
  const runId = started.run.id;
  const record = await getRun(storage.runs, runId);
  const ptrs = await listCheckpoints(storage.checkpoints, runId);
  const live = new Set(ptrs.map((p) => p.versionId));
  const stored = new Set((await keysUnder(storage.checkpoints, `ver/${runId}/`)).map((k) => k.split('/')[2]));
  const historyPoints = {
    train: (await readHistory(storage.runs, runId, 'train')).length,
    val: (await readHistory(storage.runs, runId, 'val')).length,
  };
  await core.dispose();
  gc();
  return {
    steps: record?.step ?? -1,
    status,
    seconds,
    samples,
    valRounds,
    checkpointSaves,
    versionsWritten: versions.size,
    storedPointers: ptrs.map((p) => p.name).sort(),
    storedVersions: stored.size,
    orphanVersions: [...stored].filter((v) => !live.has(v)).length,
    historyPoints,
    tensorsBeforeRun,
    tensorsAfterDispose: tf.memory().numTensors,
  };
}

/** Least-squares slope of y over x. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const MB = 2 ** 20;

function summarize(r: SoakResult, warmupStep: number): void {
  const after = r.samples.filter((s) => s.step >= warmupStep);
  if (after.length === 0) {
    console.log(
      `\n${r.steps} steps (${r.status}) in ${r.seconds.toFixed(0)} s: no sample after step ${warmupStep}`,
    );
    return;
  }
  const tensors = [...new Set(after.map((s) => s.numTensors))];
  const heapSlope = slope(
    after.map((s) => s.step),
    after.map((s) => s.heapUsed),
  );
  console.log(
    `\n${r.steps} steps (${r.status}) in ${r.seconds.toFixed(0)} s = ${((r.seconds * 1000) / r.steps).toFixed(0)} ms/step; ` +
      `${r.valRounds} validation rounds; ${r.checkpointSaves} checkpoint saves (${r.versionsWritten} versions written), ` +
      `stored at the end: pointers ${r.storedPointers.join(', ')}, ${r.storedVersions} versions, ${r.orphanVersions} orphans; ` +
      `history ${r.historyPoints.train} train / ${r.historyPoints.val} val points`,
  );
  console.log(
    `after step ${warmupStep}: tensor counts ${JSON.stringify(tensors)}; heap ${(after[0].heapUsed / MB).toFixed(1)} -> ` +
      `${(after[after.length - 1].heapUsed / MB).toFixed(1)} MB (slope ${((heapSlope * 1000) / 1024).toFixed(1)} KiB per 1,000 steps); ` +
      `tensors before the run ${r.tensorsBeforeRun}, after dispose ${r.tensorsAfterDispose}`,
  );
}

/** The same demo training in the built app in Chromium, heap and GPU memory over time. */
async function browserSoak(steps: number, backend: string, minutes: number): Promise<void> {
  const { chromium } = await import('playwright-core');
  const { serveStatic } = await import('../e2e/server');
  const dist = resolve(process.env.STUDIO_DIST ?? 'dist');
  if (!existsSync(resolve(dist, 'index.html'))) {
    console.log(`browser soak skipped: no build in ${dist} (run npx vite build)`);
    return;
  }
  const server = await serveStatic(dist);
  // the e2e tests' browser (test/e2e/browser.ts, not imported: it needs vitest's injected context)
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
      '--enable-precise-memory-info',
    ],
  });
  try {
    const page = await browser.newPage();
    // the engine Worker's progress events (tensor count and bytes) as the page receives them
    await page.addInitScript(() => {
      const W = window.Worker;
      const w = window as unknown as { __soakProgress?: unknown };
      window.Worker = class extends W {
        constructor(url: string | URL, options?: WorkerOptions) {
          super(url, options);
          this.addEventListener('message', (e: MessageEvent) => {
            const d = e.data as { kind?: string; event?: { type?: string; progress?: unknown } } | null;
            if (d?.kind === 'event' && d.event?.type === 'progress') w.__soakProgress = d.event.progress;
          });
        }
      };
    });
    if (backend !== 'auto') {
      // the user's way: Environment -> backend (remembered), then the app starts again with it
      await page.goto(`${server.url}#/environment`);
      await page.locator('#backend-choice').selectOption(backend);
      await page.waitForTimeout(500);
    }
    await page.goto(`${server.url}#/train`);
    await page.reload();
    const loadDemo = page.getByRole('button', { name: 'Load demo dataset' });
    await loadDemo.waitFor();
    for (let i = 0; i < 240 && !(await loadDemo.isEnabled()); i++) await page.waitForTimeout(500);
    // 40 cases: 32 training cases x 10 epochs of the Demo preset = 320 steps
    await page.getByLabel('Cases', { exact: true }).fill('40');
    await loadDemo.click();
    await page
      .getByTestId('train-dataset')
      .filter({ hasText: '32 training cases' })
      .waitFor({ timeout: 60_000 });
    await page.getByLabel('Preset', { exact: true }).selectOption('demo');
    await page.getByRole('button', { name: 'Start training' }).click();
    const t0 = Date.now();
    console.log(
      `\n# browser soak: Demo preset in the Train view (engine Worker, backend ${backend}), up to ${steps} steps or ${minutes} min\n`,
    );
    console.log('| s | step | tensors | tensor MiB | GPU MiB allocated | page JS heap MiB |');
    console.log('|---|---|---|---|---|---|');
    const seen: number[] = [];
    for (;;) {
      await page.waitForTimeout(10_000);
      const d = await page.evaluate(() => {
        const w = window as unknown as {
          __studio: { train: { step: number | null; phase: string } };
          __soakProgress?: { numTensors: number; tensorBytes: number; gpuBytesAllocated: number | null };
        };
        const mem = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
        return {
          step: w.__studio.train.step ?? 0,
          phase: w.__studio.train.phase,
          heap: mem?.usedJSHeapSize ?? NaN,
          p: w.__soakProgress ?? null,
        };
      });
      if (d.p) seen.push(d.p.numTensors);
      console.log(
        `| ${((Date.now() - t0) / 1000).toFixed(0)} | ${d.step} | ${d.p?.numTensors ?? '-'} | ` +
          `${d.p ? (d.p.tensorBytes / MB).toFixed(2) : '-'} | ` +
          `${d.p?.gpuBytesAllocated != null ? (d.p.gpuBytesAllocated / MB).toFixed(1) : '-'} | ${(d.heap / MB).toFixed(1)} |`,
      );
      if (d.step >= steps || (d.step > 0 && d.phase !== 'running')) break;
      if (Date.now() - t0 > minutes * 60_000) {
        console.log(`stopped after ${minutes} min (--browser-minutes)`);
        break;
      }
    }
    console.log(
      `tensor counts seen (after the first sample): ${JSON.stringify([...new Set(seen.slice(1))])}`,
    );
    if (await page.getByRole('button', { name: 'Stop' }).isEnabled())
      await page.getByRole('button', { name: 'Stop' }).click();
  } finally {
    await browser.close();
    await server.close();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string, dflt: string): string => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
  };
  const steps = Number(arg('steps', '2000'));
  const backend = arg('backend', 'wasm') as 'wasm' | 'cpu';
  const browserSteps = Number(arg('browser-steps', '300'));
  // wasm by default: where WebGPU is SwiftShader (this machine) a WebGPU step takes seconds;
  // on a machine with a GPU pass --browser-backend auto (or webgpu)
  const browserBackend = arg('browser-backend', 'wasm');
  const browserMinutes = Number(arg('browser-minutes', '15'));
  console.log(
    `# soak: demo run, unet_64 ngf 8 at 64 px, ${steps} steps on ${backend}; validation every 100 steps, ` +
      `\`last\` every 50 steps and each epoch (16 steps); load average ${loadavg()[0].toFixed(1)}\n`,
  );
  const r = await runSoak({ steps, backend, sampleEvery: 100, log: (l) => console.log(l) });
  summarize(r, 200);
  const flat = new Set(r.samples.filter((x) => x.step >= 200).map((x) => x.numTensors)).size <= 1;
  if (!flat || r.storedVersions > 2 || r.orphanVersions > 0 || r.status !== 'finished') {
    console.log('SOAK FAILED: tensors not flat, checkpoints over their retention, or the run did not finish');
    process.exitCode = 1;
  }
  if (browserSteps > 0) await browserSoak(browserSteps, browserBackend, browserMinutes);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
