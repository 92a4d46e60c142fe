/**
 * Issue 13 on the UI side: the advisory gate's traceability rule (MRE ≤ 2 mm, judged only when an
 * evaluation carries traceability) and the detector panel's pure helpers.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_GATE, evaluateGate } from '../../src/core/eval/gate';
import type { DetectorSummary } from '../../src/engine/protocol';

const OK = { mean_l1: 0.05, mean_psnr: 25, failure_rate: 0, sharpness_ratio: 1 };

describe('gate: traceability MRE ≤ 2 mm', () => {
  it('is left out when the evaluation has no traceability', () => {
    const v = evaluateGate(OK, DEFAULT_GATE);
    expect(v.criteria.map((c) => c.id)).not.toContain('trace_mre');
    expect(v.status).toBe('pass');
  });

  it('passes at 2 mm, fails just over, and is unknown (incomplete) when nothing was measured', () => {
    expect(DEFAULT_GATE.maxTraceMreMm).toBe(2);
    const at = evaluateGate({ ...OK, trace_mre: 2 }, DEFAULT_GATE);
    const c = at.criteria.find((x) => x.id === 'trace_mre');
    expect(c).toEqual({ id: 'trace_mre', value: 2, threshold: 2, op: '<=', status: 'pass' });
    expect(at.status).toBe('pass');
    const over = evaluateGate({ ...OK, trace_mre: 2.01 }, DEFAULT_GATE);
    expect(over.criteria.find((x) => x.id === 'trace_mre')?.status).toBe('fail');
    expect(over.status).toBe('fail');
    const unknown = evaluateGate({ ...OK, trace_mre: null }, DEFAULT_GATE);
    expect(unknown.criteria.find((x) => x.id === 'trace_mre')?.status).toBe('unknown');
    expect(unknown.status).toBe('incomplete');
  });

  it('is switched off by a null threshold and follows a user threshold', () => {
    const off = evaluateGate({ ...OK, trace_mre: 9 }, { ...DEFAULT_GATE, maxTraceMreMm: null });
    expect(off.criteria.map((c) => c.id)).not.toContain('trace_mre');
    const loose = evaluateGate({ ...OK, trace_mre: 2.5 }, { ...DEFAULT_GATE, maxTraceMreMm: 3 });
    expect(loose.criteria.find((x) => x.id === 'trace_mre')?.status).toBe('pass');
  });
});

describe('detector-assisted tracings stay out of every statistic', () => {
  it('are stored as assisted, never become ground truth, and are left out of counts and error tables', async () => {
    const { createDatasetMeta, landmarkSetInfo } = await import('../../src/core/data/dataset');
    const { ISBI_SET } = await import('../../src/core/data/landmarkSet');
    const { chooseEvalList } = await import('../../src/core/data/splits');
    const { addCases, createDataset, getCase } = await import('../../src/store/datasets');
    const { openStudioStorage } = await import('../../src/store/storage');
    const { countedTracings, listTracings, saveTracing } = await import('../../src/store/tracings');
    const { targetErrors } = await import('../../src/ui/landmarks/results');
    const set = landmarkSetInfo(ISBI_SET);
    const s = await openStudioStorage({ prefix: `det-${globalThis.crypto.randomUUID()}` });
    const kv = s.datasets;
    await createDataset(
      kv,
      createDatasetMeta({ id: 'films', name: 'films', layout: 'folders', evalList: chooseEvalList([], 1) }),
    );
    const rec = (id: string) => ({
      id,
      split: 'val' as const,
      source: { xrayPath: `xray/${id}.jpg` },
      photoSize: { width: 100, height: 100 },
      xraySize: { width: 100, height: 100 },
      landmarks: null,
      flags: [],
      state: { excluded: false },
    });
    const blob = new Blob([new Uint8Array(10)], { type: 'image/jpeg' });
    await addCases(kv, 'films', [
      { record: rec('001'), images: { xray: { blob, fileName: 'xray/001.jpg' } } },
      { record: rec('002'), images: { xray: { blob, fileName: 'xray/002.jpg' } } },
    ]);
    const pts = (k: number): [number, number][] => set.symbols.map((_, i) => [10 + i + k, 20 + i]);
    const real = { kind: 'real' as const, datasetId: 'films' };
    // a complete detector-assisted tracing of a film without ground truth: not written as its ground truth
    const a = await saveTracing(
      kv,
      {
        datasetId: 'films',
        caseId: '001',
        target: real,
        points: pts(0),
        symbols: set.symbols,
        assisted: 'detector',
      },
      { groundTruth: set },
    );
    expect(a.groundTruthWritten).toBe(false);
    expect(a.record.assisted).toBe('detector');
    expect((await getCase(kv, 'films', '001'))?.record.landmarks).toBeNull();
    // the same by hand does become the ground truth (the control)
    const b = await saveTracing(
      kv,
      {
        datasetId: 'films',
        caseId: '002',
        target: real,
        points: pts(0),
        symbols: set.symbols,
        assisted: false,
      },
      { groundTruth: set },
    );
    expect(b.groundTruthWritten).toBe(true);
    const all = await listTracings(kv, 'films');
    expect(all.map((r) => [r.caseId, r.assisted])).toEqual([
      ['001', 'detector'],
      ['002', false],
    ]);
    expect(countedTracings(all).map((r) => r.caseId)).toEqual(['002']);
    // error tables: the detector-assisted tracing (1 px off everywhere) is left out
    const ckpt = { kind: 'checkpoint' as const, runId: 'r', name: 'best' };
    const now = Date.now();
    const tr = (caseId: string, assisted: false | 'detector', k: number) => ({
      id: `${caseId}-${String(assisted)}`,
      datasetId: 'films',
      caseId,
      target: ckpt,
      points: pts(k),
      symbols: set.symbols,
      createdAt: now,
      updatedAt: now,
      assisted,
    });
    const gt = async () => pts(0);
    const errs = await targetErrors([tr('001', 'detector', 30), tr('002', false, 0)], set.symbols, 0.1, gt);
    expect(errs.leftOut).toBe(1);
    expect(errs.cases.map((c) => c.caseId)).toEqual(['002']);
    expect(errs.summary.mreMm).toBe(0);
  });
});

describe('detector choices', () => {
  const ISBI = ['S', 'N', 'Or'];
  const AARIZ = ['A', 'ANS', 'B', 'Me'];
  const d = (over: Partial<DetectorSummary>): DetectorSummary => ({
    ref: { kind: 'shipped' },
    name: 'x',
    symbols: ISBI,
    size: 256,
    sigmaMm: 3,
    mmPerPx: 0.1,
    createdAt: 0,
    ...over,
  });
  const shipped = d({ name: 'shipped' });
  const mine = d({ ref: { kind: 'stored', detectorId: 'm1' }, name: 'mine', status: 'finished' });
  const running = d({
    ref: { kind: 'stored', detectorId: 'm2' },
    name: 'running',
    status: 'training',
    epochs: 4,
    epochsDone: 1,
  });
  const aariz = d({
    ref: { kind: 'stored', detectorId: 'a1' },
    name: 'aariz',
    symbols: AARIZ,
    status: 'finished',
  });

  it('offers the shipped and finished stored detectors whose set matches, the shipped one first; none by default', async () => {
    const m = await import('../../src/ui/landmarks/detectorState.svelte');
    const list = [mine, running, aariz, shipped];
    expect(m.usableDetectors(list, ISBI).map((x) => x.name)).toEqual(['shipped', 'mine']);
    expect(m.usableDetectors(list, AARIZ).map((x) => x.name)).toEqual(['aariz']);
    expect(m.usableDetectors(list, null)).toEqual([]);
    // traceability is opt-in: no detector by default (see defaultDetector)
    expect(m.defaultDetector(list, ISBI)).toBeNull();
    expect(m.defaultDetector(list, AARIZ)).toBeNull();
    expect(m.parseRefKey(m.refKey(mine.ref))).toEqual(mine.ref);
    expect(m.parseRefKey('none')).toBeNull();
  });

  it('a stopped (or reload-interrupted) detector before its last epoch is resumable, not the one training now', async () => {
    const m = await import('../../src/ui/landmarks/detectorState.svelte');
    expect(m.resumable(running, null)).toBe(true);
    expect(m.resumable(running, 'm2')).toBe(false);
    expect(m.resumable({ ...running, status: 'stopped', epochsDone: 4 }, null)).toBe(false);
    expect(m.resumable(mine, null)).toBe(false);
    expect(m.resumable(shipped, null)).toBe(false);
    expect(m.fmtPct(0.8452)).toBe('84.5 %');
    expect(m.fmtUnit(1.234, 'deg')).toBe('1.2°');
    expect(m.fmtUnit(1.234, 'mm')).toBe('1.23 mm');
  });
});

describe('detector names in the UI language, the loss scale, stored curves, a run’s detector', () => {
  const base: DetectorSummary = {
    ref: { kind: 'stored', detectorId: 'd1' },
    name: 'Demo phantom dataset (20 cases, seed 1) · 64 px',
    symbols: ['S'],
    size: 64,
    sigmaMm: 3,
    mmPerPx: 0.1,
    createdAt: Date.UTC(2026, 11, 6, 13, 0),
  };

  it('renders a generated name from its parts in en and zh; old records (English name) and user names keep working', async () => {
    const m = await import('../../src/ui/landmarks/detectorState.svelte');
    const { translate } = await import('../../src/ui/strings');
    const tr =
      (lang: 'en' | 'zh') => (k: Parameters<typeof translate>[1], p?: Record<string, string | number>) =>
        translate(lang, k, p);
    const withParts: DetectorSummary = {
      ...base,
      autoName: {
        datasetName: 'Demo phantom dataset (20 cases, seed 1)',
        demo: { cases: 20, seed: 1 },
        size: 64,
      },
    };
    const en = m.detectorName(withParts, tr('en'), 'en');
    const zh = m.detectorName(withParts, tr('zh'), 'zh');
    expect(en).toMatch(/^Demo phantom \(20 cases, seed 1\) · 64 px · \S/);
    expect(zh).toMatch(/^演示体模（20 例，种子 1） · 64 像素 · \S/);
    expect(zh).not.toMatch(/Demo|cases|px/);
    // a record stored before the parts: its English generated name is re-rendered
    expect(m.detectorName(base, tr('zh'), 'zh')).toMatch(/^演示体模（20 例，种子 1） · 64 像素/);
    expect(m.detectorName({ ...base, name: 'Clinic 2024 · 256 px', size: 256 }, tr('zh'), 'zh')).toMatch(
      /^Clinic 2024 · 256 像素/,
    );
    // a name the user typed is theirs; the shipped detector is named by the dictionary
    expect(m.detectorName({ ...base, name: 'my detector' }, tr('zh'), 'zh')).toBe('my detector');
    expect(m.detectorName({ ...base, ref: { kind: 'shipped' } }, tr('zh'), 'zh')).toBe('随附（ISBI 2015）');
    // the trained-on dataset of the demo too
    const loc = m.localized(
      {
        ...withParts,
        trainedOn: {
          datasetId: 'demo-20-1',
          datasetName: 'Demo phantom dataset (20 cases, seed 1)',
          cases: 16,
        },
      },
      tr('zh'),
      'zh',
    );
    expect(loc.trainedOn?.datasetName).toBe('演示体模（20 例，种子 1）');
    // the loss scale: a uniform heatmap over 32×32 cells scores ln(1024) nats
    expect(m.uniformLoss(32)).toBeCloseTo(Math.log(1024), 12);
    expect(m.uniformLoss(undefined)).toBeNull();
  });

  it('through the engine: parts stored, per-epoch history (heatmap loss > 0) reloaded into the panel, the run keeps its detector', async () => {
    const { readFile } = await import('node:fs/promises');
    const { resolve } = await import('node:path');
    const { EngineCore } = await import('../../src/engine/engineCore');
    const { getRun, openStudioStorage } = await import('../../src/store');
    const { getDetector } = await import('../../src/store/detectors');
    const m = await import('../../src/ui/landmarks/detectorState.svelte');
    const { train } = await import('../../src/ui/train/trainState.svelte');
    const { i18n } = await import('../../src/ui/i18n.svelte');
    type Ev = import('../../src/engine/protocol').EngineEvent;
    const prefix = `detui-${globalThis.crypto.randomUUID()}`;
    const readAsset = (path: string) =>
      readFile(resolve(__dirname, '../../public', path)).then((b) => new Uint8Array(b));
    const make = async () => {
      const core = new EngineCore({
        home: 'node',
        eventEveryMs: 0,
        historyEveryMs: 0,
        useLocks: false,
        readAsset,
      });
      const events: Ev[] = [];
      core.onEvent((e) => events.push(e));
      await core.init({ backend: 'cpu', storagePrefix: prefix });
      await core.loadDataset({ kind: 'demo', cases: 6, seed: 3 });
      return { core, events };
    };
    const a = await make();
    // no name given (the panel sends none unless the user types one)
    const s = await a.core.trainDetector({ datasetId: 'demo', size: 32, epochs: 1, maxStepsPerEpoch: 1 });
    const id = (s.ref as { detectorId: string }).detectorId;
    const t0 = Date.now();
    while (!a.events.some((e) => e.type === 'detectorDone')) {
      if (Date.now() - t0 > 60_000) throw new Error('the detector did not finish');
      await new Promise((r) => setTimeout(r, 20));
    }
    const point = a.events.flatMap((e) => (e.type === 'detectorEpoch' ? [e.point] : []))[0];
    expect(point.loss).toBeGreaterThan(0);
    const storage = await openStudioStorage({ prefix });
    const rec = await getDetector(storage.checkpoints, id);
    expect(rec?.autoName).toEqual({ datasetName: rec?.datasetName, size: 32, demo: { cases: 6, seed: 3 } });
    expect(rec?.history).toEqual([point]);
    await a.core.dispose();

    // a reload: a new engine lists it with its curves; the panel shows them
    const b = await make();
    const listed = (await b.core.listDetectors()).find((d) => m.detectorIdOf(d) === id)!;
    expect(listed.status).toBe('finished');
    expect(listed.history).toEqual([point]);
    expect(listed.heatmapSide).toBe(16); // 32 px at output stride 2
    train.engine = b.core as unknown as typeof train.engine;
    await m.detector.refresh();
    expect(m.detector.shownId).toBe(id);
    expect(m.detector.epochPoints).toBe(1);
    expect(m.detector.lastLoss).toBe(point.loss);
    const [x, loss, mre, , uniform] = m.detector.curve.data({ smoothed: false, log: false });
    expect(x).toEqual([1]);
    expect(loss).toEqual([point.loss]);
    expect(mre).toEqual([point.valMreMm]);
    expect(uniform[0]).toBeCloseTo(Math.log(256), 12);
    i18n.lang = 'zh';
    expect(m.detector.nameOf(listed)).toMatch(/^演示体模（6 例，种子 3） · 32 像素 · /);
    i18n.lang = 'en';
    expect(m.detector.nameOf(listed)).toMatch(/^Demo phantom \(6 cases, seed 3\) · 32 px · /);

    // a run started with traceability keeps its detector in its record
    const cfg = {
      netG: 'unet_32',
      size: 32,
      ngf: 4,
      ndf: 4,
      n_epochs: 1,
      n_epochs_decay: 0,
      val_every: 1000,
    };
    const started = await b.core.start({
      config: cfg as unknown as import('../../src/core/config').RunConfig,
      traceability: { kind: 'stored', detectorId: id },
    });
    await b.core.stop();
    const run = await getRun(storage.runs, started.run.id);
    expect(run?.traceability?.ref).toEqual({ kind: 'stored', detectorId: id });
    expect(run?.traceability?.autoName?.size).toBe(32);
    expect(run?.traceability).not.toHaveProperty('history');
    // Train and Evaluate read it from the record (not from this browser's localStorage)
    expect(m.runDetectorKey(run!.id, [run!])).toBe(`stored:${id}`);
    expect(m.runDetectorKey(run!.id, [{ ...run!, traceability: undefined }])).toBe('none');
    // a resume without a choice uses the run's own detector: once deleted, a warning (the run resumes)
    await b.core.deleteDetector({ detectorId: id });
    const warned = () =>
      b.events.filter((e) => e.type === 'warning' && e.message.code === 'engine.trace.failed').length;
    expect(warned()).toBe(0);
    const resumed = await b.core.recoverRun({ runId: run!.id });
    expect(resumed.run.status).toBe('running');
    expect(warned()).toBe(1);
    await b.core.stop();
    train.engine = null;
    await b.core.dispose();
  }, 120_000);
});
