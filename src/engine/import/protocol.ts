/**
 * Messages between the page and the import worker (worker.ts). Structured-clone data only:
 * Files/Blobs travel by reference (no copy), results are plain objects.
 *
 *   page → worker: plan (the dropped files) → replan (other folder names / layout) → import
 *                  (settings) or add (into an existing dataset) → cancel (any time)
 *   worker → page: plan, progress (counts + ETA), done (report + dataset), error
 */
import type { LayoutOptions, LayoutPlan } from '../../core/data/layout';
import type { DatasetSummary } from '../../store/datasets';
import type { DemoView } from './demo';
import type { FileIndex, ImportInput } from './fileIndex';
import type { ImportSettings } from './importDataset';
import type { ImportOutcome, ImportProgress } from './readCases';

export type ToImportWorker =
  | { type: 'plan'; id: number; inputs: ImportInput[]; layout?: LayoutOptions; storagePrefix?: string }
  | { type: 'replan'; id: number; layout: LayoutOptions }
  | { type: 'import'; id: number; settings: ImportSettings }
  /** Add the planned files to an existing dataset (all or nothing; its settings apply). */
  | { type: 'add'; id: number; datasetId: string }
  /** The built-in demo phantom as a read-only view (generated, encoded, audited; nothing stored). */
  | { type: 'demo'; id: number; cases: number; seed: number; width: number; height: number; name: string }
  | { type: 'cancel' };

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

export type FromImportWorker =
  | { type: 'plan'; id: number; result: PlanResult }
  | { type: 'progress'; id: number; progress: ImportProgress }
  | { type: 'done'; id: number; result: ImportResult }
  | { type: 'demo'; id: number; result: DemoView }
  | { type: 'error'; id: number; message: string };

/**
 * Web Lock held while a dataset's cases are written: by the import worker (import, add) and by the
 * page during a re-split. Repair skips a dataset whose lock is held; a re-split refuses to start.
 */
export function importLockName(datasetId: string): string {
  return `ceph-gan-studio-import:${datasetId}`;
}
