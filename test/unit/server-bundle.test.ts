/** The server bundle (aligned dataset, .pth files, options, README commands) and the server import. */
import { decode as decodePng } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { withDefaults, type RunConfig } from '../../src/core/config';
import { createImage } from '../../src/core/image';
import { CheckpointFormatError } from '../../src/core/io/checkpointError';
import { readPth, writePth } from '../../src/core/io/pth';
import {
  buildServerBundle,
  formatTrainOpt,
  pyFloat,
  serverOptionsFor,
  type ServerBundleInput,
} from '../../src/core/io/serverBundle';
import {
  parseLossLog,
  parseTrainOpt,
  parseTrainOptDetailed,
  pickNewestGenerator,
  readServerRunFolder,
} from '../../src/core/io/serverImport';
import { readZip } from '../../src/core/io/zip';
import { historyFromLossLog } from '../../src/core/io/serverImport';
import { freshAdam } from '../../src/core/train/adam';
import { expectedEntries } from '../../src/core/model/weights';
import type { StateDict } from '../../src/core/model/types';

const cfg: RunConfig = withDefaults({ netG: 'unet_128', ngf: 4, ndf: 4, size: 128 });

/** A state_dict with the exact keys/shapes of `c`, filled with a recognisable ramp. */
function fakeStateDict(c: RunConfig, kind: 'G' | 'D'): StateDict {
  return expectedEntries(c, kind).map((e, i) => {
    const n = e.shape.reduce((a, b) => a * b, 1);
    return e.dtype === 'int64'
      ? { key: e.key, dtype: 'int64', shape: e.shape, data: BigInt64Array.of(BigInt(i)) }
      : {
          key: e.key,
          dtype: 'float32',
          shape: e.shape,
          data: Float32Array.from({ length: n }, (_, j) => i + j * 1e-3),
        };
  });
}

function input(over: Partial<ServerBundleInput> = {}, c: RunConfig = cfg): ServerBundleInput {
  const img = (v: number) => createImage(c.size, c.size, [v, v + 1, v + 2, 255]);
  return {
    name: 'ceph1',
    cases: [
      { id: 'case 001', split: 'train', photo: img(10), xray: img(200) },
      { id: 'case002', split: 'train', photo: img(20), xray: img(210) },
      { id: 'case003', split: 'val', photo: img(30), xray: img(220) },
    ],
    G: fakeStateDict(c, 'G'),
    D: fakeStateDict(c, 'D'),
    config: c,
    epoch: 7,
    ...over,
  };
}

const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

describe('buildServerBundle', () => {
  const files = readZip(buildServerBundle(input()), 'bundle.zip');

  it('holds the aligned dataset, both checkpoints, the options and the README', () => {
    expect([...files.keys()]).toEqual([
      'datasets/ceph1/train/case_001.png',
      'datasets/ceph1/train/case002.png',
      'datasets/ceph1/val/case003.png',
      'checkpoints/ceph1/latest_net_G.pth',
      'checkpoints/ceph1/latest_net_D.pth',
      'checkpoints/ceph1/train_opt.txt',
      'README.md',
    ]);
  });

  it('writes each pair side by side: photo (A) left, X-ray (B) right, RGB', () => {
    const png = decodePng(files.get('datasets/ceph1/train/case002.png')!);
    expect([png.width, png.height, png.channels]).toEqual([256, 128, 3]);
    const px = (x: number, y: number) =>
      Array.from(png.data.subarray((y * 256 + x) * 3, (y * 256 + x) * 3 + 3));
    expect(px(0, 0)).toEqual([20, 21, 22]);
    expect(px(127, 127)).toEqual([20, 21, 22]);
    expect(px(128, 0)).toEqual([210, 211, 212]);
    expect(px(255, 64)).toEqual([210, 211, 212]);
  });

  it('stores the networks as .pth files with the server keys', () => {
    const g = readPth(files.get('checkpoints/ceph1/latest_net_G.pth')!, 'G');
    expect(g.map((t) => t.key)).toEqual(expectedEntries(cfg, 'G').map((e) => e.key));
    expect((g[1].data as Float32Array)[2]).toBeCloseTo(1.002, 6);
    expect(readPth(files.get('checkpoints/ceph1/latest_net_D.pth')!, 'D')).toHaveLength(
      expectedEntries(cfg, 'D').length,
    );
  });

  it('gives the exact single-GPU and torchrun commands', () => {
    const readme = text(files.get('README.md'));
    const common =
      'train.py --dataroot ./datasets/ceph1 --name ceph1 --model pix2pix --netG unet_128 --ngf 4 --ndf 4 --norm ';
    const tail =
      ' --direction AtoB --preprocess none --load_size 128 --crop_size 128 --lambda_L1 100 --gan_mode vanilla ' +
      '--batch_size 1 --lr 0.0002 --beta1 0.5 --n_epochs 100 --n_epochs_decay 100 --continue_train --epoch_count 8';
    expect(readme).toContain(`\npython ${common}batch${tail}\n`);
    expect(readme).toContain(`\ntorchrun --nproc_per_node=2 ${common}syncbatch${tail}\n`);
    expect(readme).toMatch(
      /batch statistics then span all GPUs: the effective batch is 2 × batch_size = 2 images/,
    );
    expect(readme).toContain('None: this run uses only options the server has.');
  });

  it("writes train_opt.txt in the server's print_options format", () => {
    const opt = text(files.get('checkpoints/ceph1/train_opt.txt'));
    const lines = opt.split('\n');
    expect(lines[0]).toBe('----------------- Options ---------------');
    expect(lines).toContain(`${'netG'.padStart(25)}: ${'unet_128'.padEnd(30)}\t[default: unet_256]`);
    expect(lines).toContain(`${'lambda_L1'.padStart(25)}: ${'100.0'.padEnd(30)}`);
    expect(lines).toContain(`${'epoch_count'.padStart(25)}: ${'8'.padEnd(30)}\t[default: 1]`);
    expect(lines[lines.length - 2]).toBe('----------------- End -------------------');
    // sorted by name like the server
    const names = lines.slice(1, -2).map((l) => l.split(':')[0].trim());
    expect(names).toEqual([...names].sort());
  });

  it('lists studio-only options and exports only scale 0 of a multi-scale D', () => {
    const c = { ...cfg, lambda_grad: 5, lambda_ssim: 0.5, num_D: 2 };
    const z = readZip(buildServerBundle(input({}, c)), 'b.zip');
    const readme = text(z.get('README.md'));
    expect(readme).toContain('- `lambda_grad` = 5: Sobel gradient loss (l1)');
    expect(readme).toContain('- `lambda_ssim` = 0.5: SSIM loss');
    expect(readme).toContain('- `num_D` = 2: multi-scale discriminator');
    expect(readme).not.toMatch(/--lambda_grad|--num_D/);
    const d = readPth(z.get('checkpoints/ceph1/latest_net_D.pth')!, 'D');
    expect(d.every((t) => t.key.startsWith('model.'))).toBe(true);
    expect(d).toHaveLength(expectedEntries(cfg, 'D').length);
  });

  it('refuses what the server cannot express, with a suggestion', () => {
    const small = withDefaults({ netG: 'unet_64', ngf: 4, ndf: 4, size: 64 });
    expect(() => buildServerBundle(input({}, small))).toThrow(CheckpointFormatError);
    expect(() => buildServerBundle(input({}, small))).toThrow(
      /netG unet_64 has no server equivalent.*Train a run with netG unet_128/,
    );
    expect(() => buildServerBundle(input({ name: '../x' }))).toThrow(/bundle name/);
    const wrongG = input();
    wrongG.G = fakeStateDict({ ...cfg, ngf: 8 }, 'G');
    expect(() => buildServerBundle(wrongG)).toThrow(
      /latest_net_G\.pth: key "model\.model\.0\.weight" has shape \[8, 3, 4, 4\]/,
    );
  });
});

describe('server import', () => {
  it('pyFloat prints like Python str()', () => {
    expect([pyFloat(100), pyFloat(2e-4), pyFloat(1e-5), pyFloat(0.5), pyFloat(0)]).toEqual([
      '100.0',
      '0.0002',
      '1e-05',
      '0.5',
      '0.0',
    ]);
  });

  it('parses train_opt.txt back into the run configuration', () => {
    const c = {
      ...cfg,
      norm: 'instance' as const,
      gan_mode: 'lsgan' as const,
      lambda_L1: 50,
      flip: false,
      lr: 1e-5,
      n_layers_D: 4,
    };
    const back = parseTrainOpt(formatTrainOpt(serverOptionsFor(c, 'x', 3)));
    expect(back).toMatchObject({
      netG: 'unet_128',
      ngf: 4,
      ndf: 4,
      n_layers_D: 4,
      norm: 'instance',
      gan_mode: 'lsgan',
      lambda_L1: 50,
      lr: 1e-5,
      flip: false,
      size: 128,
      jitter: false,
      epoch_count: 4,
      batch_size: 1,
    });
  });

  it('maps syncbatch to batch, older option names, and refuses ResNet generators', () => {
    const opt = [
      '----------------- Options ---------------',
      '                    norm: syncbatch',
      '                   niter: 50',
      '----------------- End -------------------',
    ].join('\n');
    const p = parseTrainOptDetailed(opt);
    expect(p.config).toEqual({ norm: 'batch', n_epochs: 50 });
    expect(p.notes.join(' ')).toMatch(/syncbatch/);
    expect(() => parseTrainOpt('                    netG: resnet_9blocks')).toThrow(
      /resnet_9blocks; the studio runs U-Net generators only/,
    );
  });

  it('parses the loss log, skipping headers and damaged lines', () => {
    const log = [
      '================ Training Loss (Mon Jan  6 10:00:00 2025) ================',
      '(epoch: 1, iters: 100, time: 0.123, data: 0.002) G_GAN: 0.702 G_L1: 38.412 D_real: 0.650 D_fake: 0.721 ',
      '(epoch: 1, iters: 200, time: 0.120, data: 0.002) G_GAN: 1.5e-01 G_L1: 3.8 D_real: nan D_fake: 0.5',
      'garbage (epoch: x)',
      '(epoch: 2, iters: 100) G_GAN: 0.9 G_L1: 20',
    ].join('\n');
    const r = parseLossLog(log);
    expect(r).toHaveLength(3);
    expect(r[0]).toEqual({
      epoch: 1,
      iters: 100,
      losses: { G_GAN: 0.702, G_L1: 38.412, D_real: 0.65, D_fake: 0.721 },
    });
    expect(r[1].losses.G_GAN).toBe(0.15);
    expect(r[1].losses.D_real).toBeNaN();
    expect(r[2]).toEqual({ epoch: 2, iters: 100, losses: { G_GAN: 0.9, G_L1: 20 } });
  });

  it('picks the newest generator', () => {
    expect(pickNewestGenerator(['5_net_G.pth', 'latest_net_G.pth', '20_net_G.pth'])).toBe('latest_net_G.pth');
    expect(pickNewestGenerator(['a/5_net_G.pth', 'a/20_net_G.pth', 'a/100_net_D.pth', 'a/3_net_G.pth'])).toBe(
      'a/20_net_G.pth',
    );
    expect(pickNewestGenerator(['iter_900_net_G.pth', 'iter_1200_net_G.pth'])).toBe('iter_1200_net_G.pth');
    expect(pickNewestGenerator(['latest_net_D.pth', 'loss_log.txt'])).toBeNull();
  });

  it('reads a server checkpoints/<name>/ folder: newest G, its D, options and loss curves', () => {
    const opt = formatTrainOpt(serverOptionsFor(cfg, 'clinic600', 0));
    const enc = new TextEncoder();
    const dir = 'checkpoints/clinic600/';
    const run = readServerRunFolder([
      { name: `${dir}10_net_G.pth`, bytes: writePth(fakeStateDict(cfg, 'G')) },
      { name: `${dir}20_net_G.pth`, bytes: writePth(fakeStateDict(cfg, 'G')) },
      { name: `${dir}20_net_D.pth`, bytes: writePth(fakeStateDict(cfg, 'D')) },
      { name: `${dir}train_opt.txt`, bytes: enc.encode(opt) },
      {
        name: `${dir}loss_log.txt`,
        bytes: enc.encode(
          '(epoch: 20, iters: 600, time: 0.1, data: 0.1) G_GAN: 0.8 G_L1: 5.0 D_real: 0.6 D_fake: 0.6\n',
        ),
      },
    ]);
    expect(run.generatorFile).toBe(`${dir}20_net_G.pth`);
    expect(run.name).toBe('clinic600');
    expect(run.epoch).toBe(20);
    expect(run.G.kind).toBe('G');
    expect(run.D?.kind).toBe('D');
    expect(run.config).toMatchObject({
      netG: 'unet_128',
      ngf: 4,
      ndf: 4,
      norm: 'batch',
      size: 128,
      lambda_L1: 100,
    });
    expect(run.lossLog[0].losses.G_L1).toBe(5);
    // options that contradict the weights name the key
    const lie = formatTrainOpt(serverOptionsFor({ ...cfg, ngf: 16 }, 'clinic600', 0));
    expect(() =>
      readServerRunFolder([
        { name: 'latest_net_G.pth', bytes: writePth(fakeStateDict(cfg, 'G')) },
        { name: 'train_opt.txt', bytes: enc.encode(lie) },
      ]),
    ).toThrow(
      /latest_net_G\.pth: key "model\.model\.0\.weight" has shape \[4, 3, 4, 4\], but netG unet_128, ngf 16/,
    );
  });
});

describe('cli import helpers', () => {
  it('rebuilds steps and learning rates from the loss log (iters = images in the epoch)', () => {
    const c = { ...cfg, batch_size: 4, n_epochs: 2, n_epochs_decay: 3 };
    const rec = (epoch: number, iters: number) => ({ epoch, iters, losses: { G_L1: epoch } });
    const rows = historyFromLossLog([rec(1, 200), rec(1, 400), rec(2, 200), rec(2, 400), rec(3, 400)], c);
    expect(rows.map((r) => r.step)).toEqual([50, 100, 150, 200, 300]);
    // server linear policy: epoch E runs at 1 - max(0, E + 1 - n_epochs) / (n_epochs_decay + 1)
    const expected = [1, 1, 0.75, 0.75, 0.5].map((f) => 2e-4 * f);
    rows.forEach((r, i) => expect(r.lr).toBeCloseTo(expected[i], 12));
    expect(rows[4]).toMatchObject({ epoch: 3, G_L1: 3 });
  });

  it('gives a fresh Adam state: zero moments in TF layout for parameters only', () => {
    const sd = fakeStateDict(cfg, 'G');
    const adam = freshAdam(sd, cfg);
    expect(adam.iterations).toBe(0);
    expect(adam.accBeta1).toBe(Math.fround(0.5));
    const conv = adam.m.find((e) => e.key === 'model.model.0.weight')!;
    expect(conv.shape).toEqual([4, 4, 3, 4]); // PyTorch (out 4, in 3, 4, 4) -> TF [kH, kW, in, out]
    expect(conv.data.every((v) => v === 0)).toBe(true);
    expect(adam.m.some((e) => /running_|num_batches/.test(e.key))).toBe(false);
    expect(adam.v).toHaveLength(adam.m.length);
  });
});
