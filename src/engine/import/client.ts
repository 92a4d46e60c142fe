/**
 * The page's handle on the import worker: `plan` the dropped files, `replan` with other folder
 * names, `run` the import (or `add` the files to an existing dataset) with progress, `cancel`.
 * One worker per client, created on first use.
 */
import type { LayoutOptions } from '../../core/data/layout';
import type { DemoView } from './demo';
import type { ImportInput } from './fileIndex';
import type { ImportSettings } from './importDataset';
import type { ImportProgress } from './readCases';
import type { FromImportWorker, ImportResult, PlanResult, ToImportWorker } from './protocol';

type Pending = {
  resolve: (v: PlanResult | ImportResult | DemoView) => void;
  reject: (e: Error) => void;
  onProgress?: (p: ImportProgress) => void;
};

export class ImportClient {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly storagePrefix?: string;

  constructor(opts: { storagePrefix?: string } = {}) {
    this.storagePrefix = opts.storagePrefix;
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL('./worker.ts', import.meta.url), {
      type: 'module',
      name: 'ceph-gan-studio-import',
    });
    w.addEventListener('message', (ev: MessageEvent<FromImportWorker>) => {
      const m = ev.data;
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.type === 'progress') p.onProgress?.(m.progress);
      else {
        this.pending.delete(m.id);
        if (m.type === 'error') p.reject(new Error(m.message));
        else p.resolve(m.result);
      }
    });
    w.addEventListener('error', (ev) => {
      const err = new Error(ev.message || 'the import worker stopped unexpectedly');
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      this.worker = null;
    });
    this.worker = w;
    return w;
  }

  private request<T extends PlanResult | ImportResult | DemoView>(
    msg: ToImportWorker & { id: number },
    onProgress?: (p: ImportProgress) => void,
  ): Promise<T> {
    const w = this.ensure();
    return new Promise<T>((resolve, reject) => {
      this.pending.set(msg.id, { resolve: resolve as Pending['resolve'], reject, onProgress });
      w.postMessage(msg);
    });
  }

  plan(inputs: ImportInput[], layout: LayoutOptions = {}): Promise<PlanResult> {
    return this.request({
      type: 'plan',
      id: this.nextId++,
      inputs,
      layout,
      storagePrefix: this.storagePrefix,
    });
  }

  replan(layout: LayoutOptions): Promise<PlanResult> {
    return this.request({ type: 'replan', id: this.nextId++, layout });
  }

  run(settings: ImportSettings, onProgress: (p: ImportProgress) => void): Promise<ImportResult> {
    return this.request({ type: 'import', id: this.nextId++, settings }, onProgress);
  }

  /** Add the planned files to an existing dataset (the result's `added` is set). */
  add(datasetId: string, onProgress: (p: ImportProgress) => void): Promise<ImportResult> {
    return this.request({ type: 'add', id: this.nextId++, datasetId }, onProgress);
  }

  /** The built-in demo phantom as a read-only view (progress: cases generated). */
  demo(
    opts: { cases: number; seed: number; width: number; height: number; name: string },
    onProgress?: (p: ImportProgress) => void,
  ): Promise<DemoView> {
    return this.request({ type: 'demo', id: this.nextId++, ...opts }, onProgress);
  }

  cancel(): void {
    this.worker?.postMessage({ type: 'cancel' } satisfies ToImportWorker);
  }

  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
    for (const p of this.pending.values()) p.reject(new Error('import closed'));
    this.pending.clear();
  }
}
