/**
 * The page's side of the checkpoint worker (engine/bundleWorker.ts): one module Worker, started on
 * first use, that reads and writes checkpoint files off the page's thread. Requests are matched by
 * id; `buildBundle` reports progress. Only types come from engine/checkpoint/, so TF.js and the
 * file readers never load on the page.
 */
import type {
  BundleProgress,
  IoMethod,
  IoParams,
  IoRequestMessage,
  IoResult,
  IoWorkerMessage,
} from '../../engine/checkpoint';

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  onProgress?: (p: BundleProgress) => void;
}

/** An error answered by the worker (its message names the file and says what to do). */
export class CheckpointIoError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name === 'Error' ? 'CheckpointIoError' : name;
  }
}

export class CheckpointIoClient {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly storagePrefix?: string) {}

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL('../../engine/bundleWorker.ts', import.meta.url), {
      type: 'module',
      name: 'ceph-gan-studio-checkpoints',
    });
    w.addEventListener('message', (e: MessageEvent<IoWorkerMessage>) => this.onMessage(e.data));
    w.addEventListener('error', (e: ErrorEvent) => {
      e.preventDefault();
      this.failAll(new Error(e.message || 'the checkpoint worker failed to start'));
      w.terminate();
      if (this.worker === w) this.worker = null;
    });
    this.worker = w;
    return w;
  }

  private onMessage(m: IoWorkerMessage): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.kind === 'progress') {
      p.onProgress?.(m.progress);
      return;
    }
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(new CheckpointIoError(m.error.name, m.error.message));
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  call<M extends IoMethod>(
    method: M,
    params: IoParams<M>,
    onProgress?: (p: BundleProgress) => void,
  ): Promise<IoResult<M>> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<IoResult<M>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress });
      const msg: IoRequestMessage = {
        kind: 'request',
        id,
        method,
        params,
        storagePrefix: this.storagePrefix,
      };
      worker.postMessage(msg);
    });
  }

  terminate(): void {
    this.worker?.terminate();
    this.worker = null;
    this.failAll(new Error('the checkpoint worker was stopped'));
  }
}
