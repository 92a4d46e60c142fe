/**
 * State of the Data section: the page's connection to the store, the dataset list, storage usage,
 * and which dataset is open. Dataset edits (rename, delete, meta) go through here so the list stays
 * in step. The import itself runs in the import worker (importer.svelte.ts).
 */
import { DEMO_VIEW_ID } from '../../engine/import/demo';
import type { DatasetMetaPatch, DatasetSummary } from '../../store/datasets';
import type { StorageInfo } from '../../store/quota';
import type { StudioStorage } from '../../store/storage';

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

class DataState {
  /** The store, opened on first use (IndexedDB works the same in every section). */
  private storagePromise: Promise<StudioStorage> | null = null;
  datasets = $state.raw<DatasetSummary[]>([]);
  loaded = $state(false);
  storageInfo = $state.raw<StorageInfo | null>(null);
  /** The dataset shown (null: the list). */
  openId = $state<string | null>(null);
  error = $state<string | null>(null);
  /** Increments whenever a dataset's cases change (import, delete): open views reload. */
  revision = $state(0);

  storage(): Promise<StudioStorage> {
    this.storagePromise ??= (async () => {
      const { openStudioStorage, finishPendingDeletes } = await import('../../store');
      const s = await openStudioStorage();
      await finishPendingDeletes(s).catch(() => []);
      return s;
    })();
    return this.storagePromise;
  }

  async refresh(): Promise<void> {
    try {
      const { listDatasets, storageInfo } = await import('../../store');
      const s = await this.storage();
      const [list, info] = await Promise.all([listDatasets(s.datasets), storageInfo()]);
      this.datasets = list;
      this.storageInfo = info;
      if (this.openId && this.openId !== DEMO_VIEW_ID && !list.some((d) => d.id === this.openId))
        this.openId = null;
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
    return this.datasets.find((d) => d.id === this.openId) ?? null;
  }

  async rename(id: string, name: string): Promise<void> {
    const { renameDataset } = await import('../../store');
    const s = await this.storage();
    await renameDataset(s.datasets, id, name);
    await this.refresh();
  }

  async remove(id: string): Promise<void> {
    const { deleteDataset } = await import('../../store');
    const s = await this.storage();
    await deleteDataset(s, id);
    if (this.openId === id) this.openId = null;
    this.revision++;
    await this.refresh();
  }

  async patchMeta(id: string, patch: DatasetMetaPatch): Promise<DatasetSummary> {
    const { updateDatasetMeta } = await import('../../store');
    const s = await this.storage();
    const out = await updateDatasetMeta(s.datasets, id, patch);
    this.datasets = this.datasets.map((d) => (d.id === id ? out : d));
    return out;
  }

  /** After an import, an add or a re-split: the list and open views show the new state. */
  async imported(): Promise<void> {
    this.revision++;
    await this.refresh();
  }
}

export const data = new DataState();
