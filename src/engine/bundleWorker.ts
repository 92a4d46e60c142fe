/**
 * The checkpoint worker: everything the Checkpoints section does with checkpoint files, off the
 * page's thread — reading dropped .pth / safetensors / TF.js / server run folders (import preview
 * and commit), writing export formats, and building the server bundle (PNG encoding of every case
 * and the .pth files take seconds to minutes). Commands and logic: checkpoint/ (protocol.ts, bundle.ts),
 * served with the one worker RPC (rpc.ts); client: checkpoint/client.ts.
 *
 *   new Worker(new URL('./bundleWorker.ts', import.meta.url), { type: 'module' })
 *
 * `writeBundle` (served here, not by createIoService): the server bundle streamed case by case —
 * each case is read from the store, preprocessed, PNG-encoded and written before the next is read —
 * into a file of the Origin Private File System through a synchronous access handle (dedicated
 * workers only), or, where OPFS is missing, into a Blob grown from 8 MB parts (the browser keeps
 * large Blobs outside the worker's heap). The answer is a File / Blob, never the bytes. The file is
 * written as `<name>.partial` in its own folder under `server-bundles/` and renamed when complete;
 * every build first removes older folders (the last download, or what a cancelled build left).
 * Cancel: the call's cancel stops the stream between cases (its target aborted, the folder
 * removed); the Checkpoints panel terminates this worker instead (each build has its own worker),
 * which also stops a case in the middle of its PNG encoding.
 *
 * TF.js is loaded only to create a fresh discriminator for an import without one (cpu backend:
 * random initialisation, no GPU needed, and the training worker keeps the GPU to itself).
 */
/// <reference lib="webworker" />
import type { RunConfig } from '../core/config';
import type { PreprocessSpec } from '../core/data/preprocess';
import type { ServerBundleCase } from '../core/io/serverBundle';
import type { StateDict } from '../core/model/types';
import { openStudioStorage, type StudioStorage } from '../store';
import { asStorageFull, isQuotaError, StorageFullError } from '../store/errors';
import {
  createIoService,
  ioWireError,
  streamBundleCases,
  writeServerBundleFromStore,
  type BundleFile,
  type BundleProgress,
  type BundleTarget,
  type CheckpointIoCommands,
  type IoParams,
} from './checkpoint';
import { portOf, serve, type FromServer, type ToServer } from './rpc';

const scope = self as unknown as DedicatedWorkerGlobalScope;

/** OPFS folder of the bundles this worker writes (one sub-folder per build). */
const BUNDLE_DIR = 'server-bundles';
/** Bytes gathered before they become one Blob part (fallback target). */
const BLOB_PART_BYTES = 8 << 20;

async function freshDiscriminator(cfg: RunConfig): Promise<StateDict> {
  const tf = await import('@tensorflow/tfjs');
  if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
  await tf.ready();
  const { createDiscriminator, stateDictOf } = await import('../core/model');
  const net = createDiscriminator(cfg, cfg.seed);
  try {
    return await stateDictOf(net);
  } finally {
    net.dispose();
  }
}

/** All cases in memory (createIoService's in-memory `buildBundle`). */
async function loadCases(
  storage: StudioStorage,
  datasetId: string,
  spec: PreprocessSpec,
  onProgress: (done: number, total: number) => void,
): Promise<ServerBundleCase[]> {
  const cases: ServerBundleCase[] = [];
  await streamBundleCases(storage, datasetId, spec, (c) => cases.push(c), onProgress);
  return cases;
}

type Written = Pick<BundleFile, 'blob' | 'stored'>;

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

/** What the user does once space is freed (a key of STORAGE_RETRY: the message has it in en and zh). */
const BUNDLE_RETRY = 'build the bundle again';

/**
 * Storage full while writing: a StorageFullError (what to delete or export, then build again; the
 * MB used / quota are added by `asStorageFull` in writeBundle, outside the synchronous write).
 */
function writeError(e: unknown, written: number): Error {
  if (isQuotaError(e)) return new StorageFullError(null, null, BUNDLE_RETRY, e);
  if (e instanceof Error) return e;
  return new Error(`writing the bundle failed after ${mb(written)} MB: ${String(e)}`);
}

/** Remove every entry of `dir` (older bundles); an entry still locked by a dying worker stays. */
async function clearFolder(dir: FileSystemDirectoryHandle): Promise<void> {
  const names: string[] = [];
  for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
  for (const name of names) await dir.removeEntry(name, { recursive: true }).catch(() => undefined);
}

/** A file in the Origin Private File System, written synchronously; null where OPFS is missing. */
async function opfsTarget(fileName: string): Promise<BundleTarget<Written> | null> {
  if (
    typeof FileSystemFileHandle === 'undefined' ||
    !('createSyncAccessHandle' in FileSystemFileHandle.prototype)
  )
    return null;
  let root: FileSystemDirectoryHandle;
  try {
    root = await navigator.storage.getDirectory();
  } catch {
    return null; // e.g. storage disabled for this origin
  }
  const dir = await root.getDirectoryHandle(BUNDLE_DIR, { create: true });
  await clearFolder(dir);
  const folder = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const sub = await dir.getDirectoryHandle(folder, { create: true });
  const file = await sub.getFileHandle(`${fileName}.partial`, { create: true });
  const handle = await file.createSyncAccessHandle();
  let at = 0;
  let open = true;
  const closeHandle = (): void => {
    if (!open) return;
    open = false;
    handle.close();
  };
  return {
    write(chunk) {
      try {
        let off = 0;
        while (off < chunk.length) {
          const n = handle.write(chunk.subarray(off), { at: at + off });
          if (n <= 0) throw new Error(`writing the bundle stopped after ${mb(at + off)} MB`);
          off += n;
        }
        at += chunk.length;
      } catch (e) {
        throw writeError(e, at);
      }
    },
    async close() {
      try {
        handle.flush();
      } catch (e) {
        throw writeError(e, at);
      }
      closeHandle();
      // the complete file gets its real name (move() is in Chromium, Firefox and Safari 16.4+)
      const movable = file as unknown as { move?: (name: string) => Promise<void> };
      if (typeof movable.move === 'function') await movable.move(fileName);
      return { blob: await file.getFile(), stored: [BUNDLE_DIR, folder] };
    },
    async abort() {
      try {
        closeHandle();
      } catch {
        // already closed by a failed write
      }
      await dir.removeEntry(folder, { recursive: true }).catch(() => undefined);
    },
  };
}

/** A Blob grown from parts of BLOB_PART_BYTES (the browser, not this heap, holds the bytes). */
function blobTarget(): BundleTarget<Written> {
  let blob = new Blob([]);
  let parts: Uint8Array[] = [];
  let pending = 0;
  const flush = (): void => {
    if (parts.length === 0) return;
    blob = new Blob([blob, ...(parts as Uint8Array<ArrayBuffer>[])]);
    parts = [];
    pending = 0;
  };
  return {
    write(chunk) {
      parts.push(chunk); // a view of data the writer never touches again (ZipSink)
      pending += chunk.length;
      if (pending >= BLOB_PART_BYTES) flush();
    },
    async close() {
      flush();
      return { blob: new Blob([blob], { type: 'application/zip' }), stored: null };
    },
    async abort() {
      parts = [];
      blob = new Blob([]);
    },
  };
}

const service = createIoService({
  openStorage: (prefix) => openStudioStorage(prefix ? { prefix } : {}),
  freshDiscriminator,
  loadCases,
});

const storages = new Map<string, Promise<StudioStorage>>();
function storageFor(prefix: string | undefined): Promise<StudioStorage> {
  const key = prefix ?? '';
  let s = storages.get(key);
  if (!s) {
    s = openStudioStorage(prefix ? { prefix } : {});
    storages.set(key, s);
    s.catch(() => storages.delete(key));
  }
  return s;
}

type Streaming = { signal: AbortSignal; progress(p: BundleProgress): void };

async function writeBundle(params: IoParams<'writeBundle'>, ctx: Streaming): Promise<BundleFile> {
  try {
    return await writeBundleTo(params, ctx);
  } catch (e) {
    // the bundle folder is removed by the target's abort(); stored data is only read, never touched
    throw await asStorageFull(e, BUNDLE_RETRY);
  }
}

async function writeBundleTo(params: IoParams<'writeBundle'>, ctx: Streaming): Promise<BundleFile> {
  const out = await writeServerBundleFromStore(
    await storageFor(params.storagePrefix),
    params,
    { streamCases: streamBundleCases, onProgress: ctx.progress, signal: ctx.signal },
    async (fileName) => (await opfsTarget(fileName)) ?? blobTarget(),
  );
  return {
    fileName: out.fileName,
    mime: out.mime,
    blob: out.file.blob,
    bytes: out.bytes,
    contents: out.contents,
    stored: out.file.stored,
  };
}

serve<CheckpointIoCommands>(
  portOf<ToServer, FromServer>(scope),
  { ...service, writeBundle },
  { errorOf: ioWireError },
);
