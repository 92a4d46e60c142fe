/**
 * The entries of a sweep or a sample-size study queued in the app (issue 15), from the Train view's
 * run config: core/experiments expands the sweep (same names and checks as the CLI); a study trains
 * the same config on nested training subsets (`train_subset`, the CLI's subsets) with the same
 * number of steps (`max_steps`, epochs long enough to reach it) or of epochs. Pure functions.
 */
import type { RunConfig } from '../../core/config';
import {
  expandSweep,
  SubsetError,
  sweepRunConfig,
  type SubsetSize,
  type SweepParam,
  type SweepPreset,
} from '../../core/experiments';
import type { SweepEntry } from '../../store/sweeps';

export type StudyHeld = 'steps' | 'epochs';

/** The total epochs split between n_epochs and n_epochs_decay in the base's proportion. */
export function withEpochs(base: RunConfig, total: number): Pick<RunConfig, 'n_epochs' | 'n_epochs_decay'> {
  const was = base.n_epochs + base.n_epochs_decay;
  const n = was > 0 ? Math.round((total * base.n_epochs) / was) : total;
  return { n_epochs: n, n_epochs_decay: total - n };
}

function entry(index: number, name: string, vary: SweepEntry['vary'], config: RunConfig): SweepEntry {
  return { index, name, vary, config, status: 'pending', runId: null, error: null, best: null };
}

/**
 * A sweep's entries: every combination of the varied options on the base config (plus a preset's
 * shared options); `stepsPerRun` > 0 caps every run at that many steps (`max_steps`).
 */
export function planSweep(
  base: RunConfig,
  params: readonly { key: string; values: readonly (string | number | boolean)[] }[],
  opts: { shared?: Partial<RunConfig>; stepsPerRun?: number } = {},
): { entries: SweepEntry[]; keys: string[] } {
  const runs = expandSweep(params);
  const keys = params.map((p) => p.key);
  const cap = opts.stepsPerRun && opts.stepsPerRun > 0 ? { max_steps: opts.stepsPerRun } : {};
  const entries = runs.map((r, i) =>
    entry(i, r.name, { ...r.overrides } as SweepEntry['vary'], {
      ...sweepRunConfig(base, opts.shared ?? {}, r),
      ...cap,
    }),
  );
  return { entries, keys };
}

export function planPreset(
  base: RunConfig,
  preset: SweepPreset,
  stepsPerRun = 0,
): { entries: SweepEntry[]; keys: string[] } {
  return planSweep(base, preset.vary as SweepParam[], { shared: preset.base, stepsPerRun });
}

/**
 * A study's entries, smallest subset first: `train_subset` n (0 for all), `subset: {size, of}`;
 * steps held: `max_steps` = amount and enough epochs to reach it; epochs held: amount epochs.
 * Sizes beyond the training split or giving the same number of cases are refused (as the CLI).
 */
export function planStudy(
  base: RunConfig,
  sizes: readonly SubsetSize[],
  trainCount: number,
  held: StudyHeld,
  amount: number,
): { entries: SweepEntry[]; keys: string[] } {
  if (trainCount <= 0) throw new SubsetError('the dataset has no training cases to draw subsets from');
  if (!Number.isInteger(amount) || amount < 1)
    throw new SubsetError(`${held}: ${amount} is not a whole number of 1 or more`);
  const resolved = sizes.map((s) => {
    const n = s === 'all' ? trainCount : s;
    if (n > trainCount)
      throw new SubsetError(
        `subset ${s} is larger than the training split (${trainCount} cases); use at most ${trainCount} or all`,
      );
    return { label: s, n };
  });
  resolved.sort((a, b) => a.n - b.n);
  for (let i = 1; i < resolved.length; i++)
    if (resolved[i].n === resolved[i - 1].n)
      throw new SubsetError(
        `subsets ${resolved[i - 1].label} and ${resolved[i].label} are both ${resolved[i].n} cases (the training split has ${trainCount}); drop one`,
      );
  const entries = resolved.map(({ n }, i) => {
    const spe = Math.ceil(n / base.batch_size);
    const schedule =
      held === 'steps'
        ? { ...withEpochs(base, Math.ceil(amount / spe)), max_steps: amount }
        : { ...withEpochs(base, amount), max_steps: 0 };
    const config: RunConfig = { ...base, ...schedule, train_subset: n === trainCount ? 0 : n };
    const e = entry(i, `${n} cases${n === trainCount ? ' (all)' : ''}`, { train_subset: n }, config);
    e.subset = { size: n, of: trainCount };
    return e;
  });
  return { entries, keys: ['train_subset'] };
}

/** `20, 40, 80, all` → sizes (the CLI's parser, with a message for the app's field). */
export function parseSizes(text: string): SubsetSize[] {
  const parts = text
    .split(/[,\s，]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const out: SubsetSize[] = [];
  for (const p of parts) {
    if (p.toLowerCase() === 'all') out.push('all');
    else {
      const n = Number(p);
      if (!Number.isInteger(n) || n < 1)
        throw new SubsetError(`"${p}" is not a number of cases (a whole number of 1 or more, or all)`);
      out.push(n);
    }
  }
  if (out.length < 2) throw new SubsetError('a study needs at least two sizes (e.g. 20, 40, 80, all)');
  return out;
}

/** `100, 80, 60` → raw values for checkParam (commas, spaces or the Chinese comma). */
export function splitValues(text: string): string[] {
  return text
    .split(/[,，;\s]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
