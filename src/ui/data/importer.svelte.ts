/**
 * State of one import, from the drop to the report: read the file list (page: folders walked),
 * plan (worker: ZIP index + layout detection), options, run (worker: decode, audit, store) with
 * progress and cancel, the report. The heavy work never runs on the page's thread.
 */
import { DEFAULT_PHOTO_DIRS, DEFAULT_XRAY_DIRS, type LayoutOptions } from '../../core/data/layout';
import { DEFAULT_MM_PER_PX } from '../../core/data/dataset';
import { ImportClient } from '../../engine/import/client';
import { defaultDatasetName, type ImportProgress } from '../../engine/import/pipeline';
import type { ImportResult, PlanResult } from '../../engine/import/protocol';
import type { WalkResult } from '../../engine/import/walk';
import { data } from './dataState.svelte';
import { parseNameList, validMmPerPx } from './format';

export type ImportPhase = 'idle' | 'reading' | 'planned' | 'importing' | 'done' | 'failed';
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

  /** Files from a drop or a picker: plan them. */
  async fromInputs(walk: Promise<WalkResult> | WalkResult): Promise<void> {
    if (this.busy) return;
    this.reset();
    this.phase = 'reading';
    try {
      const w = await walk;
      this.walkErrors = w.errors;
      const r = await this.worker.plan(w.inputs, this.layoutOptions());
      this.planResult = r;
      this.name = defaultDatasetName(r.plan);
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

  get canStart(): boolean {
    return (
      this.phase === 'planned' &&
      !!this.planResult &&
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
      const result = await this.worker.run(
        { name: this.name.trim(), mmPerPx: this.mmPerPx, splitSeed: this.seed },
        (p) => (this.progress = p),
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
  }
}

export const importer = new Importer();
