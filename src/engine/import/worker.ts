/**
 * The import worker: indexes the dropped files and ZIPs, detects the layout, and runs the import
 * (decoding with createImageBitmap + OffscreenCanvas off the page's thread, audit, batched
 * writes to IndexedDB) into a new dataset, or adds the files to an existing one. One import at a
 * time; `cancel` stops it between cases.
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
import { importLockName, type FromImportWorker, type PlanResult, type ToImportWorker } from './protocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (m: FromImportWorker): void => scope.postMessage(m);

let index: FileIndex | null = null;
let layout: LayoutOptions = {};
let storagePrefix: string | undefined;
let storage: Promise<StudioStorage> | null = null;
let running: AbortController | null = null;

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

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

scope.addEventListener('message', (ev: MessageEvent<ToImportWorker>) => {
  const m = ev.data;
  void (async () => {
    if (m.type === 'cancel') {
      running?.abort();
      return;
    }
    try {
      if (m.type === 'plan') {
        storagePrefix = m.storagePrefix;
        layout = m.layout ?? {};
        index = await buildFileIndex(m.inputs);
        post({ type: 'plan', id: m.id, result: planResult() });
      } else if (m.type === 'replan') {
        if (!index) throw new Error('no files to plan: drop them again');
        layout = m.layout;
        post({ type: 'plan', id: m.id, result: planResult() });
      } else if (m.type === 'demo') {
        const { generatePhantomDataset } = await import('../../core/data/phantom');
        const { buildDemoView } = await import('./demo');
        const ds = generatePhantomDataset({ n: m.cases, seed: m.seed, width: m.width, height: m.height });
        const total = ds.cases.length;
        const result = await buildDemoView(ds.cases, {
          name: m.name,
          seed: m.seed,
          mmPerPx: ds.mmPerPx,
          encode: encodePng,
          onProgress: (done) =>
            post({
              type: 'progress',
              id: m.id,
              progress: { phase: 'cases', done, total, stored: 0, errors: 0, etaMs: null },
            }),
        });
        post({ type: 'demo', id: m.id, result });
      } else if (m.type === 'import' || m.type === 'add') {
        if (!index) throw new Error('no files to import: drop them again');
        if (running) throw new Error('an import is already running');
        storage ??= openStudioStorage(storagePrefix ? { prefix: storagePrefix } : {});
        const ctl = new AbortController();
        running = ctl;
        try {
          const datasetId = m.type === 'add' ? m.datasetId : newDatasetId();
          const deps = async () => ({
            storage: await storage!,
            decode: (blob: Blob) => decodeImageBlob(blob),
            signal: ctl.signal,
            onProgress: (progress: ImportProgress) => post({ type: 'progress', id: m.id, progress }),
          });
          const work = async (): Promise<ImportOutcome> =>
            m.type === 'add'
              ? runAddToDataset(index!, planImport(index!, layout), datasetId, await deps())
              : runImport(index!, planImport(index!, layout), m.settings, { ...(await deps()), datasetId });
          // the lock: other tabs do not repair this dataset while its cases are being written, a
          // re-split waits, and two adds into one dataset run one after the other
          const out = navigator.locks
            ? await navigator.locks.request(importLockName(datasetId), work)
            : await work();
          post({
            type: 'done',
            id: m.id,
            result: { ...out, storageFull: out.storageFull ? out.storageFull.message : null },
          });
        } finally {
          running = null;
        }
      }
    } catch (e) {
      post({ type: 'error', id: m.id, message: errText(e) });
    }
  })();
});
