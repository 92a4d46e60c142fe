/**
 * State of one import, from the drop to the report: read the file list (page: folders walked),
 * plan (worker: ZIP index + layout detection), options, run (worker: decode, audit, store) with
 * progress and cancel, the report. The heavy work never runs on the page's thread.
 *
 * With a `target` the files are added to that existing dataset instead (its settings apply; the
 * plan shows which cases are already in it and will be skipped; all or nothing).
 */
import { DEFAULT_PHOTO_DIRS, DEFAULT_XRAY_DIRS, type LayoutOptions } from '../../core/data/layout';
import { DEFAULT_MM_PER_PX } from '../../core/data/dataset';
import { ImportClient } from '../../engine/import/client';
import { defaultDatasetName } from '../../engine/import/importDataset';
import { findDuplicateCases } from '../../engine/import/addToDataset';
import { type DuplicateCase, type ImportProgress } from '../../engine/import/readCases';
import type { ImportResult, PlanResult } from '../../engine/import/protocol';
import type { WalkResult } from '../../engine/import/walk';
import { data } from './dataState.svelte';
import { parseNameList, validMmPerPx } from './format';

export type ImportPhase = 'idle' | 'reading' | 'planned' | 'importing' | 'done' | 'failed';

/** The existing dataset files are added to. */
export interface AddTarget {
  id: string;
  name: string;
}
export type AssumeLayout = 'auto' | 'paired' | 'aligned';

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

class Importer {
  phase = $state<ImportPhase>('idle');
  planResult = $state.raw<PlanResult | null>(null);
  walkErrors = $state.raw<WalkResult['errors']>([]);
  name = $state('');
  mmPerPx = $state(DEFAULT_MM_PER_PX);
  seed = $state(42);
  photoDirs = $state(DEFAULT_PHOTO_DIRS.join(', '));
  xrayDirs = $state(DEFAULT_XRAY_DIRS.join(', '));
  assume = $state<AssumeLayout>('auto');
  progress = $state.raw<ImportProgress | null>(null);
  cancelling = $state(false);
  result = $state.raw<ImportResult | null>(null);
  error = $state<string | null>(null);
  replanning = $state(false);
  /** Set when the files are added to an existing dataset. */
  target = $state.raw<AddTarget | null>(null);
  /** The target's case ids when the files were planned (for the duplicate preview). */
  existingIds = $state.raw<readonly string[]>([]);
  /** Planned cases already in the target (skipped by the add). */
  duplicates = $derived.by((): DuplicateCase[] =>
    this.target && this.planResult ? findDuplicateCases(this.planResult.plan, this.existingIds) : [],
  );
  private client: ImportClient | null = null;

  private get worker(): ImportClient {
    this.client ??= new ImportClient();
    return this.client;
  }

  layoutOptions(): LayoutOptions {
    const photo = parseNameList(this.photoDirs);
    const xray = parseNameList(this.xrayDirs);
    return {
      ...(photo.length ? { photoDirNames: photo } : {}),
      ...(xray.length ? { xrayDirNames: xray } : {}),
      assume: this.assume,
    };
  }

  get busy(): boolean {
    return this.phase === 'reading' || this.phase === 'importing';
  }

  /** Files from a drop or a picker: plan them (as a new dataset, or to add to `target`). */
  async fromInputs(walk: Promise<WalkResult> | WalkResult, target: AddTarget | null = null): Promise<void> {
    if (this.busy) return;
    this.reset();
    this.target = target;
    this.phase = 'reading';
    try {
      const w = await walk;
      this.walkErrors = w.errors;
      if (target) {
        const { listCaseIds } = await import('../../store');
        this.existingIds = await listCaseIds((await data.storage()).datasets, target.id);
      }
      const r = await this.worker.plan(w.inputs, this.layoutOptions());
      this.planResult = r;
      this.name = target ? target.name : defaultDatasetName(r.plan);
      this.phase = 'planned';
    } catch (e) {
      this.error = errText(e);
      this.phase = 'failed';
    }
  }

  /** Detect again with other folder names or a forced layout. */
  async replan(): Promise<void> {
    if (this.phase !== 'planned') return;
    this.replanning = true;
    try {
      this.planResult = await this.worker.replan(this.layoutOptions());
    } catch (e) {
      this.error = errText(e);
    } finally {
      this.replanning = false;
    }
  }

  /** Cases the run will read: all planned, minus those already in the target. */
  get newCaseCount(): number {
    return (this.planResult?.plan.cases.length ?? 0) - this.duplicates.length;
  }

  get canStart(): boolean {
    if (this.phase !== 'planned' || !this.planResult) return false;
    if (this.target) return this.newCaseCount > 0;
    return (
      this.planResult.plan.cases.length > 0 &&
      this.name.trim().length > 0 &&
      validMmPerPx(this.mmPerPx) &&
      Number.isInteger(this.seed)
    );
  }

  async start(): Promise<void> {
    if (!this.canStart) return;
    this.phase = 'importing';
    this.progress = null;
    this.cancelling = false;
    try {
      // the first import asks the browser to keep the data (a window-only API)
      if (data.storageInfo?.persisted !== true) await data.askPersistence().catch(() => undefined);
      const onProgress = (p: ImportProgress) => (this.progress = p);
      const result = this.target
        ? await this.worker.add(this.target.id, onProgress)
        : await this.worker.run(
            { name: this.name.trim(), mmPerPx: this.mmPerPx, splitSeed: this.seed },
            onProgress,
          );
      this.result = result;
      this.phase = 'done';
      await data.imported();
    } catch (e) {
      this.error = errText(e);
      this.phase = 'failed';
      await data.imported().catch(() => undefined);
    } finally {
      this.cancelling = false;
    }
  }

  cancel(): void {
    if (this.phase !== 'importing') return;
    this.cancelling = true;
    this.worker.cancel();
  }

  reset(): void {
    this.phase = 'idle';
    this.planResult = null;
    this.walkErrors = [];
    this.progress = null;
    this.result = null;
    this.error = null;
    this.cancelling = false;
    this.assume = 'auto';
    this.target = null;
    this.existingIds = [];
  }
}

export const importer = new Importer();
