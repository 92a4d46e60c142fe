/**
 * The server bundle: one ZIP that turns a studio run into a pix2pix server run.
 *
 *   datasets/<name>/train|val|test/<id>.png   aligned pairs (photo = A left, X-ray = B right), after
 *                                             the studio's preprocessing, so letterbox / ROI carry over
 *   checkpoints/<name>/latest_net_G.pth       the generator and discriminator as torch.save files
 *   checkpoints/<name>/latest_net_D.pth
 *   checkpoints/<name>/train_opt.txt          the options, in the server's own print format
 *   README.md                                 the exact `python train.py …` and `torchrun …` commands
 *
 * Streaming: `startServerBundle(head, sink)` / `writeServerBundle(head, cases, sink)` encode and
 * write one case at a time to a ZipSink (a file, OPFS, Blob parts), so memory holds one case, its
 * PNG and, at the end, one .pth file, whatever the number of cases; `buildServerBundle(input)` makes
 * the same bytes in memory. Entries: the cases in the order given, then G, D, train_opt.txt, README.md.
 *
 * Also the mapping between RunConfig and the server's command-line options (`serverOptionsFor`),
 * shared with the import direction (serverImport.ts).
 */
import { encode as encodePng } from 'fast-png';
import type { RunConfig } from '../config';
import { epochLrFactor, lastEpoch, lrStepAt } from '../train/schedule';
import type { RgbaImage } from '../image';
import type { StateDict } from '../model/types';
import { CheckpointFormatError } from './checkpointError';
import { checkStateDictAgainstConfig } from './formats';
import { writePth } from './pth';
import { createZipWriter, memorySink, type ZipSink } from './zip';

/** netG values the server's `--netG` accepts among the studio's U-Nets. */
export const SERVER_NETG = ['unet_128', 'unet_256'] as const;

export interface ServerBundleCase {
  id: string;
  split: 'train' | 'val' | 'test';
  /** Preprocessed photo (A), config.size square. */
  photo: RgbaImage;
  /** Preprocessed X-ray (B), same size as the photo. */
  xray: RgbaImage;
}

/** Everything of a bundle but its cases. */
export interface ServerBundleHead {
  /** Experiment name: folder names and `--name`. Letters, digits, `_`, `-`, `.`. */
  name: string;
  G: StateDict;
  D: StateDict;
  config: RunConfig;
  /** Epochs completed by the checkpoint; the server continues with `--epoch_count epoch + 1`. */
  epoch: number;
  /** GPUs for the torchrun variant of the command (default 2). */
  gpus?: number;
}

export interface ServerBundleInput extends ServerBundleHead {
  cases: ServerBundleCase[];
}

/** One server option: name, value as the server prints it, and the server's default for pix2pix. */
export interface ServerOption {
  name: string;
  value: string;
  serverDefault: string;
}

/** Python's str() of a float option (`100.0`, `0.0002`, `1e-05`). */
export function pyFloat(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  if (x !== 0 && (Math.abs(x) < 1e-4 || Math.abs(x) >= 1e16)) {
    const [m, e] = x.toExponential().split('e');
    const exp = Number(e);
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const s = String(x);
  return Number.isInteger(x) ? `${s}.0` : s;
}

const pyBool = (b: boolean): string => (b ? 'True' : 'False');

/** Studio options the server does not have, with the config's value, when they are in use. */
export function studioOnlyOptions(cfg: RunConfig): { name: string; value: string; note: string }[] {
  const out: { name: string; value: string; note: string }[] = [];
  const add = (name: keyof RunConfig, active: boolean, note: string): void => {
    if (active) out.push({ name, value: String(cfg[name]), note });
  };
  add('lambda_grad', cfg.lambda_grad !== 0, `Sobel gradient loss (${cfg.grad_loss})`);
  add('lambda_lap', cfg.lambda_lap !== 0, 'Laplacian loss');
  add('lambda_fm', cfg.lambda_fm !== 0, 'discriminator feature-matching loss');
  add('lambda_ssim', cfg.lambda_ssim !== 0, 'SSIM loss');
  add('ms_levels', cfg.ms_levels > 1, 'multi-scale (pyramid) L1 / gradient loss');
  add(
    'num_D',
    cfg.num_D > 1,
    'multi-scale discriminator; only scale 0 (the server PatchGAN) is exported in latest_net_D.pth',
  );
  add('warmup_steps', cfg.warmup_steps > 0, 'learning-rate warmup');
  // issue 15: a sample-size study's nested training subset and its step cap (older configs lack them)
  add('train_subset', (cfg.train_subset ?? 0) > 0, 'trained on a nested subset of the training cases');
  add('max_steps', (cfg.max_steps ?? 0) > 0, 'stopped after this many steps');
  if (lrStepAt(cfg) === 'epoch_start') {
    out.push({
      name: 'lr_step_at',
      value: 'epoch_start',
      note:
        "the linear policy stepped at the start of each epoch, like the server's 2020 train.py; the current " +
        'train.py steps at the end, one epoch later (see "Learning-rate schedule")',
    });
  }
  return out;
}

/**
 * The README's learning-rate section: which convention the studio run used (`lr_step_at`), the lr
 * of the server's next epochs under the current train.py (`update_learning_rate()` at the end of
 * each epoch), and, for the 2020 convention, the one-line change that makes the server match.
 */
export function lrScheduleNotes(cfg: RunConfig, epoch: number): string[] {
  const at = lrStepAt(cfg);
  const first = epoch + 1;
  const last = lastEpoch(cfg);
  const epochs = [first, first + 1, first + 2].filter((e) => e <= last);
  const lrOf = (e: number, mode: RunConfig['lr_step_at']): string =>
    pyFloat(cfg.lr * epochLrFactor(e, { ...cfg, lr_step_at: mode }));
  const list = (mode: RunConfig['lr_step_at']): string =>
    epochs.map((e) => `epoch ${e}: ${lrOf(e, mode)}`).join(', ');
  const policy =
    `The linear policy keeps lr ${pyFloat(cfg.lr)} for n_epochs ${cfg.n_epochs} epochs, then decays it over ` +
    `n_epochs_decay ${cfg.n_epochs_decay} (lambda_rule(k) = 1 - max(0, k + epoch_count - n_epochs) / (n_epochs_decay + 1)).`;
  if (epochs.length === 0) {
    return [
      policy,
      `The schedule ends with epoch ${last}, before the server's first epoch ${first}: raise --n_epochs or ` +
        '--n_epochs_decay to train on.',
    ];
  }
  if (at === 'epoch_end') {
    return [
      policy,
      'The studio run stepped it at the END of each epoch (`lr_step_at` = `epoch_end`), like the current ' +
        "train.py (`model.update_learning_rate()` after each epoch), so the server's schedule is the studio's: " +
        `${list('epoch_end')}; the last epoch ${last} runs at ${lrOf(last, 'epoch_end')}, no epoch at 0.`,
    ];
  }
  return [
    policy,
    'The studio run stepped it at the START of each epoch (`lr_step_at` = `epoch_start`), like the 2020 ' +
      "train.py: one epoch ahead, its last epoch runs at lr 0. The current train.py steps after each epoch, so the server's " +
      `run would use ${list('epoch_end')} where the studio's schedule has ${list('epoch_start')}.`,
    '',
    "To continue with the studio's schedule, move `model.update_learning_rate()` in train.py from the end of " +
      'the epoch loop to its beginning (before the loop over the data), as the 2020 code had it.',
  ];
}

/** Throws a CheckpointFormatError when the server cannot express the config's networks. */
export function assertServerCompatible(cfg: RunConfig): void {
  if (!(SERVER_NETG as readonly string[]).includes(cfg.netG)) {
    const suggestion = cfg.size >= 256 ? 'unet_256' : 'unet_128';
    throw new CheckpointFormatError(
      `netG ${cfg.netG} has no server equivalent (the server's --netG offers unet_128 and unet_256 among U-Nets). ` +
        `Train a run with netG ${suggestion} (size ${cfg.size} px must be a multiple of ${suggestion === 'unet_256' ? 256 : 128}) to hand it to the server.`,
    );
  }
  const depth = cfg.netG === 'unet_256' ? 256 : 128;
  if (cfg.size % depth !== 0) {
    throw new CheckpointFormatError(
      `size ${cfg.size} px is not a multiple of ${depth}, which ${cfg.netG} needs`,
    );
  }
  if (cfg.gan_mode !== 'vanilla' && cfg.gan_mode !== 'lsgan') {
    throw new CheckpointFormatError(`gan_mode ${String(cfg.gan_mode)} has no server equivalent`);
  }
}

/** The server options of a run (for the command line and train_opt.txt), pix2pix defaults alongside. */
export function serverOptionsFor(cfg: RunConfig, name: string, epoch: number): ServerOption[] {
  const o = (n: string, value: string, serverDefault: string): ServerOption => ({
    name: n,
    value,
    serverDefault,
  });
  const jitterLoad = Math.round((cfg.size * 286) / 256);
  return [
    o('batch_size', String(cfg.batch_size), '1'),
    o('beta1', pyFloat(cfg.beta1), '0.5'),
    o('checkpoints_dir', './checkpoints', './checkpoints'),
    o('continue_train', 'True', 'False'),
    o('crop_size', String(cfg.size), '256'),
    o('dataroot', `./datasets/${name}`, 'None'),
    o('dataset_mode', 'aligned', 'aligned'),
    o('direction', cfg.direction, 'AtoB'),
    o('epoch', 'latest', 'latest'),
    o('epoch_count', String(epoch + 1), '1'),
    o('gan_mode', cfg.gan_mode, 'vanilla'),
    o('init_gain', pyFloat(cfg.init_gain), '0.02'),
    o('init_type', 'normal', 'normal'),
    o('input_nc', String(cfg.input_nc), '3'),
    o('isTrain', 'True', 'None'),
    o('lambda_L1', pyFloat(cfg.lambda_L1), '100.0'),
    o('load_size', String(cfg.jitter ? jitterLoad : cfg.size), '286'),
    o('lr', pyFloat(cfg.lr), '0.0002'),
    o('lr_policy', 'linear', 'linear'),
    o('model', 'pix2pix', 'cycle_gan'),
    o('n_epochs', String(cfg.n_epochs), '100'),
    o('n_epochs_decay', String(cfg.n_epochs_decay), '100'),
    o('n_layers_D', String(cfg.n_layers_D), '3'),
    o('name', name, 'experiment_name'),
    o('ndf', String(cfg.ndf), '64'),
    o('netD', cfg.n_layers_D === 3 ? 'basic' : 'n_layers', 'basic'),
    o('netG', cfg.netG, 'unet_256'),
    o('ngf', String(cfg.ngf), '64'),
    o('no_dropout', pyBool(cfg.no_dropout), 'False'),
    o('no_flip', pyBool(!cfg.flip), 'False'),
    o('norm', cfg.norm, 'batch'),
    o('output_nc', String(cfg.output_nc), '3'),
    o('phase', 'train', 'train'),
    o('pool_size', '0', '0'),
    o('preprocess', cfg.jitter ? 'resize_and_crop' : 'none', 'resize_and_crop'),
  ];
}

/** train_opt.txt exactly as the server's BaseOptions.print_options writes it. */
export function formatTrainOpt(options: readonly ServerOption[]): string {
  let s = '----------------- Options ---------------\n';
  for (const opt of [...options].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const comment = opt.value !== opt.serverDefault ? `\t[default: ${opt.serverDefault}]` : '';
    s += `${opt.name.padStart(25)}: ${opt.value.padEnd(30)}${comment}\n`;
  }
  return s + '----------------- End -------------------\n';
}

/** The command-line flags for a run (only what differs from the server's pix2pix defaults, plus the essentials). */
export function serverCommandArgs(
  cfg: RunConfig,
  name: string,
  epoch: number,
  norm: string = cfg.norm,
): string[] {
  const args = [
    `--dataroot ./datasets/${name}`,
    `--name ${name}`,
    '--model pix2pix',
    `--netG ${cfg.netG}`,
    `--ngf ${cfg.ngf}`,
    `--ndf ${cfg.ndf}`,
  ];
  if (cfg.n_layers_D !== 3) args.push('--netD n_layers', `--n_layers_D ${cfg.n_layers_D}`);
  args.push(`--norm ${norm}`);
  if (cfg.no_dropout) args.push('--no_dropout');
  if (cfg.input_nc !== 3) args.push(`--input_nc ${cfg.input_nc}`);
  if (cfg.output_nc !== 3) args.push(`--output_nc ${cfg.output_nc}`);
  args.push(`--direction ${cfg.direction}`);
  if (cfg.jitter) {
    args.push('--preprocess resize_and_crop', `--load_size ${Math.round((cfg.size * 286) / 256)}`);
  } else {
    args.push('--preprocess none', `--load_size ${cfg.size}`);
  }
  args.push(`--crop_size ${cfg.size}`);
  if (!cfg.flip) args.push('--no_flip');
  args.push(
    `--lambda_L1 ${cfg.lambda_L1}`,
    `--gan_mode ${cfg.gan_mode}`,
    `--batch_size ${cfg.batch_size}`,
    `--lr ${cfg.lr}`,
    `--beta1 ${cfg.beta1}`,
    `--n_epochs ${cfg.n_epochs}`,
    `--n_epochs_decay ${cfg.n_epochs_decay}`,
    '--continue_train',
    `--epoch_count ${epoch + 1}`,
  );
  return args;
}

function readme(input: ServerBundleHead, counts: Record<string, number>): string {
  const { config: cfg, name, epoch } = input;
  const gpus = input.gpus ?? 2;
  const single = `python train.py ${serverCommandArgs(cfg, name, epoch).join(' ')}`;
  const multiNorm = cfg.norm === 'batch' ? 'syncbatch' : cfg.norm;
  const multi = `torchrun --nproc_per_node=${gpus} train.py ${serverCommandArgs(cfg, name, epoch, multiNorm).join(' ')}`;
  const studioOnly = studioOnlyOptions(cfg);
  const lines = [
    `# Server run "${name}" (exported by Ceph GAN Studio)`,
    '',
    `Continues the studio run after epoch ${epoch} with the server's pix2pix code ` +
      '(github.com/junyanz/pytorch-CycleGAN-and-pix2pix, `--model pix2pix`).',
    '',
    '## Contents',
    '',
    `- \`datasets/${name}/train|val|test/\`: ${counts.train} / ${counts.val} / ${counts.test} aligned pairs ` +
      `(${cfg.size}×${2 * cfg.size} px PNG: photo = A on the left, X-ray = B on the right), already ` +
      `preprocessed by the studio (${cfg.preprocess}), hence \`--preprocess ${cfg.jitter ? 'resize_and_crop' : 'none'}\`.`,
    `- \`checkpoints/${name}/latest_net_G.pth\`, \`latest_net_D.pth\`: the studio's generator and ` +
      'discriminator (plain state_dicts, loadable with `torch.load(path, weights_only=True)`).',
    `- \`checkpoints/${name}/train_opt.txt\`: the options below in the server's format (the server rewrites it).`,
    '',
    '## Command (one GPU)',
    '',
    'Unzip this bundle in the folder that holds `train.py`, then run:',
    '',
    '```sh',
    single,
    '```',
    '',
    `## Command (${gpus} GPUs of one machine, PyTorch DDP)`,
    '',
    '```sh',
    multi,
    '```',
    '',
    cfg.norm === 'batch'
      ? `\`--norm syncbatch\` replaces \`--norm batch\` (plain BatchNorm does not work under DDP; the checkpoint ` +
        `files are the same). The batch statistics then span all GPUs: the effective batch is ` +
        `${gpus} × batch_size = ${gpus * cfg.batch_size} images, so results differ from a one-GPU run with ` +
        `batch_size ${cfg.batch_size}. Change \`--nproc_per_node\` to the number of GPUs.`
      : `InstanceNorm has no batch statistics, so the ${gpus}-GPU run only changes the effective batch to ` +
        `${gpus} × batch_size = ${gpus * cfg.batch_size} images. Change \`--nproc_per_node\` to the number of GPUs.`,
    '',
    '## Learning-rate schedule',
    '',
    ...lrScheduleNotes(cfg, epoch),
    '',
    '## Studio-only options (not passed to the server)',
    '',
    studioOnly.length === 0
      ? 'None: this run uses only options the server has.'
      : 'The studio run used these; the server has no such option, so its training continues without them:',
    '',
    ...studioOnly.map((s) => `- \`${s.name}\` = ${s.value}: ${s.note}`),
    '',
    '## Back to the studio',
    '',
    `Drop the folder \`checkpoints/${name}/\` (with \`train_opt.txt\` and \`loss_log.txt\`) into the studio's ` +
      'Import; it loads the newest generator and shows the loss curves.',
    '',
  ];
  return lines.join('\n');
}

function sideBySide(photo: RgbaImage, xray: RgbaImage, id: string): Uint8Array {
  if (photo.width !== xray.width || photo.height !== xray.height) {
    throw new CheckpointFormatError(
      `case ${id}: photo ${photo.width}×${photo.height} and X-ray ${xray.width}×${xray.height} differ in size; preprocess both first`,
    );
  }
  const w = photo.width;
  const h = photo.height;
  const rgb = new Uint8Array(2 * w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * 4;
      const a = (y * 2 * w + x) * 3;
      const b = (y * 2 * w + w + x) * 3;
      rgb[a] = photo.data[s];
      rgb[a + 1] = photo.data[s + 1];
      rgb[a + 2] = photo.data[s + 2];
      rgb[b] = xray.data[s];
      rgb[b + 1] = xray.data[s + 1];
      rgb[b + 2] = xray.data[s + 2];
    }
  }
  return encodePng({ width: 2 * w, height: h, data: rgb, channels: 3, depth: 8 });
}

/** Only scale 0 of a multi-scale discriminator exists on the server. */
function serverDiscriminator(D: StateDict): StateDict {
  return D.filter((e) => !/^scale\d+\./.test(e.key));
}

/** What a finished bundle holds. */
export interface ServerBundleSummary {
  /** Size of the ZIP in bytes. */
  bytes: number;
  /** Cases per split. */
  counts: Record<ServerBundleCase['split'], number>;
  /** Every entry (name, unpacked bytes) in archive order. */
  entries: readonly { name: string; bytes: number }[];
}

/**
 * A bundle being written (`startServerBundle`): cases go in one at a time, each encoded and written
 * at once, so memory holds one case and its PNG whatever the dataset's size.
 */
export interface ServerBundleWriter {
  /**
   * Encode one case as its aligned PNG (photo A left, X-ray B right) and write it. Nothing of the
   * case is kept afterwards. Throws a CheckpointFormatError for an unusable case (the archive is
   * then unfinished: the caller discards what the sink received).
   */
  addCase(c: ServerBundleCase): void;
  /**
   * Write `latest_net_G.pth`, `latest_net_D.pth`, `train_opt.txt`, `README.md` and the ZIP
   * directory. Throws a CheckpointFormatError when no training case was added.
   */
  finish(): ServerBundleSummary;
  /** Cases written so far. */
  readonly cases: number;
}

/**
 * Check the run and start a bundle that streams to `sink` (see `ServerBundleWriter`). Throws a
 * CheckpointFormatError, before anything is written, when the server cannot express the run or
 * the networks do not match the configuration. Byte for byte the archive `buildServerBundle`
 * makes of the same cases in the same order.
 */
export function startServerBundle(head: ServerBundleHead, sink: ZipSink): ServerBundleWriter {
  const { name, config: cfg } = head;
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith('.')) {
    throw new CheckpointFormatError(`bundle name "${name}" must use only letters, digits, "_", "-" and "."`);
  }
  if (!Number.isSafeInteger(head.epoch) || head.epoch < 0) {
    throw new CheckpointFormatError(`epoch ${head.epoch} is not a whole number of completed epochs`);
  }
  const gpus = head.gpus ?? 2;
  if (!Number.isSafeInteger(gpus) || gpus < 1)
    throw new CheckpointFormatError(`GPU count ${gpus} is not valid`);
  assertServerCompatible(cfg);
  const D = serverDiscriminator(head.D);
  const serverCfg: RunConfig = { ...cfg, num_D: 1 };
  checkStateDictAgainstConfig(head.G, cfg, 'G', 'latest_net_G.pth');
  checkStateDictAgainstConfig(D, serverCfg, 'D', 'latest_net_D.pth');

  const zip = createZipWriter(sink, 64);
  const counts: Record<ServerBundleCase['split'], number> = { train: 0, val: 0, test: 0 };
  const ids = new Set<string>();
  let finished = false;
  return {
    addCase(c) {
      if (finished) throw new Error(`case ${c.id} added after the bundle was finished`);
      const safe = c.id.replace(/[^A-Za-z0-9_.-]/g, '_');
      if (safe.length === 0 || safe.startsWith('.'))
        throw new CheckpointFormatError(`case id "${c.id}" is not usable as a file name`);
      if (ids.has(safe)) throw new CheckpointFormatError(`two cases map to the file name "${safe}.png"`);
      if (!(c.split in counts))
        throw new CheckpointFormatError(`case ${c.id}: unknown split "${String(c.split)}"`);
      if (c.photo.width !== cfg.size || c.photo.height !== cfg.size) {
        throw new CheckpointFormatError(
          `case ${c.id}: the photo is ${c.photo.width}×${c.photo.height} px but the run trains at ${cfg.size}×${cfg.size}; preprocess it first`,
        );
      }
      zip.add(`datasets/${name}/${c.split}/${safe}.png`, sideBySide(c.photo, c.xray, c.id));
      ids.add(safe);
      counts[c.split]++;
    },
    finish() {
      if (finished) throw new Error('the bundle is already finished');
      if (counts.train === 0) throw new CheckpointFormatError('the bundle has no training cases');
      finished = true;
      const enc = new TextEncoder();
      // one .pth in memory at a time (a unet_256 generator is ~218 MB)
      zip.add(`checkpoints/${name}/latest_net_G.pth`, writePth(head.G, { archiveName: 'latest_net_G' }));
      zip.add(`checkpoints/${name}/latest_net_D.pth`, writePth(D, { archiveName: 'latest_net_D' }));
      zip.add(
        `checkpoints/${name}/train_opt.txt`,
        enc.encode(formatTrainOpt(serverOptionsFor(cfg, name, head.epoch))),
      );
      zip.add('README.md', enc.encode(readme(head, counts)));
      const bytes = zip.finish();
      return { bytes, counts: { ...counts }, entries: zip.entries };
    },
    get cases() {
      return ids.size;
    },
  };
}

export interface WriteServerBundleOptions {
  /** Checked before every case and before the final files; aborting rejects with its reason. */
  signal?: AbortSignal;
  /** After every case written, with the count so far. */
  onCase?: (written: number) => void;
}

/**
 * Stream a bundle to `sink`, pulling the cases one at a time from `cases` (an array, a generator
 * or an async generator that loads and preprocesses each case on demand): at most the case in hand
 * and its PNG are in memory, plus the two .pth files at the end. On any error or abort the promise
 * rejects and the sink has received an unfinished archive, which the caller must discard.
 */
export async function writeServerBundle(
  head: ServerBundleHead,
  cases: Iterable<ServerBundleCase> | AsyncIterable<ServerBundleCase>,
  sink: ZipSink,
  options: WriteServerBundleOptions = {},
): Promise<ServerBundleSummary> {
  const { signal } = options;
  signal?.throwIfAborted();
  const writer = startServerBundle(head, sink);
  for await (const c of cases) {
    signal?.throwIfAborted();
    writer.addCase(c);
    options.onCase?.(writer.cases);
  }
  signal?.throwIfAborted();
  return writer.finish();
}

/**
 * Build the bundle ZIP in memory (small bundles and tests; a clinic dataset goes through
 * `writeServerBundle` to a file). Throws CheckpointFormatError when the server cannot express the run.
 */
export function buildServerBundle(input: ServerBundleInput): Uint8Array {
  const out = memorySink();
  const writer = startServerBundle(input, out);
  for (const c of input.cases) writer.addCase(c);
  writer.finish();
  return out.bytes();
}
