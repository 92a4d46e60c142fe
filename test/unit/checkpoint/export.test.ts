/**
 * engine/checkpoint/export.ts on fake-indexeddb and the cpu backend: a stored checkpoint exported in
 * every format and imported back with identical weights and outputs.
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { listZip } from '../../../src/core/io/zip';
import { exportCheckpointFiles, planImport, sourceFromBytes } from '../../../src/engine/checkpoint';
import { shownNotes } from '../../../src/ui/checkpoints/warnings';
import { expectSameStateDict, SMALL, storedRun } from './fixtures';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('export of a stored checkpoint', () => {
  it('writes latest_net_G.pth / <epoch>_net_G.pth that import back to the same weights, config inferred, size from netG', async () => {
    const { storage, run, G } = await storedRun(SMALL);
    const latest = await exportCheckpointFiles(storage, {
      runId: run.id,
      name: 'last',
      format: 'pth',
      nets: 'G',
      label: 'latest',
    });
    expect(latest.fileName).toBe('latest_net_G.pth');
    expect(latest.mime).toBe('application/octet-stream');
    const byEpoch = await exportCheckpointFiles(storage, {
      runId: run.id,
      name: 'last',
      format: 'pth',
      nets: 'G',
      label: 'epoch',
    });
    // the manifest's epoch 6 is the epoch in progress: 5 are complete, the server's file name says 5
    expect(byEpoch.fileName).toBe('5_net_G.pth');

    const plan = await planImport([sourceFromBytes(byEpoch.fileName, byEpoch.bytes)]);
    expect(plan.kind).toBe('network');
    expect(plan.origin).toBe('file');
    expect(plan.format).toBe('pth');
    expect(plan.configSource).toBe('inferred');
    expect(plan.sizeFromFiles).toBe(false);
    expect([plan.config.netG, plan.config.ngf, plan.config.norm, plan.config.size]).toEqual([
      'unet_32',
      4,
      'batch',
      32,
    ]);
    expect(plan.epoch).toBe(5);
    expect(plan.D).toBeNull();
    // no discriminator in the file: its width follows ngf (server defaults 64/64, studio presets alike)
    expect(plan.config.ndf).toBe(4);
    expect(shownNotes(plan.warnings)).toEqual([{ key: 'ckpt.warn.ndfFromNgf', params: { ngf: '4' } }]);
    expectSameStateDict(G, plan.G.stateDict);
  });

  it('zips several files: pth G+D, safetensors, TF.js (model.json + shards) and the studio files', async () => {
    const { storage, run, G, D } = await storedRun(SMALL, 'Demo: run #1');
    const both = await exportCheckpointFiles(storage, {
      runId: run.id,
      name: 'last',
      format: 'pth',
      nets: 'both',
      label: 'latest',
    });
    expect(both.fileName).toBe('Demo_run_1-last_latest_pth.zip');
    expect(listZip(both.bytes, 'x').map((e) => e.name)).toEqual(['latest_net_G.pth', 'latest_net_D.pth']);

    const st = await exportCheckpointFiles(storage, {
      runId: run.id,
      name: 'last',
      format: 'safetensors',
      nets: 'D',
      label: 'latest',
    });
    expect(st.fileName).toBe('latest_net_D.safetensors');

    const tfjs = await exportCheckpointFiles(storage, {
      runId: run.id,
      name: 'last',
      format: 'tfjs',
      nets: 'both',
      label: 'latest',
    });
    const names = listZip(tfjs.bytes, 'x').map((e) => e.name);
    expect(names).toContain('latest_net_G/model.json');
    expect(names).toContain('latest_net_D/model.json');
    expect(names.filter((n) => n.endsWith('.bin')).length).toBeGreaterThanOrEqual(2);
    // the TF.js ZIP imports with both networks and the config from its metadata (size included)
    const plan = await planImport([sourceFromBytes(tfjs.fileName, tfjs.bytes)]);
    expect([plan.kind, plan.format, plan.configSource, plan.sizeFromFiles]).toEqual([
      'network',
      'tfjs',
      'metadata',
      true,
    ]);
    expect(plan.config).toEqual(SMALL);
    expectSameStateDict(G, plan.G.stateDict);
    expectSameStateDict(D, plan.D!.stateDict);

    const studio = await exportCheckpointFiles(storage, {
      runId: run.id,
      name: 'last',
      format: 'studio',
      nets: 'both',
      label: 'latest',
    });
    expect(studio.fileName).toBe('Demo_run_1-last.zip');
    const sp = await planImport([sourceFromBytes(studio.fileName, studio.bytes)]);
    expect([sp.kind, sp.format, sp.epoch]).toEqual(['studio', 'studio', 5]);
    expect(sp.state!.step).toBe(40);
    expect(sp.state!.dataOrder).toEqual([2, 0, 3, 1]);
  });
});
