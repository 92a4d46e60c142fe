/**
 * What the studio does once at startup (page or engine), before showing lists: finish dataset
 * deletes a closed tab interrupted, mark runs whose engine died as interrupted, and remove
 * checkpoint versions a crashed save left behind. Each step is safe with other tabs open (live runs
 * keep heartbeating; checkpoint garbage is only collected past an age).
 *
 * Not done here: `repairDataset` (unlisted cases after a crashed import), because another tab may
 * be importing into that dataset at this moment; call it when starting an import into a dataset.
 */
import { collectCheckpointGarbage } from './checkpoints';
import { finishPendingDeletes } from './datasets';
import { markInterruptedRuns } from './runs';
import type { StudioStorage } from './storage';

export interface MaintenanceReport {
  /** Datasets whose interrupted delete was completed. */
  finishedDeletes: string[];
  /** Runs marked 'interrupted'. */
  interruptedRuns: string[];
  /** Checkpoint versions no pointer referred to, removed. */
  removedCheckpointVersions: number;
}

export async function startupMaintenance(
  storage: StudioStorage,
  opts: { staleMs?: number; checkpointMinAgeMs?: number; nowMs?: number } = {},
): Promise<MaintenanceReport> {
  const finishedDeletes = await finishPendingDeletes(storage);
  const interruptedRuns = await markInterruptedRuns(storage.runs, {
    staleMs: opts.staleMs,
    nowMs: opts.nowMs,
  });
  const removedCheckpointVersions = await collectCheckpointGarbage(storage.checkpoints, {
    minAgeMs: opts.checkpointMinAgeMs,
    nowMs: opts.nowMs,
  });
  return { finishedDeletes, interruptedRuns, removedCheckpointVersions };
}
