/**
 * The page's side of the checkpoint worker (engine/bundleWorker.ts): one module Worker, started on
 * first use, that reads and writes checkpoint files off the page's thread, spoken to with the one
 * worker RPC (rpc.ts). `buildBundle` / `writeBundle` report progress. Only types come from the
 * checkpoint modules, so TF.js and the file readers never load on the page.
 */
import {
  connect,
  portOf,
  RpcError,
  type Call,
  type Connection,
  type FromServer,
  type ToServer,
} from '../rpc';
import type { BundleProgress } from './bundle';
import type { CheckpointIoCommands, IoMethod, IoParams, IoResult, StorageChoice } from './protocol';

/** An error answered by the worker (its message names the file and says what to do). */
export class CheckpointIoError extends RpcError {
  constructor(method: string, wire: { name: string; message: string }) {
    super(method, wire);
    this.name = wire.name === 'Error' ? 'CheckpointIoError' : wire.name;
  }
}

export class CheckpointIoClient {
  private worker: Worker | null = null;
  private rpc: Connection<CheckpointIoCommands, never> | null = null;

  /** `storagePrefix`: the IndexedDB prefix the worker opens (default `ceph-gan-studio`). */
  constructor(private readonly storagePrefix?: string) {}

  private start(): Connection<CheckpointIoCommands, never> {
    if (this.rpc) return this.rpc;
    const w = new Worker(new URL('../bundleWorker.ts', import.meta.url), {
      type: 'module',
      name: 'ceph-gan-studio-checkpoints',
    });
    const rpc = connect<CheckpointIoCommands>(portOf<FromServer, ToServer>(w), {
      rebuildError: (method, wire) => new CheckpointIoError(method, wire),
    });
    w.addEventListener('error', (e: ErrorEvent) => {
      e.preventDefault();
      rpc.close(new Error(e.message || 'the checkpoint worker failed to start'));
      w.terminate();
      if (this.worker === w) {
        this.worker = null;
        this.rpc = null;
      }
    });
    this.worker = w;
    this.rpc = rpc;
    return rpc;
  }

  /** Call a command of the checkpoint worker; `call(…).cancel()` aborts it (see rpc.ts). */
  call<M extends IoMethod>(
    method: M,
    params: IoParams<M>,
    onProgress?: (p: BundleProgress) => void,
  ): Call<IoResult<M>> {
    const p = { ...(params as StorageChoice), storagePrefix: this.storagePrefix } as IoParams<M>;
    return this.start().call(method, p, { onProgress: onProgress as never });
  }

  terminate(): void {
    this.worker?.terminate();
    this.worker = null;
    this.rpc?.close(new Error('the checkpoint worker was stopped'));
    this.rpc = null;
  }
}
