/**
 * Sweeps and studies in the app (issue 15): the nested training subset the engine applies
 * (`train_subset`) is the CLI study's subset; `max_steps` caps a run.
 */
import { describe, expect, it } from 'vitest';
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

  it('max_steps caps a run’s steps (0 or absent: the schedule’s length)', () => {
    expect(runTotalSteps({ max_steps: 0 }, 100)).toBe(100);
    expect(runTotalSteps({}, 100)).toBe(100);
    expect(runTotalSteps({ max_steps: 7 }, 100)).toBe(7);
    expect(runTotalSteps({ max_steps: 700 }, 100)).toBe(100);
  });
});
