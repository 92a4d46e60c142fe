/**
 * Train / val / test splits and the fixed evaluation list.
 *
 * Splits are seeded and deterministic: the same ids (in any order) and seed give the same split.
 * Cases that already have a split (from train/ val/ test/ folders, or from an earlier import)
 * keep it; only unassigned cases are distributed, so adding cases never moves existing ones
 * (`splitsForAddedCases`). Only an explicit re-split (`planResplit`) deals every case again.
 *
 * The evaluation list is the clinic's "same 20 cases for every version" (固定评估清单): chosen
 * once per dataset from the val cases, then stored with the dataset and shown by every run and
 * checkpoint. It changes only through the explicit edit functions below, each recording a
 * history entry and bumping `version`; nothing here changes it as a side effect (new cases,
 * exclusions and deletions are reported by checkEvalList, never repaired silently). The one
 * exception is the user's explicit re-split: list cases dealt into train leave the list (recorded
 * as one `resplit` history entry naming them); cases in val or test stay.
 */
import { deriveSeed, Rng } from '../rng';
import {
  DEFAULT_SPLIT_RATIOS,
  type CaseSplit,
  type EvalList,
  type EvalListChange,
  type SplitRatios,
} from './types';

export { DEFAULT_SPLIT_RATIOS } from './types';
export type { EvalList, EvalListChange, SplitRatios } from './types';

/** Default size of the evaluation list (the clinic's plan: the same 20 cases). */
export const EVAL_LIST_SIZE = 20;

/**
 * Held-out cases below which the evaluation is too small to trust: fewer than 20 val cases means
 * every metric, the gate and the failure rate rest on a handful of films (say so, never hide it).
 */
export const SMALL_EVAL_CASES = EVAL_LIST_SIZE;

/** The fewest val cases a proposed split holds where the dataset allows it (a third of the cases at most). */
export const MIN_VAL_CASES = 5;

/**
 * The split counts proposed for a new dataset of n complete pairs. Large datasets keep the
 * default 80/10/10 (val already holds 20 or more cases from 200 pairs on). Smaller ones give val
 * at least 20 % of the cases or 20 cases, whichever is fewer, and at least MIN_VAL_CASES where
 * that leaves two thirds of the cases for training; test keeps its 10 % as long as half the cases still
 * train. Example: 20 pairs -> 13 train / 5 val / 2 test instead of 16 / 2 / 2.
 */
export function proposedSplitCounts(n: number): Record<CaseSplit, number> {
  const total = Math.max(0, Math.floor(n));
  const base = splitCounts(total, DEFAULT_SPLIT_RATIOS);
  if (total < 2) return base;
  const val = Math.max(
    base.val,
    Math.min(EVAL_LIST_SIZE, Math.round(0.2 * total)),
    Math.min(MIN_VAL_CASES, Math.floor(total / 3)),
  );
  const test = Math.max(0, Math.min(base.test, total - val - Math.ceil(total / 2)));
  return { train: total - val - test, val, test };
}

/**
 * The proposed counts as split ratios (fractions with 4 decimals) that `splitCounts` turns back
 * into exactly `proposedSplitCounts(n)` for these n; the default ratios when n < 2.
 */
export function proposedSplitRatios(n: number): SplitRatios {
  const total = Math.max(0, Math.floor(n));
  if (total < 2) return { ...DEFAULT_SPLIT_RATIOS };
  const c = proposedSplitCounts(total);
  const r = (k: number): number => Math.round((k / total) * 1e4) / 1e4;
  return { train: r(c.train), val: r(c.val), test: r(c.test) };
}

/** Natural order of ids: "case2" < "case10"; plain code-unit comparison otherwise (locale-free). */
export function compareIds(a: string, b: string): number {
  const re = /(\d+)|(\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  if (pa.length !== pb.length) return pa.length - pb.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Target counts for n cases (largest remainder; val gets at least one case when n >= 2). */
export function splitCounts(n: number, ratios: SplitRatios): Record<CaseSplit, number> {
  const keys: CaseSplit[] = ['train', 'val', 'test'];
  const total = ratios.train + ratios.val + ratios.test;
  if (!(total > 0) || keys.some((k) => !(ratios[k] >= 0))) {
    throw new Error(`Split ratios must be non-negative with a positive sum (got ${JSON.stringify(ratios)}).`);
  }
  const exact = keys.map((k) => (n * ratios[k]) / total);
  const counts = exact.map(Math.floor);
  let left = n - counts.reduce((a, b) => a + b, 0);
  // largest remainder first; ties go to val, then test, then train
  const tieOrder = [2, 0, 1];
  const order = [0, 1, 2].sort(
    (i, j) => exact[j] - counts[j] - (exact[i] - counts[i]) || tieOrder[i] - tieOrder[j],
  );
  for (let i = 0; left > 0; i = (i + 1) % 3) {
    counts[order[i]]++;
    left--;
  }
  const out: Record<CaseSplit, number> = { train: counts[0], val: counts[1], test: counts[2] };
  if (ratios.val > 0 && n >= 2 && out.val === 0) {
    const from: CaseSplit = out.train >= out.test ? 'train' : 'test';
    out[from]--;
    out.val++;
  }
  return out;
}

/**
 * Assign a split to every id. `fixed` holds splits that must not change (from folders or an
 * earlier import); the others are shuffled with the seed (order of `ids` does not matter) and
 * dealt to the splits furthest below their target share of the whole dataset.
 */
export function assignSplits(
  ids: readonly string[],
  opts: { seed: number; ratios?: SplitRatios; fixed?: Readonly<Record<string, CaseSplit>> },
): Record<string, CaseSplit> {
  const ratios = opts.ratios ?? DEFAULT_SPLIT_RATIOS;
  const unique = [...new Set(ids)].sort(compareIds);
  const out: Record<string, CaseSplit> = {};
  const have: Record<CaseSplit, number> = { train: 0, val: 0, test: 0 };
  const free: string[] = [];
  for (const id of unique) {
    const f = opts.fixed?.[id];
    if (f) {
      out[id] = f;
      have[f]++;
    } else free.push(id);
  }
  const target = splitCounts(unique.length, ratios);
  const rng = new Rng(deriveSeed(opts.seed, 'splits'));
  const perm = rng.permutation(free.length);
  const keys: CaseSplit[] = ['val', 'test', 'train'];
  for (const pi of perm) {
    // the split with the largest deficit (target - have); ties: val, test, train
    let best: CaseSplit = 'train';
    let bestDeficit = -Infinity;
    for (const k of keys) {
      const d = target[k] - have[k];
      if (d > bestDeficit) {
        bestDeficit = d;
        best = k;
      }
    }
    out[free[pi]] = best;
    have[best]++;
  }
  return out;
}

/** A case as the split rules see it. `paired`: it has both a photo and an X-ray. */
export interface SplitCase {
  id: string;
  split: CaseSplit;
  paired: boolean;
}

/** A case being added: its id, whether it is a complete pair, and a split from its folder if any. */
export interface AddedSplitCase {
  id: string;
  paired: boolean;
  /** From a train/ val/ test/ folder of the added files: kept. */
  split?: CaseSplit;
}

function pairedGroups<T extends { paired: boolean }>(items: readonly T[]): T[][] {
  return [items.filter((c) => c.paired), items.filter((c) => !c.paired)];
}

/**
 * Splits for cases added to an existing dataset. Existing cases keep theirs (they are fixed and
 * count toward the targets), new cases with a folder split keep it, the others are dealt by the
 * dataset's seeded rule toward the target shares of the whole dataset. Complete pairs and
 * incomplete cases are dealt separately (as at import), so an incomplete case never takes a val
 * slot from a pair. Returns the splits of the added cases only. Throws when an added id is
 * already in the dataset or repeated.
 */
export function splitsForAddedCases(
  existing: readonly SplitCase[],
  added: readonly AddedSplitCase[],
  opts: { seed: number; ratios: SplitRatios },
): Record<string, CaseSplit> {
  const have = new Set(existing.map((c) => c.id));
  const seen = new Set<string>();
  for (const c of added) {
    if (have.has(c.id)) throw new Error(`Case "${c.id}" is already in the dataset.`);
    if (seen.has(c.id)) throw new Error(`Case "${c.id}" appears twice among the added cases.`);
    seen.add(c.id);
  }
  const out: Record<string, CaseSplit> = {};
  const [oldPaired, oldOther] = pairedGroups(existing);
  const [newPaired, newOther] = pairedGroups(added);
  for (const [old, fresh] of [
    [oldPaired, newPaired],
    [oldOther, newOther],
  ] as const) {
    if (!fresh.length) continue;
    const fixed: Record<string, CaseSplit> = {};
    for (const c of old) fixed[c.id] = c.split;
    for (const c of fresh) if (c.split) fixed[c.id] = c.split;
    const all = assignSplits([...old.map((c) => c.id), ...fresh.map((c) => c.id)], {
      seed: opts.seed,
      ratios: opts.ratios,
      fixed,
    });
    for (const c of fresh) out[c.id] = all[c.id];
  }
  return out;
}

/**
 * Deal every case again with a seed and ratios, ignoring the current splits (folder splits and
 * manual moves included). Deterministic given (seed, ratios, case ids and which are complete
 * pairs); the order of the cases does not matter. Pairs and incomplete cases are dealt separately,
 * as at import, so a re-split with the import's seed and ratios gives the import's seeded split.
 */
export function resplitCases(
  cases: readonly { id: string; paired: boolean }[],
  opts: { seed: number; ratios: SplitRatios },
): Record<string, CaseSplit> {
  const out: Record<string, CaseSplit> = {};
  for (const group of pairedGroups(cases))
    Object.assign(
      out,
      assignSplits(
        group.map((c) => c.id),
        { seed: opts.seed, ratios: opts.ratios },
      ),
    );
  return out;
}

// ---------------------------------------------------------------------------------------------
// Fixed evaluation list

/** The rank of an id for the list: a hash of (seed, id); lower = chosen first. */
function evalRank(seed: number, id: string): number {
  return deriveSeed(seed, 'evalList', id);
}

function byRank(seed: number, ids: readonly string[]): string[] {
  return [...new Set(ids)].sort((a, b) => evalRank(seed, a) - evalRank(seed, b) || compareIds(a, b));
}

/**
 * Choose the fixed evaluation list: the n val cases with the lowest seeded rank. Deterministic
 * given the seed and the set of ids (their order does not matter). Call once per dataset.
 */
export function chooseEvalList(
  valCaseIds: readonly string[],
  seed: number,
  n = EVAL_LIST_SIZE,
  now = new Date(),
): EvalList {
  const ids = byRank(seed, valCaseIds).slice(0, Math.max(0, n)).sort(compareIds);
  return { ids, seed, size: n, version: 1, history: [{ at: now.toISOString(), action: 'created' }] };
}

function edited(list: EvalList, ids: string[], change: EvalListChange): EvalList {
  return {
    ...list,
    ids: ids.sort(compareIds),
    version: list.version + 1,
    history: [...list.history, change],
  };
}

/** Replace one case of the list by another (explicit user edit). Throws on misuse. */
export function replaceInEvalList(
  list: EvalList,
  oldId: string,
  newId: string,
  reason?: string,
  now = new Date(),
): EvalList {
  if (!list.ids.includes(oldId)) throw new Error(`Case "${oldId}" is not in the evaluation list.`);
  if (list.ids.includes(newId)) throw new Error(`Case "${newId}" is already in the evaluation list.`);
  const ids = list.ids.map((id) => (id === oldId ? newId : id));
  return edited(list, ids, {
    at: now.toISOString(),
    action: 'replaced',
    removed: oldId,
    added: newId,
    reason,
  });
}

/** Add a case to the list (explicit user edit). Throws when it is already there. */
export function addToEvalList(list: EvalList, id: string, reason?: string, now = new Date()): EvalList {
  if (list.ids.includes(id)) throw new Error(`Case "${id}" is already in the evaluation list.`);
  return edited(list, [...list.ids, id], { at: now.toISOString(), action: 'added', added: id, reason });
}

/** Remove a case from the list (explicit user edit). Throws when it is not there. */
export function removeFromEvalList(list: EvalList, id: string, reason?: string, now = new Date()): EvalList {
  if (!list.ids.includes(id)) throw new Error(`Case "${id}" is not in the evaluation list.`);
  return edited(
    list,
    list.ids.filter((x) => x !== id),
    { at: now.toISOString(), action: 'removed', removed: id, reason },
  );
}

/**
 * The next candidate to offer when the user replaces or adds a case: the lowest-ranked val case
 * that is not in the list and not excluded (null when none is left). Does not change the list.
 */
export function suggestEvalCandidate(
  list: EvalList,
  valCaseIds: readonly string[],
  excludedIds: readonly string[] = [],
): string | null {
  const skip = new Set([...list.ids, ...excludedIds]);
  return byRank(list.seed, valCaseIds).find((id) => !skip.has(id)) ?? null;
}

export interface EvalListCheck {
  /** In the list but no longer in the dataset. */
  missing: string[];
  /** In the list but now in train (the model learns from them, so they no longer measure it). */
  inTrain: string[];
  /** In the list and excluded by the user. */
  excluded: string[];
  /** The list is shorter than requested while val has unused cases. */
  short: boolean;
  ok: boolean;
}

/**
 * Report what no longer fits the list; the list itself is never changed here. A list case in
 * test is fine (held out like val); one in train is reported.
 */
export function checkEvalList(
  list: EvalList,
  cases: readonly { id: string; split: CaseSplit; excluded?: boolean }[],
): EvalListCheck {
  const byId = new Map(cases.map((c) => [c.id, c]));
  const missing = list.ids.filter((id) => !byId.has(id));
  const inTrain = list.ids.filter((id) => byId.get(id)?.split === 'train');
  const excluded = list.ids.filter((id) => byId.get(id)?.excluded === true);
  const inList = new Set(list.ids);
  const spare = cases.some((c) => c.split === 'val' && !c.excluded && !inList.has(c.id));
  const short = list.ids.length < list.size && spare;
  return {
    missing,
    inTrain,
    excluded,
    short,
    ok: !missing.length && !inTrain.length && !excluded.length && !short,
  };
}

// ---------------------------------------------------------------------------------------------
// Re-split

export interface ResplitPlan {
  /** The new split of every case. */
  splits: Record<string, CaseSplit>;
  /** Cases whose split changes, in natural id order. */
  moved: string[];
  /** The evaluation list after the re-split (the same object when no list case went to train). */
  evalList: EvalList;
  /** List cases dealt into train: they leave the list. */
  evalLeft: string[];
  /** List cases now in test: they stay. */
  evalInTest: string[];
}

/**
 * What an explicit re-split of the whole dataset does (nothing is written here): the new splits
 * (resplitCases), the cases that move, and the evaluation list: kept as it is when all its cases
 * are still in val or test; otherwise the cases now in train leave it, recorded as one `resplit`
 * history entry and a new version. A list that was never created (version 0) stays empty.
 */
export function planResplit(
  cases: readonly SplitCase[],
  list: EvalList,
  opts: { seed: number; ratios: SplitRatios; now?: Date },
): ResplitPlan {
  if (!Number.isInteger(opts.seed) || opts.seed < 0)
    throw new Error(`The split seed must be a whole number of 0 or more (got ${opts.seed}).`);
  splitCounts(cases.length, opts.ratios); // validates the ratios
  const splits = resplitCases(cases, opts);
  const moved = cases
    .filter((c) => splits[c.id] !== c.split)
    .map((c) => c.id)
    .sort(compareIds);
  const evalLeft = list.ids.filter((id) => splits[id] === 'train');
  const evalInTest = list.ids.filter((id) => splits[id] === 'test');
  let evalList = list;
  if (evalLeft.length) {
    const gone = new Set(evalLeft);
    evalList = edited(
      list,
      list.ids.filter((id) => !gone.has(id)),
      {
        at: (opts.now ?? new Date()).toISOString(),
        action: 'resplit',
        removedIds: evalLeft,
        seed: opts.seed,
        ratios: { ...opts.ratios },
      },
    );
  }
  return { splits, moved, evalList, evalLeft, evalInTest };
}
