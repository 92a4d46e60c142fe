/**
 * A bare page in headless Chromium (WebGPU on SwiftShader here) running TF.js's webgpu backend with
 * the studio's WebGPU kernels (src/engine/kernels/), for the kernel benchmark
 * (`npx tsx test/bench/kernels.ts --backend webgpu`) and the kernel e2e test
 * (test/e2e/webgpu-kernels.e2e.ts). The page module is bundled at run time with Vite's build API
 * (like test/e2e/gradnorms.e2e.ts) and served through request interception on 127.0.0.1, a secure
 * context, so nothing but Debian's /usr/bin/chromium is needed.
 *
 * In the page:
 *  - filterGrad(cases, paths): each Conv2DBackpropFilter on the cpu backend and on webgpu through
 *    TF.js's kernel ('tfjs') and/or the studio's tiled one ('tiled'); the largest |difference| and
 *    |cpu value| per case
 *  - inputGrad(cases, variants): each Conv2DBackpropInput on cpu and on webgpu with
 *    WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE true ('naive') and/or false ('matmul')
 *  - timeFilterGrad / timeInputGrad(cases, reps): ms per call of each variant, as CPU time of
 *    Chromium's GPU process (SwiftShader computes there, so this is the kernel's work and not the
 *    wait for a core on a loaded machine) and as wall clock, over `reps` calls ending in one
 *    read-back, after a warm-up call that compiles the shader
 * Inputs are seeded uniform values in [-1, 1) made in the page, the same on every backend.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, type Plugin, type Rollup } from 'vite';
import type { FilterGradCase, InputGradCase } from './convLayers';

const SRC = resolve('src');

const PAGE_SOURCE = `
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setupWebGpuKernels, webGpuKernelChoices } from '${SRC}/engine/kernels/webgpu';
import { setWebGpuFilterGradPath } from '${SRC}/engine/kernels/webgpuConvFilterGrad';

function seeded(n, seed) {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = (s / 4294967296) * 2 - 1;
  }
  return a;
}
const size = (shape) => shape.reduce((p, v) => p * v, 1);
const pad1 = [[0, 0], [1, 1], [1, 1], [0, 0]];

function runFilterGrad(c, x, dy) {
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy },
    { strides: [c.stride, c.stride], pad: pad1, dataFormat: 'NHWC', filterShape: c.filter });
}
function runInputGrad(c, dy, w) {
  return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w },
    { strides: [c.stride, c.stride], pad: pad1, dataFormat: 'NHWC', inputShape: c.inputShape });
}
function maxAbsDiff(a, b) {
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return { maxAbsDiff: d, maxAbsRef: m };
}
async function onBackend(name) {
  if (!(await tf.setBackend(name))) throw new Error('backend ' + name + ' is not available');
  await tf.ready();
}
let prepared = [], preparedCase = null;
async function timeIt(fn, reps) {
  const t0 = performance.now();
  let last = null;
  for (let i = 0; i < reps; i++) {
    const r = fn();
    if (last) last.dispose();
    last = r;
  }
  await last.data();
  last.dispose();
  return (performance.now() - t0) / reps;
}

globalThis.__webgpuKernels = {
  async init() {
    await onBackend('webgpu');
    setupWebGpuKernels();
    return { backend: tf.getBackend(), choices: webGpuKernelChoices() };
  },
  async filterGrad(cases, paths) {
    const out = [];
    for (const [i, c] of cases.entries()) {
      const xa = seeded(size(c.x), 11 + i), dya = seeded(size(c.dy), 97 + i);
      await onBackend('cpu');
      const ref = tf.tidy(() => runFilterGrad(c, tf.tensor(xa, c.x), tf.tensor(dya, c.dy)));
      const refData = await ref.data();
      ref.dispose();
      await onBackend('webgpu');
      const row = { name: c.name };
      for (const path of paths) {
        setWebGpuFilterGradPath(path);
        const r = tf.tidy(() => runFilterGrad(c, tf.tensor(xa, c.x), tf.tensor(dya, c.dy)));
        row[path] = maxAbsDiff(await r.data(), refData);
        r.dispose();
      }
      setWebGpuFilterGradPath('auto');
      out.push(row);
    }
    return out;
  },
  async inputGrad(cases, variants) {
    const out = [];
    for (const [i, c] of cases.entries()) {
      const dya = seeded(size(c.dy), 5 + i), wa = seeded(size(c.filter), 71 + i);
      await onBackend('cpu');
      const ref = tf.tidy(() => runInputGrad(c, tf.tensor(dya, c.dy), tf.tensor(wa, c.filter)));
      const refData = await ref.data();
      ref.dispose();
      await onBackend('webgpu');
      const row = { name: c.name };
      const before = tf.env().getBool('WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE');
      for (const v of variants) {
        tf.env().set('WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE', v === 'naive');
        const r = tf.tidy(() => runInputGrad(c, tf.tensor(dya, c.dy), tf.tensor(wa, c.filter)));
        row[v] = maxAbsDiff(await r.data(), refData);
        r.dispose();
      }
      tf.env().set('WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE', before);
      out.push(row);
    }
    return out;
  },
  // timing: tensors of one case stay on the GPU; each run is \`reps\` calls ending in one read-back
  async prepare(kind, c, i) {
    await onBackend('webgpu');
    tf.dispose(prepared);
    prepared = kind === 'filter'
      ? [tf.tensor(seeded(size(c.x), 11 + i), c.x), tf.tensor(seeded(size(c.dy), 97 + i), c.dy)]
      : [tf.tensor(seeded(size(c.dy), 5 + i), c.dy), tf.tensor(seeded(size(c.filter), 71 + i), c.filter)];
    preparedCase = c;
  },
  async run(kind, variant, reps) {
    const c = preparedCase, [a, b] = prepared;
    if (kind === 'filter') {
      setWebGpuFilterGradPath(variant);
      const ms = await timeIt(() => runFilterGrad(c, a, b), reps);
      setWebGpuFilterGradPath('auto');
      return ms;
    }
    const before = tf.env().getBool('WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE');
    tf.env().set('WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE', variant === 'naive');
    const ms = await timeIt(() => runInputGrad(c, a, b), reps);
    tf.env().set('WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE', before);
    return ms;
  },
  // the studio's shader warm-up (engine/shaderWarmup.ts) runs a step with
  // WEBGPU_ENGINE_COMPILE_ONLY: each case once in that mode, then computed normally vs cpu
  async compileOnlyThenRun(cases) {
    const out = [];
    for (const [i, c] of cases.entries()) {
      const xa = seeded(size(c.x), 11 + i), dya = seeded(size(c.dy), 97 + i);
      await onBackend('cpu');
      const ref = tf.tidy(() => runFilterGrad(c, tf.tensor(xa, c.x), tf.tensor(dya, c.dy)));
      const refData = await ref.data();
      ref.dispose();
      await onBackend('webgpu');
      const x = tf.tensor(xa, c.x), dy = tf.tensor(dya, c.dy);
      let error = null;
      tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', true);
      try {
        tf.dispose(runFilterGrad(c, x, dy));
      } catch (e) {
        error = String(e);
      } finally {
        tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', false);
      }
      await tf.backend().checkCompileCompletionAsync();
      const r = runFilterGrad(c, x, dy);
      out.push({ name: c.name, error, tiled: maxAbsDiff(await r.data(), refData) });
      tf.dispose([r, x, dy]);
    }
    return out;
  },
  memory() {
    return tf.memory();
  },
};
`;

export interface Diff {
  maxAbsDiff: number;
  maxAbsRef: number;
}
export interface FilterGradCheck {
  name: string;
  tfjs?: Diff;
  tiled?: Diff;
}
export interface InputGradCheck {
  name: string;
  naive?: Diff;
  matmul?: Diff;
}
/** ms per call: CPU time of the GPU process (`cpu`) and wall clock (`wall`) */
export interface Timing {
  cpu: number;
  wall: number;
}
export interface FilterGradTime {
  name: string;
  tfjs: Timing;
  tiled: Timing;
  auto: Timing;
}
export interface InputGradTime {
  name: string;
  naive: Timing;
  matmul: Timing;
}

export interface KernelPage {
  page: Page;
  errors: string[];
  init(): Promise<{ backend: string; choices: Record<string, unknown> }>;
  /** per case, the difference from cpu of each filter-gradient path asked for */
  filterGrad(cases: FilterGradCase[], paths: ('tfjs' | 'tiled')[]): Promise<FilterGradCheck[]>;
  /** per case: run once in WEBGPU_ENGINE_COMPILE_ONLY mode (any error), then normally vs cpu */
  compileOnlyThenRun(cases: FilterGradCase[]): Promise<(FilterGradCheck & { error: string | null })[]>;
  /** per case, the difference from cpu of each Conv2DBackpropInput variant asked for */
  inputGrad(cases: InputGradCase[], variants: ('naive' | 'matmul')[]): Promise<InputGradCheck[]>;
  timeFilterGrad(cases: FilterGradCase[], reps: number): Promise<FilterGradTime[]>;
  timeInputGrad(cases: InputGradCase[], reps: number): Promise<InputGradTime[]>;
  close(): Promise<void>;
}

/** The page module with TF.js and the studio's kernels, as one ES module. */
async function bundlePage(): Promise<string> {
  const id = '\0webgpu-kernel-page';
  const plugin: Plugin = {
    name: 'webgpu-kernel-page',
    resolveId: (source) => (source === 'webgpu-kernel-page' ? id : null),
    load: (source) => (source === id ? PAGE_SOURCE : null),
  };
  const out = (await build({
    configFile: false,
    logLevel: 'warn',
    plugins: [plugin],
    build: {
      write: false,
      minify: false,
      target: 'es2022',
      rollupOptions: { input: 'webgpu-kernel-page', output: { format: 'es', codeSplitting: false } },
    },
  })) as Rollup.RollupOutput | Rollup.RollupOutput[];
  const chunks = (Array.isArray(out) ? out : [out]).flatMap((o) => o.output);
  const entry = chunks.find((c): c is Rollup.OutputChunk => c.type === 'chunk' && c.isEntry);
  if (!entry) throw new Error('the kernel page bundle has no entry chunk');
  return entry.code;
}

/** The e2e tests' Chromium flags (test/e2e/browser.ts; not imported: it needs vitest's context). */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--enable-unsafe-webgpu',
];

/** /proc/<pid>/stat fields after the command name: [state, ppid, …, utime (index 11), stime (12)]. */
function statFields(pid: number): string[] | null {
  try {
    const t = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return t.slice(t.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Chromium's GPU process (a child or grandchild, via a zygote) of the browser process
 * launched with `marker` (an unknown switch Chromium ignores). */
function findGpuProcess(marker: string): number | null {
  const cmdline = (pid: number): string => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return '';
    }
  };
  const pids = readdirSync('/proc')
    .map(Number)
    .filter((p) => Number.isInteger(p));
  const browserPid = pids.find((p) => {
    const c = cmdline(p);
    return c.includes(marker) && !c.includes('--type=');
  });
  if (browserPid === undefined) return null;
  for (const pid of pids) {
    if (!cmdline(pid).includes('--type=gpu-process')) continue;
    // its parent is the browser or one of the browser's zygotes
    const ppid = Number(statFields(pid)?.[1] ?? -1);
    if (ppid === browserPid || Number(statFields(ppid)?.[1] ?? -1) === browserPid) return pid;
  }
  return null;
}

/** CPU milliseconds (user + system) the process has used; Linux clock ticks of 10 ms. */
function processCpuMs(pid: number): number {
  const f = statFields(pid);
  if (!f) throw new Error(`process ${pid} is gone`);
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

export async function openKernelPage(): Promise<KernelPage> {
  const code = await bundlePage();
  const marker = `--studio-kernel-page=${process.pid}-${Date.now()}`;
  const browser: Browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, marker],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    // nothing listens on this port: both requests are answered here (127.0.0.1 is a secure context)
    const base = 'http://127.0.0.1:9/__webgpu-kernels/';
    await page.route(`${base}index.html`, (r) =>
      r.fulfill({
        contentType: 'text/html; charset=utf-8',
        body: `<!doctype html><meta charset="utf-8"><script type="module" src="page.js"></script>`,
      }),
    );
    await page.route(`${base}page.js`, (r) => r.fulfill({ contentType: 'text/javascript', body: code }));
    await page.goto(`${base}index.html`);
    await page.waitForFunction(() => '__webgpuKernels' in globalThis, undefined, { timeout: 60_000 });
    const call = <T>(fn: string, ...a: unknown[]): Promise<T> =>
      page.evaluate(
        ([f, rest]) =>
          (
            globalThis as unknown as Record<string, Record<string, (...x: unknown[]) => Promise<unknown>>>
          ).__webgpuKernels[f as string](...(rest as unknown[])),
        [fn, a] as const,
      ) as Promise<T>;
    let gpuPid: number | null = null;
    const gpuCpuMs = (): number => {
      gpuPid ??= findGpuProcess(marker);
      if (gpuPid === null) throw new Error('the Chromium GPU process was not found');
      return processCpuMs(gpuPid);
    };
    /** each variant: one warm-up call, then `reps` calls timed (GPU-process CPU and wall ms per call) */
    const time = async (
      kind: 'filter' | 'input',
      c: unknown,
      i: number,
      variants: string[],
      reps: number,
    ) => {
      await call('prepare', kind, c, i);
      const row: Record<string, Timing> = {};
      for (const v of variants) {
        await call('run', kind, v, 1);
        const c0 = gpuCpuMs();
        const wall = await call<number>('run', kind, v, reps);
        row[v] = { cpu: (gpuCpuMs() - c0) / reps, wall };
      }
      return row;
    };
    return {
      page,
      errors,
      init: () => call('init'),
      filterGrad: (cases, paths) => call('filterGrad', cases, paths),
      compileOnlyThenRun: (cases) => call('compileOnlyThenRun', cases),
      inputGrad: (cases, variants) => call('inputGrad', cases, variants),
      timeFilterGrad: async (cases, reps) => {
        const out: FilterGradTime[] = [];
        for (const [i, c] of cases.entries())
          out.push({
            name: c.name,
            ...(await time('filter', c, i, ['tfjs', 'tiled', 'auto'], reps)),
          } as FilterGradTime);
        return out;
      },
      timeInputGrad: async (cases, reps) => {
        const out: InputGradTime[] = [];
        for (const [i, c] of cases.entries())
          out.push({
            name: c.name,
            ...(await time('input', c, i, ['naive', 'matmul'], reps)),
          } as InputGradTime);
        return out;
      },
      close: () => browser.close(),
    };
  } catch (e) {
    await browser.close();
    throw e;
  }
}
