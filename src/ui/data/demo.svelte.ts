/**
 * The built-in demo phantom shown read-only in the Data section (the same generator, case count and
 * seed the Train view loads by default). Generated, PNG-encoded and audited in the import worker on
 * first open; kept in memory for the visit; nothing is stored.
 */
import { DEMO_VIEW_ID, type DemoView } from '../../engine/import/demo';
import { ImportClient } from '../../engine/import/client';
import type { StoredCase } from '../../store/datasets';
import type { ReadOnlyBackend } from './datasetView.svelte';

export { DEMO_VIEW_ID };
/** As the Train view's defaults (train.demoCases / train.demoSeed). */
export const DEMO_CASES = 100;
export const DEMO_SEED = 1;
/** Size of the browsed phantom images, px (the generator's default: portrait like the ISBI films). */
export const DEMO_WIDTH = 256;
export const DEMO_HEIGHT = 320;

class DemoState {
  view = $state.raw<DemoView | null>(null);
  private pending: Promise<DemoView> | null = null;

  load(name: string, onProgress: (done: number, total: number) => void): Promise<DemoView> {
    if (this.view) return Promise.resolve(this.view);
    this.pending ??= new ImportClient()
      .demo({ cases: DEMO_CASES, seed: DEMO_SEED, width: DEMO_WIDTH, height: DEMO_HEIGHT, name }, (p) =>
        onProgress(p.done, p.total),
      )
      .then((v) => {
        this.view = v;
        return v;
      })
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
  }

  backend(name: () => string): ReadOnlyBackend {
    return {
      summary: () => (this.view ? { ...this.view.summary, name: name() } : null),
      load: async (onProgress): Promise<StoredCase[]> => (await this.load(name(), onProgress)).cases,
      source: async (caseId, role) => (role === 'aligned' ? undefined : this.view?.blobs[caseId]?.[role]),
    };
  }
}

export const demo = new DemoState();
