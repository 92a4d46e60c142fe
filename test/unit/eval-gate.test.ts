/**
 * The quality gate and the failure rule with hand-computed values, starting from the clinic's own
 * numbers (mean L1 0.203, PSNR 15.85, 25/80 failed).
 */
import { describe, expect, it } from 'vitest';
import {
  caseFailures,
  concentratedFlags,
  failureStats,
  NO_FLAG,
  type CaseScore,
  type FailureRule,
} from '../../src/core/eval/failures';
import { DEFAULT_GATE, evaluateGate } from '../../src/core/eval/gate';
import { gapRatio, generalizationGap } from '../../src/core/eval/gap';

describe('quality gate', () => {
  it("fails the clinic's small run on every default criterion", () => {
    const v = evaluateGate(
      { mean_l1: 0.203312, mean_psnr: 15.852553, failure_rate: 25 / 80, sharpness_ratio: 2.133 / 3.2 },
      DEFAULT_GATE,
    );
    expect(v.name).toBe('Gate-1');
    expect(v.advisory).toBe(true);
    expect(v.status).toBe('fail');
    expect(v.criteria.map((c) => [c.id, c.op, c.threshold, c.status])).toEqual([
      ['mean_l1', '<=', 0.1, 'fail'],
      ['mean_psnr', '>=', 20, 'fail'],
      ['failure_rate', '<=', 0.1, 'fail'],
      ['sharpness_ratio', '>=', 0.7, 'fail'],
    ]);
    expect(v.criteria[2].value).toBe(0.3125);
  });

  it('passes on the boundary, omits switched-off criteria, and is incomplete on unknown values', () => {
    const t = { maxMeanL1_01: 0.2, minMeanPsnr_db: 16, maxFailureRate: null, minSharpnessRatio: 0.7 };
    const pass = evaluateGate({ mean_l1: 0.2, mean_psnr: 16, failure_rate: 0.9, sharpness_ratio: 0.7 }, t);
    expect(pass.status).toBe('pass');
    expect(pass.criteria.map((c) => c.id)).toEqual(['mean_l1', 'mean_psnr', 'sharpness_ratio']);
    const justOver = evaluateGate(
      { mean_l1: 0.2000001, mean_psnr: 16, failure_rate: 0, sharpness_ratio: 1 },
      t,
    );
    expect(justOver.status).toBe('fail');
    expect(justOver.criteria[0].status).toBe('fail');
    const unknown = evaluateGate({ mean_l1: 0.1, mean_psnr: null, failure_rate: 0, sharpness_ratio: NaN }, t);
    expect(unknown.status).toBe('incomplete');
    expect(unknown.criteria.map((c) => c.status)).toEqual(['pass', 'unknown', 'unknown']);
    // an exact reproduction has PSNR +Infinity: a valid, passing value
    const exact = evaluateGate({ mean_l1: 0, mean_psnr: Infinity, failure_rate: 0, sharpness_ratio: 1 }, t);
    expect(exact.status).toBe('pass');
    // a fail wins over unknowns; nothing enabled is incomplete
    expect(
      evaluateGate({ mean_l1: 0.5, mean_psnr: null, failure_rate: 0, sharpness_ratio: 1 }, t).status,
    ).toBe('fail');
    const none = { maxMeanL1_01: null, minMeanPsnr_db: null, maxFailureRate: null, minSharpnessRatio: null };
    expect(
      evaluateGate({ mean_l1: 0.5, mean_psnr: 1, failure_rate: 1, sharpness_ratio: 0 }, none).status,
    ).toBe('incomplete');
  });
});

const RULE: FailureRule = { maxL1_01: 0.15, minPsnr_db: 18, minSharpnessRatio: 0.5 };

function c(id: string, l1_01: number, psnr_db: number, sharpnessRatio: number | null, ssim = 0.5): CaseScore {
  return { id, l1_01, psnr_db, ssim, sharpnessRatio };
}

describe('failure rule and statistics', () => {
  const cases: CaseScore[] = [
    c('a', 0.1, 20, 0.9), // pass
    c('b', 0.16, 20, 0.9), // l1
    c('c', 0.1, 17.9, 0.9), // psnr
    c('d', 0.1, 20, 0.49), // sharpness
    c('e', 0.3, 12, 0.2), // all three
    c('f', 0.15, 18, 0.5), // on every boundary: pass
    c('g', 0.05, Infinity, null), // exact, no sharpness: pass
    c('h', NaN, NaN, NaN), // unknown: does not fail
  ];

  it('judges each case against every enabled criterion', () => {
    expect(cases.map((x) => caseFailures(x, RULE))).toEqual([
      [],
      ['l1'],
      ['psnr'],
      ['sharpness'],
      ['l1', 'psnr', 'sharpness'],
      [],
      [],
      [],
    ]);
    expect(caseFailures(cases[4], { maxL1_01: null, minPsnr_db: 18, minSharpnessRatio: null })).toEqual([
      'psnr',
    ]);
  });

  it('counts 4/8, lists the worst by L1 and cross-tabulates audit flags', () => {
    const flags = new Map<string, string[]>([
      ['b', ['too-dark']],
      ['c', ['too-dark', 'ruler']],
      ['e', ['too-dark', 'too-dark']],
      ['a', ['ruler']],
      ['f', ['device-border']],
    ]);
    const s = failureStats(cases, RULE, flags, { worstN: 3 });
    expect([s.failed, s.total, s.label, s.rate]).toEqual([4, 8, '4/8', 0.5]);
    expect(s.byReason).toEqual({ l1: 2, psnr: 2, sharpness: 2 });
    expect(s.failedCases.map((x) => x.id)).toEqual(['e', 'b', 'c', 'd']);
    // NaN L1 sorts last; ties by id
    expect(s.worst.map((x) => x.id)).toEqual(['e', 'b', 'f']);
    // too-dark: b, c, e (all failed) -> 3/4 of failures, rate 3/3 with, 1/5 without
    // ruler: a (pass), c (fail) -> 1/4, rate 1/2 with, 3/6 without
    // device-border: f (pass); (none): d (fail), g, h -> 1/4, 1/3 with, 3/5 without
    expect(s.crossTable).toEqual([
      {
        flag: 'too-dark',
        withFlag: 3,
        failedWithFlag: 3,
        shareOfFailures: 0.75,
        failRateWithFlag: 1,
        failRateWithout: 0.2,
      },
      {
        flag: 'ruler',
        withFlag: 2,
        failedWithFlag: 1,
        shareOfFailures: 0.25,
        failRateWithFlag: 0.5,
        failRateWithout: 0.5,
      },
      {
        flag: 'device-border',
        withFlag: 1,
        failedWithFlag: 0,
        shareOfFailures: 0,
        failRateWithFlag: 0,
        failRateWithout: 4 / 7,
      },
      {
        flag: NO_FLAG,
        withFlag: 3,
        failedWithFlag: 1,
        shareOfFailures: 0.25,
        failRateWithFlag: 1 / 3,
        failRateWithout: 0.6,
      },
    ]);
    expect(concentratedFlags(s).map((r) => r.flag)).toEqual(['too-dark']);
    expect(s.hasAudit).toBe(true);
    expect(failureStats(cases, RULE).crossTable).toEqual([]);
  });

  it("the clinic's 25/80 with orientation on 3 of the failures is not concentrated", () => {
    const many: CaseScore[] = Array.from({ length: 80 }, (_, i) => c(`k${i}`, i < 25 ? 0.3 : 0.05, 25, 1));
    const flags = new Map<string, string[]>();
    for (const i of [0, 1, 2, 40, 41, 42, 43]) flags.set(`k${i}`, ['photo-orientation']);
    const s = failureStats(many, RULE, flags);
    expect(s.label).toBe('25/80');
    const o = s.crossTable.find((r) => r.flag === 'photo-orientation');
    expect(o).toMatchObject({ withFlag: 7, failedWithFlag: 3, shareOfFailures: 0.12 });
    expect(o?.failRateWithFlag).toBeCloseTo(3 / 7, 12);
    expect(o?.failRateWithout).toBeCloseTo(22 / 73, 12);
    expect(concentratedFlags(s)).toEqual([]);
  });
});

describe('generalization gap', () => {
  it('ratio val/train with the 2x alert, and the clinic-style loss figure', () => {
    const g = generalizationGap(0.0415, 0.203312, 20, false, { G_L1: 3.84, lambda_L1: 100 });
    expect(g.ratio).toBeCloseTo(4.899, 3);
    expect(g.alert).toBe(true);
    // G_L1 3.84 / lambda 100 = 0.0384 on [-1,1] = 0.0192 on [0,1]
    expect(g.lossL1_01).toBeCloseTo(0.0192, 12);
    expect(generalizationGap(0.1, 0.2, 20, true).alert).toBe(false); // exactly 2x: no alert
    expect(generalizationGap(0.1, 0.2001, 20, true).alert).toBe(true);
    expect([gapRatio(0, 0), gapRatio(0, 0.1), gapRatio(NaN, 1)]).toEqual([1, Infinity, NaN]);
    expect(generalizationGap(0.1, 0.1, 5, true).lossL1_01).toBeNull();
  });
});
