import { describe, expect, it } from 'vitest';
import {
  addToEvalList,
  assignSplits,
  checkEvalList,
  chooseEvalList,
  compareIds,
  removeFromEvalList,
  replaceInEvalList,
  splitCounts,
  suggestEvalCandidate,
} from '../../src/core/data/splits';
import type { CaseSplit } from '../../src/core/data/dataset';

const ids = (n: number, prefix = 'case'): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
const count = (s: Record<string, CaseSplit>): Record<CaseSplit, number> => {
  const c: Record<CaseSplit, number> = { train: 0, val: 0, test: 0 };
  for (const v of Object.values(s)) c[v]++;
  return c;
};
const FIXED_NOW = new Date('2026-02-21T18:00:00Z');

describe('natural id order', () => {
  it('sorts numbers inside ids by value', () => {
    expect(['case10', 'case2', 'case1', 'a', 'case02'].sort(compareIds)).toEqual([
      'a',
      'case1',
      'case2',
      'case02',
      'case10',
    ]);
  });
});

describe('split counts', () => {
  it('uses the largest remainder and keeps val non-empty', () => {
    expect(splitCounts(600, { train: 0.8, val: 0.1, test: 0.1 })).toEqual({ train: 480, val: 60, test: 60 });
    // 5.6, 0.7, 0.7 -> floors 5, 0, 0; the two largest remainders (0.7) go to val and test
    expect(splitCounts(7, { train: 0.8, val: 0.1, test: 0.1 })).toEqual({ train: 5, val: 1, test: 1 });
    expect(splitCounts(3, { train: 0.9, val: 0.05, test: 0.05 })).toEqual({ train: 2, val: 1, test: 0 });
    expect(splitCounts(2, { train: 0.9, val: 0.1, test: 0 })).toEqual({ train: 1, val: 1, test: 0 });
    expect(splitCounts(10, { train: 7, val: 2, test: 1 })).toEqual({ train: 7, val: 2, test: 1 });
    expect(() => splitCounts(10, { train: -1, val: 1, test: 1 })).toThrow(/non-negative/);
  });
});

describe('seeded splits', () => {
  it('meets the target counts and is deterministic for a seed, whatever the input order', () => {
    const all = ids(100);
    const a = assignSplits(all, { seed: 7 });
    const b = assignSplits([...all].reverse(), { seed: 7 });
    expect(a).toEqual(b);
    expect(count(a)).toEqual({ train: 80, val: 10, test: 10 });
    const c = assignSplits(all, { seed: 8 });
    expect(all.filter((id) => a[id] !== c[id]).length).toBeGreaterThan(10);
  });

  it('keeps folder splits and fills the rest towards the ratios', () => {
    const fixed: Record<string, CaseSplit> = { case1: 'test', case2: 'test', case3: 'val' };
    const s = assignSplits(ids(20), { seed: 1, ratios: { train: 0.7, val: 0.15, test: 0.15 }, fixed });
    expect(s.case1).toBe('test');
    expect(s.case2).toBe('test');
    expect(s.case3).toBe('val');
    expect(count(s)).toEqual({ train: 14, val: 3, test: 3 });
  });

  it('adding cases never moves existing ones', () => {
    const first = assignSplits(ids(50), { seed: 3 });
    const more = assignSplits([...ids(50), ...ids(25, 'new')], { seed: 3, fixed: first });
    for (const id of ids(50)) expect(more[id]).toBe(first[id]);
    expect(count(more)).toEqual({ train: 60, val: 8, test: 7 });
  });
});

describe('fixed evaluation list', () => {
  const val = ids(60, 'v');

  it('chooses 20 val cases, deterministic given the seed and the set of ids', () => {
    const a = chooseEvalList(val, 42, 20, FIXED_NOW);
    const b = chooseEvalList([...val].reverse(), 42, 20, FIXED_NOW);
    expect(a).toEqual(b);
    expect(a.ids).toHaveLength(20);
    expect(new Set(a.ids).size).toBe(20);
    for (const id of a.ids) expect(val).toContain(id);
    expect([...a.ids].sort(compareIds)).toEqual(a.ids);
    expect(a).toMatchObject({ seed: 42, size: 20, version: 1 });
    expect(a.history).toEqual([{ at: '2026-02-21T18:00:00.000Z', action: 'created' }]);
    const other = chooseEvalList(val, 43, 20, FIXED_NOW);
    expect(other.ids).not.toEqual(a.ids);
  });

  it('is not changed by adding new cases to the dataset', () => {
    const list = chooseEvalList(val, 42, 20, FIXED_NOW);
    const frozen = structuredClone(list);
    const grown = [...val, ...ids(200, 'w')];
    const cases = grown.map((id) => ({ id, split: 'val' as CaseSplit }));
    const check = checkEvalList(list, cases);
    expect(check).toEqual({ missing: [], notVal: [], excluded: [], short: false, ok: true });
    expect(list).toEqual(frozen);
    // re-splitting with the old splits fixed keeps every listed case in val
    const fixed = Object.fromEntries(val.map((id) => [id, 'val' as CaseSplit]));
    const s = assignSplits(grown, { seed: 42, fixed });
    for (const id of list.ids) expect(s[id]).toBe('val');
  });

  it('a list on a small val set is short and flagged only when spare cases appear', () => {
    const list = chooseEvalList(ids(5, 'v'), 1, 20, FIXED_NOW);
    expect(list.ids).toEqual(['v1', 'v2', 'v3', 'v4', 'v5']);
    expect(
      checkEvalList(
        list,
        ids(5, 'v').map((id) => ({ id, split: 'val' as CaseSplit })),
      ).ok,
    ).toBe(true);
    const more = [...ids(5, 'v'), 'v6'].map((id) => ({ id, split: 'val' as CaseSplit }));
    expect(checkEvalList(list, more)).toMatchObject({ short: true, ok: false });
    expect(list.ids).toHaveLength(5);
  });

  it('reports missing, moved and excluded cases without changing the list', () => {
    const list = chooseEvalList(val, 42, 20, FIXED_NOW);
    const [gone, moved, excl] = list.ids;
    const cases = val
      .filter((id) => id !== gone)
      .map((id) => ({ id, split: (id === moved ? 'train' : 'val') as CaseSplit, excluded: id === excl }));
    expect(checkEvalList(list, cases)).toEqual({
      missing: [gone],
      notVal: [moved],
      excluded: [excl],
      short: false,
      ok: false,
    });
  });

  it('edits only through explicit functions, each recorded with a new version', () => {
    const list = chooseEvalList(val, 42, 20, FIXED_NOW);
    const cand = suggestEvalCandidate(list, val, []);
    expect(cand).not.toBeNull();
    expect(list.ids).not.toContain(cand);
    // the suggestion is the 21st case of the same ranking: choosing 21 adds exactly it
    expect(chooseEvalList(val, 42, 21, FIXED_NOW).ids.filter((id) => !list.ids.includes(id))).toEqual([cand]);
    const old = list.ids[3];
    const r = replaceInEvalList(list, old, cand!, 'motion blur', FIXED_NOW);
    expect(r.ids).toContain(cand);
    expect(r.ids).not.toContain(old);
    expect(r.version).toBe(2);
    expect(r.history[1]).toEqual({
      at: '2026-02-21T18:00:00.000Z',
      action: 'replaced',
      removed: old,
      added: cand,
      reason: 'motion blur',
    });
    expect(list.ids).toContain(old); // the original object is untouched
    const removed = removeFromEvalList(r, cand!, 'wrong patient', FIXED_NOW);
    expect(removed.ids).toHaveLength(19);
    const added = addToEvalList(removed, old, undefined, FIXED_NOW);
    expect(added.ids).toEqual(list.ids);
    expect(added.version).toBe(4);
    expect(() => replaceInEvalList(list, 'nope', 'v1')).toThrow(/not in the evaluation list/);
    expect(() => addToEvalList(list, list.ids[0])).toThrow(/already/);
    expect(suggestEvalCandidate(list, list.ids)).toBeNull();
  });
});
