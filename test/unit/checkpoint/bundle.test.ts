/**
 * engine/checkpoint/bundle.ts: the server bundle of a stored checkpoint, round trip through the
 * importer (more in test/unit/server-bundle.test.ts).
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readZip } from '../../../src/core/io/zip';
import {
  buildServerBundleFromStore,
  describeServerBundle,
  planImport,
  sourceFromBytes,
} from '../../../src/engine/checkpoint';
import { expectSameStateDict, SERVER_OK, SMALL, storedRun } from './fixtures';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('server bundle', () => {
  it('explains why unet_32 cannot go to the server and what to change', async () => {
    const { storage, run } = await storedRun(SMALL);
    const d = await describeServerBundle(storage, run.id, 'last', 2);
    expect(d.problem).toContain('netG unet_32 has no server equivalent');
    expect(d.problem).toContain('unet_128');
  });

  it('gives both commands and builds a bundle whose checkpoint folder imports back to the same weights', async () => {
    const { storage, run, G } = await storedRun(SERVER_OK, 'clinic p25', 40, 6);
    const d = await describeServerBundle(storage, run.id, 'last', 3);
    expect(d.problem).toBeNull();
    expect(d.bundleName).toBe('clinic_p25');
    expect(d.single).toMatch(
      /^python train\.py --dataroot \.\/datasets\/clinic_p25 --name clinic_p25 --model pix2pix --netG unet_128 --ngf 2 --ndf 2 --norm batch /,
    );
    expect(d.single).toContain('--continue_train --epoch_count 6');
    expect(d.multi).toMatch(/^torchrun --nproc_per_node=3 train\.py .* --norm syncbatch /);

    const image = (v: number) => ({
      width: 128,
      height: 128,
      data: new Uint8ClampedArray(128 * 128 * 4).fill(v),
    });
    let spec: unknown;
    const phases: string[] = [];
    const out = await buildServerBundleFromStore(
      storage,
      { runId: run.id, name: 'last', gpus: 3 },
      {
        loadCases: async (_s, datasetId, s, progress) => {
          expect(datasetId).toBe('demo-20-1');
          spec = s;
          progress(3, 3);
          return [
            { id: 'a', split: 'train', photo: image(10), xray: image(200) },
            { id: 'b', split: 'val', photo: image(20), xray: image(210) },
            { id: 'c', split: 'test', photo: image(30), xray: image(220) },
          ];
        },
        onProgress: (p) => phases.push(p.phase),
      },
    );
    expect(spec).toEqual({ mode: 'letterbox', size: 128, pad: 'constant', padColor: [0, 0, 0], roi: null });
    expect([...new Set(phases)]).toEqual(['checkpoint', 'dataset', 'writing']);
    expect(out.fileName).toBe('clinic_p25_server_bundle.zip');
    const names = out.contents.map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'datasets/clinic_p25/train/a.png',
        'datasets/clinic_p25/val/b.png',
        'datasets/clinic_p25/test/c.png',
        'checkpoints/clinic_p25/latest_net_G.pth',
        'README.md',
      ]),
    );
    const readme = new TextDecoder().decode(readZip(out.bytes, 'b').get('README.md'));
    expect(readme).toContain(d.single);
    expect(readme).toContain(d.multi);
    // the server writes loss_log.txt next to the files; the bundle's folder already imports as a run
    const plan = await planImport([sourceFromBytes(out.fileName, out.bytes)]);
    expect([plan.kind, plan.name, plan.configSource, plan.config.size]).toEqual([
      'serverRun',
      'clinic_p25',
      'train_opt',
      128,
    ]);
    expectSameStateDict(G, plan.G.stateDict);
    expect(plan.ignoredFiles.filter((f) => f.path.includes('/datasets/')).length).toBe(3);
  });
});
