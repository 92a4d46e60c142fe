/**
 * The checkpoint worker's protocol (typed commands, progress messages) and its request handler
 * `createIoService`: bundleWorker.ts serves it, the page's client is ui/checkpoints/ioClient.ts.
 */
import type { RunConfig } from '../../core/config';
import type { StateDict } from '../../core/model/types';
import type { StudioStorage } from '../../store';
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

export interface CheckpointIoCommands {
  /** Read dropped files (Blobs are read in the worker) into a plan; nothing is stored. */
  inspectImport: { params: { files: { path: string; blob: Blob }[] }; result: InspectedImport };
  commitImport: {
    params: { token: string; name: string; size: number; datasetId: string };
    result: ImportCommitted;
  };
  discardImport: { params: { token: string }; result: void };
  exportCheckpoint: { params: ExportRequest; result: DownloadFile };
  describeBundle: { params: { runId: string; name: string; gpus: number }; result: BundleDescription };
  buildBundle: { params: BundleRequest; result: DownloadFile };
  /**
   * The bundle streamed to a file (OPFS, else Blob parts): served by bundleWorker.ts itself, not by
   * createIoService. Cancel = terminate the worker (the next build removes the unfinished file).
   */
  writeBundle: { params: BundleRequest; result: BundleFile };
}

export type IoMethod = keyof CheckpointIoCommands;
export type IoParams<M extends IoMethod> = CheckpointIoCommands[M]['params'];
export type IoResult<M extends IoMethod> = CheckpointIoCommands[M]['result'];

export const IO_METHODS: readonly IoMethod[] = [
  'inspectImport',
  'commitImport',
  'discardImport',
  'exportCheckpoint',
  'describeBundle',
  'buildBundle',
  'writeBundle',
];

export interface IoRequestMessage {
  kind: 'request';
  id: number;
  method: IoMethod;
  params: unknown;
  /** IndexedDB prefix (default `ceph-gan-studio`). */
  storagePrefix?: string;
}

export type IoWorkerMessage =
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: { name: string; message: string } }
  | { kind: 'progress'; id: number; progress: BundleProgress };

export interface IoServiceDeps {
  openStorage(prefix: string | undefined): Promise<StudioStorage>;
  freshDiscriminator(cfg: RunConfig): Promise<StateDict>;
  loadCases: BundleDeps['loadCases'];
  /** Token for a held import plan (default: a counter). */
  newToken?: () => string;
}

/**
 * The request handler of the checkpoint worker: one request at a time per call, import plans held
 * between inspect and commit/discard (at most the 4 newest; older ones are dropped). Errors become
 * `{ ok: false }` responses with the error's name and message.
 */
export function createIoService(
  deps: IoServiceDeps,
): (msg: IoRequestMessage, post: (m: IoWorkerMessage) => void) => Promise<void> {
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
  const run = async (msg: IoRequestMessage, post: (m: IoWorkerMessage) => void): Promise<unknown> => {
    switch (msg.method) {
      case 'inspectImport': {
        const p = msg.params as IoParams<'inspectImport'>;
        const plan = await planImport(p.files.map((f) => sourceFromBlob(f.path, f.blob)));
        const token = newToken();
        plans.set(token, plan);
        while (plans.size > 4) plans.delete(plans.keys().next().value as string);
        return { ...previewOf(plan), token } satisfies InspectedImport;
      }
      case 'commitImport': {
        const p = msg.params as IoParams<'commitImport'>;
        const plan = plans.get(p.token);
        if (!plan) throw new Error('this import preview has expired; drop the files again');
        const storage = await storageFor(msg.storagePrefix);
        const out = await commitImport(storage, plan, {
          name: p.name,
          size: p.size,
          datasetId: p.datasetId,
          freshDiscriminator: deps.freshDiscriminator,
        });
        plans.delete(p.token);
        return out;
      }
      case 'discardImport': {
        plans.delete((msg.params as IoParams<'discardImport'>).token);
        return undefined;
      }
      case 'exportCheckpoint':
        return exportCheckpointFiles(
          await storageFor(msg.storagePrefix),
          msg.params as IoParams<'exportCheckpoint'>,
        );
      case 'describeBundle': {
        const p = msg.params as IoParams<'describeBundle'>;
        return describeServerBundle(await storageFor(msg.storagePrefix), p.runId, p.name, p.gpus);
      }
      case 'buildBundle':
        return buildServerBundleFromStore(
          await storageFor(msg.storagePrefix),
          msg.params as IoParams<'buildBundle'>,
          {
            loadCases: deps.loadCases,
            onProgress: (progress) => post({ kind: 'progress', id: msg.id, progress }),
          },
        );
      default:
        throw new Error(`unknown checkpoint command "${String(msg.method)}"`);
    }
  };
  return async (msg, post) => {
    try {
      const result = await run(msg, post);
      post({ kind: 'response', id: msg.id, ok: true, result });
    } catch (e) {
      post({
        kind: 'response',
        id: msg.id,
        ok: false,
        error: { name: e instanceof Error ? e.name : 'Error', message: errorText(e) },
      });
    }
  };
}
