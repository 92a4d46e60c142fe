/**
 * The import worker's commands (worker.ts serves them with the one worker RPC, rpc.ts; the page's
 * client is client.ts). Structured-clone data only: Files/Blobs travel by reference (no copy),
 * results are plain objects.
 *
 *   plan (the dropped files) → replan (other folder names / layout) → import (settings) or add
 *   (into an existing dataset), both with progress (counts + ETA) and cancel (any time: the call's
 *   cancel aborts the handler's signal; the import answers its report with `cancelled`)
 */
import type { LayoutOptions, LayoutPlan } from '../../core/data/layout';
import type { DatasetSummary } from '../../store/datasets';
import type { DemoView } from './demo';
import type { FileIndex, ImportInput } from './fileIndex';
import type { ImportSettings } from './importDataset';
import type { ImportOutcome, ImportProgress } from './readCases';

/** The import worker's commands (an rpc.ts command map: params, result and progress per method). */
export interface ImportCommands {
  /** Index the dropped files and ZIPs and detect the layout (the storage prefix is kept for later). */
  plan: {
    params: { inputs: ImportInput[]; layout?: LayoutOptions; storagePrefix?: string };
    result: PlanResult;
  };
  /** Detect again with other folder names or a forced layout. */
  replan: { params: { layout: LayoutOptions }; result: PlanResult };
  /** Import the planned files into a new dataset; cancel stores what was read and returns the report. */
  import: { params: { settings: ImportSettings }; result: ImportResult; progress: ImportProgress };
  /** Add the planned files to an existing dataset (all or nothing; its settings apply). */
  add: { params: { datasetId: string }; result: ImportResult; progress: ImportProgress };
  /** The built-in demo phantom as a read-only view (generated, encoded, audited; nothing stored). */
  demo: {
    params: { cases: number; seed: number; width: number; height: number; name: string };
    result: DemoView;
    progress: ImportProgress;
  };
}

export interface PlanResult {
  plan: LayoutPlan;
  archives: FileIndex['archives'];
  /** Total bytes of the files the plan will read. */
  bytes: number;
}

/** ImportOutcome as it crosses postMessage (the storage error as its message). */
export type ImportResult = Omit<ImportOutcome, 'storageFull'> & {
  storageFull: string | null;
  dataset: DatasetSummary | null;
};

/**
 * Web Lock held while a dataset's cases are written: by the import worker (import, add) and by the
 * page during a re-split. Repair skips a dataset whose lock is held; a re-split refuses to start.
 */
export function importLockName(datasetId: string): string {
  return `ceph-gan-studio-import:${datasetId}`;
}
