/**
 * The review report's rule-based findings (core/eval/report/findings.ts): which rule fires on
 * which evidence, with hand-made evaluations (fixtures.ts).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type RunConfig } from '../../../src/core/config';
import { reviewFindings } from '../../../src/core/eval/report';
import { clinicInput, stuckInput } from './fixtures';

describe('review findings', () => {
  it("reproduces the clinic's review: gate fail, over-smoothing, large gap, stretch preprocessing", () => {
    const cfg: RunConfig = { ...DEFAULT_CONFIG, size: 512, preprocess: 'stretch' };
    const f = reviewFindings(clinicInput(cfg, false));
    expect(f.map((x) => [x.id, x.severity])).toEqual([
      ['gate', 'alert'],
      ['oversmooth', 'warn'],
      ['gap', 'warn'],
      ['data', 'info'],
      ['preprocess', 'info'],
    ]);
    const by = Object.fromEntries(f.map((x) => [x.id, x]));
    expect(by.gate.evidence.en).toContain('mean L1 on [0,1] 0.2033 (needs <= 0.1)');
    expect(by.gate.evidence.en).toContain('failure rate 31.3 % (needs <= 10 %)');
    expect(by.oversmooth.evidence.en).toContain(
      'mean gradient 2.133 vs 3.9 (0-255 units, ratio 0.547 < 0.7)',
    );
    expect(by.oversmooth.evidence.en).toContain('maximum intensity 112.3 vs 250');
    expect(by.oversmooth.next.en).toContain('lambda_grad 5–10');
    expect(by.oversmooth.next.en).toContain('Laplacian');
    expect(by.gap.title.en).toBe('Large train/val gap: 4.9×');
    expect(by.gap.next.en).toContain('600 cases');
    expect(by.data.evidence.en).toContain('“photo-orientation” with 3/25');
    expect(by.preprocess.next.en).toContain('letterbox');
  });

  it('points at the data when failures concentrate in one audit flag, and at lambda_grad when it is set', () => {
    const cfg: RunConfig = { ...DEFAULT_CONFIG, size: 256, lambda_grad: 2 };
    const f = reviewFindings(clinicInput(cfg, true));
    const data = f.find((x) => x.id === 'data');
    expect(data?.severity).toBe('warn');
    // 20 of 25 failures; 20/22 with the flag vs 5/58 without
    expect(data?.evidence.en).toBe(
      '20 of 25 failed cases carry “too-dark” (80 %); failure rate 90.9 % with the flag vs 8.62 % without.',
    );
    expect(f.find((x) => x.id === 'oversmooth')?.next.en).toContain('Raise lambda_grad from 2');
    expect(f.some((x) => x.id === 'preprocess')).toBe(false);
    // with the UI's words for the code, users read "Too dark" / 过暗, never the internal code
    const named = reviewFindings({
      ...clinicInput(cfg, true),
      flagNames: { 'too-dark': { en: 'Too dark', zh: '过暗' } },
    }).find((x) => x.id === 'data');
    expect(named?.title.en).toBe('Failures concentrate in audit flag “Too dark”');
    expect(named?.evidence.zh).toContain('带有“过暗”');
    expect(JSON.stringify(named)).not.toContain('too-dark');
  });

  it('raises the stuck alert with the open checklist items', () => {
    const input = stuckInput();
    expect(input.evaluation.stuck).toMatchObject({ stuck: true, kind: 'frozen' });
    const f = reviewFindings(input);
    const stuck = f.find((x) => x.id === 'stuck');
    expect(stuck?.severity).toBe('alert');
    expect(stuck?.evidence.en).toContain('prediction mean gradient 2.133');
    expect(stuck?.next.en).toContain('Is a loss weight too small to matter?');
    expect(f.find((x) => x.id === 'weak_term')?.evidence.en).toContain('G_grad (lambda_grad 0.05)');
  });
});
