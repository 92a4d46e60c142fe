/**
 * What the engine computes for the Evaluate view (issue 6). The engine core calls these; the
 * computing itself is framework-free in core/eval/round.ts.
 *
 * For the engine core (train engineer) — wiring, 4 places:
 *  1. launch():   `trainSubset = chooseTrainSubset(prepared.train, cfg.seed)` and
 *                 `roundDiags = state ? historyFromValPoints(await readHistory(runs, id, 'val')) : []`
 *                 (after truncateHistoryAfterStep, so a resumed run judges "stuck" over its real past);
 *  2. validate(): `const round = await runValidationRound(trainer, valPairs, trainSubset, cfg,
 *                 { history: roundDiags, losses: lastValues, diagCaseIds: prepared.evalCaseIds })`,
 *                 `roundDiags.push(roundDiag(round, round.losses))`; the `val` history point gets
 *                 `validationPointValues(round).all` (summary + per-case values), `lastVal` (and so
 *                 checkpoint metrics) gets `.summary`; the `validation` event carries `round`;
 *  3. a command   `evaluateCheckpoint(params)`: `loadCheckpointModel` / `modelFromTrainer`, then
 *                 `evaluateCheckpoint(model, prepared, params)` inside the GPU mutex;
 *  4. protocol:   `EngineCommands.evaluateCheckpoint` and `round?: ValidationRound` on the event.
 */
import type { RunConfig } from '../core/config';
import type { RoundDiag, StuckOptions } from '../core/eval/diagnostics';
import {
  casesFromValues,
  chooseTrainSubset,
  completeRound,
  DEFAULT_STUCK,
  evaluateModel,
  isCaseKey,
  roundDiagFromValues,
  roundValues,
  caseValues,
  type EvalLandmarkOptions,
  type GridCase,
  type ValidationRound,
} from '../core/eval/round';
import { createDiscriminator, createGenerator, loadStateDict } from '../core/model';
import type { Discriminator, Generator } from '../core/model/types';
import { readCheckpointNetwork } from '../core/train/checkpoint';
import type { ImagePair } from '../core/train/data';
import { learningRateAt } from '../core/train/schedule';
import type { Trainer } from '../core/train/trainer';
import { checkpointReader, readHistory, type MetricPoint, type StudioStorage } from '../store';
import type { DetectorRef, TraceabilityResult } from '../core/detector/traceability';

export { chooseTrainSubset, roundDiag, casesFromValues } from '../core/eval/round';
export type { ValidationRound, GridCase } from '../core/eval/round';

export interface RoundContext {
  /** The run's earlier rounds, oldest first (for the stuck detector). */
  history: readonly RoundDiag[];
  /** The last logged losses (server names, G terms weighted). */
  losses: Record<string, number | null> | null;
  /** Cases pooled for the diagnostics: the dataset's fixed evaluation list. */
  diagCaseIds?: readonly string[];
  stuck?: StuckOptions;
  /** Cases for the loss balance (default 2). */
  balanceCases?: number;
  /** Landmark-region sharpness (datasets with landmarks; X-ray as the target). */
  landmarks?: EvalLandmarkOptions | null;
  /** Traceability scorer (engine/detector/trace.ts RoundTracer); absent: not computed. */
  trace?: RoundTrace | null;
}

/** What a round needs to score traceability: the cases whose predictions it scores, and the scorer. */
export interface RoundTrace {
  readonly caseIds: string[];
  score(grid: readonly GridCase[]): Promise<TraceabilityResult | null>;
}

/**
 * One validation round of the active run: metrics per case, diagnostics, loss balance at the
 * generator output, train-subset L1 for the gap (same inference mode as validation), stuck
 * verdict over the run's rounds and the checklist. The networks are not changed.
 */
export async function runValidationRound(
  trainer: Trainer,
  valCases: readonly ImagePair[],
  trainSubset: readonly ImagePair[],
  cfg: RunConfig,
  ctx: RoundContext,
): Promise<ValidationRound> {
  const ev = await evaluateModel(trainer.G, trainer.D, cfg, valCases, trainSubset, {
    step: trainer.globalStep,
    epoch: trainer.epoch,
    evalMode: cfg.eval_mode,
    diagCaseIds: ctx.diagCaseIds,
    balanceCases: ctx.balanceCases,
    lrNow: trainer.nextLearningRate,
    losses: ctx.losses,
    landmarks: ctx.landmarks ?? null,
    ...(ctx.trace ? { gridCaseIds: ctx.trace.caseIds } : {}),
  });
  const { grid, ...rest } = ev;
  const round = completeRound(rest, cfg, ctx.history, ctx.losses, ctx.stuck ?? DEFAULT_STUCK);
  if (!ctx.trace) return round;
  const t0 = performance.now();
  const traceability = await ctx.trace.score(grid);
  return {
    ...round,
    traceability: traceability ? { ...traceability, durationMs: performance.now() - t0 } : null,
  };
}

/**
 * Values of a round for the `val` history series: `summary` (the clinic's names, diagnostics,
 * gap, balance, losses — for curves and checkpoint metrics) and `all` (= summary + per-case values
 * `case:<id>:<metric>`, for failure statistics of past rounds).
 */
export function validationPointValues(round: ValidationRound): {
  summary: Record<string, number | null>;
  all: Record<string, number | null>;
} {
  const summary = roundValues(round);
  return { summary, all: { ...summary, ...caseValues(round) } };
}

/** Best-checkpoint keys whose values are image metrics (computed on the content region since fairmetrics). */
const IMAGE_BEST_KEYS = new Set(['mean_l1', 'mean_psnr', 'mean_ssim', 'lm_sharp']);

/**
 * A run's stored best value as a resumed run may compare its new rounds with: a best judged on an
 * image metric over the whole image (stored before content-region metrics, no `region`) is not
 * comparable with content-region values, so it gives null and the next round becomes the best.
 * Traceability (mm, original frame) is kept.
 */
export function comparableBest<T extends { metric: string; region?: 'content' }>(best: T | null): T | null {
  if (!best) return null;
  return IMAGE_BEST_KEYS.has(best.metric) && best.region !== 'content' ? null : best;
}

/** A new best value, marked with the region its round's metrics were computed on. */
export function bestOfRound<T extends { metric: string }>(
  best: T,
  round: { metricsRegion?: 'content' | 'whole' },
): T & { region?: 'content' } {
  return round.metricsRegion === 'content' ? { ...best, region: 'content' } : best;
}

/** The stuck detector's history from stored `val` points (rounds without diagnostics skipped). */
export function historyFromValPoints(points: readonly MetricPoint[]): RoundDiag[] {
  const out: RoundDiag[] = [];
  for (const p of points) {
    const d = roundDiagFromValues(p.step, p.values);
    if (d) out.push(d);
  }
  return out;
}

/** A history point without its per-case values (what summaries and lists need). */
export function summaryOfPoint(p: MetricPoint): MetricPoint {
  const values: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(p.values)) if (!isCaseKey(k)) values[k] = v;
  return { ...p, values };
}

// ---------------------------------------------------------------------------------------------
// On-demand evaluation of any checkpoint (or the active run's current weights)
// ---------------------------------------------------------------------------------------------

export type EvalModelSource = { kind: 'current' } | { kind: 'checkpoint'; runId: string; name: string };

export interface EvaluateCheckpointOptions {
  model: EvalModelSource;
  /** Return photo/X-ray/prediction images of these cases (default: the fixed evaluation list). */
  gridCaseIds?: string[];
  /** Server `--eval`; default the checkpoint's config. */
  evalMode?: boolean;
  /** Score traceability with this landmark detector (default null: not computed). */
  traceability?: DetectorRef | null;
}

export interface CheckpointEvaluation extends ValidationRound {
  source: EvalModelSource;
  runId: string | null;
  /** Checkpoint pointer name (`last`, `best`, ...) or null for the current weights. */
  checkpoint: string | null;
  config: RunConfig;
  grid: GridCase[];
  /** The fixed evaluation list the grid and the diagnostics use. */
  evalCaseIds: string[];
}

/** A generator (+ discriminator) to evaluate, with what is known about where it stands. */
export interface EvaluationModel {
  G: Generator;
  D: Discriminator | null;
  cfg: RunConfig;
  step: number;
  epoch: number | null;
  lrNow: number | null;
  losses: Record<string, number | null> | null;
  /** Earlier validation rounds of the run up to this model's step (stuck detector). */
  history: RoundDiag[];
  runId: string | null;
  checkpoint: string | null;
  /** Frees what was loaded for this evaluation (no-op for the live trainer's networks). */
  release(): void;
}

/** The active run's networks as an EvaluationModel (nothing to release). */
export function modelFromTrainer(
  trainer: Trainer,
  runId: string | null,
  losses: Record<string, number | null> | null,
  history: readonly RoundDiag[] = [],
): EvaluationModel {
  return {
    G: trainer.G,
    D: trainer.D,
    cfg: trainer.cfg,
    step: trainer.globalStep,
    epoch: trainer.epoch,
    lrNow: trainer.nextLearningRate,
    losses,
    history: [...history],
    runId,
    checkpoint: null,
    release: () => undefined,
  };
}

/**
 * Load a stored checkpoint's G and D (optimizer state is not decoded) and the run's validation
 * history up to its step. Throws the store's / checkpoint reader's errors (they name the run and
 * the checkpoint).
 */
export async function loadCheckpointModel(
  storage: Pick<StudioStorage, 'checkpoints' | 'runs'>,
  runId: string,
  name: string,
): Promise<EvaluationModel> {
  const { get } = await checkpointReader(storage.checkpoints, runId, name);
  const where = `run ${runId}, checkpoint "${name}"`;
  const g = await readCheckpointNetwork(get, 'G', where);
  const d = await readCheckpointNetwork(get, 'D', where);
  const cfg = g.manifest.config;
  const G = createGenerator(cfg, cfg.seed);
  let D: Discriminator | null = null;
  try {
    loadStateDict(G, g.stateDict, { strict: true });
    D = createDiscriminator(cfg, cfg.seed);
    loadStateDict(D, d.stateDict, { strict: true });
  } catch (e) {
    G.dispose();
    D?.dispose();
    throw e;
  }
  let history: RoundDiag[] = [];
  try {
    const points = await readHistory(storage.runs, runId, 'val');
    history = historyFromValPoints(points.filter((p) => p.step < g.manifest.step));
  } catch {
    // a run imported without history: the stuck verdict then needs more rounds
  }
  const metrics = g.manifest.metrics;
  const net = D;
  return {
    G,
    D: net,
    cfg,
    step: g.manifest.step,
    epoch: g.manifest.epoch,
    lrNow: learningRateAt(cfg, g.manifest.epoch, g.manifest.step),
    losses: metrics && Object.keys(metrics).length > 0 ? metrics : null,
    history,
    runId,
    checkpoint: name,
    release: () => {
      G.dispose();
      net.dispose();
    },
  };
}

/**
 * Evaluate a model on the dataset prepared at its size: every validation case, the fixed
 * evaluation list for diagnostics and the grid images, the fixed train subset for the gap.
 * Does not release the model.
 */
export async function evaluateCheckpoint(
  model: EvaluationModel,
  data: {
    train: readonly ImagePair[];
    val: readonly ImagePair[];
    evalCaseIds: readonly string[];
    /** Landmark-region sharpness (datasets with landmarks; X-ray as the target). */
    landmarks?: EvalLandmarkOptions | null;
    /** Traceability scorer (when params.traceability is set). */
    trace?: RoundTrace | null;
  },
  params: EvaluateCheckpointOptions,
): Promise<CheckpointEvaluation> {
  if (data.val.length === 0) {
    throw new Error(
      'this dataset has no validation cases to evaluate on; assign some cases to the val split in the Data section',
    );
  }
  const evalCaseIds =
    data.evalCaseIds.length > 0
      ? [...data.evalCaseIds]
      : data.val.slice(0, 20).map((c, i) => c.id ?? String(i));
  const gridIds = params.gridCaseIds ?? evalCaseIds;
  const ev = await evaluateModel(
    model.G,
    model.D,
    model.cfg,
    data.val,
    chooseTrainSubset(data.train, model.cfg.seed),
    {
      step: model.step,
      epoch: model.epoch,
      evalMode: params.evalMode ?? model.cfg.eval_mode,
      diagCaseIds: evalCaseIds,
      gridCaseIds: data.trace ? [...new Set([...gridIds, ...data.trace.caseIds])] : gridIds,
      lrNow: model.lrNow,
      losses: model.losses,
      landmarks: data.landmarks ?? null,
    },
  );
  const { grid: allGrid, ...rest } = ev;
  const round = completeRound(rest, model.cfg, model.history, model.losses);
  const wanted = new Set(gridIds);
  const grid = data.trace ? allGrid.filter((g) => wanted.has(g.id)) : allGrid;
  return {
    ...round,
    ...(data.trace ? { traceability: await data.trace.score(allGrid) } : {}),
    source: params.model,
    runId: model.runId,
    checkpoint: model.checkpoint,
    config: model.cfg,
    grid,
    evalCaseIds,
  };
}

/** Per-case scores of a stored round (for failure statistics of past rounds). */
export function caseScoresOfPoint(p: MetricPoint): ReturnType<typeof casesFromValues> {
  return casesFromValues(p.values);
}
