/**
 * Issue 13 on the UI side: the advisory gate's traceability rule (MRE ≤ 2 mm, judged only when an
 * evaluation carries traceability) and the detector panel's pure helpers.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_GATE, evaluateGate } from '../../src/core/eval/gate';

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
