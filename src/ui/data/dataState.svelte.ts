/**
 * State of the Data section: storage usage and which dataset is open. The dataset list is the
 * page's library (ui/library.svelte.ts: one storage handle, one list every section reads); dataset
 * edits (rename, delete, meta) go through the library so every section sees them. The import itself
 * runs in the import worker (importer.svelte.ts), which calls `imported()` when it is done; an open
 * dataset's view reloads its cases when the stored case count changes (DatasetPanel.svelte).
 */
import { DEMO_VIEW_ID } from '../../engine/import/demo';
import type { DatasetMetaPatch, DatasetSummary } from '../../store/datasets';
import type { StorageInfo } from '../../store/quota';
import type { StudioStorage } from '../../store/storage';
import { library } from '../library.svelte';

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

class DataState {
  loaded = $state(false);
  storageInfo = $state.raw<StorageInfo | null>(null);
  /** The dataset shown (null: the list). */
  openId = $state<string | null>(null);
  error = $state<string | null>(null);

  /** The stored datasets (the library's list). */
  get datasets(): DatasetSummary[] {
    return library.datasets;
  }

  /** The page's one storage handle. */
  storage(): Promise<StudioStorage> {
    return library.storage();
  }

  async refresh(): Promise<void> {
    try {
      const { storageInfo } = await import('../../store');
      const [, info] = await Promise.all([library.refreshDatasets(), storageInfo()]);
      this.storageInfo = info;
      if (this.openId && this.openId !== DEMO_VIEW_ID && !library.datasetOf(this.openId)) this.openId = null;
      this.error = null;
    } catch (e) {
      this.error = errText(e);
    } finally {
      this.loaded = true;
    }
  }

  async refreshStorageInfo(): Promise<void> {
    const { storageInfo } = await import('../../store');
    this.storageInfo = await storageInfo();
  }

  /** Ask the browser to keep the data (first import, or the button). */
  async askPersistence(): Promise<void> {
    const { requestPersistence } = await import('../../store');
    await requestPersistence();
    await this.refreshStorageInfo();
  }

  open(id: string | null): void {
    this.openId = id;
  }

  get openSummary(): DatasetSummary | null {
    return library.datasetOf(this.openId) ?? null;
  }

  async rename(id: string, name: string): Promise<void> {
    await library.renameDataset(id, name);
    await this.refresh();
  }

  async remove(id: string): Promise<void> {
    if (this.openId === id) this.openId = null;
    await library.deleteDataset(id);
    await this.refresh();
  }

  patchMeta(id: string, patch: DatasetMetaPatch): Promise<DatasetSummary> {
    return library.patchDatasetMeta(id, patch);
  }

  /** After an import, an add or a re-split: the lists (and so the open view) show the new state. */
  async imported(): Promise<void> {
    await this.refresh();
  }
}

export const data = new DataState();
