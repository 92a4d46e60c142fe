/**
 * engine/checkpoint/commit.ts (with plan.ts): imported files become a finished run with its
 * checkpoint and history; a failed store leaves nothing behind.
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTrainerState } from '../../../src/core/train/checkpoint';
import {
  commitImport,
  exportCheckpointFiles,
  planImport,
  sourceFromBytes,
} from '../../../src/engine/checkpoint';
import { type Kv, listCheckpoints, listRuns, loadCheckpoint } from '../../../src/store';
import { evalOutput, expectSameStateDict, freshD, rejection, SMALL, storedRun } from './fixtures';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('import and commit', () => {
  it('stores a .pth as a finished run whose checkpoint gives the same eval-mode output; a fresh D is made', async () => {
    const { storage, run, G } = await storedRun(SMALL);
    const pth = await exportCheckpointFiles(storage, {
      runId: run.id,
      name: 'last',
      format: 'pth',
      nets: 'G',
      label: 'latest',
    });
    const plan = await planImport([sourceFromBytes('downloads/latest_net_G.pth', pth.bytes)]);
    expect(plan.name).toBe('downloads');
    let dMade = 0;
    const out = await commitImport(storage, plan, {
      name: 'imported',
      datasetId: 'demo-20-1',
      freshDiscriminator: async (cfg) => {
        dMade++;
        return freshD(cfg);
      },
      nowMs: 1_700_000_000_000,
    });
    expect(dMade).toBe(1);
    expect(out.freshD).toBe(true);
    expect(out.run.status).toBe('finished');
    expect(out.run.backend).toBe('file');
    expect(out.run.adapter).toBe('pth · downloads/latest_net_G.pth');
    expect(out.run.origin).toEqual({
      kind: 'imported',
      format: 'pth',
      files: ['downloads/latest_net_G.pth'],
    });
    expect(out.run.datasetId).toBe('demo-20-1');
    expect(out.run.checkpointNames).toEqual(['last']);
    expect(out.checkpoint.epoch).toBe(1);
    const { files } = await loadCheckpoint(storage.checkpoints, out.run.id, 'last');
    const state = loadTrainerState(files);
    expectSameStateDict(G, state.G);
    expect(state.config.size).toBe(32);
    const [a, b] = [await evalOutput(SMALL, G), await evalOutput(state.config, state.G)];
    expect(Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer))).toBe(0);
    expect((await listRuns(storage.runs)).total).toBe(2);
  });

  it('refuses a size the U-Net cannot take, before storing anything', async () => {
    const { storage, run } = await storedRun(SMALL);
    const pth = await exportCheckpointFiles(storage, {
      runId: run.id,
      name: 'last',
      format: 'pth',
      nets: 'G',
      label: 'latest',
    });
    const plan = await planImport([sourceFromBytes('latest_net_G.pth', pth.bytes)]);
    const err = await rejection(commitImport(storage, plan, { size: 0, freshDiscriminator: freshD }));
    expect(err.message).toContain('latest_net_G.pth');
    expect(err.message).toContain('size');
    expect((await listRuns(storage.runs)).total).toBe(1);
  });

  it('removes the half-written run when the disk fills while the checkpoint is stored', async () => {
    const { storage, run } = await storedRun(SMALL);
    const pth = await exportCheckpointFiles(storage, {
      runId: run.id,
      name: 'last',
      format: 'pth',
      nets: 'G',
      label: 'latest',
    });
    const plan = await planImport([sourceFromBytes('latest_net_G.pth', pth.bytes)]);
    const full: Kv = {
      ...storage.checkpoints,
      set: async () => {
        throw new DOMException('quota', 'QuotaExceededError');
      },
    };
    const err = await rejection(
      commitImport({ ...storage, checkpoints: full }, plan, { freshDiscriminator: freshD }),
    );
    expect(err.name).toBe('StorageFullError');
    const runs = await listRuns(storage.runs);
    expect(runs.runs.map((r) => r.id)).toEqual([run.id]);
    expect((await listCheckpoints(storage.checkpoints)).map((c) => c.runId)).toEqual([run.id]);
  });
});
