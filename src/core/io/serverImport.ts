/**
 * Reading what the pix2pix server leaves in `checkpoints/<name>/`: the options file
 * (`train_opt.txt`), the loss log (`loss_log.txt`) and the `<epoch>_net_G.pth` / `latest_net_G.pth`
 * files, into a run configuration, loss curves and the newest generator.
 */
import { withDefaults, type GanMode, type NetG, type Norm, type RunConfig } from '../config';
import { learningRateAt } from '../train/schedule';
import { CheckpointFormatError } from './checkpointError';
import {
  checkStateDictAgainstConfig,
  readCheckpointFile,
  type LoadedCheckpoint,
  type NamedFile,
} from './formats';

export interface TrainOptParse {
  config: Partial<RunConfig>;
  /** `--name` of the server run. */
  name?: string;
  /** Every option as printed (name → value string). */
  raw: Record<string, string>;
  /** Options the studio cannot take over (e.g. `--norm none`), in words. */
  notes: string[];
}

export interface LossLogRecord {
  epoch: number;
  /** Iterations within the epoch (the server's `iters`). */
  iters: number;
  /** Losses as logged: G_GAN, G_L1 (already × lambda_L1), D_real, D_fake, … */
  losses: Record<string, number>;
}

function baseName(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i >= 0 ? path.slice(i + 1) : path;
}

/** The `name: value` lines of a server options file (the `[default: …]` comments dropped). */
export function parseServerOptions(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*): (.*?)\s*(?:\t\[default: .*\])?\s*$/.exec(line);
    if (m) out[m[1]] = m[2].trim();
  }
  return out;
}

/** Options file → run configuration (only what the server set; plus notes on what was not taken). */
export function parseTrainOptDetailed(text: string, fileName = 'train_opt.txt'): TrainOptParse {
  const raw = parseServerOptions(text);
  if (Object.keys(raw).length === 0) {
    throw new CheckpointFormatError(
      `${fileName}: no "name: value" option lines found; is this the server's train_opt.txt?`,
    );
  }
  const cfg: Partial<RunConfig> = {};
  const notes: string[] = [];
  const int = (k: string): number | undefined => {
    const v = raw[k];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isSafeInteger(n)) {
      notes.push(`${k} = ${v} is not a whole number; ignored`);
      return undefined;
    }
    return n;
  };
  const float = (k: string): number | undefined => {
    const v = raw[k];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) {
      notes.push(`${k} = ${v} is not a number; ignored`);
      return undefined;
    }
    return n;
  };
  const bool = (k: string): boolean | undefined =>
    raw[k] === 'True' ? true : raw[k] === 'False' ? false : undefined;
  const set = <K extends keyof RunConfig>(k: K, v: RunConfig[K] | undefined): void => {
    if (v !== undefined) cfg[k] = v;
  };

  const netG = raw.netG;
  if (netG !== undefined) {
    if (!/^unet_\d+$/.test(netG)) {
      throw new CheckpointFormatError(
        `${fileName}: the server run used netG ${netG}; the studio runs U-Net generators only (unet_128, unet_256)`,
      );
    }
    cfg.netG = netG as NetG;
  }
  set('ngf', int('ngf'));
  set('ndf', int('ndf'));
  const netD = raw.netD;
  if (netD === 'basic') cfg.n_layers_D = 3;
  else if (netD === 'n_layers') set('n_layers_D', int('n_layers_D'));
  else if (netD !== undefined)
    notes.push(`netD ${netD} has no studio equivalent; its discriminator is not used`);
  const norm = raw.norm;
  if (norm === 'batch' || norm === 'instance') cfg.norm = norm as Norm;
  else if (norm === 'syncbatch' || norm === 'sync_batch') {
    cfg.norm = 'batch';
    notes.push('norm syncbatch (multi-GPU) is BatchNorm in the studio (same weights)');
  } else if (norm !== undefined) notes.push(`norm ${norm} has no studio equivalent`);
  set('no_dropout', bool('no_dropout'));
  set('init_gain', float('init_gain'));
  set('input_nc', int('input_nc'));
  set('output_nc', int('output_nc'));
  const gan = raw.gan_mode;
  if (gan === 'vanilla' || gan === 'lsgan') cfg.gan_mode = gan as GanMode;
  else if (gan !== undefined)
    notes.push(`gan_mode ${gan} has no studio equivalent; using the studio default`);
  set('lambda_L1', float('lambda_L1'));
  set('lr', float('lr'));
  set('beta1', float('beta1'));
  set('batch_size', int('batch_size'));
  set('n_epochs', int('n_epochs') ?? int('niter'));
  set('n_epochs_decay', int('n_epochs_decay') ?? int('niter_decay'));
  set('epoch_count', int('epoch_count'));
  set('size', int('crop_size'));
  const noFlip = bool('no_flip');
  if (noFlip !== undefined) cfg.flip = !noFlip;
  const pre = raw.preprocess;
  if (pre === 'resize_and_crop') cfg.jitter = true;
  else if (pre === 'none' || pre === 'crop') cfg.jitter = false;
  else if (pre !== undefined) notes.push(`preprocess ${pre} has no studio equivalent`);
  const dir = raw.direction;
  if (dir === 'AtoB' || dir === 'BtoA') cfg.direction = dir;
  if (raw.model !== undefined && raw.model !== 'pix2pix') {
    notes.push(`the server model was ${raw.model}, not pix2pix`);
  }
  return { config: cfg, name: raw.name, raw, notes };
}

/** Options file → run configuration. Throws for a non-U-Net generator. */
export function parseTrainOpt(text: string): Partial<RunConfig> {
  return parseTrainOptDetailed(text).config;
}

function pyNumber(s: string): number {
  if (s === 'nan') return NaN;
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

/**
 * The server's loss log: lines `(epoch: 1, iters: 100, time: 0.1, data: 0.2) G_GAN: 0.7 G_L1: 3.8
 * D_real: 0.6 D_fake: 0.7`. Header lines (`==== Training Loss (…) ====`) and damaged lines are skipped.
 */
export function parseLossLog(text: string): LossLogRecord[] {
  const out: LossLogRecord[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*\(([^)]*)\)(.*)$/.exec(line);
    if (!m) continue;
    const head: Record<string, number> = {};
    for (const part of m[1].split(',')) {
      const kv = /^\s*([A-Za-z_]+)\s*:\s*(\S+)\s*$/.exec(part);
      if (kv) head[kv[1]] = pyNumber(kv[2]);
    }
    if (!Number.isSafeInteger(head.epoch) || !Number.isSafeInteger(head.iters)) continue;
    const losses: Record<string, number> = {};
    const re =
      /([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(-?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|inf))/g;
    for (let kv = re.exec(m[2]); kv; kv = re.exec(m[2])) losses[kv[1]] = pyNumber(kv[2]);
    if (Object.keys(losses).length === 0) continue;
    out.push({ epoch: head.epoch, iters: head.iters, losses });
  }
  return out;
}

/**
 * The newest generator among file names (paths allowed): `latest_net_G.pth`, else the highest
 * `<epoch>_net_G.pth`, else the highest `iter_<n>_net_G.pth` (`--save_by_iter`); null if none.
 */
export function pickNewestGenerator(fileNames: readonly string[]): string | null {
  let best: { name: string; rank: number; n: number } | null = null;
  for (const name of fileNames) {
    const b = baseName(name);
    let rank = -1;
    let n = 0;
    let m: RegExpExecArray | null;
    if (b === 'latest_net_G.pth') rank = 2;
    else if ((m = /^(\d+)_net_G\.pth$/.exec(b))) {
      rank = 1;
      n = Number(m[1]);
    } else if ((m = /^iter_(\d+)_net_G\.pth$/.exec(b))) {
      rank = 0;
      n = Number(m[1]);
    }
    if (rank < 0) continue;
    if (!best || rank > best.rank || (rank === best.rank && n > best.n)) best = { name, rank, n };
  }
  return best ? best.name : null;
}

export interface ServerRunImport {
  /** Run name (`--name` from train_opt.txt, else the folder name). */
  name?: string;
  /** Configuration: train_opt.txt where present, completed by what the weights show. */
  config: Partial<RunConfig>;
  generatorFile: string;
  G: LoadedCheckpoint;
  /** The discriminator saved with the same label, when present and readable. */
  D?: LoadedCheckpoint;
  /** Epoch of the generator: from its file name, else the last epoch of the loss log. */
  epoch?: number;
  lossLog: LossLogRecord[];
  warnings: string[];
}

/**
 * A server `checkpoints/<name>/` folder (its files, paths allowed) → the newest generator, its
 * discriminator, the configuration and the loss log. Throws CheckpointFormatError when there is no
 * generator, it is unreadable, or its shapes contradict train_opt.txt (the key is named).
 */
export function readServerRunFolder(files: readonly NamedFile[]): ServerRunImport {
  const warnings: string[] = [];
  const find = (name: string): NamedFile | undefined => files.find((f) => baseName(f.name) === name);
  const gName = pickNewestGenerator(files.map((f) => f.name));
  if (gName === null) {
    throw new CheckpointFormatError(
      'no generator found: a server checkpoints/<name>/ folder holds latest_net_G.pth or <epoch>_net_G.pth',
    );
  }
  const gFile = files.find((f) => f.name === gName) as NamedFile;
  const G = readCheckpointFile(gFile.name, gFile.bytes);
  if (G.kind !== 'G') {
    throw new CheckpointFormatError(
      `${gFile.name}: not a pix2pix U-Net generator (${G.warnings.join('; ')})`,
    );
  }
  warnings.push(...G.warnings);

  let config: Partial<RunConfig> = { ...G.config };
  let name: string | undefined;
  const opt = find('train_opt.txt');
  if (opt) {
    const parsed = parseTrainOptDetailed(new TextDecoder().decode(opt.bytes), opt.name);
    warnings.push(...parsed.notes);
    name = parsed.name;
    config = { ...parsed.config, ...G.config };
    // the options must describe the weights: a contradiction names the key
    checkStateDictAgainstConfig(G.stateDict, withDefaults({ ...parsed.config }), 'G', gFile.name);
  } else {
    warnings.push(
      'no train_opt.txt: the settings come from the weights alone (training options are defaults)',
    );
  }
  if (name === undefined) {
    const parts = gFile.name.split(/[/\\]/);
    if (parts.length >= 2) name = parts[parts.length - 2];
  }

  const label = baseName(gFile.name).slice(0, -'_net_G.pth'.length);
  let D: LoadedCheckpoint | undefined;
  const dFile = find(`${label}_net_D.pth`);
  if (dFile) {
    try {
      D = readCheckpointFile(dFile.name, dFile.bytes);
      if (D.kind !== 'D') {
        warnings.push(`${dFile.name} is not a PatchGAN discriminator; ignored`);
        D = undefined;
      } else {
        warnings.push(...D.warnings);
        config = { ...config, ...D.config };
      }
    } catch (e) {
      warnings.push(
        `${dFile.name} could not be read (${(e as Error).message}); the discriminator starts fresh`,
      );
    }
  } else {
    warnings.push(`no ${label}_net_D.pth: the discriminator would start fresh when training continues`);
  }

  const logFile = find('loss_log.txt');
  const lossLog = logFile ? parseLossLog(new TextDecoder().decode(logFile.bytes)) : [];
  if (!logFile) warnings.push('no loss_log.txt: no loss curves');
  let epoch: number | undefined = /^\d+$/.test(label) ? Number(label) : undefined;
  if (epoch === undefined && lossLog.length > 0) epoch = lossLog[lossLog.length - 1].epoch;
  return { name, config, generatorFile: gFile.name, G, D, epoch, lossLog, warnings };
}

export type HistoryRow = { step: number; epoch: number; lr: number } & Record<string, number>;

/**
 * Loss-log records → metrics history rows. The server logs `iters` = images seen in the epoch; a
 * step is one batch, and an epoch's length is taken as the largest `iters` logged in it.
 */
export function historyFromLossLog(log: readonly LossLogRecord[], cfg: RunConfig): HistoryRow[] {
  const epochImages = new Map<number, number>();
  for (const r of log) epochImages.set(r.epoch, Math.max(epochImages.get(r.epoch) ?? 0, r.iters));
  const epochs = [...epochImages.keys()].sort((a, b) => a - b);
  const before = new Map<number, number>();
  let acc = 0;
  for (const e of epochs) {
    before.set(e, acc);
    acc += epochImages.get(e) ?? 0;
  }
  return log.map((r) => {
    const row: HistoryRow = {
      step: Math.round(((before.get(r.epoch) ?? 0) + r.iters) / cfg.batch_size),
      epoch: r.epoch,
      lr: learningRateAt({ ...cfg, warmup_steps: 0 }, r.epoch, 0),
    };
    for (const [k, v] of Object.entries(r.losses)) row[k] = v;
    return row;
  });
}
