/**
 * The import worker: indexes the dropped files and ZIPs, detects the layout, and runs the import
 * (decoding with createImageBitmap + OffscreenCanvas off the page's thread, audit, batched
 * writes to IndexedDB) into a new dataset, or adds the files to an existing one. One import at a
 * time; cancelling the call stops it between cases. Served with the one worker RPC (rpc.ts);
 * the commands are in protocol.ts.
 *   new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })
 */
/// <reference lib="webworker" />
import type { LayoutOptions } from '../../core/data/layout';
import type { RgbaImage } from '../../core/image';
import { newDatasetId } from '../../store/datasets';
import { openStudioStorage, type StudioStorage } from '../../store/storage';
import { decodeImageBlob } from './decode';
import { buildFileIndex, type FileIndex } from './fileIndex';
import { planImport, runImport } from './importDataset';
import { runAddToDataset } from './addToDataset';
import { type ImportOutcome, type ImportProgress } from './readCases';
import { importLockName, type ImportCommands, type ImportResult, type PlanResult } from './protocol';
import { portOf, serve, type CallContext, type FromServer, type ToServer } from '../rpc';

const scope = self as unknown as DedicatedWorkerGlobalScope;

let index: FileIndex | null = null;
let layout: LayoutOptions = {};
let storagePrefix: string | undefined;
let storage: Promise<StudioStorage> | null = null;
let running = false;

function planResult(): PlanResult {
  const plan = planImport(index!, layout);
  const wanted = new Set<string>();
  for (const c of plan.cases)
    for (const p of [c.photoPath, c.xrayPath, c.alignedPath, c.landmarkPath]) if (p) wanted.add(p);
  if (plan.landmarkCsvPath) wanted.add(plan.landmarkCsvPath);
  let bytes = 0;
  for (const p of wanted) bytes += index!.byPath.get(p)?.size ?? 0;
  return { plan, archives: index!.archives, bytes };
}

/** Lossless PNG of an RGBA image (OffscreenCanvas; alpha 255 so the pixels round-trip exactly). */
async function encodePng(img: RgbaImage): Promise<Blob> {
  const canvas = new OffscreenCanvas(img.width, img.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas for encoding');
  ctx.putImageData(new ImageData(img.data as Uint8ClampedArray<ArrayBuffer>, img.width, img.height), 0, 0);
  return canvas.convertToBlob({ type: 'image/png' });
}

/** Import into a new dataset, or add to `datasetId`; the signal is the call's cancel. */
async function importOrAdd(
  target: { settings: ImportCommands['import']['params']['settings'] } | { datasetId: string },
  ctx: CallContext<ImportProgress>,
): Promise<ImportResult> {
  if (!index) throw new Error('no files to import: drop them again');
  if (running) throw new Error('an import is already running');
  const files = index;
  storage ??= openStudioStorage(storagePrefix ? { prefix: storagePrefix } : {});
  const opened = storage;
  running = true;
  try {
    const datasetId = 'datasetId' in target ? target.datasetId : newDatasetId();
    const deps = async () => ({
      storage: await opened,
      decode: (blob: Blob) => decodeImageBlob(blob),
      signal: ctx.signal,
      onProgress: ctx.progress,
    });
    const work = async (): Promise<ImportOutcome> =>
      'datasetId' in target
        ? runAddToDataset(files, planImport(files, layout), datasetId, await deps())
        : runImport(files, planImport(files, layout), target.settings, { ...(await deps()), datasetId });
    // the lock: other tabs do not repair this dataset while its cases are being written, a
    // re-split waits, and two adds into one dataset run one after the other
    const out = navigator.locks
      ? await navigator.locks.request(importLockName(datasetId), work)
      : await work();
    return { ...out, storageFull: out.storageFull ? out.storageFull.message : null };
  } finally {
    running = false;
  }
}

serve<ImportCommands>(portOf<ToServer, FromServer>(scope), {
  async plan(p) {
    storagePrefix = p.storagePrefix;
    layout = p.layout ?? {};
    index = await buildFileIndex(p.inputs);
    return planResult();
  },
  replan(p) {
    if (!index) throw new Error('no files to plan: drop them again');
    layout = p.layout;
    return planResult();
  },
  async demo(p, { progress }) {
    const { generatePhantomDataset } = await import('../../core/data/phantom');
    const { buildDemoView } = await import('./demo');
    const ds = generatePhantomDataset({ n: p.cases, seed: p.seed, width: p.width, height: p.height });
    const total = ds.cases.length;
    return buildDemoView(ds.cases, {
      name: p.name,
      seed: p.seed,
      mmPerPx: ds.mmPerPx,
      encode: encodePng,
      onProgress: (done) => progress({ phase: 'cases', done, total, stored: 0, errors: 0, etaMs: null }),
    });
  },
  import: (p, ctx) => importOrAdd({ settings: p.settings }, ctx),
  add: (p, ctx) => importOrAdd({ datasetId: p.datasetId }, ctx),
});
