/**
 * The checkpoint worker's commands (an rpc.ts command map: params, result and progress per method)
 * and their handlers `createIoService`: bundleWorker.ts serves them together with its own
 * `writeBundle`; the page's client is engine/checkpoint/client.ts.
 */
import type { RunConfig } from '../../core/config';
import type { StateDict } from '../../core/model/types';
import type { StudioStorage } from '../../store';
import { toWireError, transfer, type Handlers, type ParamsOf, type ResultOf, type WireError } from '../rpc';
import {
  buildServerBundleFromStore,
  type BundleDeps,
  type BundleDescription,
  type BundleFile,
  type BundleProgress,
  type BundleRequest,
  describeServerBundle,
} from './bundle';
import { commitImport, type ImportCommitted } from './commit';
import { type DownloadFile, exportCheckpointFiles, type ExportRequest } from './export';
import { type ImportPlan, type ImportPreview, planImport, previewOf } from './plan';
import { errorText } from '../../core/errors';
import { sourceFromBlob } from './sources';

/** An import preview with the token that commits or discards the plan held by the worker. */
export type InspectedImport = ImportPreview & { token: string };

/** Every command's params carry the IndexedDB prefix of the store to use (default `ceph-gan-studio`). */
export interface StorageChoice {
  storagePrefix?: string;
}

export interface CheckpointIoCommands {
  /** Read dropped files (Blobs are read in the worker) into a plan; nothing is stored. */
  inspectImport: {
    params: StorageChoice & { files: { path: string; blob: Blob }[] };
    result: InspectedImport;
  };
  commitImport: {
    params: StorageChoice & { token: string; name: string; size: number; datasetId: string };
    result: ImportCommitted;
  };
  discardImport: { params: StorageChoice & { token: string }; result: void };
  exportCheckpoint: { params: StorageChoice & ExportRequest; result: DownloadFile };
  describeBundle: {
    params: StorageChoice & { runId: string; name: string; gpus: number };
    result: BundleDescription;
  };
  buildBundle: { params: StorageChoice & BundleRequest; result: DownloadFile; progress: BundleProgress };
  /**
   * The bundle streamed to a file (OPFS, else Blob parts): served by bundleWorker.ts itself, not by
   * createIoService. Cancel: the call's cancel stops it between cases (the target is aborted, its
   * file removed); the Checkpoints panel also terminates its build worker, which stops it at once
   * (the next build removes the unfinished file).
   */
  writeBundle: { params: StorageChoice & BundleRequest; result: BundleFile; progress: BundleProgress };
}

export type IoMethod = keyof CheckpointIoCommands;
export type IoParams<M extends IoMethod> = ParamsOf<CheckpointIoCommands, M>;
export type IoResult<M extends IoMethod> = ResultOf<CheckpointIoCommands, M>;

export interface IoServiceDeps {
  openStorage(prefix: string | undefined): Promise<StudioStorage>;
  freshDiscriminator(cfg: RunConfig): Promise<StateDict>;
  loadCases: BundleDeps['loadCases'];
  /** Token for a held import plan (default: a counter). */
  newToken?: () => string;
}

/** How the checkpoint worker's errors cross: name and the message naming the file (errorText). */
export function ioWireError(e: unknown): WireError {
  return { ...toWireError(e), message: errorText(e) };
}

/** A file's bytes move to the page instead of being copied (when they fill their whole buffer). */
function movingBytes(file: DownloadFile): DownloadFile {
  const { bytes } = file;
  const whole = bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.byteLength;
  return whole && bytes.buffer instanceof ArrayBuffer ? transfer(file, [bytes.buffer]) : file;
}

/**
 * The checkpoint worker's handlers except `writeBundle` (which needs OPFS: bundleWorker.ts).
 * Import plans are held between inspect and commit/discard (at most the 4 newest; older ones
 * are dropped); storages are opened once per prefix.
 */
export function createIoService(deps: IoServiceDeps): Omit<Handlers<CheckpointIoCommands>, 'writeBundle'> {
  const plans = new Map<string, ImportPlan>();
  let counter = 0;
  const newToken = deps.newToken ?? (() => `import-${++counter}`);
  const storages = new Map<string, Promise<StudioStorage>>();
  const storageFor = (prefix: string | undefined): Promise<StudioStorage> => {
    const key = prefix ?? '';
    let s = storages.get(key);
    if (!s) {
      s = deps.openStorage(prefix);
      storages.set(key, s);
      s.catch(() => storages.delete(key));
    }
    return s;
  };
  return {
    async inspectImport(p) {
      const plan = await planImport(p.files.map((f) => sourceFromBlob(f.path, f.blob)));
      const token = newToken();
      plans.set(token, plan);
      while (plans.size > 4) plans.delete(plans.keys().next().value as string);
      return { ...previewOf(plan), token };
    },
    async commitImport(p) {
      const plan = plans.get(p.token);
      if (!plan) throw new Error('this import preview has expired; drop the files again');
      const storage = await storageFor(p.storagePrefix);
      const out = await commitImport(storage, plan, {
        name: p.name,
        size: p.size,
        datasetId: p.datasetId,
        freshDiscriminator: deps.freshDiscriminator,
      });
      plans.delete(p.token);
      return out;
    },
    discardImport(p) {
      plans.delete(p.token);
    },
    async exportCheckpoint(p) {
      return movingBytes(await exportCheckpointFiles(await storageFor(p.storagePrefix), p));
    },
    async describeBundle(p) {
      return describeServerBundle(await storageFor(p.storagePrefix), p.runId, p.name, p.gpus);
    },
    async buildBundle(p, { signal, progress }) {
      return movingBytes(
        await buildServerBundleFromStore(await storageFor(p.storagePrefix), p, {
          loadCases: deps.loadCases,
          onProgress: progress,
          signal,
        }),
      );
    },
  };
}
