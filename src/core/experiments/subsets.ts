/**
 * Nested subsets of the training split for the sample-size study (issue 15): the same config is
 * trained on e.g. 20 / 40 / 80 / all training cases, each smaller subset inside every larger one,
 * so a change in the validation metrics comes from the added cases and not from a different draw.
 *
 * Rule: the training ids are put in natural order (so their input order does not matter), shuffled
 * once with a generator seeded by (seed, 'studySubsets'), and subset n is the first n of that
 * order. Only cases in the train split are ever drawn: val and test (and the fixed evaluation
 * list, which lives in val) are the same for every subset. TF.js-free.
 */
import type { CaseSplit } from '../data/dataset';
import { compareIds } from '../data/splits';
import { deriveSeed, Rng } from '../rng';

export type SubsetSize = number | 'all';

export interface NestedSubset {
  /** As asked: a number of cases or 'all'. */
  label: SubsetSize;
  /** Number of training cases in the subset. */
  n: number;
  /** Case ids in natural order. */
  ids: string[];
}

export class SubsetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SubsetError';
  }
}

/** `20,40,80,all` -> [20, 40, 80, 'all'] (whole numbers of 1 or more, no repeats, 2 or more sizes). */
export function parseSubsetSizes(spec: string): SubsetSize[] {
  const parts = spec.split(',').map((s) => s.trim());
  if (parts.some((p) => p === ''))
    throw new SubsetError(`--subsets "${spec}": give sizes separated by commas, e.g. 20,40,80,all`);
  const out: SubsetSize[] = [];
  for (const p of parts) {
    if (p.toLowerCase() === 'all') out.push('all');
    else {
      const n = Number(p);
      if (!Number.isInteger(n) || n < 1)
        throw new SubsetError(
          `--subsets: "${p}" is not a number of cases (a whole number of 1 or more, or all)`,
        );
      out.push(n);
    }
  }
  const seen = new Set<string>();
  for (const s of out) {
    if (seen.has(String(s))) throw new SubsetError(`--subsets: ${s} is given twice`);
    seen.add(String(s));
  }
  if (out.length < 2) throw new SubsetError('--subsets: a study needs at least two sizes (e.g. 20,all)');
  return out;
}

/** The seeded order in which training cases join the subsets. */
export function subsetOrder(trainIds: readonly string[], seed: number): string[] {
  const ids = [...new Set(trainIds)].sort(compareIds);
  const perm = new Rng(deriveSeed(seed, 'studySubsets')).permutation(ids.length);
  return perm.map((i) => ids[i]);
}

/**
 * The nested subsets of the cases in the train split, smallest first. A size larger than the
 * training split, or two sizes that give the same number of cases (e.g. 80 and all with 80
 * training cases), is an error that says how many training cases there are.
 */
export function nestedSubsets(
  cases: readonly { id: string; split: CaseSplit }[],
  sizes: readonly SubsetSize[],
  seed: number,
): NestedSubset[] {
  const trainIds = cases.filter((c) => c.split === 'train').map((c) => c.id);
  const total = new Set(trainIds).size;
  if (total === 0) throw new SubsetError('the dataset has no training cases to draw subsets from');
  const order = subsetOrder(trainIds, seed);
  const resolved = sizes.map((s) => {
    const n = s === 'all' ? total : s;
    if (n > total)
      throw new SubsetError(
        `subset ${s} is larger than the training split (${total} cases); use at most ${total} or all`,
      );
    return { label: s, n };
  });
  resolved.sort((a, b) => a.n - b.n);
  for (let i = 1; i < resolved.length; i++)
    if (resolved[i].n === resolved[i - 1].n)
      throw new SubsetError(
        `subsets ${resolved[i - 1].label} and ${resolved[i].label} are both ${resolved[i].n} cases (the training split has ${total}); drop one`,
      );
  return resolved.map(({ label, n }) => ({ label, n, ids: firstOfOrder(order, n) }));
}

/** The first n of a subset order, in natural order (the one rule the CLI and the app share). */
function firstOfOrder(order: readonly string[], n: number): string[] {
  return order.slice(0, n).sort(compareIds);
}

/**
 * The training ids of subset n (the run option `train_subset`): the same ids `nestedSubsets`
 * gives for size n with the same seed, in natural order. 0 = every training id. Throws a
 * SubsetError when n is not a whole number of 0 or more or exceeds the training split.
 */
export function trainSubsetIds(trainIds: readonly string[], n: number, seed: number): string[] {
  if (!Number.isInteger(n) || n < 0)
    throw new SubsetError(
      `train_subset ${n} is not a number of training cases (a whole number, 0 = all cases)`,
    );
  const order = subsetOrder(trainIds, seed);
  if (n === 0) return firstOfOrder(order, order.length);
  if (n > order.length)
    throw new SubsetError(
      `train_subset ${n} is larger than the training split (${order.length} cases); use at most ${order.length} or 0 (all)`,
    );
  return firstOfOrder(order, n);
}

/**
 * The training pairs a run with `train_subset` trains on (the engine's training data): every pair
 * when the option is 0 or absent (older runs), otherwise the pairs of `trainSubsetIds`, in the
 * order of those ids (as the CLI's study feeds them). A pair without an id counts as `train<i>`
 * (the CLI's rule).
 */
export function applyTrainSubset<T extends { id?: string }>(
  pairs: readonly T[],
  cfg: { train_subset?: number; seed: number },
): T[] {
  const n = cfg.train_subset ?? 0;
  if (n === 0) return [...pairs];
  const byId = new Map(pairs.map((p, i) => [p.id ?? `train${i}`, p]));
  return trainSubsetIds([...byId.keys()], n, cfg.seed).map((id) => byId.get(id)!);
}

/**
 * The steps a run trains: the schedule's (epochs x steps per epoch), or `max_steps` when it is set
 * and shorter (a study holding steps equal). Absent (older runs) or 0: the schedule's.
 */
export function runTotalSteps(cfg: { max_steps?: number }, scheduledSteps: number): number {
  const cap = cfg.max_steps ?? 0;
  return cap > 0 ? Math.min(cap, scheduledSteps) : scheduledSteps;
}
