/**
 * Import, step 1 — `planImport(sources)`: dropped files, folders and ZIPs are sorted into one of: a
 * server run folder `checkpoints/<name>/` (newest `*_net_G.pth`, its `_net_D.pth`, `train_opt.txt`,
 * `loss_log.txt`; also inside a ZIP or a server bundle), a studio checkpoint (`manifest.json` +
 * shards), TF.js (`model.json` + `.bin`), or single network files (`.pth` written by PyTorch or the
 * studio, `.safetensors`). Only the files needed are read. Shapes are checked against the
 * configuration (the key is named); hostile or broken files are refused with a
 * CheckpointFormatError naming the file. Nothing is stored. `previewOf(plan)` is what the UI shows
 * before committing (commit.ts).
 */
import { type RunConfig, storedConfig, withDefaults } from '../../core/config';
import { CheckpointFormatError } from '../../core/io/checkpointError';
import {
  type CheckpointFormat,
  checkStateDictAgainstConfig,
  detectCheckpointFormat,
  type LoadedCheckpoint,
  type NamedFile,
  readCheckpointFile,
} from '../../core/io/formats';
import {
  historyFromLossLog,
  type LossLogRecord,
  pickNewestGenerator,
  readServerRunFolder,
} from '../../core/io/serverImport';
import type { StateDict } from '../../core/model/types';
import {
  CHECKPOINT_FORMAT,
  loadTrainerState,
  MANIFEST_FILE,
  parseManifest,
  type TrainerState,
} from '../../core/train/checkpoint';
import type { MetricPoint } from '../../store';
import {
  baseName,
  dirName,
  expandSources,
  type IgnoredFile,
  type ImportSource,
  namedError,
  NETWORK_FILE,
  readSource,
  SERVER_G,
  SERVER_TEXT,
  stemOf,
} from './sources';

export type ImportKind = 'serverRun' | 'network' | 'studio';
export type ImportOrigin = 'server' | 'file';
export type ConfigSource = 'train_opt' | 'metadata' | 'inferred' | 'studio';

export interface PlannedNetwork {
  file: string;
  format: CheckpointFormat | 'studio';
  stateDict: StateDict;
}

/** What an import would store; built by planImport, stored by commitImport. */
export interface ImportPlan {
  kind: ImportKind;
  origin: ImportOrigin;
  format: CheckpointFormat | 'studio';
  /** Suggested run name (the server's --name, the folder, or the file stem). */
  name: string;
  config: RunConfig;
  configSource: ConfigSource;
  /** False when the training size was not in the files (then it is netG's own size, e.g. 256). */
  sizeFromFiles: boolean;
  G: PlannedNetwork;
  /** Null: a fresh discriminator is created at commit. */
  D: PlannedNetwork | null;
  /** Completed epochs of the weights (0 when unknown). */
  epoch: number;
  lossLog: LossLogRecord[];
  /** A studio checkpoint's full state (optimizer, position), kept as it is. */
  state: TrainerState | null;
  usedFiles: string[];
  ignoredFiles: IgnoredFile[];
  /** English notes from the readers (prefix removed, missing files, options without a studio equivalent). */
  warnings: string[];
}

function sizeFromNetG(netG: string): number {
  const n = Number(netG.replace(/^unet_/, ''));
  return Number.isSafeInteger(n) && n > 0 ? n : 256;
}

/**
 * `stored`: the config is a studio run's own (a file's `studio_config` metadata), so a missing
 * `lr_step_at` means the legacy convention (storedConfig); a server's options get today's defaults.
 */
function completeConfig(
  partial: Partial<RunConfig>,
  stored = false,
): { config: RunConfig; sizeFromFiles: boolean } {
  const config = stored ? storedConfig(partial) : withDefaults(partial);
  if (partial.size === undefined)
    return { config: { ...config, size: sizeFromNetG(config.netG) }, sizeFromFiles: false };
  return { config, sizeFromFiles: true };
}

async function planStudio(
  dir: string,
  files: readonly ImportSource[],
  ignored: IgnoredFile[],
): Promise<ImportPlan> {
  const map = new Map<string, Uint8Array>();
  for (const f of files) map.set(baseName(f.path), await readSource(f));
  const where = dir || 'studio checkpoint';
  const state = loadTrainerState(map, where);
  const cfg = storedConfig(state.config);
  const name = baseName(dir) || 'studio checkpoint';
  return {
    kind: 'studio',
    origin: 'file',
    format: 'studio',
    name,
    config: cfg,
    configSource: 'studio',
    sizeFromFiles: true,
    G: { file: `${where}/G`, format: 'studio', stateDict: state.G },
    D: { file: `${where}/D`, format: 'studio', stateDict: state.D },
    epoch: Math.max(0, state.epoch - 1),
    lossLog: [],
    state: { ...state, config: cfg },
    usedFiles: files.map((f) => f.path),
    ignoredFiles: ignored,
    warnings: [],
  };
}

async function planServerRun(
  dir: string,
  files: readonly ImportSource[],
  ignored: IgnoredFile[],
): Promise<ImportPlan> {
  const gPath = pickNewestGenerator(files.map((f) => f.path)) as string;
  const label = baseName(gPath).slice(0, -'_net_G.pth'.length);
  const wanted = new Set([baseName(gPath), `${label}_net_D.pth`, ...SERVER_TEXT]);
  const used: NamedFile[] = [];
  for (const f of files) {
    const b = baseName(f.path);
    if (wanted.has(b)) used.push({ name: f.path, bytes: await readSource(f) });
    else ignored.push({ path: f.path, reason: NETWORK_FILE.test(b) ? 'olderEpoch' : 'notCheckpoint' });
  }
  let run: ReturnType<typeof readServerRunFolder>;
  try {
    run = readServerRunFolder(used);
  } catch (e) {
    throw namedError(gPath, e);
  }
  const hasOpt = used.some((f) => baseName(f.name) === 'train_opt.txt');
  const hasLog = used.some((f) => baseName(f.name) === 'loss_log.txt');
  const { config, sizeFromFiles } = completeConfig(run.config, !hasOpt && run.G.configSource === 'metadata');
  return {
    kind: 'serverRun',
    origin: hasOpt || hasLog ? 'server' : 'file',
    format: 'pth',
    name: run.name ?? (baseName(dir) || stemOf(gPath)),
    config,
    configSource: hasOpt ? 'train_opt' : run.G.configSource === 'metadata' ? 'metadata' : 'inferred',
    sizeFromFiles,
    G: { file: run.generatorFile, format: 'pth', stateDict: run.G.stateDict },
    D: run.D
      ? { file: `${dir ? `${dir}/` : ''}${label}_net_D.pth`, format: 'pth', stateDict: run.D.stateDict }
      : null,
    epoch: run.epoch ?? 0,
    lossLog: run.lossLog,
    state: null,
    usedFiles: used.map((f) => f.name),
    ignoredFiles: ignored,
    warnings: run.warnings,
  };
}

interface LoadedNet {
  path: string;
  loaded: LoadedCheckpoint;
}

async function planNetworks(files: readonly ImportSource[], ignored: IgnoredFile[]): Promise<ImportPlan> {
  const nets: LoadedNet[] = [];
  const used: string[] = [];
  // TF.js folders: model.json with the .bin files beside it
  const tfjsDirs = new Set<string>();
  for (const f of files) {
    if (baseName(f.path) !== 'model.json') continue;
    const dir = dirName(f.path);
    const group = files.filter((g) => dirName(g.path) === dir && (g === f || /\.bin$/i.test(g.path)));
    const named: NamedFile[] = [];
    for (const g of group) named.push({ name: g.path, bytes: await readSource(g) });
    try {
      nets.push({ path: f.path, loaded: readCheckpointFile(f.path, named) });
    } catch (e) {
      throw namedError(f.path, e);
    }
    tfjsDirs.add(dir);
    used.push(...group.map((g) => g.path));
  }
  for (const f of files) {
    if (used.includes(f.path)) continue;
    const b = baseName(f.path);
    if (/\.bin$/i.test(b) && !tfjsDirs.has(dirName(f.path))) {
      throw new CheckpointFormatError(
        `${f.path}: a TF.js weight shard on its own cannot be read; select its model.json together with all .bin files`,
      );
    }
    if (!NETWORK_FILE.test(b)) {
      ignored.push({ path: f.path, reason: 'notCheckpoint' });
      continue;
    }
    const bytes = await readSource(f);
    if (detectCheckpointFormat(f.path, bytes) === null) {
      throw new CheckpointFormatError(
        `${f.path}: not a checkpoint the studio reads (PyTorch .pth, .safetensors, or TF.js model.json + shards)`,
      );
    }
    try {
      nets.push({ path: f.path, loaded: readCheckpointFile(f.path, bytes) });
    } catch (e) {
      throw namedError(f.path, e);
    }
    used.push(f.path);
  }
  for (const n of nets) {
    if (n.loaded.kind === 'unknown') {
      throw new CheckpointFormatError(
        `${n.path}: not a pix2pix generator or discriminator (${n.loaded.warnings.join('; ')})`,
      );
    }
  }
  const gs = nets.filter((n) => n.loaded.kind === 'G');
  const ds = nets.filter((n) => n.loaded.kind === 'D');
  if (gs.length === 0) {
    if (ds.length > 0) {
      throw new CheckpointFormatError(
        `${ds[0].path}: this is a discriminator; import its generator (…net_G) with it, or the whole run folder`,
      );
    }
    throw new CheckpointFormatError(
      'nothing to import: drop a .pth, .safetensors, TF.js model.json with its .bin files, a server checkpoints/<name>/ folder, or a ZIP of one',
    );
  }
  if (gs.length > 1) {
    throw new CheckpointFormatError(
      `${gs.length} generators (${gs.map((g) => g.path).join(', ')}): import one at a time`,
    );
  }
  if (ds.length > 1) {
    throw new CheckpointFormatError(
      `${ds.length} discriminators (${ds.map((d) => d.path).join(', ')}): keep only the one that belongs to the generator`,
    );
  }
  const g = gs[0];
  const d = ds[0];
  const dcfg: Partial<RunConfig> = d?.loaded.config ?? {};
  const partial: Partial<RunConfig> = { ...dcfg, ...(g.loaded.config ?? {}) };
  // the D file's own settings complete the generator's
  if (dcfg.ndf !== undefined) partial.ndf = dcfg.ndf;
  if (dcfg.n_layers_D !== undefined) partial.n_layers_D = dcfg.n_layers_D;
  if (dcfg.num_D !== undefined) partial.num_D = dcfg.num_D;
  const notes: string[] = [];
  if (partial.ndf === undefined && partial.ngf !== undefined) {
    partial.ndf = partial.ngf;
    notes.push(
      `ndf is not in the files (no discriminator): the fresh discriminator gets ndf = ngf = ${partial.ngf}, as in the server's defaults (64, 64) and the studio's presets`,
    );
  }
  const { config, sizeFromFiles } = completeConfig(partial, g.loaded.configSource === 'metadata');
  if (d) checkStateDictAgainstConfig(d.loaded.stateDict, config, 'D', d.path);
  const m = /^(\d+)_net_G$/.exec(stemOf(g.path));
  const serverName = /^(latest|\d+|iter_\d+)_net_G$/.test(stemOf(g.path));
  const dir = dirName(g.loaded.format === 'tfjs' ? dirName(g.path) : g.path);
  const name =
    g.loaded.format === 'tfjs'
      ? baseName(dirName(g.path)) || 'model'
      : serverName && dir
        ? baseName(dir)
        : stemOf(g.path);
  return {
    kind: 'network',
    origin: 'file',
    format: g.loaded.format,
    name: name.replace(/\.zip$/i, ''),
    config,
    configSource: g.loaded.configSource === 'metadata' ? 'metadata' : 'inferred',
    sizeFromFiles,
    G: { file: g.path, format: g.loaded.format, stateDict: g.loaded.stateDict },
    D: d ? { file: d.path, format: d.loaded.format, stateDict: d.loaded.stateDict } : null,
    epoch: m ? Number(m[1]) : 0,
    lossLog: [],
    state: null,
    usedFiles: used,
    ignoredFiles: ignored,
    warnings: [...g.loaded.warnings, ...(d?.loaded.warnings ?? []), ...notes],
  };
}

/**
 * Sort the dropped files into one import (see the file comment). Throws CheckpointFormatError
 * (naming the file) for unreadable, hostile or contradictory input, or when the drop holds several
 * runs / several generators.
 */
export async function planImport(sources: readonly ImportSource[]): Promise<ImportPlan> {
  if (sources.length === 0) throw new CheckpointFormatError('no files given');
  const { candidates, ignored } = await expandSources(sources);

  // 1. studio checkpoints: manifest.json with the studio's format tag
  const studioDirs: string[] = [];
  for (const f of candidates) {
    if (baseName(f.path) !== MANIFEST_FILE) continue;
    const bytes = await readSource(f);
    let isStudio: boolean;
    try {
      const j = JSON.parse(new TextDecoder().decode(bytes)) as { format?: unknown };
      isStudio = j.format === CHECKPOINT_FORMAT;
    } catch {
      isStudio = false; // another tool's manifest.json: not ours, ignored below
    }
    if (isStudio) {
      parseManifest(bytes, dirName(f.path) || 'studio checkpoint');
      studioDirs.push(dirName(f.path));
    }
  }
  if (studioDirs.length > 1) {
    throw new CheckpointFormatError(
      `${studioDirs.length} studio checkpoints (${studioDirs.map((d) => d || '.').join(', ')}): import one at a time`,
    );
  }
  if (studioDirs.length === 1) {
    const dir = studioDirs[0];
    const inDir = candidates.filter((f) => dirName(f.path) === dir);
    const rest = candidates.filter((f) => dirName(f.path) !== dir);
    return planStudio(dir, inDir, [
      ...ignored,
      ...rest.map((f) => ({ path: f.path, reason: 'otherNetwork' as const })),
    ]);
  }

  // 2. server run folders: <label>_net_G.pth beside train_opt.txt / loss_log.txt / its net_D
  const gDirs = new Set(
    candidates.filter((f) => SERVER_G.test(baseName(f.path))).map((f) => dirName(f.path)),
  );
  const serverDirs = [...gDirs].filter((dir) => {
    const inDir = candidates.filter((f) => dirName(f.path) === dir).map((f) => baseName(f.path));
    const gName = pickNewestGenerator(inDir) as string;
    const label = gName.slice(0, -'_net_G.pth'.length);
    return (
      inDir.some((b) => SERVER_TEXT.has(b) || b === `${label}_net_D.pth`) ||
      inDir.filter((b) => SERVER_G.test(b)).length > 1
    );
  });
  if (serverDirs.length > 1) {
    throw new CheckpointFormatError(
      `the drop holds ${serverDirs.length} server runs (${serverDirs.map((d) => d || '.').join(', ')}): import one folder at a time`,
    );
  }
  if (serverDirs.length === 1) {
    const dir = serverDirs[0];
    const inDir = candidates.filter((f) => dirName(f.path) === dir);
    const rest = candidates.filter((f) => dirName(f.path) !== dir);
    return planServerRun(dir, inDir, [
      ...ignored,
      ...rest.map((f) => ({ path: f.path, reason: 'otherNetwork' as const })),
    ]);
  }

  // 3. network files (.pth, .safetensors, TF.js)
  return planNetworks(candidates, ignored);
}

// ---------------------------------------------------------------------------------------------
// Preview (what the UI shows before committing)
// ---------------------------------------------------------------------------------------------

export interface NetworkSummary {
  file: string;
  format: CheckpointFormat | 'studio';
  keys: number;
  /** Number of values (parameters and buffers). */
  values: number;
  bytes: number;
}

export interface ImportPreview {
  kind: ImportKind;
  origin: ImportOrigin;
  format: CheckpointFormat | 'studio';
  name: string;
  config: RunConfig;
  configSource: ConfigSource;
  sizeFromFiles: boolean;
  G: NetworkSummary;
  D: NetworkSummary | null;
  epoch: number;
  /** Steps of the imported history (from the loss log), or of a studio checkpoint. */
  step: number;
  lossRecords: number;
  /** The last logged losses (G_GAN, G_L1, D_real, D_fake). */
  lastLosses: Record<string, number>;
  usedFiles: string[];
  ignoredFiles: IgnoredFile[];
  warnings: string[];
}

function summarizeNet(n: PlannedNetwork): NetworkSummary {
  let values = 0;
  let bytes = 0;
  for (const e of n.stateDict) {
    values += e.data.length;
    bytes += e.data.byteLength;
  }
  return { file: n.file, format: n.format, keys: n.stateDict.length, values, bytes };
}

export function previewOf(plan: ImportPlan): ImportPreview {
  const history = plan.state ? [] : historyPoints(plan.lossLog, plan.config, 0);
  const last = plan.lossLog[plan.lossLog.length - 1];
  return {
    kind: plan.kind,
    origin: plan.origin,
    format: plan.format,
    name: plan.name,
    config: plan.config,
    configSource: plan.configSource,
    sizeFromFiles: plan.sizeFromFiles,
    G: summarizeNet(plan.G),
    D: plan.D ? summarizeNet(plan.D) : null,
    epoch: plan.epoch,
    step: plan.state ? plan.state.step : history.length > 0 ? history[history.length - 1].step : 0,
    lossRecords: plan.lossLog.length,
    lastLosses: last ? { ...last.losses } : {},
    usedFiles: plan.usedFiles,
    ignoredFiles: plan.ignoredFiles,
    warnings: plan.warnings,
  };
}

/** The loss log as `train` history points (values as logged; non-finite values as null). */
export function historyPoints(log: readonly LossLogRecord[], cfg: RunConfig, timeMs: number): MetricPoint[] {
  if (log.length === 0) return [];
  // one definition of steps and learning rates, shared with `cli import`
  return historyFromLossLog(log, cfg).map((row) => {
    const values: Record<string, number | null> = {};
    for (const [k, v] of Object.entries(row)) {
      if (k === 'step' || k === 'epoch') continue;
      values[k] = Number.isFinite(v) ? v : null;
    }
    return { step: row.step, epoch: row.epoch, timeMs, values };
  });
}
