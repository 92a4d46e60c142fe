/**
 * engine/checkpoint/plan.ts and sources.ts: server run folders (and ZIPs of them) with the loss log
 * as history, only the files needed read; hostile inputs refused with the file named and nothing stored.
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../../../src/core/io/checkpointError';
import { writeSafetensors } from '../../../src/core/io/safetensors';
import { formatTrainOpt, serverOptionsFor } from '../../../src/core/io/serverBundle';
import { writePth } from '../../../src/core/io/pth';
import { writeZip } from '../../../src/core/io/zip';
import { loadTrainerState } from '../../../src/core/train/checkpoint';
import { commitImport, planImport, previewOf, sourceFromBytes } from '../../../src/engine/checkpoint';
import { loadCheckpoint, readHistory } from '../../../src/store';
import { explainError, shownNotes } from '../../../src/ui/checkpoints/warnings';
import {
  counted,
  enc,
  expectSameStateDict,
  freshD,
  nets,
  open,
  rejection,
  serverFolder,
  SMALL,
} from './fixtures';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('server run folders', () => {
  it('reads only the newest G, its D and the text files; the loss log becomes the train history', async () => {
    const { G, D, files } = await serverFolder(SMALL);
    const { sources, reads } = counted(files);
    const plan = await planImport(sources);
    expect([plan.kind, plan.origin, plan.name, plan.configSource, plan.epoch]).toEqual([
      'serverRun',
      'server',
      'ceph_a',
      'train_opt',
      2,
    ]);
    expect(reads.get('checkpoints/ceph_a/5_net_G.pth')).toBeUndefined();
    expect(plan.ignoredFiles).toEqual([
      { path: 'checkpoints/ceph_a/web/images/epoch001_fake_B.png', reason: 'notCheckpoint' },
      { path: 'checkpoints/ceph_a/5_net_G.pth', reason: 'olderEpoch' },
    ]);
    expect(plan.config.size).toBe(32);
    expectSameStateDict(G, plan.G.stateDict);
    expectSameStateDict(D, plan.D!.stateDict);
    // the preview's own rows say "no D" / "no loss log"; the other notes are translated or kept
    expect(
      shownNotes([
        ...plan.warnings,
        'no train_opt.txt: the settings come from the weights alone (training options are defaults)',
        'something new',
      ]),
    ).toEqual([{ key: 'ckpt.warn.noTrainOpt', params: {} }, { text: 'something new' }]);
    const preview = previewOf(plan);
    expect(preview.lossRecords).toBe(3);
    expect(preview.step).toBe(6);
    expect(preview.G.keys).toBe(G.length);

    const storage = await open();
    const out = await commitImport(storage, plan, { freshDiscriminator: freshD, nowMs: 5 });
    expect(out.freshD).toBe(false);
    expect(out.run.backend).toBe('server');
    expect(out.run.name).toBe('ceph_a');
    expect([out.run.step, out.run.epoch]).toEqual([6, 3]);
    const hist = await readHistory(storage.runs, out.run.id, 'train');
    // batch_size 1: epoch 1 has 4 images; steps 2, 4, then 4 + 2 = 6
    expect(hist.map((p) => p.step)).toEqual([2, 4, 6]);
    expect(hist.map((p) => p.epoch)).toEqual([1, 1, 2]);
    expect(hist[0].values).toEqual({ G_GAN: 0.7, G_L1: 3.8, D_real: 0.6, D_fake: 0.71, lr: 0.0002 });
    expect(hist[2].values.G_L1).toBeNull();
    expect(out.run.lastMetrics).toEqual({ G_GAN: 0.9, G_L1: null, D_real: 0.4, D_fake: 0.6, lr: 0.0002 });
    const state = loadTrainerState((await loadCheckpoint(storage.checkpoints, out.run.id, 'last')).files);
    expectSameStateDict(D, state.D);
  });

  it('reads the same run from a ZIP of the folder; a truncated ZIP is refused by name', async () => {
    const { G, files } = await serverFolder(SMALL, 'ceph_a');
    const zip = writeZip(Object.entries(files).map(([name, data]) => ({ name, data })));
    const plan = await planImport([sourceFromBytes('from-server.zip', zip)]);
    expect([plan.kind, plan.name, plan.epoch]).toEqual(['serverRun', 'ceph_a', 2]);
    expect(plan.G.file).toBe('from-server.zip/ceph_a/latest_net_G.pth');
    expectSameStateDict(G, plan.G.stateDict);

    const err = await rejection(
      planImport([sourceFromBytes('from-server.zip', zip.subarray(0, zip.length - 100))]),
    );
    expect(err).toBeInstanceOf(CheckpointFormatError);
    expect(err.message).toContain('from-server.zip');
  });

  it('names the key when train_opt.txt contradicts the weights', async () => {
    const { files } = await serverFolder(SMALL);
    files['checkpoints/ceph_a/train_opt.txt'] = enc(
      formatTrainOpt(serverOptionsFor({ ...SMALL, ngf: 8 }, 'ceph_a', 2)),
    );
    const err = await rejection(planImport(counted(files).sources));
    expect(err.message).toContain('latest_net_G.pth');
    expect(err.message).toMatch(/key "model\.model\.0\.weight" has shape \[4, 3, 4, 4\]/);
  });

  it('refuses two runs in one drop', async () => {
    const a = await serverFolder(SMALL, 'runs/a');
    const b = await serverFolder(SMALL, 'runs/b');
    const err = await rejection(planImport(counted({ ...a.files, ...b.files }).sources));
    expect(err.message).toContain('2 server runs (runs/a, runs/b)');
  });
});

describe('hostile and broken files', () => {
  it('refuses a pickle that calls os.system, naming the file and the global', async () => {
    const pkl = new Uint8Array([
      0x80,
      0x02,
      ...enc('cposix\nsystem\n'),
      0x58,
      4,
      0,
      0,
      0,
      ...enc('echo'),
      0x85,
      0x52,
      0x2e,
    ]);
    const evil = writeZip([
      { name: 'evil/data.pkl', data: pkl },
      { name: 'evil/version', data: enc('3\n') },
    ]);
    const err = await rejection(planImport([sourceFromBytes('evil_net_G.pth', evil)]));
    expect(err).toBeInstanceOf(CheckpointFormatError);
    expect(err.message).toContain('evil_net_G.pth');
    expect(err.message).toContain('refusing the global "posix.system"');
    expect(explainError(err.message)).toBe('ckpt.err.unsafePickle');
  });

  it('refuses a truncated .pth and overlapping safetensors offsets, naming the file', async () => {
    const { G } = await nets(SMALL);
    const pth = writePth(G);
    const e1 = await rejection(planImport([sourceFromBytes('cut_net_G.pth', pth.subarray(0, 5000))]));
    expect(e1.message).toContain('cut_net_G.pth');
    expect(explainError(e1.message)).toBe('ckpt.err.damaged');

    const header = enc(
      JSON.stringify({
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
      }),
    );
    const st = new Uint8Array(8 + header.length + 12);
    new DataView(st.buffer).setBigUint64(0, BigInt(header.length), true);
    st.set(header, 8);
    const e2 = await rejection(planImport([sourceFromBytes('weights.safetensors', st)]));
    expect(e2.message).toContain('weights.safetensors');
    expect(e2.message).toContain('overlaps');
    expect(explainError(e2.message)).toBe('ckpt.err.safetensors');
  });

  it('names the key when safetensors metadata contradicts the shapes; a D alone is refused', async () => {
    const { G, D } = await nets(SMALL);
    const lying = writeSafetensors(G, { kind: 'G', studio_config: JSON.stringify({ ...SMALL, ngf: 8 }) });
    const e1 = await rejection(planImport([sourceFromBytes('G.safetensors', lying)]));
    expect(e1.message).toContain('G.safetensors: key "model.model.0.weight" has shape [4, 3, 4, 4]');
    expect(explainError(e1.message)).toBe('ckpt.err.shape');
    const e2 = await rejection(planImport([sourceFromBytes('latest_net_D.pth', writePth(D))]));
    expect(e2.message).toContain('latest_net_D.pth: this is a discriminator');
    const e3 = await rejection(planImport([sourceFromBytes('notes.txt', enc('hello'))]));
    expect(e3.message).toContain('nothing to import');
  });
});
