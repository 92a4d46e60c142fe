/**
 * `cli export`: a checkpoint's generator and discriminator as server `.pth` files, `.safetensors`
 * (config in `__metadata__`) or TF.js (`model.json` + 4 MB shards), through io/formats.ts.
 * The checkpoint is a studio checkpoint folder (a `train --out` folder, its `last/`, or a version
 * folder) or a single network file in any of the three formats (then only that network is converted).
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { storedConfig, withDefaults, type RunConfig } from '../core/config';
import {
  readCheckpointFile,
  writeCheckpointFiles,
  type CheckpointFormat,
  type NamedFile,
  type NetKind,
} from '../core/io/formats';
import { SERVER_NETG } from '../core/io/serverBundle';
import type { StateDict } from '../core/model/types';
import { readCheckpointNetwork } from '../core/train/checkpoint';
import { HELP_OPTION, helpText, parse, stringOption, UsageError, type OptionSpecs } from './args';

const OPTIONS: OptionSpecs = {
  checkpoint: {
    type: 'string',
    arg: '<path>',
    help: 'studio checkpoint folder (train --out, its last/, or a version folder), or a .pth/.safetensors/model.json',
  },
  format: { type: 'string', arg: '<pth|safetensors|tfjs>', help: 'export format (default pth)' },
  out: { type: 'string', arg: '<dir>', help: 'output folder (created if missing)' },
  net: { type: 'string', arg: '<G|D|both>', help: 'which network(s) to export (default both)' },
  label: {
    type: 'string',
    arg: '<name>',
    help: 'file stem: latest (default) → latest_net_G.pth; an epoch number → <epoch>_net_G.pth',
  },
  ...HELP_OPTION,
};

export const EXPORT_HELP = helpText(
  'export --checkpoint <path> --format pth|safetensors|tfjs --out <dir> [--net G|D|both] [--label latest]',
  'Write the generator and discriminator for the pix2pix server (latest_net_G.pth / latest_net_D.pth,\n' +
    'loadable with torch.load(path, weights_only=True)), as .safetensors, or as TF.js for another studio.',
  [['Options', OPTIONS]],
);

export interface LoadedNetworks {
  config: Partial<RunConfig>;
  nets: { kind: NetKind; stateDict: StateDict }[];
  source: string;
  /** Epoch of the checkpoint when known (studio manifest). */
  epoch?: number;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

async function readOptional(p: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(p));
  } catch {
    return undefined;
  }
}

/** The studio checkpoint version folder under a path (version dir, pointer dir, or a train --out dir). */
export async function studioVersionDir(dir: string): Promise<string | undefined> {
  if (await exists(join(dir, 'manifest.json'))) return dir;
  for (const pointerDir of [dir, join(dir, 'last')]) {
    const pointer = await readOptional(join(pointerDir, 'current'));
    if (pointer) return join(pointerDir, new TextDecoder().decode(pointer).trim());
  }
  return undefined;
}

/** model.json plus every .bin beside it (TF.js). */
export async function readTfjsFolder(modelJsonPath: string): Promise<NamedFile[]> {
  const dir = dirname(modelJsonPath);
  const files: NamedFile[] = [
    { name: basename(modelJsonPath), bytes: new Uint8Array(await readFile(modelJsonPath)) },
  ];
  for (const f of await readdir(dir)) {
    if (f.endsWith('.bin')) files.push({ name: f, bytes: new Uint8Array(await readFile(join(dir, f))) });
  }
  return files;
}

/** Read the networks of a studio checkpoint folder or of one network file. */
export async function loadNetworks(path: string, which: NetKind[]): Promise<LoadedNetworks> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    throw new UsageError(`--checkpoint ${path}: no such file or folder`);
  }
  if (isDir) {
    const version = await studioVersionDir(path);
    if (version) {
      const nets: LoadedNetworks['nets'] = [];
      let config: RunConfig | undefined;
      let epoch: number | undefined;
      for (const kind of which) {
        const { manifest, stateDict } = await readCheckpointNetwork(
          (name) => readOptional(join(version, name)),
          kind,
          version,
        );
        config = manifest.config;
        epoch = manifest.epoch;
        nets.push({ kind, stateDict });
      }
      // a studio manifest's config is a stored one: without lr_step_at it ran the 2020 schedule
      return { config: storedConfig(config ?? {}), nets, source: `studio checkpoint ${version}`, epoch };
    }
    if (await exists(join(path, 'model.json'))) return loadNetworks(join(path, 'model.json'), which);
    throw new UsageError(
      `--checkpoint ${path}: the folder holds no studio checkpoint (manifest.json or last/current) and no model.json`,
    );
  }
  const input: Uint8Array | NamedFile[] = path.endsWith('.json')
    ? await readTfjsFolder(path)
    : new Uint8Array(await readFile(path));
  const loaded = readCheckpointFile(basename(path), input);
  for (const w of loaded.warnings) console.error(`note: ${w}`);
  if (loaded.kind === 'unknown' || !loaded.config) {
    throw new UsageError(`${path}: not a pix2pix generator or discriminator (${loaded.warnings.join('; ')})`);
  }
  return {
    config: loaded.configSource === 'metadata' ? storedConfig(loaded.config) : loaded.config,
    nets: [{ kind: loaded.kind, stateDict: loaded.stateDict }],
    source: `${loaded.format} file ${path}`,
  };
}

function formatOption(v: string | undefined): CheckpointFormat {
  const f = v ?? 'pth';
  if (f !== 'pth' && f !== 'safetensors' && f !== 'tfjs') {
    throw new UsageError(`--format must be pth, safetensors or tfjs; got "${f}"`);
  }
  return f;
}

function netOption(v: string | undefined): NetKind[] {
  const n = v ?? 'both';
  if (n === 'both') return ['G', 'D'];
  if (n === 'G' || n === 'D') return [n];
  throw new UsageError(`--net must be G, D or both; got "${n}"`);
}

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;

export async function run(argv: string[]): Promise<number> {
  const values = parse(argv, OPTIONS, 'export');
  if (values.help) {
    console.log(EXPORT_HELP);
    return 0;
  }
  const ckpt = stringOption(values, 'checkpoint');
  const out = stringOption(values, 'out');
  if (!ckpt || !out) throw new UsageError('export: --checkpoint and --out are required (see --help)');
  const format = formatOption(stringOption(values, 'format'));
  const label = stringOption(values, 'label') ?? 'latest';
  if (!/^[A-Za-z0-9_.-]+$/.test(label))
    throw new UsageError(`--label "${label}": letters, digits, _ - . only`);
  const which = netOption(stringOption(values, 'net'));

  const loaded = await loadNetworks(ckpt, which);
  const cfg = withDefaults(loaded.config);
  if (format === 'pth' && !(SERVER_NETG as readonly string[]).includes(cfg.netG)) {
    console.error(
      `note: netG ${cfg.netG} cannot be built by the server's --netG (unet_128, unet_256); the .pth loads in PyTorch code that builds a U-Net with ${Math.log2(Number(cfg.netG.slice(5)))} down-steps`,
    );
  }
  if (format === 'pth' && cfg.num_D > 1 && loaded.nets.some((n) => n.kind === 'D')) {
    console.error(
      `note: the discriminator has ${cfg.num_D} scales; the server's PatchGAN loads only scale 0 (keys model.*), drop the scale1./scale2. keys or export with the server bundle`,
    );
  }
  await mkdir(out, { recursive: true });
  console.log(`export: ${loaded.source} → ${out} (${format})`);
  for (const net of loaded.nets) {
    const files = writeCheckpointFiles(net.stateDict, { kind: net.kind, config: cfg, format, label });
    for (const f of files) {
      const p = join(out, ...f.name.split('/'));
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, f.bytes);
      console.log(`  wrote ${p} (${mb(f.bytes.length)})`);
    }
  }
  return 0;
}
