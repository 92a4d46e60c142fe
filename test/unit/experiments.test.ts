/**
 * Experiments core (issue 15): sweep expansion and validation, nested subsets of the training split,
 * the comparison table (only differing config keys; Markdown and CSV), the study reading's rule.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, withDefaults } from '../../src/core/config';
import {
  bestAndLast,
  comparisonCsv,
  comparisonMarkdown,
  comparisonTable,
  configDiff,
  expandSweep,
  fitLogSlope,
  nestedSubsets,
  parseSubsetSizes,
  parseVary,
  readStudy,
  runDirName,
  studyChartPanels,
  studyReadingJson,
  subsetOrder,
  sweepPresetById,
  sweepRunConfig,
  SubsetError,
  SweepError,
  type RunSummary,
  type StudyPoint,
} from '../../src/core/experiments';
import { renderCurves } from '../../src/core/eval/curves';
import { messageText, type NestedMessage } from '../../src/core/messages';

describe('sweep expansion', () => {
  it('expands to the cartesian list with stable names, first option slowest', () => {
    const runs = expandSweep([parseVary('lambda_L1=100,80,60'), parseVary('lambda_grad=0,5')]);
    expect(runs.map((r) => r.name)).toEqual([
      'lambda_L1=100,lambda_grad=0',
      'lambda_L1=100,lambda_grad=5',
      'lambda_L1=80,lambda_grad=0',
      'lambda_L1=80,lambda_grad=5',
      'lambda_L1=60,lambda_grad=0',
      'lambda_L1=60,lambda_grad=5',
    ]);
    expect(runs[3].overrides).toEqual({ lambda_L1: 80, lambda_grad: 5 });
    // the same input gives the same names (a queue finds its runs again)
    expect(expandSweep([parseVary('lambda_L1=100,80,60'), parseVary('lambda_grad=0,5')])).toEqual(runs);
    expect(new Set(runs.map((r) => runDirName(r.name))).size).toBe(6);
  });

  it('types values by the config: enums, booleans, netG, whole numbers', () => {
    expect(parseVary('preprocess=stretch,letterbox,roi').values).toEqual(['stretch', 'letterbox', 'roi']);
    expect(parseVary('no_dropout=true,false').values).toEqual([true, false]);
    expect(parseVary('netG=unet_32,unet_64').values).toEqual(['unet_32', 'unet_64']);
    expect(parseVary('lr=0.0002,1e-4').values).toEqual([0.0002, 0.0001]);
    // the lr schedule's two conventions (issue 15 item 7) can be swept
    expect(parseVary('lr_step_at=epoch_end,epoch_start').values).toEqual(['epoch_end', 'epoch_start']);
    expect(() => parseVary('lr_step_at=end')).toThrow(/not one of epoch_end, epoch_start/);
    const three = expandSweep([
      parseVary('ngf=4,8'),
      parseVary('norm=batch,instance'),
      parseVary('flip=on,off'),
    ]);
    expect(three).toHaveLength(8);
    expect(three[7]).toEqual({
      name: 'ngf=8,norm=instance,flip=false',
      overrides: { ngf: 8, norm: 'instance', flip: false },
    });
  });

  it('refuses bad input with a message naming the option and what to do', () => {
    expect(() => parseVary('lambda_l1=100,80')).toThrow(
      /not a run-config option \(did you mean lambda_L1\?\)/,
    );
    expect(() => parseVary('lambda_L1=100,abc')).toThrow(/lambda_L1: "abc" is not a number/);
    expect(() => parseVary('lambda_L1=100,-5')).toThrow(/must not be negative/);
    expect(() => parseVary('ngf=4.5')).toThrow(/ngf: "4.5" must be a whole number/);
    expect(() => parseVary('preprocess=crop')).toThrow(/not one of letterbox, stretch, roi/);
    expect(() => parseVary('netG=unet_48')).toThrow(/power of two/);
    expect(() => parseVary('lambda_L1=100,100')).toThrow(/100 is given twice/);
    expect(() => parseVary('lambda_L1=100,,80')).toThrow(/none empty/);
    expect(() => parseVary('lambda_L1')).toThrow(/option=value,value/);
    expect(() => parseVary('val_every=10,20')).toThrow(/only changes logging/);
    expect(() => parseVary('beta1=1')).toThrow(/below 1/);
    expect(() =>
      expandSweep([
        parseVary('lambda_L1=1,2'),
        parseVary('ngf=4,8'),
        parseVary('ndf=4,8'),
        parseVary('lr=1,2'),
      ]),
    ).toThrow(/at most 3 options/);
    expect(() => expandSweep([parseVary('lambda_L1=1,2'), parseVary('lambda_L1=3')])).toThrow(/varied twice/);
    expect(() => expandSweep([])).toThrow(SweepError);
  });

  it('the clinic preset "P2.5 quality push": letterbox + ROI, gradient 5 and 10, lambda_L1 100/80/60', () => {
    const p = sweepPresetById('p25');
    expect(messageText(p.label, 'en')).toBe('P2.5 quality push');
    expect(messageText(p.label, 'zh')).toBe('P2.5 提质');
    expect(messageText(p.description, 'zh')).toMatch(/^等比 \+ 填充/);
    const runs = expandSweep(p.vary);
    expect(runs).toHaveLength(6);
    const cfgs = runs.map((r) => sweepRunConfig(DEFAULT_CONFIG, p.base, r));
    expect(cfgs.every((c) => c.preprocess === 'roi')).toBe(true);
    expect([...new Set(cfgs.map((c) => c.lambda_grad))]).toEqual([5, 10]);
    expect([...new Set(cfgs.map((c) => c.lambda_L1))]).toEqual([100, 80, 60]);
    expect(() => sweepPresetById('p3')).toThrow(/unknown; use one of p25/);
  });
});

describe('nested subsets', () => {
  const cases = [
    ...Array.from({ length: 50 }, (_, i) => ({ id: `case${i + 1}`, split: 'train' as const })),
    ...Array.from({ length: 10 }, (_, i) => ({ id: `v${i + 1}`, split: 'val' as const })),
    ...Array.from({ length: 5 }, (_, i) => ({ id: `t${i + 1}`, split: 'test' as const })),
  ];

  it('every smaller subset is inside the larger ones, from the training split only, seeded', () => {
    const subs = nestedSubsets(cases, parseSubsetSizes('10,all,25'), 7);
    expect(subs.map((s) => [s.label, s.n])).toEqual([
      [10, 10],
      [25, 25],
      ['all', 50],
    ]);
    for (let i = 1; i < subs.length; i++) {
      const big = new Set(subs[i].ids);
      expect(subs[i - 1].ids.every((id) => big.has(id))).toBe(true);
    }
    for (const s of subs) expect(s.ids.every((id) => id.startsWith('case'))).toBe(true);
    // the same seed and ids (in any order) give the same subsets; another seed another draw
    const shuffled = [...cases].reverse();
    expect(nestedSubsets(shuffled, [10, 25, 'all'], 7)).toEqual(subs);
    expect(nestedSubsets(cases, [10, 25, 'all'], 8)[0].ids).not.toEqual(subs[0].ids);
    expect(subsetOrder(['b', 'a', 'c'], 1).sort()).toEqual(['a', 'b', 'c']);
  });

  it('refuses sizes it cannot draw, saying how many training cases there are', () => {
    expect(() => nestedSubsets(cases, [10, 80], 1)).toThrow(
      /subset 80 is larger than the training split \(50 cases\)/,
    );
    expect(() => nestedSubsets(cases, [50, 'all'], 1)).toThrow(/both 50 cases/);
    expect(() =>
      nestedSubsets(
        cases.filter((c) => c.split !== 'train'),
        ['all', 2],
        1,
      ),
    ).toThrow(SubsetError);
    expect(() => parseSubsetSizes('20,x')).toThrow(/"x" is not a number of cases/);
    expect(() => parseSubsetSizes('20,20')).toThrow(/given twice/);
    expect(() => parseSubsetSizes('all')).toThrow(/at least two sizes/);
    expect(parseSubsetSizes('20, 40 ,ALL')).toEqual([20, 40, 'all']);
  });
});

function run(
  name: string,
  cfg: Partial<typeof DEFAULT_CONFIG>,
  l1s: number[],
  extra: Partial<RunSummary> = {},
): RunSummary {
  const points = l1s.map((l, i) => ({
    step: (i + 1) * 10,
    mean_l1: l,
    mean_psnr: 20 - 10 * l,
    sharpness_ratio: 0.5,
    pred_grad_mean_255: 2.13,
    pred_max_255: 112.34,
  }));
  return {
    name,
    config: withDefaults(cfg) as unknown as Record<string, unknown>,
    status: 'done',
    train_cases: 80,
    val_cases: 20,
    steps: 10 * l1s.length,
    epochs: 1,
    ...bestAndLast(points),
    gate: 'fail',
    duration_s: 12.34,
    backend: 'wasm',
    ...extra,
  };
}

describe('run comparison', () => {
  const runs = [
    run('lambda_L1=100,lambda_grad=0', { lambda_L1: 100, lambda_grad: 0 }, [0.2, 0.15, 0.17]),
    run('lambda_L1=80,lambda_grad=5', { lambda_L1: 80, lambda_grad: 5 }, [0.21, 0.19]),
    run('lambda_L1=80,lambda_grad=0', { lambda_L1: 80, lambda_grad: 0 }, [0.22], { gate: 'pass' }),
  ];

  it('keeps only the config keys that differ', () => {
    expect(configDiff(runs.map((r) => r.config))).toEqual(['lambda_L1', 'lambda_grad']);
    expect(configDiff([runs[0].config])).toEqual([]);
    expect(
      configDiff([
        { a: 1, b: [1, 2] },
        { a: 1, b: [1, 2], c: 3 },
      ]),
    ).toEqual(['c']);
    const t = comparisonTable(runs);
    expect(t.columns.filter((c) => c.kind === 'config').map((c) => c.en)).toEqual([
      'lambda_L1',
      'lambda_grad',
    ]);
    expect(t.shared.ngf).toBe(64);
    expect('lambda_L1' in t.shared).toBe(false);
  });

  it('best is the lowest val L1 round, last the last one', () => {
    expect(runs[0].best?.mean_l1).toBe(0.15);
    expect(runs[0].best?.step).toBe(20);
    expect(runs[0].last?.mean_l1).toBe(0.17);
    expect(bestAndLast([])).toEqual({ best: null, last: null });
  });

  it('renders Markdown (en and zh headers with units) and CSV', () => {
    const t = comparisonTable(runs);
    const md = comparisonMarkdown(t, 'en');
    const lines = md.split('\n');
    expect(lines[0]).toContain('| run | lambda_L1 | lambda_grad |');
    expect(lines[0]).toContain('best val L1 (on [0,1])');
    expect(lines[0]).toContain('last PSNR (dB)');
    expect(lines[0]).toContain('pred. mean gradient (0-255)');
    expect(lines[0]).not.toContain('traceability'); // no run has it: the column is left out
    expect(lines[0]).not.toContain('| ngf |');
    expect(lines[2]).toMatch(
      /^\| lambda_L1=100,lambda_grad=0 \| 100 \| 0 \| 80 \| 30 \| 1 \| 20 \| 0\.1500 \|/,
    );
    expect(md).toContain('| fail |');
    expect(md).toContain('Options that differ: lambda_L1, lambda_grad.');
    const zh = comparisonMarkdown(t, 'zh');
    expect(zh).toContain('最佳验证 L1（[0,1]）');
    expect(zh).toContain('| 未通过 |');
    expect(zh).toContain('| 通过 |');
    const csv = comparisonCsv(t).trim().split('\n');
    expect(csv).toHaveLength(4);
    expect(csv[0].startsWith('run,lambda_L1,lambda_grad,training cases,steps,epochs')).toBe(true);
    expect(csv[1].startsWith('"lambda_L1=100,lambda_grad=0",100,0,80,30,1,20,0.15,')).toBe(true);
    expect(comparisonCsv(t, 'zh').split('\n')[0]).toContain('最终 PSNR（dB）');
  });

  it('says where the metrics were computed, with the whole-image figure and traceability columns, and warns when runs mix the two', () => {
    const content = (name: string, preprocess: 'stretch' | 'letterbox', frac: number): RunSummary => {
      const r = run(name, { preprocess }, [0.12]);
      const last = {
        ...(r.last as NonNullable<RunSummary['last']>),
        metrics_region: 'content' as const,
        content_fraction: frac,
        mean_l1_whole: 0.12 * frac,
        trace_mre_mm: 3.2,
        trace_floor_mre_mm: 1.9,
        trace_sdr2: 0.41,
      };
      return { ...r, best: last, last };
    };
    const fair = comparisonTable([content('stretch', 'stretch', 1), content('letterbox', 'letterbox', 0.8)]);
    const md = comparisonMarkdown(fair, 'en');
    const head = md.split('\n')[0];
    for (const h of [
      'metrics over',
      'content region (% of the image)',
      'last val L1, whole image incl. padding (on [0,1])',
      'traceability MRE (mm)',
      'traceability floor: detector on the real X-ray, MRE (mm)',
      'traceability SDR 2 mm (%)',
    ])
      expect(head).toContain(h);
    expect(md.split('\n')[3]).toContain('| content region |');
    expect(md.split('\n')[3]).toContain('| 80 |');
    expect(md.split('\n')[3]).toContain('| 0.0960 |');
    expect(md).not.toContain('not measured on the same pixels');
    expect(comparisonMarkdown(fair, 'zh')).toContain('| 内容区域 |');
    // a run stored before content-region metrics reads as whole-image and the table warns
    const mixed = comparisonMarkdown(comparisonTable([content('new', 'letterbox', 0.8), runs[0]]), 'en');
    expect(mixed).toContain('| whole image (incl. padding) |');
    expect(mixed).toContain('not measured on the same pixels');
    expect(comparisonMarkdown(comparisonTable([content('new', 'letterbox', 0.8), runs[0]]), 'zh')).toContain(
      '并非在相同像素上计算',
    );
  });
});

/** A study point with val L1 `l1` at `cases`. */
function pt(cases: number, l1: number, gap = 1.2): StudyPoint {
  return {
    cases,
    val_l1: l1,
    psnr_db: 20 - 20 * l1,
    sharpness_ratio: 0.6,
    lm_sharp: 0.5,
    trace_mre_mm: null,
    train_l1: l1 / gap,
    gap_ratio: gap,
  };
}

describe('study reading', () => {
  const en = (m: NestedMessage): string => messageText(m, 'en');
  const zh = (m: NestedMessage): string => messageText(m, 'zh');

  it('fits val L1 per doubling with its interval', () => {
    const f = fitLogSlope([
      { x: 10, y: 0.3 },
      { x: 20, y: 0.2 },
      { x: 40, y: 0.1 },
    ]);
    expect(f?.slope).toBeCloseTo(-0.1, 10);
    expect(f?.se).toBeCloseTo(0, 10);
    expect(fitLogSlope([{ x: 10, y: 0.3 }])).toBeNull();
  });

  it('still improving with data -> collect more', () => {
    const r = readStudy([pt(20, 0.2, 3), pt(40, 0.171), pt(80, 0.139), pt(160, 0.112, 3.1)], undefined, {
      gateMaxL1: 0.1,
    });
    expect(r.verdict).toBe('collect_more');
    expect(r.fit!.hi).toBeLessThan(0);
    expect(en(r.text)).toMatch(/^Still improving with data → collect more/);
    expect(zh(r.text)).toMatch(/^仍随数据改善 → 继续收集病例/);
    expect(r.notes.some((n) => /3\.10× the training-subset L1 — the model fits/.test(en(n)))).toBe(true);
    expect(r.notes.some((n) => /reach the gate's 0.1 at about \d+ training cases/.test(en(n)))).toBe(true);
  });

  it('flat -> change the method', () => {
    const r = readStudy([pt(20, 0.15), pt(40, 0.151), pt(80, 0.149), pt(160, 0.1505)]);
    expect(r.verdict).toBe('change_method');
    expect(r.fit!.lo).toBeGreaterThanOrEqual(-0.005);
    expect(en(r.text)).toMatch(/^Flat → change the method/);
    expect(zh(r.text)).toMatch(/^趋于平坦 → 更换方法/);
    expect(r.notes.some((n) => /stopped before it converged/.test(en(n)))).toBe(true);
  });

  it('undecided when the trend is within the noise or there are too few sizes', () => {
    const noisy = readStudy([pt(20, 0.2), pt(40, 0.12), pt(80, 0.19), pt(160, 0.11)]);
    expect(noisy.verdict).toBe('undecided');
    expect(en(noisy.text)).toMatch(/within the noise/);
    const two = readStudy([pt(20, 0.3), pt(80, 0.1)]);
    expect(two.verdict).toBe('undecided');
    expect(en(two.text)).toMatch(/2 subset sizes cannot tell a trend from noise/);
    expect(zh(two.text)).toMatch(/尚无定论/);
    expect(readStudy([]).verdict).toBe('undecided');
    expect(en(readStudy([pt(20, 0.3)]).ruleText)).toMatch(/log2\(training cases\)/);
  });

  it('the reading is messages: the trend renders inside the verdict in the same language; study.json keeps en + zh', () => {
    const two = readStudy([pt(20, 0.3, 3), pt(80, 0.1)]);
    expect(two.text.code).toBe('experiments.study.undecidedSizes');
    expect(zh(two.text)).toBe(
      '尚无定论：2 个子集规模无法区分趋势与噪声（至少需要 3 个）；病例数每翻一倍，验证 L1 变化 -0.1000（仅 2 个子集，无法估计不确定性）。',
    );
    expect(en(readStudy([pt(20, 0.3)]).text)).toMatch(/^Undecided: 1 subset size cannot/);
    // parameters hold numbers and signed figures, no sentence of either language
    const r = readStudy([pt(20, 0.2, 3), pt(40, 0.171), pt(80, 0.139), pt(160, 0.112, 3.1)], undefined, {
      gateMaxL1: 0.1,
    });
    for (const m of [r.ruleText, ...r.notes])
      for (const v of Object.values(m.params)) expect(String(v)).toMatch(/^[-+]?[\d.]+$/);
    const json = studyReadingJson(r);
    expect(Object.keys(json)).toEqual(['verdict', 'fit', 'rule', 'en', 'zh', 'ruleText', 'notes']);
    expect(json.zh).toBe(zh(r.text));
    expect(json.notes.map((n) => n.zh)).toEqual(r.notes.map(zh));
    expect(json.ruleText.en).toBe(en(r.ruleText));
  });

  it('draws the chart panels (val L1 with train L1, PSNR, sharpness, gap)', () => {
    const panels = studyChartPanels([pt(40, 0.171), pt(20, 0.2)]);
    expect(panels.map((p) => p.yLabel)).toEqual([
      'mean L1 on [0,1]',
      'PSNR dB',
      'pred / X-ray gradient',
      'val L1 / train-subset L1',
    ]);
    expect(panels[0].series[0].points).toEqual([
      [20, 0.2],
      [40, 0.171],
    ]);
    const img = renderCurves(panels, { title: 'study' });
    expect(img.width).toBeGreaterThan(500);
    // something other than white was drawn
    let ink = 0;
    for (let i = 0; i < img.data.length; i += 4) if (img.data[i] < 200) ink++;
    expect(ink).toBeGreaterThan(1000);
  });
});
