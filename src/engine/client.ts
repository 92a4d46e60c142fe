/**
 * The page's way to get a training engine: `createEngine()` starts the dedicated module Worker
 * and asks it (a `probe` message) whether it can get a WebGPU adapter. The worker is used unless
 * it cannot get WebGPU while the page can — then the engine runs in the page (inPage.ts), and
 * the reason is recorded. Module workers that do not start at all also fall back to the page.
 * TF.js is never loaded on the page in the worker case.
 */
import { probeWebGpu } from './adapter';
import type { BackendChoice } from './backend';
import { connectEngine, type Engine, type EngineHome, type FromEngine, type ToEngine } from './protocol';
import { portOf } from './rpc';
import { trainMessage, type TrainMessage } from './trainMessages';

export interface EngineChoice {
  engine: Engine;
  home: EngineHome;
  /** Why the engine runs where it runs (shown in the Train view). */
  reason: TrainMessage;
}

export interface CreateEngineOptions {
  /** The user's backend preference: the page fallback is only considered for auto/webgpu. */
  preferred?: BackendChoice;
  /** How long the worker may take to answer its probe (default 20 s: it loads its own bundle). */
  probeTimeoutMs?: number;
}

function timeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(
      () => reject(new Error(`${what} did not answer within ${Math.round(ms / 1000)} s`)),
      ms,
    );
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/**
 * Where the engine should run, from what the probes found: the worker unless it failed to start,
 * or it lacks WebGPU while the page has it (and the user wants WebGPU or lets the studio choose).
 */
export function chooseHome(p: {
  preferred: BackendChoice;
  /** The worker's probe, or why the worker did not start / answer. */
  worker: { webgpu: boolean; reason?: string } | { failed: string };
  /** Whether the page can get a WebGPU adapter (asked only when it matters). */
  pageWebGpu: () => Promise<boolean>;
}): Promise<{ home: 'worker' | 'page'; reason: TrainMessage }> {
  const w = p.worker;
  if ('failed' in w)
    return Promise.resolve({
      home: 'page',
      reason: trainMessage('engine.home.noWorker', { error: w.failed }),
    });
  if (w.webgpu || !(p.preferred === 'auto' || p.preferred === 'webgpu')) {
    return Promise.resolve({ home: 'worker', reason: trainMessage('engine.home.worker') });
  }
  return p.pageWebGpu().then((page) =>
    page
      ? {
          home: 'page',
          reason: trainMessage('engine.home.pageForWebGpu', {
            reason: w.reason ?? trainMessage('engine.worker.noWebGpu').text,
          }),
        }
      : { home: 'worker', reason: trainMessage('engine.home.worker') },
  );
}

async function inPage(reason: TrainMessage): Promise<EngineChoice> {
  const { createInPageEngine } = await import('./inPage');
  return { engine: createInPageEngine(), home: 'page', reason };
}

export async function createEngine(opts: CreateEngineOptions = {}): Promise<EngineChoice> {
  const preferred = opts.preferred ?? 'auto';
  let worker: Worker;
  try {
    worker = new Worker(new URL('./worker.ts', import.meta.url), {
      type: 'module',
      name: 'ceph-gan-studio-engine',
    });
  } catch (e) {
    return inPage(
      trainMessage('engine.home.noWorker', { error: e instanceof Error ? e.message : String(e) }),
    );
  }
  const remote = connectEngine(portOf<FromEngine, ToEngine>(worker), 'worker', () => worker.terminate());
  let started = false;
  worker.addEventListener('error', (e: ErrorEvent) => {
    const error = e.message || 'the worker script failed';
    remote.failAll(new Error(error));
    if (started)
      remote.emitLocal({ type: 'error', message: trainMessage('engine.worker.crashed', { error }) });
  });
  let probe: { webgpu: boolean; reason?: string } | { failed: string };
  try {
    const r = await timeout(remote.probe(), opts.probeTimeoutMs ?? 20_000, 'the training worker');
    probe = { webgpu: r.webgpu, reason: r.webgpuReason };
  } catch (e) {
    probe = { failed: e instanceof Error ? e.message : String(e) };
  }
  const choice = await chooseHome({
    preferred,
    worker: probe,
    pageWebGpu: async () => 'adapter' in (await probeWebGpu()),
  });
  if (choice.home === 'page') {
    remote.terminate();
    return inPage(choice.reason);
  }
  started = true;
  return { engine: remote, home: 'worker', reason: choice.reason };
}
