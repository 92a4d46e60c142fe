/**
 * The data vocabulary shared by dataset.ts, layout.ts and splits.ts (and everything above them):
 * splits, file problems, landmark formats, layout kinds, split ratios and the fixed evaluation
 * list. A leaf: it imports nothing, so those modules depend on it and not on each other
 * (no import cycle). Each is re-exported where it used to live.
 */

export type CaseSplit = 'train' | 'val' | 'test';
export const CASE_SPLITS: readonly CaseSplit[] = ['train', 'val', 'test'];

export type Severity = 'info' | 'warning' | 'error';

/**
 * A problem with one input file (layout detection, decoding, landmark parsing, limits).
 * `message` is a full sentence a clinician understands: it names the file (and line) and says
 * what to do. `code` is stable for filtering and tests.
 */
export interface FileProblem {
  file: string;
  /** 1-based line number in a text file. */
  line?: number;
  code: string;
  severity: Severity;
  message: string;
}

export type LandmarkFormat = 'isbi-txt' | 'isbi-csv' | 'aariz-json';

export type LayoutKind = 'folders' | 'aligned' | 'suffix' | 'mixed' | 'empty';

export interface SplitRatios {
  train: number;
  val: number;
  test: number;
}

export const DEFAULT_SPLIT_RATIOS: SplitRatios = { train: 0.8, val: 0.1, test: 0.1 };

export interface EvalListChange {
  /** ISO time. */
  at: string;
  /** `resplit`: the dataset was re-split; `removedIds` are the list cases dealt into train. */
  action: 'created' | 'replaced' | 'added' | 'removed' | 'resplit';
  removed?: string;
  added?: string;
  /** `resplit` only. */
  removedIds?: string[];
  /** `resplit` only: the new seed and ratios. */
  seed?: number;
  ratios?: SplitRatios;
  reason?: string;
}

export interface EvalList {
  /** Case ids in display order (natural id order). */
  ids: string[];
  seed: number;
  /** Requested size (the list is shorter when val has fewer cases). */
  size: number;
  /** 1 when created; +1 on every explicit edit. Runs record it with their results. */
  version: number;
  history: EvalListChange[];
}
