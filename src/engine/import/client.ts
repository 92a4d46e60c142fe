/**
 * The page's handle on the import worker: `plan` the dropped files, `replan` with other folder
 * names, `run` the import (or `add` the files to an existing dataset) with progress, `cancel`.
 * One worker per client, created on first use, spoken to with the one worker RPC (rpc.ts).
 */
import type { LayoutOptions } from '../../core/data/layout';
import { connect, portOf, type Call, type Connection, type FromServer, type ToServer } from '../rpc';
import type { DemoView } from './demo';
import type { ImportInput } from './fileIndex';
import type { ImportSettings } from './importDataset';
import type { ImportProgress } from './readCases';
import type { ImportCommands, ImportResult, PlanResult } from './protocol';

export class ImportClient {
  private worker: Worker | null = null;
  private rpc: Connection<ImportCommands, never> | null = null;
  /** The import / add in progress (what `cancel` stops). */
  private readonly running = new Set<Call<ImportResult>>();
  private readonly storagePrefix?: string;

  constructor(opts: { storagePrefix?: string } = {}) {
    this.storagePrefix = opts.storagePrefix;
  }

  private ensure(): Connection<ImportCommands, never> {
    if (this.rpc) return this.rpc;
    const w = new Worker(new URL('./worker.ts', import.meta.url), {
      type: 'module',
      name: 'ceph-gan-studio-import',
    });
    const rpc = connect<ImportCommands>(portOf<FromServer, ToServer>(w), {
      // the worker's messages name the file and what to do: shown as they are
      rebuildError: (_method, wire) => new Error(wire.message),
    });
    w.addEventListener('error', (ev) => {
      rpc.close(new Error(ev.message || 'the import worker stopped unexpectedly'));
      if (this.worker === w) {
        this.worker = null;
        this.rpc = null;
      }
    });
    this.worker = w;
    this.rpc = rpc;
    return rpc;
  }

  plan(inputs: ImportInput[], layout: LayoutOptions = {}): Promise<PlanResult> {
    return this.ensure().call('plan', { inputs, layout, storagePrefix: this.storagePrefix });
  }

  replan(layout: LayoutOptions): Promise<PlanResult> {
    return this.ensure().call('replan', { layout });
  }

  private tracked(call: Call<ImportResult>): Promise<ImportResult> {
    this.running.add(call);
    return call.finally(() => this.running.delete(call));
  }

  run(settings: ImportSettings, onProgress: (p: ImportProgress) => void): Promise<ImportResult> {
    return this.tracked(this.ensure().call('import', { settings }, { onProgress }));
  }

  /** Add the planned files to an existing dataset (the result's `added` is set). */
  add(datasetId: string, onProgress: (p: ImportProgress) => void): Promise<ImportResult> {
    return this.tracked(this.ensure().call('add', { datasetId }, { onProgress }));
  }

  /** The built-in demo phantom as a read-only view (progress: cases generated). */
  demo(
    opts: { cases: number; seed: number; width: number; height: number; name: string },
    onProgress?: (p: ImportProgress) => void,
  ): Promise<DemoView> {
    return this.ensure().call('demo', opts, { onProgress });
  }

  /** Stop the import / add between cases: it answers its report with `cancelled` set. */
  cancel(): void {
    for (const c of this.running) c.cancel();
  }

  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
    this.rpc?.close(new Error('import closed'));
    this.rpc = null;
  }
}
