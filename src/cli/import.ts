/**
 * `cli import`: a checkpoint from elsewhere → a studio checkpoint (`<out>/last/`, the layout of
 * `train --out`) plus `<out>/metrics.json`, so `infer`, `export` and the studio's evaluation can use it.
 *
 * Accepts: a server `checkpoints/<name>/` folder (newest `*_net_G.pth`, its `_net_D.pth`,
 * `train_opt.txt`, `loss_log.txt`), a ZIP of such a folder, a TF.js folder or `model.json`, or one
 * `.pth` / `.safetensors` network file. A missing discriminator is created fresh from the run seed
 * (server init), the optimizer starts fresh (zero Adam moments, like the server's --continue_train,
 * which saves no optimizer state). The loss log becomes the metrics history (steps reconstructed
 * from the server's per-epoch `iters`, the learning rate from the linear policy).
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { storedConfig, withDefaults, type RunConfig } from '../core/config';
import { CheckpointFormatError } from '../core/io/checkpointError';
import {
  detectCheckpointFormat,
  readCheckpointFile,
  type LoadedCheckpoint,
  type NamedFile,
} from '../core/io/formats';
import { historyFromLossLog, readServerRunFolder, type LossLogRecord } from '../core/io/serverImport';
import { listZip, looksLikeZip, readZipEntry } from '../core/io/zip';
import { createDiscriminator, stateDictOf, type StateDict } from '../core/model';
import { freshAdam } from '../core/train/adam';
import {
  encodeTrainerState,
  loadTrainerState,
  readCheckpointFiles,
  writeCheckpointAtomically,
  type TrainerState,
} from '../core/train/checkpoint';
import {
  BACKEND_OPTION,
  backendOption,
  checkNetworkFits,
  HELP_OPTION,
  helpText,
  parse,
  stringOption,
  UsageError,
  type OptionSpecs,
} from './args';
import { startBackend } from './env';
import { readTfjsFolder, studioVersionDir } from './export';
import { createFsStorage } from './fsStorage';

const OPTIONS: OptionSpecs = {
  out: {
    type: 'string',
    arg: '<dir>',
    help: 'output folder: <dir>/last/ (studio checkpoint) and <dir>/metrics.json',
  },
  ...BACKEND_OPTION,
  ...HELP_OPTION,
};

export const IMPORT_HELP = helpText(
  'import <file or folder> --out <dir>',
  'Import a server checkpoints/<name>/ folder (or a ZIP of it), a TF.js folder / model.json, or a single\n' +
    '.pth / .safetensors network into a studio checkpoint (<dir>/last/) with the loss log as metrics.json.',
  [['Options', OPTIONS]],
);

/** What an import produces, before it is written. */
export interface ImportResult {
  config: RunConfig;
  G: StateDict;
  /** Undefined: create a fresh discriminator. */
  D?: StateDict;
  /** Completed epochs (0 when unknown). */
  epoch: number;
  lossLog: LossLogRecord[];
  source: string;
  warnings: string[];
}

async function walkFiles(root: string): Promise<NamedFile[]> {
  const out: NamedFile[] = [];
  const visit = async (dir: string, depth: number): Promise<void> => {
    if (depth > 4) return;
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await visit(p, depth + 1);
      else if (e.isFile() && /\.(pth|txt|json|bin|safetensors)$/i.test(e.name)) {
        out.push({ name: relative(root, p).split(sep).join('/'), bytes: new Uint8Array(await readFile(p)) });
      }
    }
  };
  await visit(root, 0);
  return out;
}

function fromServerFolder(files: NamedFile[], source: string): ImportResult {
  const run = readServerRunFolder(files);
  return {
    config: withDefaults(run.config),
    G: run.G.stateDict,
    D: run.D?.stateDict,
    epoch: run.epoch ?? 0,
    lossLog: run.lossLog,
    source: `server run ${run.name ?? source} (${run.generatorFile})`,
    warnings: run.warnings,
  };
}

function fromSingle(loaded: LoadedCheckpoint, source: string): ImportResult {
  if (loaded.kind === 'D') {
    throw new UsageError(
      `${source}: this is a discriminator; import the generator (…net_G) or the whole run folder`,
    );
  }
  if (loaded.kind !== 'G' || !loaded.config) {
    throw new UsageError(`${source}: not a pix2pix U-Net generator (${loaded.warnings.join('; ')})`);
  }
  return {
    // studio metadata is a stored config (no lr_step_at = the 2020 schedule it ran); inferred keys get defaults
    config: loaded.configSource === 'metadata' ? storedConfig(loaded.config) : withDefaults(loaded.config),
    G: loaded.stateDict,
    epoch: 0,
    lossLog: [],
    source: `${loaded.format} file ${source}`,
    warnings: loaded.warnings,
  };
}

/** Read whatever the path holds into an ImportResult (no backend needed). */
export async function readImport(path: string): Promise<ImportResult> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    throw new UsageError(`import: ${path}: no such file or folder`);
  }
  if (isDir) {
    if (await studioVersionDir(path)) {
      throw new UsageError(
        `import: ${path} is already a studio checkpoint; use it directly (infer/export --checkpoint)`,
      );
    }
    const files = await walkFiles(path);
    if (files.some((f) => /(^|\/)(latest|\d+|iter_\d+)_net_G\.pth$/.test(f.name)))
      return fromServerFolder(files, basename(path));
    const modelJson = files.find((f) => basename(f.name) === 'model.json');
    if (modelJson) return fromSingle(readCheckpointFile(modelJson.name, files), path);
    throw new UsageError(
      `import: ${path} holds no latest_net_G.pth / <epoch>_net_G.pth (server run) and no model.json (TF.js)`,
    );
  }
  if (path.endsWith('.json'))
    return fromSingle(readCheckpointFile(basename(path), await readTfjsFolder(path)), path);
  const bytes = new Uint8Array(await readFile(path));
  if (looksLikeZip(bytes)) {
    const entries = listZip(bytes, basename(path));
    if (!entries.some((e) => /^[^/]+\/data\.pkl$/.test(e.name))) {
      // a ZIP of a server folder (or of a server bundle), not a torch.save file
      const files = entries
        .filter(
          (e) => !e.name.endsWith('/') && /\.(pth|txt)$/i.test(e.name) && !e.name.startsWith('datasets/'),
        )
        .map((e) => ({ name: e.name, bytes: readZipEntry(bytes, e, basename(path)) }));
      return fromServerFolder(files, basename(path));
    }
  }
  if (detectCheckpointFormat(path, bytes) === null) {
    throw new UsageError(
      `import: ${path} is not a .pth, .safetensors, TF.js model.json or ZIP of a server run`,
    );
  }
  return fromSingle(readCheckpointFile(basename(path), bytes), path);
}

export async function run(argv: string[]): Promise<number> {
  // the one positional argument: the first that is neither an option nor a string option's value
  let input: string | undefined;
  const rest: string[] = [];
  const takesValue = new Set(
    Object.entries(OPTIONS)
      .filter(([, s]) => s.type === 'string')
      .map(([n]) => `--${n}`),
  );
  for (const a of argv) {
    const prev = rest[rest.length - 1];
    if (input === undefined && !a.startsWith('-') && !(prev !== undefined && takesValue.has(prev))) input = a;
    else rest.push(a);
  }
  const values = parse(rest, OPTIONS, 'import');
  if (values.help) {
    console.log(IMPORT_HELP);
    return 0;
  }
  const out = stringOption(values, 'out');
  if (!input || !out)
    throw new UsageError('import: give the file or folder to import and --out <dir> (see --help)');
  const storage = createFsStorage(out);
  if (await readCheckpointFiles(storage, 'last')) {
    throw new UsageError(`import: ${out}/last already holds a checkpoint; choose another --out`);
  }

  const imp = await readImport(input);
  for (const w of imp.warnings) console.error(`note: ${w}`);
  const cfg = imp.config;
  try {
    checkNetworkFits(cfg);
  } catch (e) {
    throw new CheckpointFormatError(`${input}: ${(e as Error).message}`);
  }
  let D = imp.D;
  if (!D) {
    await startBackend(backendOption(values));
    const net = createDiscriminator(cfg, cfg.seed);
    D = await stateDictOf(net);
    net.dispose();
    console.error(
      `note: no discriminator in ${input}; created a fresh one (seed ${cfg.seed}, init_gain ${cfg.init_gain})`,
    );
  }
  const history = historyFromLossLog(imp.lossLog, cfg);
  const lastStep = history.length > 0 ? history[history.length - 1].step : 0;
  const state: TrainerState = {
    config: cfg,
    step: lastStep,
    epoch: imp.epoch + 1,
    iterInEpoch: 0,
    trainCount: 0,
    dataOrder: [],
    historyLength: history.length,
    metrics: history.length > 0 ? { ...history[history.length - 1] } : {},
    G: imp.G,
    D,
    optimizer: { G: freshAdam(imp.G, cfg), D: freshAdam(D, cfg) },
  };
  const files = encodeTrainerState(state);
  loadTrainerState(files, out); // the written checkpoint must read back; fails before anything is stored
  await writeCheckpointAtomically(storage, 'last', files);
  await writeFile(
    join(out, 'metrics.json'),
    JSON.stringify(
      {
        format: 'ceph-gan-studio-metrics',
        version: 1,
        created: new Date().toISOString(),
        config: cfg,
        imported_from: imp.source,
        steps: lastStep,
        epoch: imp.epoch,
        checkpoint: 'last',
        history,
        val_history: [],
      },
      null,
      1,
    ),
  );
  console.log(
    `import: ${imp.source} → ${join(out, 'last')} (netG ${cfg.netG}, ngf ${cfg.ngf}, ndf ${cfg.ndf}, norm ${cfg.norm}, ` +
      `size ${cfg.size} px, epoch ${imp.epoch}, ${history.length} loss records) and ${join(out, 'metrics.json')}`,
  );
  return 0;
}
