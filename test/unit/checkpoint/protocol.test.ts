/**
 * engine/checkpoint/protocol.ts: the checkpoint worker's request handler (inspect / commit / discard,
 * export, bundle, errors as responses).
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { writePth } from '../../../src/core/io/pth';
import { createIoService, type IoWorkerMessage } from '../../../src/engine/checkpoint';
import { listRuns, type StudioStorage } from '../../../src/store';
import { freshD, nets, open, SMALL } from './fixtures';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('worker request handler', () => {
  it('inspects, commits by token, and answers errors as messages', async () => {
    const storage: StudioStorage = await open();
    const handle = createIoService({
      openStorage: async () => storage,
      freshDiscriminator: freshD,
      loadCases: async () => [],
      newToken: () => 'tok',
    });
    const posted: IoWorkerMessage[] = [];
    const post = (m: IoWorkerMessage) => posted.push(m);
    const { G } = await nets(SMALL);
    const blob = new Blob([writePth(G) as Uint8Array<ArrayBuffer>]);
    await handle(
      {
        kind: 'request',
        id: 1,
        method: 'inspectImport',
        params: { files: [{ path: 'a/latest_net_G.pth', blob }] },
      },
      post,
    );
    const r1 = posted[0] as { ok: true; result: { token: string; G: { keys: number }; name: string } };
    expect(r1.ok).toBe(true);
    expect([r1.result.token, r1.result.G.keys, r1.result.name]).toEqual(['tok', G.length, 'a']);
    await handle(
      {
        kind: 'request',
        id: 2,
        method: 'commitImport',
        params: { token: 'tok', name: 'mine', size: 32, datasetId: '' },
      },
      post,
    );
    expect((posted[1] as { ok: boolean }).ok).toBe(true);
    expect((await listRuns(storage.runs)).runs.map((r) => r.name)).toEqual(['mine']);
    await handle(
      {
        kind: 'request',
        id: 3,
        method: 'commitImport',
        params: { token: 'tok', name: 'again', size: 32, datasetId: '' },
      },
      post,
    );
    expect(posted[2]).toEqual({
      kind: 'response',
      id: 3,
      ok: false,
      error: { name: 'Error', message: 'this import preview has expired; drop the files again' },
    });
    await handle(
      {
        kind: 'request',
        id: 4,
        method: 'inspectImport',
        params: { files: [{ path: 'x.pth', blob: new Blob([new Uint8Array(10)]) }] },
      },
      post,
    );
    const r4 = posted[3] as { ok: false; error: { name: string; message: string } };
    expect(r4.ok).toBe(false);
    expect(r4.error.message).toContain('x.pth');
  });
});
