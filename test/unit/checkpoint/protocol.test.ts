/**
 * engine/checkpoint/protocol.ts: the checkpoint worker's commands (inspect / commit / discard,
 * export, bundle, errors as rebuilt errors), served with the one worker RPC over a Node
 * MessageChannel as bundleWorker.ts serves them.
 */
import 'fake-indexeddb/auto';
import { MessageChannel } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { writePth } from '../../../src/core/io/pth';
import { createIoService, ioWireError, type CheckpointIoCommands } from '../../../src/engine/checkpoint';
import { CheckpointIoError } from '../../../src/engine/checkpoint/client';
import { connect, portOf, serve, type MessageTarget } from '../../../src/engine/rpc';
import { listRuns, type StudioStorage } from '../../../src/store';
import { freshD, nets, open, SMALL } from './fixtures';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('checkpoint worker commands', () => {
  it('inspects, commits by token, and answers errors that name the file', async () => {
    const storage: StudioStorage = await open();
    const service = createIoService({
      openStorage: async () => storage,
      freshDiscriminator: freshD,
      loadCases: async () => [],
      newToken: () => 'tok',
    });
    const { port1, port2 } = new MessageChannel();
    serve<CheckpointIoCommands>(portOf(port2 as unknown as MessageTarget), service as never, {
      errorOf: ioWireError,
    });
    const rpc = connect<CheckpointIoCommands>(portOf(port1 as unknown as MessageTarget), {
      rebuildError: (method, wire) => new CheckpointIoError(method, wire),
    });
    try {
      const { G } = await nets(SMALL);
      const blob = new Blob([writePth(G) as Uint8Array<ArrayBuffer>]);
      const r1 = await rpc.call('inspectImport', { files: [{ path: 'a/latest_net_G.pth', blob }] });
      expect([r1.token, r1.G?.keys, r1.name]).toEqual(['tok', G.length, 'a']);
      await rpc.call('commitImport', { token: 'tok', name: 'mine', size: 32, datasetId: '' });
      expect((await listRuns(storage.runs)).runs.map((r) => r.name)).toEqual(['mine']);
      const again = await rpc
        .call('commitImport', { token: 'tok', name: 'again', size: 32, datasetId: '' })
        .catch((e: unknown) => e);
      expect(again).toBeInstanceOf(CheckpointIoError);
      expect([(again as Error).name, (again as Error).message]).toEqual([
        'CheckpointIoError',
        'this import preview has expired; drop the files again',
      ]);
      const bad = await rpc
        .call('inspectImport', { files: [{ path: 'x.pth', blob: new Blob([new Uint8Array(10)]) }] })
        .catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(CheckpointIoError);
      expect((bad as Error).message).toContain('x.pth');
    } finally {
      port1.close();
      port2.close();
    }
  });
});
