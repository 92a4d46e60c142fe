/**
 * The engine's wire protocol over a fake transport (structured clone, asynchronous delivery like
 * postMessage), the chart data behind the live curves (TensorBoard's debiased EMA, resume
 * overlap, log scale), the config check and the memory verdict. No TF.js needed.
 */
import { describe, expect, it } from 'vitest';
import { withDefaults } from '../../src/core/config';
import { chooseHome } from '../../src/engine/client';
import { checkRunConfig, patchLogitSide } from '../../src/engine/configCheck';
import { checkMemory, formatBinaryBytes, largestTensorBytes } from '../../src/engine/memoryEstimate';
import {
  connectEngine,
  EngineCallError,
  serveEngine,
  transferablesOf,
  type EngineApi,
  type EngineEvent,
  type EngineEventListener,
  type FromEngine,
  type Port,
  type ToEngine,
} from '../../src/engine/protocol';
import { toTrainMessage, trainMessage, TrainError } from '../../src/engine/trainMessages';
import { SeriesSet } from '../../src/ui/train/chartData';

/** Two connected ports: messages are structured-cloned and delivered on a later task. */
function fakeChannel(): {
  page: Port<FromEngine, ToEngine>;
  worker: Port<ToEngine, FromEngine>;
  transfers: Transferable[][];
  sent: ToEngine[];
} {
  const toWorker = new Set<(m: ToEngine) => void>();
  const toPage = new Set<(m: FromEngine) => void>();
  const transfers: Transferable[][] = [];
  const sent: ToEngine[] = [];
  return {
    transfers,
    sent,
    page: {
      post(m) {
        sent.push(m);
        const copy = structuredClone(m);
        setTimeout(() => toWorker.forEach((h) => h(copy)), 0);
      },
      listen(h) {
        toPage.add(h);
        return () => toPage.delete(h);
      },
    },
    worker: {
      post(m, transfer = []) {
        transfers.push(transfer);
        const copy = structuredClone(m);
        setTimeout(() => toPage.forEach((h) => h(copy)), 0);
      },
      listen(h) {
        toWorker.add(h);
        return () => toWorker.delete(h);
      },
    },
  };
}

/** A stand-in engine: probe answers late, pause early, start fails with a TrainMessage. */
function fakeEngine(): EngineApi & {
  onEvent(l: EngineEventListener): () => void;
  emit(e: EngineEvent): void;
} {
  const listeners = new Set<EngineEventListener>();
  const api: Partial<EngineApi> = {
    probe: async () => {
      await new Promise((r) => setTimeout(r, 30));
      return { home: 'worker', webgpu: false, webgpuReason: 'no adapter' };
    },
    pause: async () => undefined,
    start: async () => {
      throw new TrainError(trainMessage('engine.noDataset'));
    },
    loadDataset: async () => {
      throw new Error('plain failure');
    },
  };
  return {
    ...(api as EngineApi),
    onEvent(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    emit(e) {
      for (const l of listeners) l(e);
    },
  };
}

describe('engine protocol over a fake transport', () => {
  it('matches responses to requests by id when they finish out of order', async () => {
    const ch = fakeChannel();
    const fake = fakeEngine();
    const stop = serveEngine(fake, ch.worker);
    const engine = connectEngine(ch.page, 'worker');
    // probe takes 30 ms, pause returns at once: pause's answer arrives first
    const order: string[] = [];
    const probe = engine.probe().then((r) => {
      order.push('probe');
      return r;
    });
    const pause = engine.pause().then(() => order.push('pause'));
    await Promise.all([probe, pause]);
    expect(order).toEqual(['pause', 'probe']);
    expect(await probe).toEqual({ home: 'worker', webgpu: false, webgpuReason: 'no adapter' });
    expect(ch.sent.map((m) => [m.id, m.kind === 'request' ? m.method : m.kind])).toEqual([
      [1, 'probe'],
      [2, 'pause'],
    ]);
    stop();
  });

  it('carries a TrainMessage across the boundary so the page can translate the error', async () => {
    const ch = fakeChannel();
    serveEngine(fakeEngine(), ch.worker);
    const engine = connectEngine(ch.page, 'worker');
    const err = await engine.start({ config: withDefaults({}) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineCallError);
    expect((err as EngineCallError).method).toBe('start');
    expect((err as EngineCallError).trainMessage?.code).toBe('engine.noDataset');
    expect(toTrainMessage(err).code).toBe('engine.noDataset');
    // a plain Error keeps its text and becomes engine.error on the page
    const plain = await engine.loadDataset({ kind: 'demo', cases: 4, seed: 1 }).catch((e: unknown) => e);
    expect((plain as Error).message).toBe('plain failure');
    expect(toTrainMessage(plain)).toEqual({
      code: 'engine.error',
      params: { error: 'plain failure' },
      text: 'plain failure',
    });
  });

  it('rejects a command the engine does not implement, and one it does not know', async () => {
    const ch = fakeChannel();
    serveEngine(fakeEngine(), ch.worker);
    const engine = connectEngine(ch.page, 'worker');
    await expect(engine.getStatus()).rejects.toThrow();
    // a request with a bogus method name (a page from another version)
    const reply = new Promise<FromEngine>((resolve) => ch.page.listen(resolve));
    ch.page.post({ kind: 'request', id: 99, method: 'format' as never, params: undefined });
    const r = await reply;
    expect(r.kind).toBe('response');
    if (r.kind === 'response' && !r.ok)
      expect([r.error.code, r.error.params]).toEqual(['rpc.unknownMethod', { method: 'format' }]);
    else throw new Error('expected an error response');
    // rebuilt on the page as the engine's translatable message
    const rebuilt = new EngineCallError('probe', r.error);
    expect(rebuilt.trainMessage?.code).toBe('engine.unknownMethod');
    expect(toTrainMessage(rebuilt).params).toEqual({ method: 'format' });
  });

  it('forwards events in order and transfers preview images instead of copying them', async () => {
    const ch = fakeChannel();
    const fake = fakeEngine();
    serveEngine(fake, ch.worker);
    const engine = connectEngine(ch.page, 'worker');
    const got: EngineEvent[] = [];
    engine.onEvent((e) => got.push(e));
    const img = { width: 2, height: 1, data: new Uint8ClampedArray([1, 2, 3, 255, 4, 5, 6, 255]) };
    fake.emit({
      type: 'metrics',
      runId: 'r1',
      points: [{ step: 5, epoch: 1, timeMs: 0, values: { G_L1: 3.5 } }],
    });
    fake.emit({ type: 'preview', runId: 'r1', step: 5, predictions: [img] });
    await new Promise((r) => setTimeout(r, 10));
    expect(got.map((e) => e.type)).toEqual(['metrics', 'preview']);
    const preview = got[1];
    if (preview.type !== 'preview') throw new Error('unreachable');
    expect(Array.from(preview.predictions[0].data)).toEqual([1, 2, 3, 255, 4, 5, 6, 255]);
    // metrics went without a transfer list, the preview's pixel buffer was transferred
    expect(ch.transfers[0]).toEqual([]);
    expect(ch.transfers[1]).toEqual([img.data.buffer]);
  });

  it('transferablesOf takes whole buffers only (a view into a larger buffer is copied)', () => {
    const whole = new Uint8Array(8);
    const part = new Uint8Array(new ArrayBuffer(16), 4, 8);
    expect(transferablesOf({ a: [whole, part], b: whole })).toEqual([whole.buffer]);
  });

  it('terminate rejects pending calls', async () => {
    const ch = fakeChannel();
    serveEngine(fakeEngine(), ch.worker);
    let terminated = false;
    const engine = connectEngine(ch.page, 'worker', () => {
      terminated = true;
    });
    const p = engine.probe();
    engine.terminate();
    await expect(p).rejects.toThrow('terminated');
    expect(terminated).toBe(true);
  });
});

describe('where the engine runs (client.chooseHome)', () => {
  const pageHas = (v: boolean) => {
    const calls = { n: 0 };
    return { calls, ask: async () => (calls.n++, v) };
  };

  it('keeps the worker when it has WebGPU, without asking the page', async () => {
    const page = pageHas(true);
    const c = await chooseHome({ preferred: 'auto', worker: { webgpu: true }, pageWebGpu: page.ask });
    expect([c.home, c.reason.code, page.calls.n]).toEqual(['worker', 'engine.home.worker', 0]);
  });

  it('moves to the page when only the page gets WebGPU, and records why', async () => {
    const c = await chooseHome({
      preferred: 'webgpu',
      worker: { webgpu: false, reason: 'navigator.gpu is missing' },
      pageWebGpu: pageHas(true).ask,
    });
    expect(c.home).toBe('page');
    expect(c.reason.code).toBe('engine.home.pageForWebGpu');
    expect(c.reason.text).toContain('could not get WebGPU (navigator.gpu is missing) but the page can');
  });

  it('stays in the worker when neither has WebGPU, or the user chose a CPU backend', async () => {
    const none = await chooseHome({
      preferred: 'auto',
      worker: { webgpu: false },
      pageWebGpu: pageHas(false).ask,
    });
    expect(none.home).toBe('worker');
    const page = pageHas(true);
    const wasm = await chooseHome({ preferred: 'wasm', worker: { webgpu: false }, pageWebGpu: page.ask });
    expect([wasm.home, page.calls.n]).toEqual(['worker', 0]);
  });

  it('runs in the page when the worker does not start', async () => {
    const c = await chooseHome({
      preferred: 'auto',
      worker: { failed: 'module workers unsupported' },
      pageWebGpu: pageHas(true).ask,
    });
    expect(c.home).toBe('page');
    expect(c.reason.text).toContain('could not start a module worker (module workers unsupported)');
  });
});

describe('chart data (live curves)', () => {
  const pts = (rows: [number, number | null][]) => rows.map(([step, v]) => ({ step, values: { G_L1: v } }));

  it('smooths with TensorBoard’s debiased EMA (hand-computed)', () => {
    const s = new SeriesSet(['G_L1'], { weight: 0.5 });
    s.append(
      pts([
        [1, 1],
        [2, 2],
        [3, 3],
      ]),
    );
    // last = 0.5 -> 1; 1.25 / 0.75 = 1.6667; 2.125 / 0.875 = 2.428571
    const [, sm] = s.data({ smoothed: true, log: false });
    expect(sm[0]).toBeCloseTo(1, 12);
    expect(sm[1]).toBeCloseTo(5 / 3, 12);
    expect(sm[2]).toBeCloseTo(2.125 / 0.875, 12);
    const [, raw] = s.data({ smoothed: false, log: false });
    expect(raw).toEqual([1, 2, 3]);
    // moving the slider recomputes from the raw values
    s.setWeight(0);
    expect(s.data({ smoothed: true, log: false })[1]).toEqual([1, 2, 3]);
    s.setWeight(0.9);
    expect(s.data({ smoothed: true, log: false })[1][1]).toBeCloseTo((0.9 * 0.1 + 0.1 * 2) / (1 - 0.81), 12);
  });

  it('leaves gaps for missing values without updating the smoother', () => {
    const s = new SeriesSet(['G_L1'], { weight: 0.5 });
    s.append(
      pts([
        [1, 4],
        [2, null],
        [3, 4],
      ]),
    );
    expect(s.data({ smoothed: true, log: false })[1]).toEqual([4, null, 4]);
    expect(s.counts()).toEqual({ G_L1: 2 });
  });

  it('a resumed run logging steps again replaces the stored tail instead of duplicating it', () => {
    const s = new SeriesSet(['G_L1'], { weight: 0.5 });
    s.append(
      pts([
        [5, 1],
        [10, 2],
        [15, 3],
        [20, 4],
      ]),
    );
    // resumed from the checkpoint at step 10: the next point is step 15 again
    s.append(
      pts([
        [15, 30],
        [20, 40],
      ]),
    );
    expect(s.x).toEqual([5, 10, 15, 20]);
    expect(s.data({ smoothed: false, log: false })[1]).toEqual([1, 2, 30, 40]);
    // the smoothed column was recomputed over the new tail: same as smoothing [1, 2, 30, 40] from scratch
    const fresh = new SeriesSet(['G_L1'], { weight: 0.5 });
    fresh.append(
      pts([
        [5, 1],
        [10, 2],
        [15, 30],
        [20, 40],
      ]),
    );
    expect(s.data({ smoothed: true, log: false })).toEqual(fresh.data({ smoothed: true, log: false }));
  });

  it('log scale turns values <= 0 into gaps, linear keeps them', () => {
    const s = new SeriesSet(['G_L1', 'lr'], { smoothed: [] });
    s.append([
      { step: 1, values: { G_L1: 0, lr: 2e-4 } },
      { step: 2, values: { G_L1: 0.5, lr: 0 } },
    ]);
    expect(s.data({ smoothed: false, log: true })).toEqual([
      [1, 2],
      [null, 0.5],
      [2e-4, null],
    ]);
    expect(s.data({ smoothed: false, log: false })).toEqual([
      [1, 2],
      [0, 0.5],
      [2e-4, 0],
    ]);
  });
});

describe('run config check and memory verdict', () => {
  it('names the option and the fix when size is not a multiple of 2^downs', () => {
    const issues = checkRunConfig(withDefaults({ netG: 'unet_256', size: 500 }));
    expect(issues.map((i) => i.option)).toEqual(['size']);
    expect(issues[0].message.code).toBe('config.sizeDivisible');
    expect(issues[0].message.text).toContain('size 500 px is not a multiple of 2^8 = 256');
    expect(checkRunConfig(withDefaults({ netG: 'unet_256', size: 512 }))).toEqual([]);
    expect(checkRunConfig(withDefaults({ netG: 'unet_64', size: 64, ngf: 8, ndf: 8 }))).toEqual([]);
  });

  it('rejects a PatchGAN with no output, bad numbers and a U-Net below unet_32', () => {
    expect(patchLogitSide(256, 3)).toBe(30);
    expect(patchLogitSide(512, 3)).toBe(62);
    const codes = checkRunConfig(
      withDefaults({ netG: 'unet_16' as never, size: 32, n_layers_D: 5, lr: 0, batch_size: 1.5, beta1: 1 }),
    ).map((i) => `${i.option}:${i.message.code}`);
    expect(codes).toEqual([
      'netG:config.netG',
      'lr:config.positive',
      'beta1:config.range',
      'batch_size:config.integer',
      'n_layers_D:config.patchTooSmall',
    ]);
  });

  it('flags a tensor larger than the adapter’s binding limit, and wasm’s 4 GiB heap', () => {
    const layers = [
      { net: 'G' as const, key: 'g', macs: 0, outElements: 64 * 256 * 256 },
      { net: 'D' as const, key: 'd', macs: 0, outElements: 10 },
    ];
    // G's skip concatenation doubles the largest up-path output: 2 * 64*256*256 * 4 B = 32 MiB
    expect(largestTensorBytes({ layers }, 1, 0)).toBe(32 * 1024 ** 2);
    expect(largestTensorBytes({ layers }, 8, 0)).toBe(256 * 1024 ** 2);
    const gpu = { backend: 'webgpu', maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 128 * 1024 ** 2 };
    expect(checkMemory({ totalBytes: 1e9, largestTensorBytes: 32 * 1024 ** 2 }, gpu)).toEqual({
      fits: true,
      problems: [],
    });
    const big = checkMemory({ totalBytes: 1e9, largestTensorBytes: 256 * 1024 ** 2 }, gpu);
    expect(big.fits).toBe(false);
    expect(big.problems[0].text).toContain(
      '(256.0 MiB) exceeds the GPU adapter’s maxStorageBufferBindingSize (128.0 MiB)',
    );
    const wasm = checkMemory({ totalBytes: 5 * 1024 ** 3, largestTensorBytes: 1 }, { backend: 'wasm' });
    expect(wasm.problems.map((p) => p.code)).toEqual(['engine.memory.wasmHeap']);
    expect(formatBinaryBytes(1536)).toBe('1.5 KiB');
  });
});
