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
