/**
 * Sweeps and studies in the app (issue 15):
 *  - the nested training subset the engine applies (`train_subset`) is the CLI study's subset;
 *    `max_steps` caps a run;
 *  - the plans (sweep expansion with a step cap, a study's subsets with steps or epochs held);
 *  - the queue (ui/experiments/sweepQueue.svelte.ts) against a fake engine on the real store
 *    (fake-indexeddb): order, pause, reorder, cancel, and a reload mid-queue (new queue, new
 *    engine, same database: the interrupted run is resumed, then the next entry starts);
 *  - the stored queue's round trip and a damaged record's message.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { withDefaults, type RunConfig } from '../../src/core/config';
import { studioOnlyOptions } from '../../src/core/io/serverBundle';
import { EngineCore } from '../../src/engine/engineCore';
import type { DemoGenerator, SourceCase } from '../../src/engine/datasetIds';
import type { Engine, EngineEvent, EngineStatus, StartOptions } from '../../src/engine/protocol';
import { createRun, getRun, listRuns, setRunStatus, updateRun, type RunRecord } from '../../src/store/runs';
import type { Kv } from '../../src/store/kv';
import { openStudioStorage } from '../../src/store/storage';
import {
  checkSweepRecord,
  createSweep,
  getSweep,
  listSweeps,
  updateSweep,
  type SweepEntry,
} from '../../src/store/sweeps';
import { parseSizes, planStudy, planSweep } from '../../src/ui/experiments/sweepPlan';
import { SweepQueue, type QueueHost } from '../../src/ui/experiments/sweepQueue.svelte';
import {
  applyTrainSubset,
  nestedSubsets,
  runTotalSteps,
  SubsetError,
  trainSubsetIds,
} from '../../src/core/experiments';

const cases = [
  ...Array.from({ length: 30 }, (_, i) => ({ id: `c${i + 1}`, split: 'train' as const })),
  ...Array.from({ length: 6 }, (_, i) => ({ id: `v${i + 1}`, split: 'val' as const })),
];
const trainIds = cases.filter((c) => c.split === 'train').map((c) => c.id);

describe('train_subset: the engine and the CLI take the same nested subsets', () => {
  it('trainSubsetIds(n) is nestedSubsets’ subset of size n for the same seed, nested', () => {
    const study = nestedSubsets(cases, [5, 10, 20, 'all'], 42);
    for (const s of study) expect(trainSubsetIds(trainIds, s.label === 'all' ? 0 : s.n, 42)).toEqual(s.ids);
    // nested: every smaller subset inside the larger ones
    for (let i = 1; i < study.length; i++)
      expect(study[i - 1].ids.every((id) => study[i].ids.includes(id))).toBe(true);
    // the input order of the ids does not matter; the seed does
    expect(trainSubsetIds([...trainIds].reverse(), 10, 42)).toEqual(study[1].ids);
    expect(trainSubsetIds(trainIds, 10, 43)).not.toEqual(study[1].ids);
  });

  it('applyTrainSubset picks the pairs of those ids (0 or absent: every pair) and refuses too many', () => {
    const pairs = trainIds.map((id) => ({ id, photo: id }));
    expect(applyTrainSubset(pairs, { seed: 42 })).toHaveLength(30);
    expect(applyTrainSubset(pairs, { train_subset: 0, seed: 42 })).toHaveLength(30);
    const sub = applyTrainSubset(pairs, { train_subset: 10, seed: 42 });
    expect(sub.map((p) => p.id)).toEqual(trainSubsetIds(trainIds, 10, 42));
    expect(() => applyTrainSubset(pairs, { train_subset: 31, seed: 42 })).toThrow(SubsetError);
    expect(() => applyTrainSubset(pairs, { train_subset: 31, seed: 42 })).toThrow(/30 cases/);
    expect(() => applyTrainSubset(pairs, { train_subset: 2.5, seed: 42 })).toThrow(/whole number/);
  });

  it('the server bundle notes a study run’s subset and step cap (the server has no such options)', () => {
    const notes = studioOnlyOptions(withDefaults({ train_subset: 20, max_steps: 400 }));
    expect(notes.map((n) => [n.name, n.value])).toEqual([
      ['train_subset', '20'],
      ['max_steps', '400'],
    ]);
    expect(studioOnlyOptions(withDefaults({}))).toEqual([]);
  });

  it('max_steps caps a run’s steps (0 or absent: the schedule’s length)', () => {
    expect(runTotalSteps({ max_steps: 0 }, 100)).toBe(100);
    expect(runTotalSteps({}, 100)).toBe(100);
    expect(runTotalSteps({ max_steps: 7 }, 100)).toBe(7);
    expect(runTotalSteps({ max_steps: 700 }, 100)).toBe(100);
  });
});

const BASE: RunConfig = withDefaults({ netG: 'unet_64', size: 64, n_epochs: 1, n_epochs_decay: 1 });

describe('plans', () => {
  it('a 2x2 sweep: four entries, first option slowest, the step cap in every config', () => {
    const { entries, keys } = planSweep(
      BASE,
      [
        { key: 'lambda_L1', values: ['100', '60'] },
        { key: 'lambda_grad', values: ['0', '5'] },
      ],
      { stepsPerRun: 5 },
    );
    expect(keys).toEqual(['lambda_L1', 'lambda_grad']);
    expect(entries.map((e) => e.name)).toEqual([
      'lambda_L1=100,lambda_grad=0',
      'lambda_L1=100,lambda_grad=5',
      'lambda_L1=60,lambda_grad=0',
      'lambda_L1=60,lambda_grad=5',
    ]);
    expect(entries[3].config).toMatchObject({ lambda_L1: 60, lambda_grad: 5, max_steps: 5, netG: 'unet_64' });
    expect(entries[3].vary).toEqual({ lambda_L1: 60, lambda_grad: 5 });
    expect(entries.every((e) => e.status === 'pending' && e.runId === null)).toBe(true);
    expect(() => planSweep(BASE, [{ key: 'lambda_l', values: ['1'] }])).toThrow(/did you mean lambda_L1/);
  });

  it('a study: nested subsets smallest first; steps held = same max_steps and enough epochs; epochs held', () => {
    const steps = planStudy(BASE, parseSizes('20, 40, all'), 80, 'steps', 400);
    expect(steps.entries.map((e) => [e.config.train_subset, e.subset?.size, e.subset?.of])).toEqual([
      [20, 20, 80],
      [40, 40, 80],
      [0, 80, 80],
    ]);
    for (const e of steps.entries) {
      expect(e.config.max_steps).toBe(400);
      const n = e.subset!.size;
      // the schedule reaches 400 steps, so every subset trains exactly 400 (runTotalSteps)
      expect((e.config.n_epochs + e.config.n_epochs_decay) * n).toBeGreaterThanOrEqual(400);
    }
    const epochs = planStudy(BASE, [20, 'all'], 80, 'epochs', 6);
    expect(
      epochs.entries.map((e) => [e.config.n_epochs, e.config.n_epochs_decay, e.config.max_steps]),
    ).toEqual([
      [3, 3, 0],
      [3, 3, 0],
    ]);
    expect(() => planStudy(BASE, [20, 90], 80, 'steps', 10)).toThrow(
      /larger than the training split \(80 cases\)/,
    );
    expect(() => planStudy(BASE, [80, 'all'], 80, 'steps', 10)).toThrow(/both 80 cases/);
    expect(() => parseSizes('20')).toThrow(/at least two sizes/);
  });
});

/** An engine that trains one run at a time on the real runs store; the test finishes runs. */
class FakeEngine {
  phase: EngineStatus['phase'] = 'ready';
  runId: string | null = null;
  readonly calls: string[] = [];
  private listeners = new Set<(e: EngineEvent) => void>();
  constructor(private readonly kv: Kv) {}
  onEvent(l: (e: EngineEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  private emit(e: EngineEvent): void {
    for (const l of [...this.listeners]) l(e);
  }
  private status(): EngineStatus {
    return { phase: this.phase, runId: this.runId, dataset: null, backend: 'cpu', activity: null };
  }
  async getStatus(): Promise<EngineStatus> {
    return this.status();
  }
  async start(p: StartOptions) {
    if (this.phase !== 'ready') throw new Error('busy');
    const run = await createRun(this.kv, {
      name: p.name ?? 'run',
      datasetId: 'demo-10-1',
      config: p.config,
      preprocessing: { mode: 'letterbox', size: 64 } as RunRecord['preprocessing'],
      backend: 'cpu',
      adapter: null,
      ...(p.sweep ? { sweep: p.sweep } : {}),
    });
    this.calls.push(`start ${p.name}`);
    this.phase = 'running';
    this.runId = run.id;
    this.emit({ type: 'run', run });
    return { run, fromStep: 0, totalSteps: 5, stepsPerEpoch: 5 };
  }
  async recoverRun(p: { runId: string }) {
    if (this.phase !== 'ready') throw new Error('busy');
    const run = await setRunStatus(this.kv, p.runId, 'running');
    this.calls.push(`resume ${run.name}`);
    this.phase = 'running';
    this.runId = run.id;
    this.emit({ type: 'run', run });
    return { run, fromStep: 3, totalSteps: 5, stepsPerEpoch: 5 };
  }
  async pause() {
    this.calls.push('pause');
    this.phase = 'paused';
  }
  async resume() {
    this.calls.push('resume');
    this.phase = 'running';
  }
  async stop() {
    const id = this.runId!;
    this.calls.push('stop');
    const run = await setRunStatus(this.kv, id, 'stopped');
    this.phase = 'ready';
    this.runId = null;
    this.emit({ type: 'run', run });
    this.emit({ type: 'status', status: this.status() });
    return run;
  }
  /** Test helper: the training run reaches its last step. */
  async finish(l1: number): Promise<void> {
    const id = this.runId!;
    this.runId = null; // the engine ends the run before its record says finished
    const run = await updateRun(this.kv, id, {
      status: 'finished',
      step: 5,
      best: { metric: 'mean_l1', value: l1, step: 5, epoch: 1 },
    });
    this.phase = 'ready';
    this.emit({ type: 'run', run });
    this.emit({ type: 'status', status: this.status() });
  }
}

function makeQueue(kv: Kv, engine: FakeEngine): { q: SweepQueue; loads: string[] } {
  const loads: string[] = [];
  let loaded: string | null = null;
  const host: QueueHost = {
    storage: async () => kv,
    ready: async () => ({ engine: engine as unknown as Engine, runs: kv }),
    loadedDatasetId: () => loaded,
    loadDataset: async (_s, id) => {
      loads.push(id);
      loaded = id;
    },
  };
  return { q: new SweepQueue(host), loads };
}

const names = (q: SweepQueue): string[] => q.record!.entries.map((e) => `${e.name}:${e.status}`);

async function newQueue(q: SweepQueue, entries: SweepEntry[]): Promise<void> {
  await q.enqueue({
    name: 'lambda_L1 x lambda_grad',
    kind: 'sweep',
    datasetId: 'demo-10-1',
    dataSource: { kind: 'demo', cases: 10, seed: 1 },
    bestMetric: 'l1',
    keys: ['lambda_L1', 'lambda_grad'],
    entries,
  });
}

const twoByTwo = (): SweepEntry[] =>
  planSweep(BASE, [
    { key: 'lambda_L1', values: ['100', '60'] },
    { key: 'lambda_grad', values: ['0', '5'] },
  ]).entries;

describe('the queue (fake engine, real store)', () => {
  it('trains entries in order, survives a reload mid-queue (the interrupted run is recovered), tags runs', async () => {
    const { runs: kv } = await openStudioStorage({ prefix: `sq-${globalThis.crypto.randomUUID()}` });
    const e1 = new FakeEngine(kv);
    const { q, loads } = makeQueue(kv, e1);
    await newQueue(q, twoByTwo());
    expect(loads).toEqual(['demo-10-1']);
    expect(e1.calls).toEqual(['start lambda_L1=100,lambda_grad=0']);
    await e1.finish(0.3);
    await q.advance();
    expect(names(q).slice(0, 2)).toEqual([
      'lambda_L1=100,lambda_grad=0:done',
      'lambda_L1=100,lambda_grad=5:running',
    ]);
    expect(q.record!.entries[0].best).toEqual({ metric: 'mean_l1', value: 0.3, step: 5 });
    const run2 = q.record!.entries[1].runId!;

    // reload while run 2 trains: the page (queue + engine) is gone; the store marks the run interrupted
    await setRunStatus(kv, run2, 'interrupted');
    const e2 = new FakeEngine(kv);
    const { q: q2 } = makeQueue(kv, e2);
    await q2.restore();
    expect(e2.calls).toEqual(['resume lambda_L1=100,lambda_grad=5']);
    await e2.finish(0.25);
    await q2.advance();
    await e2.finish(0.2);
    await q2.advance();
    await e2.finish(0.22);
    await q2.advance();
    expect(e2.calls).toEqual([
      'resume lambda_L1=100,lambda_grad=5',
      'start lambda_L1=60,lambda_grad=0',
      'start lambda_L1=60,lambda_grad=5',
    ]);
    expect(q2.record!.entries.every((e) => e.status === 'done')).toBe(true);
    expect(q2.unfinished).toBe(false);
    // four runs, each tagged with the queue, its index and its varied values; none started twice
    const all = (await listRuns(kv)).runs;
    expect(all).toHaveLength(4);
    const tags = all.map((r) => r.sweep!).sort((a, b) => a.index - b.index);
    expect(tags.map((t) => t.index)).toEqual([0, 1, 2, 3]);
    expect(tags[3]).toMatchObject({ id: q2.record!.id, vary: { lambda_L1: 60, lambda_grad: 5 } });
    expect(q2.runIds).toHaveLength(4);
  });

  it('pause stops new starts and pauses the run; reorder moves pending entries; cancel skips or stops', async () => {
    const { runs: kv } = await openStudioStorage({ prefix: `sq-${globalThis.crypto.randomUUID()}` });
    const eng = new FakeEngine(kv);
    const { q } = makeQueue(kv, eng);
    await newQueue(q, twoByTwo());
    // reorder: the last entry moves up twice, the first (training) cannot be passed
    const last = q.record!.entries[3].index;
    await q.move(last, -1);
    await q.move(last, -1);
    await q.move(last, -1);
    expect(q.record!.entries.map((e) => e.index)).toEqual([0, 3, 1, 2]);
    // persisted: the stored order is the shown one
    expect((await getSweep(kv, q.record!.id))!.entries.map((e) => e.index)).toEqual([0, 3, 1, 2]);

    await q.pause();
    expect(eng.calls.at(-1)).toBe('pause');
    expect(eng.phase).toBe('paused');
    eng.phase = 'running';
    await eng.finish(0.3);
    await q.advance();
    expect(eng.calls.filter((c) => c.startsWith('start'))).toHaveLength(1); // paused: nothing new starts
    await q.resume();
    expect(eng.calls.at(-1)).toBe('start lambda_L1=60,lambda_grad=5'); // the moved entry is next

    // cancel a pending entry: skipped; cancel the training one: stopped, the next starts
    await q.cancelEntry(1);
    await q.cancelEntry(3);
    await q.advance();
    expect(eng.calls).toContain('stop');
    expect(names(q)).toEqual([
      'lambda_L1=100,lambda_grad=0:done',
      'lambda_L1=60,lambda_grad=5:cancelled',
      'lambda_L1=100,lambda_grad=5:cancelled',
      'lambda_L1=60,lambda_grad=0:running',
    ]);
    expect(q.record!.paused).toBe(false); // the queue's own stop does not pause it
    // cancel the whole queue: the training run is stopped, nothing is left
    await q.cancelAll();
    expect(eng.phase).toBe('ready');
    expect(q.record!.cancelled).toBe(true);
    expect(q.unfinished).toBe(false);
    expect((await getRun(kv, q.record!.entries[3].runId!))!.status).toBe('stopped');
  });

  it('a run stopped in the Train view pauses the queue; Resume continues that run', async () => {
    const { runs: kv } = await openStudioStorage({ prefix: `sq-${globalThis.crypto.randomUUID()}` });
    const eng = new FakeEngine(kv);
    const { q } = makeQueue(kv, eng);
    await newQueue(q, twoByTwo().slice(0, 2));
    await eng.stop(); // the user's Stop, not the queue's
    await q.advance();
    await new Promise((r) => setTimeout(r, 20));
    expect(q.record!.paused).toBe(true);
    expect(eng.calls.filter((c) => c.startsWith('start'))).toHaveLength(1);
    await q.resume();
    expect(eng.calls.at(-1)).toBe('resume lambda_L1=100,lambda_grad=0');
  });

  it('a run started just before a crash (id not yet in the queue) is found by its tag, not started twice', async () => {
    const { runs: kv } = await openStudioStorage({ prefix: `sq-${globalThis.crypto.randomUUID()}` });
    const eng = new FakeEngine(kv);
    const { q } = makeQueue(kv, eng);
    await newQueue(q, twoByTwo().slice(0, 2));
    const id = q.record!.id;
    const runId = q.record!.entries[0].runId!;
    // the crash: the queue's record says "running" without the run id; the run is interrupted
    await updateSweep(kv, id, (r) => ({
      ...r,
      entries: r.entries.map((e, i) => (i === 0 ? { ...e, runId: null } : e)),
    }));
    await setRunStatus(kv, runId, 'interrupted');
    const e2 = new FakeEngine(kv);
    const { q: q2 } = makeQueue(kv, e2);
    await q2.restore();
    expect(e2.calls).toEqual(['resume lambda_L1=100,lambda_grad=0']);
    expect(q2.record!.entries[0].runId).toBe(runId);
  });
});

describe('stored queues', () => {
  it('round trip; atomic update; a damaged record is named and listed apart', async () => {
    const { runs: kv } = await openStudioStorage({ prefix: `sq-${globalThis.crypto.randomUUID()}` });
    const rec = await createSweep(kv, {
      name: 'n',
      kind: 'study',
      datasetId: 'd',
      dataSource: { kind: 'stored', datasetId: 'd' },
      bestMetric: 'l1',
      keys: ['train_subset'],
      entries: planStudy(BASE, [2, 'all'], 4, 'epochs', 2).entries,
      held: 'epochs',
      heldValue: 2,
    });
    const back = await getSweep(kv, rec.id);
    expect(back).toEqual(rec);
    const changed = await updateSweep(kv, rec.id, (r) => ({ ...r, paused: true }));
    expect(changed.paused).toBe(true);
    expect((await getSweep(kv, rec.id))!.paused).toBe(true);
    await kv.set('sweep/broken', { id: 'broken', kind: 'sweep', entries: [{ name: 'x' }] });
    const listed = await listSweeps(kv);
    expect(listed.sweeps.map((s) => s.id)).toEqual([rec.id]);
    expect(listed.damaged[0]).toMatch(/sweep\/broken is damaged/);
    expect(() => checkSweepRecord(null, 'sweep/x')).toThrow(/sweep\/x is damaged \(not an object\)/);
  });
});

/** 12 flat toy cases (10 train, 2 val) at the run's size: enough to count what the engine trains on. */
const toyDemo: DemoGenerator = async (n, _seed, size) => {
  const img = (v: number) => ({
    width: size,
    height: size,
    data: new Uint8ClampedArray(size * size * 4).fill(v),
  });
  const cases: SourceCase[] = Array.from({ length: n }, (_, i) => ({
    id: `toy${String(i).padStart(2, '0')}`,
    split: i < n - 2 ? 'train' : 'val',
    landmarks: null,
    photo: img(40 + i),
    xray: img(200 - i),
  }));
  return { cases };
};

describe('the engine trains on the subset and stops at max_steps', () => {
  it('train_subset 4: 4 steps per epoch; max_steps 3 ends the run at step 3; the sweep tag is stored', async () => {
    const core = new EngineCore({ home: 'node', demo: toyDemo, eventEveryMs: 0, historyEveryMs: 0 });
    const prefix = `sqe-${globalThis.crypto.randomUUID()}`;
    await core.init({ backend: 'cpu', storagePrefix: prefix });
    const ds = await core.loadDataset({ kind: 'demo', cases: 12, seed: 1 });
    expect(ds.trainCount).toBe(10);
    const config = withDefaults({
      netG: 'unet_32',
      size: 32,
      ngf: 4,
      ndf: 4,
      n_epochs: 1,
      n_epochs_decay: 1,
      log_every: 1,
      val_every: 50,
      save_every: 50,
      train_subset: 4,
      max_steps: 3,
    });
    const sweep = {
      id: 'sw1',
      name: 'study',
      index: 0,
      vary: { train_subset: 4 },
      subset: { size: 4, of: 10 },
    };
    const started = await core.start({ config, name: '4 cases', sweep });
    expect([started.stepsPerEpoch, started.totalSteps]).toEqual([4, 3]);
    for (let i = 0; i < 600 && (await core.getStatus()).phase !== 'ready'; i++)
      await new Promise((r) => setTimeout(r, 50));
    const storage = await openStudioStorage({ prefix });
    const run = await getRun(storage.runs, started.run.id);
    expect(run?.status).toBe('finished');
    expect(run?.step).toBe(3);
    expect(run?.sweep).toEqual(sweep);
    // a subset larger than the training split is refused before a run is stored
    await expect(core.start({ config: { ...config, train_subset: 11 }, name: 'too many' })).rejects.toThrow(
      /larger than the training split \(10 cases\)/,
    );
    expect((await listRuns(storage.runs)).total).toBe(1);
    await core.dispose();
  });
});
