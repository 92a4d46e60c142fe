/**
 * The run comparison's view model (src/ui/experiments/compareView.ts), its state
 * (compareState.svelte.ts: select, order, the report's section) and the review report's comparison
 * section (core/eval/report/compare.ts + its hook in report/markdown.ts / reportDownload.ts): what rows,
 * columns, curves and study come out of given RunRecords, including runs stored before the
 * sweep / diagnostics / traceability fields existed.
 */
import { unzipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type RunConfig } from '../../src/core/config';
import { DEFAULT_FAILURE_RULE, failureStats } from '../../src/core/eval/failures';
import { DEFAULT_GATE, evaluateGate } from '../../src/core/eval/gate';
import { reviewBundle, type ReviewInput } from '../../src/core/eval/report';
import { runComparisonMarkdown, type ReviewRunComparison } from '../../src/core/eval/report';
import { roundFromValues } from '../../src/core/eval/roundValues';
import { messageText } from '../../src/core/messages';
import type { RunRecord } from '../../src/store/runs';
import {
  compareTable,
  legendLabels,
  overlayColumns,
  studyOf,
  trainCasesOf,
  type CompareRun,
  type HistPoint,
  type SweepTag,
} from '../../src/ui/experiments/compareView';

const OPTS = { rule: DEFAULT_FAILURE_RULE, gate: DEFAULT_GATE };

function rec(
  id: string,
  over: Partial<RunConfig>,
  extra: Partial<RunRecord> & { sweep?: SweepTag } = {},
): RunRecord {
  return {
    id,
    name: id,
    datasetId: 'demo-100-1',
    config: { ...DEFAULT_CONFIG, ...over },
    preprocessing: { mode: 'stretch', size: 256 } as RunRecord['preprocessing'],
    backend: 'webgpu',
    adapter: null,
    status: 'finished',
    startedAt: 1000,
    updatedAt: 2000,
    heartbeatAt: 2000,
    durationMs: 12_500,
    step: 40,
    epoch: 4,
    lastMetrics: null,
    best: null,
    checkpointNames: ['best', 'last'],
    historyCounts: { val: 2, train: 3 },
    error: null,
    ...extra,
  } as RunRecord;
}

/** A stored val round with the diagnostics a current run records (and 4 per-case L1 values). */
function round(step: number, l1: number, more: Record<string, number | null> = {}): HistPoint {
  return {
    step,
    values: {
      mean_l1: l1,
      mean_psnr: 20 - 40 * (l1 - 0.1),
      mean_ssim: 0.6,
      sharpness_ratio: 0.8,
      pred_grad_mean_255: 3.1,
      pred_max_255: 201,
      train_l1: l1 / 2,
      gap_ratio: 2,
      // failure rule: L1 > 0.15 fails → 1 of 4 cases
      'case:a:l1_01': 0.2,
      'case:b:l1_01': 0.05,
      'case:c:l1_01': 0.05,
      'case:d:l1_01': 0.05,
      ...more,
    },
  };
}

const sweep = (index: number, vary: Record<string, number>, subset?: number): SweepTag => ({
  id: 'sw1',
  name: 'grid',
  index,
  vary,
  ...(subset !== undefined ? { subset: { size: subset, of: 80 } } : {}),
});

describe('comparison table from stored runs', () => {
  const a = rec(
    'a',
    { lambda_L1: 100, lambda_grad: 0 },
    { sweep: sweep(0, { lambda_L1: 100, lambda_grad: 0 }) },
  );
  const b = rec(
    'b',
    { lambda_L1: 80, lambda_grad: 5 },
    { sweep: sweep(1, { lambda_L1: 80, lambda_grad: 5 }) },
  );
  // an older run: no sweep, its rounds without diagnostics, no per-case values, still running
  const old = rec('old', { lambda_L1: 100, lambda_grad: 0 }, { status: 'running', durationMs: 0 });
  const runs: CompareRun[] = [
    { run: a, val: [round(20, 0.12), round(40, 0.09)], trainCases: 80 },
    { run: b, val: [round(20, 0.08), round(40, 0.11, { trace_mre: 1.7 })], trainCases: 80 },
    { run: old, val: [{ step: 40, values: { mean_l1: 0.2, mean_psnr: 14 } }], trainCases: null },
  ];

  it('has only the differing options as columns, best and last metrics with units, gate, duration, backend', () => {
    const t = compareTable(runs, OPTS);
    const keys = t.columns.map((c) => c.key);
    expect(t.differingKeys).toEqual(['lambda_L1', 'lambda_grad']);
    expect(keys.slice(0, 3)).toEqual(['run', 'config.lambda_L1', 'config.lambda_grad']);
    expect(keys).not.toContain('config.size');
    expect(t.shared.size).toBe(DEFAULT_CONFIG.size);
    for (const k of ['best_l1', 'last_l1', 'last_psnr', 'sharpness_ratio', 'pred_grad_mean_255', 'gate'])
      expect(keys).toContain(k);
    // traceability only because run b has it; units in the headers
    expect(t.columns.find((c) => c.key === 'trace_mre_mm')?.en).toBe('traceability MRE (mm)');
    expect(t.columns.find((c) => c.key === 'best_l1')?.en).toContain('[0,1]');
    expect(t.columns.find((c) => c.key === 'pred_grad_mean_255')?.en).toContain('0-255');
    const cell = (run: number, key: string): unknown => t.rows[run][keys.indexOf(key)];
    expect(t.rows).toHaveLength(3);
    expect(cell(0, 'config.lambda_L1')).toBe(100);
    expect(cell(1, 'config.lambda_grad')).toBe(5);
    // best = the lowest val L1 round, last = the last one
    expect(cell(0, 'best_l1')).toBe(0.09);
    expect(cell(1, 'best_l1')).toBe(0.08);
    expect(cell(1, 'last_l1')).toBe(0.11);
    expect(cell(1, 'best_step')).toBe(20);
    // failure rate from the stored per-case values: 1 of 4
    expect(cell(0, 'failure_rate')).toBe(0.25);
    // gate on the last round: a fails (failure rate 25 % > 10 %); the old run fails its L1
    expect(cell(0, 'gate')).toBe('fail');
    expect(cell(2, 'gate')).toBe('fail');
    expect(cell(1, 'trace_mre_mm')).toBe(1.7);
    expect(cell(0, 'duration_s')).toBe(12.5);
    expect(cell(0, 'backend')).toBe('webgpu');
    expect(cell(0, 'train_cases')).toBe(80);
    // the older run: no diagnostics, no duration, training cases unknown → empty cells, not 0
    expect(cell(2, 'sharpness_ratio')).toBeNull();
    expect(cell(2, 'trace_mre_mm')).toBeNull();
    expect(cell(2, 'duration_s')).toBeNull();
    expect(cell(2, 'train_cases')).toBeNull();
    expect(cell(2, 'status')).toBe('running');
    expect(cell(0, 'status')).toBe('done');
    expect(compareTable(runs, { ...OPTS, lang: 'zh' }).rows[2][keys.indexOf('status')]).toBe('训练中');
  });

  it('says where each run was measured: content region (stored with content_region = 1) or whole image', () => {
    const content = round(40, 0.1, { content_region: 1, content_fraction: 0.66, mean_l1_whole: 0.07 });
    const t = compareTable(
      [
        { run: a, val: [content], trainCases: 80 },
        { run: b, val: [round(40, 0.1)], trainCases: 80 },
      ],
      OPTS,
    );
    const col = (key: string): unknown[] => t.rows.map((r) => r[t.columns.findIndex((c) => c.key === key)]);
    expect(col('metrics_region')).toEqual(['content', 'whole']);
    expect(col('last_l1_whole')).toEqual([0.07, null]);
    expect(col('content_fraction')).toEqual([0.66, null]);
  });

  it('passes the gate when every criterion passes', () => {
    const good: HistPoint = { step: 40, values: { mean_l1: 0.05, mean_psnr: 25, sharpness_ratio: 0.9 } };
    const t = compareTable([{ run: a, val: [good], trainCases: 80 }], OPTS);
    expect(t.rows[0][t.columns.findIndex((c) => c.key === 'gate')]).toBe('incomplete');
    const withCases = { ...good, values: { ...good.values, 'case:a:l1_01': 0.05 } };
    const t2 = compareTable([{ run: a, val: [withCases], trainCases: 80 }], OPTS);
    expect(t2.rows[0][t2.columns.findIndex((c) => c.key === 'gate')]).toBe('pass');
  });

  it('labels each run with the values that tell it apart', () => {
    expect(legendLabels([a, b])).toEqual([
      'a · lambda_L1=100, lambda_grad=0',
      'b · lambda_L1=80, lambda_grad=5',
    ]);
    // same config: the sweep's vary values still name them; a lone run is its name
    const c = rec('c', {}, { sweep: sweep(2, { lambda_L1: 100 }) });
    const d = rec('d', {}, { sweep: sweep(3, { lambda_L1: 100 }) });
    expect(legendLabels([c, d])).toEqual(['c · lambda_L1=100', 'd · lambda_L1=100']);
    expect(legendLabels([old])).toEqual(['old']);
    // a sweep's run names carry the values already: not repeated
    const named = [
      rec('lambda_L1=100,lambda_grad=0', { lambda_grad: 0 }),
      rec('lambda_L1=100,lambda_grad=5', { lambda_grad: 5 }),
    ];
    expect(legendLabels(named)).toEqual(['lambda_L1=100,lambda_grad=0', 'lambda_L1=100,lambda_grad=5']);
    expect(legendLabels([rec('x', { lambda_grad: 0 }), rec('lambda_grad=5', { lambda_grad: 5 })])).toEqual([
      'x · lambda_grad=0',
      'lambda_grad=5',
    ]);
  });

  it('training cases: the study subset, else train_subset (capped), else the dataset', () => {
    const sub = rec('s', {}, { sweep: sweep(0, {}, 20) });
    expect(trainCasesOf({ run: sub, val: [], trainCases: 80 })).toBe(20);
    const opt = rec('o', { train_subset: 30 } as Partial<RunConfig>);
    expect(trainCasesOf({ run: opt, val: [], trainCases: 80 })).toBe(30);
    expect(trainCasesOf({ run: opt, val: [], trainCases: 10 })).toBe(10);
    expect(trainCasesOf({ run: a, val: [], trainCases: 80 })).toBe(80);
  });
});

describe('overlaid curves', () => {
  const h1: HistPoint[] = [10, 20, 30].map((s) => ({ step: s, values: { G_L1: s } }));
  const h2: HistPoint[] = [
    { step: 15, values: { G_L1: 1 } },
    { step: 20, values: { G_L1: 2, G_GAN: 5 } },
    { step: 25, values: { G_L1: null } },
  ];

  it('aligns every run on the union of steps with gaps where a run has no point', () => {
    expect(overlayColumns([h1, h2], 'G_L1')).toEqual([
      [10, 15, 20, 30],
      [10, null, 20, 30],
      [null, 1, 2, null],
    ]);
    expect(overlayColumns([h1, h2], 'G_GAN')).toEqual([[20], [null], [5]]);
    expect(overlayColumns([], 'G_L1')).toEqual([[]]);
  });

  it('thins to maxPoints keeping the last point, and smooths with the debiased EMA', () => {
    const long: HistPoint[] = Array.from({ length: 1000 }, (_, i) => ({ step: i + 1, values: { x: i } }));
    const [xs, ys] = overlayColumns([long], 'x', { maxPoints: 100 });
    expect(xs).toHaveLength(100);
    expect(xs.at(-1)).toBe(1000);
    expect(ys.at(-1)).toBe(999);
    const [, s] = overlayColumns([h1], 'G_L1', { smoothing: 0.5 });
    // debiased EMA: first value unchanged, then (0.5·10·0.5 + 0.5·20) / (1 − 0.25)
    expect(s[0]).toBeCloseTo(10, 9);
    expect(s[1]).toBeCloseTo((0.25 * 10 + 0.5 * 20) / 0.75, 9);
  });
});

describe('sample-size study', () => {
  const sizes = [10, 20, 40, 80];
  const l1 = [0.16, 0.14, 0.12, 0.1];
  const study: CompareRun[] = sizes.map((n, i) => ({
    run: rec(`s${n}`, { train_subset: n } as Partial<RunConfig>, {
      sweep: sweep(i, { train_subset: n }, n),
      step: 200,
      epoch: [20, 10, 5, 3][i],
    }),
    val: [round(200, l1[i], { lm_sharp: 0.5 + i / 10 })],
    trainCases: 80,
  }));

  it('reads a steadily falling val L1 as "collect more", with equal steps read from the runs', () => {
    const s = studyOf(study, OPTS);
    expect(s).not.toBeNull();
    expect(s?.points.map((p) => p.cases)).toEqual(sizes);
    expect(s?.points.map((p) => p.val_l1)).toEqual(l1);
    expect(s?.points[3].lm_sharp).toBeCloseTo(0.8, 9);
    expect(s?.points[0].trace_mre_mm).toBeNull();
    expect(s?.held).toBe('steps');
    expect(s?.reading.verdict).toBe('collect_more');
    expect(messageText(s!.reading.text, 'en')).toContain('collect more');
  });

  it('reads equal epochs, a recorded choice, and is no study when one run lacks its subset', () => {
    const epochs = study.map((c, i) => ({ ...c, run: { ...c.run, step: 10 * (i + 1), epoch: 5 } }));
    expect(studyOf(epochs, OPTS)?.held).toBe('epochs');
    const neither = study.map((c, i) => ({ ...c, run: { ...c.run, step: 10 * (i + 1) } }));
    expect(studyOf(neither, OPTS)?.held).toBe('neither');
    const recorded = neither.map((c) => ({
      ...c,
      run: {
        ...c.run,
        sweep: { ...(c.run as RunRecord & { sweep: SweepTag }).sweep, held: 'epochs' as const },
      },
    }));
    expect(studyOf(recorded, OPTS)?.held).toBe('epochs');
    const flat = study.map((c) => ({ ...c, val: [round(200, 0.12)] }));
    expect(studyOf(flat, OPTS)?.reading.verdict).toBe('change_method');
    expect(studyOf([study[0], { ...study[1], run: rec('plain', {}) }], OPTS)).toBeNull();
    expect(studyOf([study[0]], OPTS)).toBeNull();
  });
});

describe('compareState', () => {
  afterEach(async () => {
    const { compareState } = await import('../../src/ui/experiments/compareState.svelte');
    compareState.clear();
  });

  it('selects runs (deduplicated), orders a sweep by its index and offers the report section from two runs on', async () => {
    const { compareState } = await import('../../src/ui/experiments/compareState.svelte');
    const { library } = await import('../../src/ui/library.svelte');
    const { buildReviewInput } = await import('../../src/ui/evaluate/reportDownload');
    const r0 = rec('r0', { lambda_L1: 100 }, { sweep: sweep(0, { lambda_L1: 100 }), startedAt: 3000 });
    const r1 = rec('r1', { lambda_L1: 60 }, { sweep: sweep(1, { lambda_L1: 60 }), startedAt: 2000 });
    const other = rec('x', { lambda_L1: 80 }, { datasetId: 'ds-other' });
    library.runs = [other, r1, r0];
    compareState.select(['r1', 'r0', 'r1']);
    expect(compareState.selected).toEqual(['r1', 'r0']);
    expect(compareState.selectedRuns.map((r) => r.id)).toEqual(['r0', 'r1']);
    expect(compareState.table.rows.map((r) => r[0])).toEqual(['r0', 'r1']);
    expect(compareState.table.differingKeys).toEqual(['lambda_L1']);
    expect(compareState.study).toBeNull();
    const section = compareState.reportSection();
    expect(section?.runs.map((r) => r.label)).toEqual(['r0 · lambda_L1=100', 'r1 · lambda_L1=60']);
    expect(section?.tables.zh.columns[0].zh).toBe('训练');
    // the report picks the registered section up; one run is no comparison
    const src = reportSources();
    expect(buildReviewInput(src).runComparison?.runs).toHaveLength(2);
    expect(buildReviewInput({ ...src, runComparison: null }).runComparison).toBeNull();
    compareState.toggle('r1', false);
    expect(compareState.reportSection()).toBeNull();
    expect(buildReviewInput(src).runComparison).toBeNull();
    // the grid shows runs of the first selected run's dataset only
    compareState.select(['r0', 'x']);
    expect(compareState.mixedDatasets).toBe(true);
    expect(compareState.gridRuns.map((r) => r.id)).toEqual(['x']);
  });
});

const CFG: RunConfig = { ...DEFAULT_CONFIG };

function reviewInput(rc: ReviewRunComparison | null): ReviewInput {
  const values = { mean_l1: 0.1, mean_psnr: 20, mean_ssim: 0.5 };
  const evaluation = roundFromValues(40, 4, values, CFG, []);
  const failures = failureStats([], DEFAULT_FAILURE_RULE);
  return {
    generatedAt: '2026-12-06T17:00:00.000Z',
    run: {
      id: 'r',
      name: 'r',
      status: 'finished',
      step: 40,
      epoch: 4,
      durationMs: 1000,
      backend: 'wasm',
      adapter: null,
      startedAt: 0,
      datasetId: 'demo-100-1',
      datasetName: null,
      trainCount: 80,
      valCount: 20,
      config: CFG,
      preprocessing: { mode: CFG.preprocess, size: CFG.size },
    },
    environment: null,
    evaluation,
    checkpoint: 'best',
    evalCaseIds: [],
    rounds: [{ step: 40, values }],
    failures,
    gate: evaluateGate(
      { mean_l1: 0.1, mean_psnr: 20, failure_rate: null, sharpness_ratio: null },
      DEFAULT_GATE,
    ),
    figures: { grid: null, curves: null },
    runComparison: rc,
  };
}

function reportSources(): Parameters<
  typeof import('../../src/ui/evaluate/reportDownload').buildReviewInput
>[0] {
  const input = reviewInput(null);
  return {
    run: rec('r', {}),
    datasetName: null,
    trainCount: 80,
    valCount: 20,
    environment: null,
    evaluation: input.evaluation,
    checkpointEval: null,
    comparison: null,
    comparisonLabel: null,
    rounds: input.rounds,
    failures: input.failures,
    gate: input.gate,
    grid: null,
  };
}

describe('the review report with a run comparison', () => {
  const a = rec('a', { lambda_L1: 100 }, { sweep: sweep(0, { lambda_L1: 100 }, 20), step: 100 });
  const b = rec('b', { lambda_L1: 100 }, { sweep: sweep(1, { lambda_L1: 100 }, 40), step: 100 });
  const c = rec('c', { lambda_L1: 100 }, { sweep: sweep(2, { lambda_L1: 100 }, 80), step: 100 });
  const runs: CompareRun[] = [
    { run: a, val: [round(100, 0.15)], trainCases: 80 },
    { run: b, val: [round(100, 0.13)], trainCases: 80 },
    { run: c, val: [round(100, 0.11)], trainCases: 80 },
  ];
  const st = studyOf(runs, OPTS);
  const rc: ReviewRunComparison = {
    runs: runs.map((r) => ({ id: r.run.id, name: r.run.name, label: r.run.name })),
    tables: { en: compareTable(runs, OPTS), zh: compareTable(runs, { ...OPTS, lang: 'zh' }) },
    study: st
      ? { points: st.points, held: st.held, steps: st.steps, epochs: st.epochs, reading: st.reading }
      : null,
  };

  it('adds the comparison and the study to report.md / report.json and comparison.csv + study.png to the ZIP', () => {
    const png = new Uint8Array([137, 80, 78, 71]);
    const b1 = reviewBundle(reviewInput(rc), 'en', { study: png });
    expect(b1.markdown).toContain('## Run comparison (3 runs)');
    expect(b1.markdown).toContain('### Sample-size study');
    expect(b1.markdown).toContain('Every run trained the same number of steps (100)');
    expect(b1.markdown).toContain('![Sample-size study](study.png)');
    expect(b1.markdown).toContain(messageText(st!.reading.text, 'en'));
    const json = b1.json.runComparison as { rows: unknown[][]; study: { verdict: string } };
    expect(json.rows).toHaveLength(3);
    expect(json.study.verdict).toBe(st?.reading.verdict);
    const files = unzipSync(b1.zip);
    expect(Object.keys(files)).toContain('review/comparison.csv');
    expect(Object.keys(files)).toContain('review/study.png');
    const csv = new TextDecoder().decode(files['review/comparison.csv']).trim().split('\n');
    expect(csv).toHaveLength(4);
    expect(csv[0]).toContain('best val L1 (on [0,1])');
    const zh = reviewBundle(reviewInput(rc), 'zh', {}).markdown;
    expect(zh).toContain('## 训练对比（3 个训练）');
    expect(zh).toContain('每个训练的步数相同（100）');
    expect(zh).not.toContain('study.png');
  });

  it('leaves the report as it was without selected runs', () => {
    const plain = reviewBundle(reviewInput(null), 'en', {});
    expect(plain.markdown).not.toContain('Run comparison');
    expect(plain.json).not.toHaveProperty('runComparison');
    expect(Object.keys(unzipSync(plain.zip))).not.toContain('review/comparison.csv');
    expect(runComparisonMarkdown({ ...rc, study: null }, 'en').join('\n')).not.toContain('Sample-size');
  });
});
