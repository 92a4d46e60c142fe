/**
 * The checkpoint worker: everything the Checkpoints section does with checkpoint files, off the
 * page's thread — reading dropped .pth / safetensors / TF.js / server run folders (import preview
 * and commit), writing export formats, and building the server bundle (PNG encoding of every case
 * and the .pth files take seconds to minutes). Protocol and logic: checkpointIo.ts; client:
 * ui/checkpoints/ioClient.ts.
 *
 *   new Worker(new URL('./bundleWorker.ts', import.meta.url), { type: 'module' })
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
import { createIoService, type IoRequestMessage, type IoWorkerMessage } from './checkpointIo';

const scope = self as unknown as DedicatedWorkerGlobalScope;

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

async function loadCases(
  storage: StudioStorage,
  datasetId: string,
  spec: PreprocessSpec,
  onProgress: (done: number, total: number) => void,
): Promise<ServerBundleCase[]> {
  const { datasetSourceFromId } = await import('./engineCore');
  const source = datasetSourceFromId(datasetId);
  if (source.kind === 'demo') {
    const { loadDemoCases } = await import('./demoData');
    const { cases } = await loadDemoCases(source.cases, source.seed, spec.size);
    onProgress(cases.length, cases.length);
    return cases.map((c) => ({ id: c.id, split: c.split, photo: c.photo, xray: c.xray }));
  }
  const { loadDatasetForTraining } = await import('./datasetSource');
  const data = await loadDatasetForTraining(storage, source.datasetId, spec, {
    onProgress: (p) => onProgress(p.done, p.total),
  });
  return data.cases.map((c) => ({ id: c.id, split: c.split, photo: c.photo, xray: c.xray }));
}

const handle = createIoService({
  openStorage: (prefix) => openStudioStorage(prefix ? { prefix } : {}),
  freshDiscriminator,
  loadCases,
});

function post(m: IoWorkerMessage): void {
  const transfer: Transferable[] = [];
  if (m.kind === 'response' && m.ok) {
    const r = m.result as { bytes?: unknown } | undefined;
    if (r && r.bytes instanceof Uint8Array && r.bytes.byteOffset === 0) {
      const buf = r.bytes.buffer;
      if (buf instanceof ArrayBuffer && buf.byteLength === r.bytes.byteLength) transfer.push(buf);
    }
  }
  scope.postMessage(m, transfer);
}

scope.addEventListener('message', (e: MessageEvent<IoRequestMessage>) => {
  const msg = e.data;
  if (!msg || msg.kind !== 'request') return;
  void handle(msg, post);
});
