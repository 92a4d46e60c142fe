/**
 * The quality gate (the clinic's "Gate-1"): thresholds the user sets on mean L1, mean PSNR,
 * failure rate and sharpness ratio, judged pass/fail per criterion. Advisory: the studio shows the
 * verdict and writes it into the review report; it never stops, blocks or changes a run.
 * Pure functions.
 */

export type GateCriterionId = 'mean_l1' | 'mean_psnr' | 'failure_rate' | 'sharpness_ratio' | 'trace_mre';
export const GATE_CRITERIA: readonly GateCriterionId[] = [
  'mean_l1',
  'mean_psnr',
  'failure_rate',
  'sharpness_ratio',
  'trace_mre',
];

/** `null` switches a criterion off. */
export interface GateThresholds {
  /** Pass when mean L1 (on [0,1]) <= this. */
  maxMeanL1_01: number | null;
  /** Pass when mean PSNR (dB, data range 1) >= this. */
  minMeanPsnr_db: number | null;
  /** Pass when failed / evaluated cases <= this (a fraction, 0.1 = 10 %). */
  maxFailureRate: number | null;
  /** Pass when prediction / X-ray mean gradient >= this. */
  minSharpnessRatio: number | null;
  /**
   * Pass when the traceability MRE (mm: a landmark detector on the synthetic X-rays vs the ground
   * truth) <= this. Judged only when the evaluation has traceability (issue 13).
   */
  maxTraceMreMm?: number | null;
}

/** Studio defaults (the clinic's documents do not state their Gate-1 numbers; set your own). */
export const DEFAULT_GATE: GateThresholds = {
  maxMeanL1_01: 0.1,
  minMeanPsnr_db: 20,
  maxFailureRate: 0.1,
  minSharpnessRatio: 0.7,
  // 2 mm: the clinical tolerance of a landmark (ISBI 2015)
  maxTraceMreMm: 2,
};

export interface GateInputs {
  mean_l1: number | null;
  mean_psnr: number | null;
  failure_rate: number | null;
  sharpness_ratio: number | null;
  /**
   * Traceability MRE in mm; undefined = the evaluation has no traceability (the rule is left out),
   * null = traceability ran but measured nothing (unknown).
   */
  trace_mre?: number | null;
}

export type CriterionStatus = 'pass' | 'fail' | 'unknown';

export interface GateCriterion {
  id: GateCriterionId;
  /** The measured value (null = not measured). */
  value: number | null;
  threshold: number;
  /** Pass condition: value <= threshold or value >= threshold. */
  op: '<=' | '>=';
  status: CriterionStatus;
}

export interface GateVerdict {
  name: string;
  /** pass: every enabled criterion passes; fail: at least one fails; incomplete: none fails but some are unknown (or none is enabled). */
  status: 'pass' | 'fail' | 'incomplete';
  criteria: GateCriterion[];
  thresholds: GateThresholds;
  /** Always true: the gate informs, it never blocks a run. */
  advisory: true;
}

const SPEC: Record<GateCriterionId, { key: keyof GateThresholds; op: '<=' | '>=' }> = {
  mean_l1: { key: 'maxMeanL1_01', op: '<=' },
  mean_psnr: { key: 'minMeanPsnr_db', op: '>=' },
  failure_rate: { key: 'maxFailureRate', op: '<=' },
  sharpness_ratio: { key: 'minSharpnessRatio', op: '>=' },
  trace_mre: { key: 'maxTraceMreMm', op: '<=' },
};

/** Judge the measured values against the thresholds. */
export function evaluateGate(inputs: GateInputs, thresholds: GateThresholds, name = 'Gate-1'): GateVerdict {
  const criteria: GateCriterion[] = [];
  for (const id of GATE_CRITERIA) {
    const { key, op } = SPEC[id];
    const threshold = thresholds[key];
    if (threshold === null || threshold === undefined) continue;
    if (id === 'trace_mre' && inputs.trace_mre === undefined) continue;
    const value = inputs[id] ?? null;
    // +Infinity PSNR (exact reproduction) is a valid, passing value; NaN/null is unknown
    const known = value !== null && !Number.isNaN(value);
    const ok = known && (op === '<=' ? value <= threshold : value >= threshold);
    criteria.push({ id, value, threshold, op, status: !known ? 'unknown' : ok ? 'pass' : 'fail' });
  }
  const status = criteria.some((c) => c.status === 'fail')
    ? 'fail'
    : criteria.length === 0 || criteria.some((c) => c.status === 'unknown')
      ? 'incomplete'
      : 'pass';
  return { name, status, criteria, thresholds: { ...thresholds }, advisory: true };
}
