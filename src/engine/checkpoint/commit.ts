/**
 * Import, step 2 — `commitImport(storage, plan, options)`: a new run (status `finished`) with the
 * loss log as its `train` history (G_GAN, G_L1, D_real, D_fake, lr per logged iteration, so the
 * Train view draws its curves) and one checkpoint `last` (a fresh discriminator when the files had
 * none, zero Adam moments like the server's --continue_train). Everything is built and read back in
 * memory first; a failure while storing removes the half-written run, so the store is as before.
 * The run's `backend` field says where the weights came from: `server` (a server run folder) or
 * `file`; `adapter` names the files.
 */
import type { RunConfig } from '../../core/config';
import type { PreprocessSpec } from '../../core/data/preprocess';
import { CheckpointFormatError } from '../../core/io/checkpointError';
import { checkStateDictAgainstConfig } from '../../core/io/formats';
import { freshAdam } from '../../core/train/adam';
import type { StateDict } from '../../core/model/types';
import { encodeTrainerState, loadTrainerState, type TrainerState } from '../../core/train/checkpoint';
import {
  appendHistory,
  type CheckpointRecord,
  createRun,
  deleteRun,
  getDataset,
  type RunRecord,
  saveCheckpoint,
  type StudioStorage,
  updateRun,
} from '../../store';
import { checkRunConfig } from '../configCheck';
import { historyPoints, type ImportPlan } from './plan';

export interface CommitImportOptions {
  /** Run name (default: the plan's). */
  name?: string;
  /** Training size in px (default: the plan's); ignored for a studio checkpoint. */
  size?: number;
  /** Dataset the run is evaluated on / continued with ('' = none chosen). */
  datasetId?: string;
  /** Creates the discriminator when the files had none (server init from the run's seed). */
  freshDiscriminator: (cfg: RunConfig) => Promise<StateDict>;
  nowMs?: number;
}

export interface ImportCommitted {
  run: RunRecord;
  checkpoint: CheckpointRecord;
  historyPoints: number;
  /** True when the discriminator was created fresh. */
  freshD: boolean;
}

export const DEFAULT_PAD: Pick<PreprocessSpec, 'pad' | 'padColor' | 'roi'> = {
  pad: 'constant',
  padColor: [0, 0, 0],
  roi: null,
};

/**
 * Store an import plan as a finished run with its history and checkpoint `last` (see the file
 * comment). Checks the config (e.g. the chosen size) before anything is written; on a storage
 * failure the half-written run is deleted again and the error rethrown.
 */
export async function commitImport(
  storage: Pick<StudioStorage, 'runs' | 'checkpoints' | 'datasets'>,
  plan: ImportPlan,
  opts: CommitImportOptions,
): Promise<ImportCommitted> {
  const now = opts.nowMs ?? Date.now();
  const name = (opts.name ?? plan.name).trim() || plan.name;
  let cfg: RunConfig = plan.state
    ? plan.state.config
    : { ...plan.config, ...(opts.size !== undefined ? { size: opts.size } : {}) };
  const issues = checkRunConfig(cfg);
  if (issues.length > 0) {
    throw new CheckpointFormatError(`${plan.G.file}: ${issues.map((i) => i.message.text).join(' ')}`);
  }
  checkStateDictAgainstConfig(plan.G.stateDict, cfg, 'G', plan.G.file);
  let D = plan.D?.stateDict;
  const freshD = D === undefined;
  if (D === undefined) D = await opts.freshDiscriminator(cfg);
  else checkStateDictAgainstConfig(D, cfg, 'D', plan.D?.file ?? 'D');

  const history = plan.state ? [] : historyPoints(plan.lossLog, cfg, now);
  const lastValues = history.length > 0 ? history[history.length - 1].values : {};
  let state: TrainerState;
  if (plan.state) {
    state = plan.state;
  } else {
    const lastStep = history.length > 0 ? history[history.length - 1].step : 0;
    state = {
      config: cfg,
      step: lastStep,
      epoch: plan.epoch + 1,
      iterInEpoch: 0,
      trainCount: 0,
      dataOrder: [],
      historyLength: history.length,
      metrics: { ...lastValues },
      G: plan.G.stateDict,
      D,
      optimizer: { G: freshAdam(plan.G.stateDict, cfg), D: freshAdam(D, cfg) },
    };
  }
  cfg = state.config;
  const files = encodeTrainerState(state, { created: new Date(now) });
  loadTrainerState(files, name); // must read back before anything is stored

  let preprocessing: PreprocessSpec = { mode: cfg.preprocess, size: cfg.size, ...DEFAULT_PAD };
  const datasetId = opts.datasetId ?? '';
  if (datasetId && !datasetId.startsWith('demo-')) {
    const ds = await getDataset(storage.datasets, datasetId);
    if (ds) preprocessing = { ...ds.preprocessing, size: cfg.size, mode: cfg.preprocess };
  }
  const describe = `${plan.format} · ${[plan.G.file, plan.D?.file].filter(Boolean).join(', ')}`;
  const run = await createRun(
    storage.runs,
    {
      name,
      datasetId,
      config: cfg,
      preprocessing,
      backend: plan.origin,
      adapter: describe.length > 300 ? `${describe.slice(0, 297)}…` : describe,
      origin: {
        kind: 'imported',
        format: plan.format,
        files: [plan.G.file, plan.D?.file].filter((f): f is string => typeof f === 'string'),
      },
    },
    now,
  );
  try {
    // not 'running' for longer than needed: a reload must not take it for an interrupted run
    await updateRun(storage.runs, run.id, { status: 'finished', heartbeatAt: now }, now);
    if (history.length > 0) await appendHistory(storage.runs, run.id, 'train', history);
    const checkpoint = await saveCheckpoint(storage.checkpoints, run.id, 'last', files, undefined, {
      nowMs: now,
    });
    const finished = await updateRun(
      storage.runs,
      run.id,
      {
        status: 'finished',
        step: state.step,
        epoch: state.epoch,
        durationMs: 0,
        lastMetrics: { ...state.metrics },
        checkpointNames: ['last'],
        error: null,
        heartbeatAt: now,
      },
      now,
    );
    return { run: finished, checkpoint, historyPoints: history.length, freshD };
  } catch (e) {
    await deleteRun(storage, run.id).catch(() => undefined);
    throw e;
  }
}
