import { describe, expect, it } from 'vitest';
import {
  addToEvalList,
  assignSplits,
  checkEvalList,
  chooseEvalList,
  compareIds,
  MIN_VAL_CASES,
  planResplit,
  proposedSplitCounts,
  proposedSplitRatios,
  removeFromEvalList,
  replaceInEvalList,
  resplitCases,
  splitCounts,
  splitsForAddedCases,
  suggestEvalCandidate,
  type SplitCase,
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
    expect(check).toEqual({ missing: [], inTrain: [], excluded: [], short: false, ok: true });
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

  it('reports missing, moved-to-train and excluded cases without changing the list (test is fine)', () => {
    const list = chooseEvalList(val, 42, 20, FIXED_NOW);
    const [gone, moved, excl, toTest] = list.ids;
    const split = (id: string): CaseSplit => (id === moved ? 'train' : id === toTest ? 'test' : 'val');
    const cases = val
      .filter((id) => id !== gone)
      .map((id) => ({ id, split: split(id), excluded: id === excl }));
    expect(checkEvalList(list, cases)).toEqual({
      missing: [gone],
      inTrain: [moved],
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

/** A seeded shuffle (Fisher-Yates with a small LCG): input order must not matter. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const a = [...items];
  let x = seed >>> 0;
  for (let i = a.length - 1; i > 0; i--) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const j = x % (i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

describe('splits for added cases', () => {
  // 40 complete pairs already split 32 / 4 / 4 by the seeded rule, plus 2 incomplete cases
  const old = ids(40, 'p');
  const oldSplits = assignSplits(old, { seed: 9 });
  const existing: SplitCase[] = [
    ...old.map((id) => ({ id, split: oldSplits[id], paired: true })),
    { id: 'u1', split: 'train' as CaseSplit, paired: false },
    { id: 'u2', split: 'test' as CaseSplit, paired: false },
  ];
  const ratios = { train: 0.8, val: 0.1, test: 0.1 };

  it("deals new pairs toward the whole dataset's targets and never moves an existing case", () => {
    expect(count(oldSplits)).toEqual({ train: 32, val: 4, test: 4 });
    const added = ids(10, 'n').map((id) => ({ id, paired: true }));
    const s = splitsForAddedCases(existing, added, { seed: 9, ratios });
    expect(Object.keys(s).sort(compareIds)).toEqual(ids(10, 'n'));
    // 50 pairs: targets 40 / 5 / 5, so the 10 new pairs go 8 / 1 / 1
    expect(count(s)).toEqual({ train: 8, val: 1, test: 1 });
    // the same as assignSplits over all pairs with the old ones fixed: the dataset's seeded rule
    const all = assignSplits([...old, ...ids(10, 'n')], { seed: 9, ratios, fixed: oldSplits });
    for (const id of ids(10, 'n')) expect(s[id]).toBe(all[id]);
    for (const id of old) expect(all[id]).toBe(oldSplits[id]);
    // order of the inputs does not matter
    expect(splitsForAddedCases(shuffled(existing, 3), shuffled(added, 4), { seed: 9, ratios })).toEqual(s);
  });

  it('keeps folder splits of added cases and deals incomplete cases apart from pairs', () => {
    const s = splitsForAddedCases(
      existing,
      [
        { id: 'f1', paired: true, split: 'val' },
        { id: 'f2', paired: true, split: 'val' },
        { id: 'u3', paired: false },
      ],
      { seed: 9, ratios },
    );
    expect(s.f1).toBe('val');
    expect(s.f2).toBe('val');
    // the incomplete group (u1 train, u2 test, u3): 3 cases, targets 2 / 1 / 0 -> u3 takes val
    expect(s.u3).toBe('val');
    expect(() => splitsForAddedCases(existing, [{ id: 'p1', paired: true }], { seed: 9, ratios })).toThrow(
      /already in the dataset/,
    );
    expect(() =>
      splitsForAddedCases(
        existing,
        [
          { id: 'x', paired: true },
          { id: 'x', paired: false },
        ],
        { seed: 9, ratios },
      ),
    ).toThrow(/twice/);
  });
});

describe('re-split', () => {
  const pairs = ids(60, 'r');
  const cases = [...pairs.map((id) => ({ id, paired: true })), { id: 'half1', paired: false }];

  it('is deterministic given seed, ratios and ids, whatever their order', () => {
    const a = resplitCases(cases, { seed: 5, ratios: { train: 0.7, val: 0.15, test: 0.15 } });
    const b = resplitCases(shuffled(cases, 11), { seed: 5, ratios: { train: 0.7, val: 0.15, test: 0.15 } });
    expect(b).toEqual(a);
    // 60 pairs at 70 / 15 / 15 -> 42 / 9 / 9; the incomplete case alone goes to train (1 * 0.7 is the largest share)
    const pairCounts = count(Object.fromEntries(pairs.map((id) => [id, a[id]])));
    expect(pairCounts).toEqual({ train: 42, val: 9, test: 9 });
    expect(a.half1).toBe('train');
    // another seed deals differently (same counts); other ratios give other counts
    const c = resplitCases(cases, { seed: 6, ratios: { train: 0.7, val: 0.15, test: 0.15 } });
    expect(c).not.toEqual(a);
    expect(count(Object.fromEntries(pairs.map((id) => [id, c[id]])))).toEqual(pairCounts);
    const d = resplitCases(cases, { seed: 5, ratios: { train: 0.6, val: 0.2, test: 0.2 } });
    expect(count(Object.fromEntries(pairs.map((id) => [id, d[id]])))).toEqual({
      train: 36,
      val: 12,
      test: 12,
    });
  });

  it("with the import's seed and ratios gives the import's seeded split (pairs among themselves)", () => {
    const imported = assignSplits(pairs, { seed: 42 });
    const again = resplitCases(
      pairs.map((id) => ({ id, paired: true })),
      { seed: 42, ratios: { train: 0.8, val: 0.1, test: 0.1 } },
    );
    expect(again).toEqual(imported);
  });

  it('keeps the evaluation list when its cases stay in val or test, else names the cases that leave it', () => {
    const now = new Date('2026-03-01T09:00:00Z');
    const before = assignSplits(pairs, { seed: 42 });
    const valIds = pairs.filter((id) => before[id] === 'val');
    const list = chooseEvalList(valIds, 42, 20, FIXED_NOW);
    expect(list.ids).toEqual(valIds.sort(compareIds)); // 6 val cases, all listed
    const current: SplitCase[] = pairs.map((id) => ({ id, split: before[id], paired: true }));

    // the same seed and ratios: nothing moves, the list is the same object
    const same = planResplit(current, list, { seed: 42, ratios: { train: 0.8, val: 0.1, test: 0.1 }, now });
    expect(same.moved).toEqual([]);
    expect(same.evalList).toBe(list);
    expect(same.evalLeft).toEqual([]);

    // a new seed: the list keeps the cases now in val or test, loses (and names) the ones in train
    const p = planResplit(current, list, { seed: 7, ratios: { train: 0.8, val: 0.1, test: 0.1 }, now });
    const after = resplitCases(
      pairs.map((id) => ({ id, paired: true })),
      { seed: 7, ratios: { train: 0.8, val: 0.1, test: 0.1 } },
    );
    expect(p.splits).toEqual(after);
    expect(p.moved).toEqual(pairs.filter((id) => after[id] !== before[id]));
    const left = list.ids.filter((id) => after[id] === 'train');
    const kept = list.ids.filter((id) => after[id] !== 'train');
    expect(left.length).toBeGreaterThan(0); // with 6 of 60 listed, a new seed sends most to train
    expect(p.evalLeft).toEqual(left);
    expect(p.evalInTest).toEqual(list.ids.filter((id) => after[id] === 'test'));
    expect(p.evalList.ids).toEqual(kept);
    expect(p.evalList.version).toBe(2);
    expect(p.evalList.history.at(-1)).toEqual({
      at: '2026-03-01T09:00:00.000Z',
      action: 'resplit',
      removedIds: left,
      seed: 7,
      ratios: { train: 0.8, val: 0.1, test: 0.1 },
    });
    expect(list.version).toBe(1); // the input list is untouched
    // deterministic: the same plan again
    expect(
      planResplit([...current].reverse(), list, {
        seed: 7,
        ratios: { train: 0.8, val: 0.1, test: 0.1 },
        now,
      }),
    ).toEqual(p);
  });

  it('refuses a bad seed or bad ratios', () => {
    const current: SplitCase[] = pairs.map((id) => ({ id, split: 'train', paired: true }));
    const list = chooseEvalList([], 1);
    expect(() => planResplit(current, list, { seed: 1.5, ratios: { train: 1, val: 0, test: 0 } })).toThrow(
      /whole number/,
    );
    expect(() => planResplit(current, list, { seed: 1, ratios: { train: -1, val: 1, test: 1 } })).toThrow(
      /non-negative/,
    );
  });
});

describe('proposed splits for small datasets', () => {
  it('gives 20 pairs 5 val cases instead of 2 (13 / 5 / 2)', () => {
    expect(proposedSplitCounts(20)).toEqual({ train: 13, val: 5, test: 2 });
    expect(count(assignSplits(ids(20), { seed: 42, ratios: proposedSplitRatios(20) }))).toEqual({
      train: 13,
      val: 5,
      test: 2,
    });
  });

  it('keeps 80/10/10 from 200 pairs on and gives 20 val cases from 100 pairs on', () => {
    expect(proposedSplitCounts(600)).toEqual({ train: 480, val: 60, test: 60 });
    expect(proposedSplitCounts(200)).toEqual({ train: 160, val: 20, test: 20 });
    expect(proposedSplitCounts(100)).toEqual({ train: 70, val: 20, test: 10 });
    expect(proposedSplitRatios(600)).toEqual({ train: 0.8, val: 0.1, test: 0.1 });
  });

  it('keeps at least half the cases for training on very small datasets', () => {
    expect(proposedSplitCounts(7)).toEqual({ train: 4, val: 2, test: 1 });
    expect(proposedSplitCounts(8)).toEqual({ train: 5, val: 2, test: 1 });
    expect(proposedSplitCounts(4)).toEqual({ train: 3, val: 1, test: 0 });
    expect(proposedSplitCounts(2)).toEqual({ train: 1, val: 1, test: 0 });
    expect(proposedSplitCounts(1)).toEqual({ train: 1, val: 0, test: 0 });
  });

  it('every n: val >= 20 % (or 20 cases), >= 5 where two thirds still train, the ratios reproduce the counts', () => {
    for (let n = 2; n <= 400; n++) {
      const c = proposedSplitCounts(n);
      expect(c.train + c.val + c.test).toBe(n);
      expect(c.train).toBeGreaterThanOrEqual(Math.ceil(n / 2));
      expect(c.val).toBeGreaterThanOrEqual(Math.min(20, Math.round(0.2 * n)));
      if (n >= 3 * MIN_VAL_CASES) expect(c.val).toBeGreaterThanOrEqual(MIN_VAL_CASES);
      expect(c.val).toBeGreaterThanOrEqual(Math.min(MIN_VAL_CASES, Math.floor(n / 3)));
      expect(splitCounts(n, proposedSplitRatios(n))).toEqual(c);
    }
  });
});
