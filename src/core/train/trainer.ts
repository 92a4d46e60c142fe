/**
 * The pix2pix trainer: one optimisation step at a time, in the server's order, with nothing read
 * back synchronously.
 *
 * One step (server `Pix2PixModel.optimize_parameters`):
 *   1. G forward: fake = G(photo) in train mode (BatchNorm batch statistics, running stats updated,
 *      dropout with a per-step seed);
 *   2. D step: D(photo, fake) then D(photo, xray) (the server's order; fake is not differentiated
 *      for D's update), D loss = 0.5 (D_fake + D_real), one Adam step on D;
 *   3. G step: G's objective against the UPDATED D (D(photo, fake) again), one Adam step on G.
 * Steps 2 and 3 run inside G's gradient tape so G needs only one forward: the D update's ops are
 * recorded too but lie on no path from G's variables to G's loss, so they add nothing to G's
 * gradient. Like the server, every D forward in train mode updates D's BatchNorm running stats
 * (three per step); the extra D(photo, xray) needed for feature matching (lambda_fm > 0) does not.
 *
 * Determinism: the data order of epoch e is `Rng(deriveSeed(seed, 'order', e)).permutation(n)`,
 * the augmentation of step s draws from `Rng(deriveSeed(seed, 'augment', s))` and the dropout masks
 * from `deriveSeed(seed, 'dropout', s)`. Nothing depends on hidden generator state, so the same
 * seed gives the same run on the cpu backend and a resumed run continues exactly (step, epoch,
 * position in the epoch and the optimizer moments are all it needs).
 *
 * Readback: `step()` only launches work. At log steps (step 1 and every `log_every` steps) it
 * keeps the loss scalars and per-layer-group gradient norms; `readMetrics()` resolves them with
 * `await data()` and disposes them.
 */
import * as tf from '@tensorflow/tfjs';
import { sumTensors } from '../tensorOps';
import { LOSS_NAMES, type LossName, type RunConfig } from '../config';
import { aggregate, imageMetrics, type AggregateMetrics, type CaseMetrics } from '../eval/metrics';
import { discriminatorLoss, generatorLoss, G_TERMS, termWeight, type GTerm } from '../losses';
import type { DiscriminatorOutput } from '../model/types';
import { createDiscriminator, createGenerator, loadStateDict, stateDictOf } from '../model';
import { STRUCTURE_KEYS } from './continue';
import type { Discriminator, ForwardMode, Generator, StateDict } from '../model/types';
import { deriveSeed, Rng } from '../rng';
import { Adam } from './adam';
import type { TrainerState } from './checkpoint';
import { imageToTensor, type AugmentOptions, type DataSource, type ImagePair } from './data';
import { learningRateAt, stepsPerEpoch } from './schedule';

export { LOSS_NAMES, type LossName };

export interface StepMetrics {
  /** Steps completed when these values were taken (1-based: the first step is step 1). */
  step: number;
  /** Epoch of that step (1-based server numbering). */
  epoch: number;
  /** Batches done in that epoch, this one included. */
  iterInEpoch: number;
  /** Learning rate the step used (same for G and D). */
  lr: number;
  /** Losses with the server's names; G terms already weighted (G_L1 = lambda_L1 * L1). */
  losses: Record<LossName, number>;
  /**
   * L2 norm of the gradient per layer group, before the step's update: `G/outermost`, `G/down`,
   * `G/innermost`, `G/up`, and `D/layer<k>` (`D/scale<s>/layer<k>` for the extra scales).
   */
  gradNorms: Record<string, number>;
  /**
   * Pull of each generator term on G's output at log steps: the L2 norm over the batch of
   * ∂(λᵢLᵢ)/∂fake (fake in [-1, 1]), for every term with a non-zero weight, against the same D as
   * G's objective (the Evaluate section's loss balance measures the same quantity). Their ratios say
   * which term steers G: G_GAN / G_L1 ≪ 1 means the adversarial gradient is drowned by lambda_L1.
   * Empty when gradient norms are off.
   */
  termGradNorms: Partial<Record<GTerm, number>>;
  /**
   * Mean |G(photo)| of the step's batch (on [-1, 1]): any NaN/Inf in the generator output makes
   * it non-finite. Read back with the losses and checked in JavaScript (`Number.isFinite`), not on
   * the GPU: WGSL compilers may assume finite values and fold an isNan() away.
   */
  outputAbsMean: number;
  /** True when every loss, norm and the output mean are finite (a NaN/Inf means the run has diverged). */
  finite: boolean;
}

export interface StepInfo {
  /** Steps completed (after this one). */
  step: number;
  epoch: number;
  iterInEpoch: number;
  lr: number;
  /** This step kept metrics for readMetrics(). */
  logged: boolean;
  /** This step was the last batch of its epoch. */
  epochEnded: boolean;
}

export interface TrainerOptions {
  /** Keep metrics every this many steps (and at step 1). Default cfg.log_every. */
  logEvery?: number;
  /**
   * At log steps, compute the per-group gradient norms and the per-term pulls on G's output
   * (StepMetrics.gradNorms / termGradNorms). Default true. Measured on wasm (Demo preset networks,
   * 64 px, every step logged): about 3 % of a logged step with G_GAN + G_L1 (G_GAN's pull comes
   * from G's own backward, see `step`); each extra active term adds one gradient of that term
   * (G_grad ~10 %, G_ssim ~15 %, G_fm ~20 %: a D forward and backward). Steps that are not logged
   * pay nothing.
   */
  gradNorms?: boolean;
  /** At most this many unread metric records are kept; older ones are dropped. Default 1000. */
  maxPendingMetrics?: number;
  /**
   * Diagnostics/test hook: called inside every step with each network's gradients (state_dict key
   * -> gradient, before that network's update). The tensors are disposed right after the call;
   * `tf.keep` whatever you derive from them, and do not read them back synchronously.
   */
  onGradients?: (net: 'G' | 'D', grads: ReadonlyMap<string, tf.Tensor>) => void;
  /**
   * Run the D update with G's gradient tape paused (default true). The D step lies on no path from
   * G's variables to G's loss, so the result is the same either way (a unit test checks bit
   * equality); pausing just spares the tape from recording (and, on wasm, copying) every op of D's
   * forward, backward and Adam update: about half of a step's kernels at small sizes.
   */
  detachDStep?: boolean;
}

export interface EvaluateOptions {
  /** Server `--eval`: BatchNorm running stats, no dropout. Default cfg.eval_mode. */
  evalMode?: boolean;
  /** Also return the predictions [N, size, size, output_nc] (caller disposes). */
  keepPredictions?: boolean;
}

export interface EvaluationResult {
  cases: (CaseMetrics & { id: string })[];
  aggregate: AggregateMetrics;
  predictions?: tf.Tensor4D;
}

export interface PredictOptions {
  /** Server `--eval`. Default cfg.eval_mode. */
  evalMode?: boolean;
  /** Dropout seed when not in eval mode (default derived from cfg.seed), for reproducible output. */
  dropoutSeed?: number;
}

interface PendingMetrics {
  step: number;
  epoch: number;
  iterInEpoch: number;
  lr: number;
  losses: Partial<Record<LossName, tf.Scalar>>;
  gradNorms: Record<string, tf.Scalar>;
  termGradNorms: Partial<Record<GTerm, tf.Scalar>>;
  /** mean |fake| (StepMetrics.outputAbsMean). */
  output?: tf.Scalar;
}

/**
 * Layer group of a parameter for the gradient-norm report, from its state_dict key.
 * G (U-Net, keys `model.model.<i>` at level 0, one more `model.<i>` per level):
 * `G/outermost` (level 0), `G/innermost` (deepest level), otherwise `G/down` (the level's conv and
 * norm, Sequential index 1-2) or `G/up` (its convT and norm, index 5-6).
 * D (PatchGAN, keys `[scale<s>.]model.<i>`): `D/layer<k>` with conv k and its norm together.
 */
export function gradNormGroup(net: 'G' | 'D', key: string, innermostLevel: number): string {
  const parts = key.split('.');
  if (net === 'G') {
    const level = parts.filter((p) => p === 'model').length - 2;
    if (level <= 0) return 'G/outermost';
    if (level >= innermostLevel) return 'G/innermost';
    const idx = Number(parts[parts.length - 2]);
    return idx <= 2 ? 'G/down' : 'G/up';
  }
  const m = /^(?:scale(\d+)\.)?model\.(\d+)\./.exec(key);
  if (!m) return 'D/other';
  const layer = Math.floor((Number(m[2]) + 1) / 3) + 1;
  return m[1] ? `D/scale${m[1]}/layer${layer}` : `D/layer${layer}`;
}

/**
 * `cfg` with every generator term's weight at 0 except `term`'s (G_GAN keeps its fixed weight 1 —
 * its value is still computed by generatorLoss, but from a D output that is a constant unless the
 * caller makes it depend on the input).
 */
function termOnlyConfig(cfg: RunConfig, term: GTerm): RunConfig {
  const keep = (t: GTerm, v: number): number => (t === term ? v : 0);
  return {
    ...cfg,
    lambda_L1: keep('G_L1', cfg.lambda_L1),
    lambda_grad: keep('G_grad', cfg.lambda_grad),
    lambda_lap: keep('G_lap', cfg.lambda_lap),
    lambda_fm: keep('G_fm', cfg.lambda_fm),
    lambda_ssim: keep('G_ssim', cfg.lambda_ssim),
  };
}

/**
 * Identity on `x` whose gradient passes through unchanged; during backpropagation `onGrad` sees it
 * (∂loss/∂x; the tensor is disposed after the call, `tf.keep` what you derive from it).
 */
function gradientTap(x: tf.Tensor4D, onGrad: (dy: tf.Tensor4D) => void): tf.Tensor4D {
  const op = tf.customGrad((input: tf.Tensor | tf.GradSaveFunc) => {
    const t = input as tf.Tensor; // customGrad passes the tensor first, the save function last
    return {
      value: tf.clone(t),
      gradFunc: (dy: tf.Tensor) => {
        onGrad(dy as tf.Tensor4D);
        return tf.clone(dy);
      },
    };
  });
  return op(x) as tf.Tensor4D;
}

/**
 * Metric-point values of a logged step's gradient norms (for the run history and the Train view's
 * chart): `grad:<group>` for the per-layer-group weight-gradient norms (`grad:G/down`,
 * `grad:D/layer1`, ...) and `grad:fake/<term>` for the per-term pulls on G's output
 * (`grad:fake/G_L1`). Non-finite values become null. Empty when the trainer ran without norms.
 */
export function gradNormPointValues(
  m: Pick<StepMetrics, 'gradNorms' | 'termGradNorms'>,
): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  const put = (key: string, v: number): void => {
    out[key] = Number.isFinite(v) ? v : null;
  };
  for (const [group, v] of Object.entries(m.gradNorms)) put(`grad:${group}`, v);
  for (const term of G_TERMS) {
    const v = m.termGradNorms[term];
    if (v !== undefined) put(`grad:fake/${term}`, v);
  }
  return out;
}

function innermostLevelOf(keys: Iterable<string>): number {
  let max = 0;
  for (const k of keys) max = Math.max(max, k.split('.').filter((p) => p === 'model').length - 2);
  return max;
}

/** Case order of epoch `epoch` (a seeded permutation, the server's shuffle). */
export function epochOrder(seed: number, epoch: number, count: number): number[] {
  return new Rng(deriveSeed(seed, 'order', epoch)).permutation(count);
}

/**
 * Forward mode for inference. evalMode (server `--eval`): BatchNorm running statistics, no dropout.
 * Otherwise the server's test default: BatchNorm on the batch's own statistics and dropout on
 * (with a fixed seed here, so the output is reproducible). Running stats are never updated.
 */
export function inferenceMode(
  cfg: Pick<RunConfig, 'no_dropout' | 'seed'>,
  evalMode: boolean,
  dropoutSeed = deriveSeed(cfg.seed, 'predict'),
): ForwardMode {
  return evalMode
    ? { training: false, dropout: false, updateStats: false }
    : { training: true, dropout: !cfg.no_dropout, updateStats: false, dropoutSeed };
}

/**
 * Run `fn` as if no gradient tape were recording: TF.js records every op into the active tape
 * while `gradientDepth > 0`, including ops that can never reach the taped loss. `fn` may start its
 * own gradient computations (they get a fresh tape). The engine fields used are public in TF.js 4.x;
 * if they are not what is expected, `fn` simply runs recorded (correct, only slower).
 */
export function outsideGradientTape<T>(fn: () => T): T {
  const state = tf.engine().state as { activeTape: unknown; gradientDepth: unknown };
  if (
    typeof state.gradientDepth !== 'number' ||
    state.gradientDepth === 0 ||
    !Array.isArray(state.activeTape)
  ) {
    return fn();
  }
  const tape = state.activeTape;
  const depth = state.gradientDepth;
  state.activeTape = null;
  state.gradientDepth = 0;
  try {
    return fn();
  } finally {
    state.activeTape = tape;
    state.gradientDepth = depth;
  }
}

export class Trainer {
  readonly cfg: RunConfig;
  readonly G: Generator;
  readonly D: Discriminator;
  readonly data: DataSource;
  private readonly optG: Adam;
  private readonly optD: Adam;
  private readonly logEvery: number;
  private readonly withGradNorms: boolean;
  private readonly maxPending: number;
  private readonly onGradients: TrainerOptions['onGradients'];
  private readonly detachDStep: boolean;
  private readonly gVars: tf.Variable[];
  private readonly dVars: tf.Variable[];
  /** Variable name -> state_dict key. */
  private readonly keyOfVar = new Map<string, string>();
  private readonly gInnermost: number;
  private readonly spe: number;
  private stepsDone = 0;
  private epoch_: number;
  private iter_ = 0;
  private order: number[];
  private pending: PendingMetrics[] = [];
  private logged = 0;
  private lastLosses: Partial<Record<LossName, number>> = {};
  private disposed = false;

  /** G, D and data stay owned by the caller; `dispose()` frees only the trainer's own state. */
  constructor(cfg: RunConfig, G: Generator, D: Discriminator, data: DataSource, opts: TrainerOptions = {}) {
    if (data.size !== cfg.size) {
      throw new Error(`the data is ${data.size} px but the run config trains at ${cfg.size} px (size)`);
    }
    if (!Number.isInteger(cfg.batch_size) || cfg.batch_size < 1) {
      throw new Error(`batch_size must be a whole number of at least 1; got ${cfg.batch_size}`);
    }
    this.cfg = cfg;
    this.G = G;
    this.D = D;
    this.data = data;
    this.logEvery = Math.max(1, Math.floor(opts.logEvery ?? cfg.log_every));
    this.withGradNorms = opts.gradNorms ?? true;
    this.maxPending = opts.maxPendingMetrics ?? 1000;
    this.onGradients = opts.onGradients;
    this.detachDStep = opts.detachDStep ?? true;
    const hyper = { beta1: cfg.beta1, beta2: cfg.beta2, epsilon: cfg.adam_epsilon };
    this.optG = new Adam(G.params, hyper);
    this.optD = new Adam(D.params, hyper);
    this.gVars = [...G.params.values()];
    this.dVars = [...D.params.values()];
    for (const [k, v] of G.params) this.keyOfVar.set(v.name, k);
    for (const [k, v] of D.params) this.keyOfVar.set(v.name, k);
    this.gInnermost = innermostLevelOf(G.params.keys());
    this.spe = stepsPerEpoch(data.trainCount, cfg.batch_size);
    this.epoch_ = cfg.epoch_count;
    this.order = epochOrder(cfg.seed, this.epoch_, data.trainCount);
  }

  /** A trainer with fresh networks initialised from cfg.seed. `dispose()` then also frees G and D. */
  static create(cfg: RunConfig, data: DataSource, opts: TrainerOptions = {}): Trainer {
    const G = createGenerator(cfg, cfg.seed);
    const D = createDiscriminator(cfg, cfg.seed);
    const t = new Trainer(cfg, G, D, data, opts);
    t.ownsNets = true;
    return t;
  }

  /** A trainer that continues a saved run (networks built from the state's config). */
  static restore(state: TrainerState, data: DataSource, opts: TrainerOptions = {}): Trainer {
    const t = Trainer.create(state.config, data, opts);
    try {
      t.setState(state);
    } catch (e) {
      t.dispose();
      throw e;
    }
    return t;
  }

  /**
   * A trainer for a NEW run that starts from trained weights (see continue.ts): G and D are built
   * from `cfg` and loaded strictly from the state dicts (PyTorch layout, e.g. from an imported
   * .pth); without `D` the discriminator keeps its fresh cfg.seed initialisation. Adam starts
   * fresh, the step counter at 0 and the epoch at `cfg.epoch_count`.
   * Throws (naming the key) when a state dict does not fit cfg's networks.
   */
  static fromWeights(
    cfg: RunConfig,
    weights: { G: StateDict; D?: StateDict },
    data: DataSource,
    opts: TrainerOptions = {},
  ): Trainer {
    const t = Trainer.create(cfg, data, opts);
    try {
      loadStateDict(t.G, weights.G, { strict: true });
      if (weights.D) loadStateDict(t.D, weights.D, { strict: true });
    } catch (e) {
      t.dispose();
      throw e;
    }
    return t;
  }

  private ownsNets = false;

  /** Steps completed. */
  get globalStep(): number {
    return this.stepsDone;
  }
  /** Current epoch (1-based server numbering). */
  get epoch(): number {
    return this.epoch_;
  }
  /** Batches done in the current epoch. */
  get iterInEpoch(): number {
    return this.iter_;
  }
  get stepsPerEpoch(): number {
    return this.spe;
  }
  /** Metric records kept and not read yet. */
  get pendingMetrics(): number {
    return this.pending.length;
  }
  /** Metric records produced so far (the run's loss history length). */
  get historyLength(): number {
    return this.logged;
  }
  /** Learning rate of the next step. */
  get nextLearningRate(): number {
    const rolls = this.iter_ >= this.spe;
    return learningRateAt(this.cfg, rolls ? this.epoch_ + 1 : this.epoch_, this.stepsDone);
  }

  private augment(): AugmentOptions {
    return { jitter: this.cfg.jitter, flip: this.cfg.flip };
  }

  private gradsByKey(grads: tf.NamedTensorMap): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [name, g] of Object.entries(grads)) {
      const key = this.keyOfVar.get(name);
      if (key === undefined) throw new Error(`internal: gradient for unknown variable ${name}`);
      out.set(key, g);
    }
    return out;
  }

  /** Kept scalar L2 norms per group (caller disposes). */
  private groupNorms(net: 'G' | 'D', grads: Map<string, tf.Tensor>): Record<string, tf.Scalar> {
    const sums = new Map<string, tf.Tensor[]>();
    for (const [key, g] of grads) {
      const group = gradNormGroup(net, key, this.gInnermost);
      const list = sums.get(group) ?? [];
      list.push(g);
      sums.set(group, list);
    }
    const out: Record<string, tf.Scalar> = {};
    for (const [group, list] of sums) {
      out[group] = tf.keep(
        tf.tidy(() => tf.sqrt(sumTensors(list.map((g) => tf.sum(tf.square(g))))) as tf.Scalar),
      );
    }
    return out;
  }

  /**
   * The per-term pulls on G's output except G_GAN's (see `step`), computed outside G's tape:
   * kept scalars ‖∂(λᵢLᵢ)/∂fake‖ for every other term with a non-zero weight, and the kept sum of
   * those gradients (null when G_GAN is the only term). Caller disposes both. `dFake` is D's output
   * in G's objective (a constant here); G_fm runs D again on (photo, x) without updating its
   * BatchNorm running statistics (same batch statistics, so the same output).
   */
  private otherTermPulls(
    batch: { photo: tf.Tensor4D; xray: tf.Tensor4D },
    fake: tf.Tensor4D,
    dFake: DiscriminatorOutput,
    dReal: DiscriminatorOutput | undefined,
  ): { norms: Partial<Record<GTerm, tf.Scalar>>; sum: tf.Tensor4D | null } {
    const cfg = this.cfg;
    const dModeNoStats: ForwardMode = { training: true, dropout: false, updateStats: false };
    const terms = G_TERMS.filter(
      (t) => t !== 'G_GAN' && termWeight(cfg, t) !== 0 && (t !== 'G_fm' || dReal !== undefined),
    );
    if (terms.length === 0) return { norms: {}, sum: null };
    return tf.tidy(() => {
      const norms: Partial<Record<GTerm, tf.Scalar>> = {};
      const grads = terms.map((term) => {
        const only = termOnlyConfig(cfg, term);
        const grad = tf.grad((x: tf.Tensor) => {
          const x4 = x as tf.Tensor4D;
          const dF = term === 'G_fm' ? this.D.apply(batch.photo, x4, dModeNoStats) : dFake;
          return generatorLoss(only, { fake: x4, real: batch.xray, dFake: dF, dReal }).terms[term];
        })(fake) as tf.Tensor4D;
        norms[term] = tf.keep(tf.norm(grad) as tf.Scalar);
        return grad;
      });
      return { norms, sum: tf.keep(sumTensors(grads)) };
    });
  }

  /** Launch one training step. Reads nothing back. */
  step(): StepInfo {
    if (this.disposed) throw new Error('Trainer used after dispose()');
    const cfg = this.cfg;
    if (this.iter_ >= this.spe) {
      this.epoch_ += 1;
      this.iter_ = 0;
      this.order = epochOrder(cfg.seed, this.epoch_, this.data.trainCount);
    }
    const s = this.stepsDone;
    const lr = learningRateAt(cfg, this.epoch_, s);
    const bs = cfg.batch_size;
    const indices = this.order.slice(this.iter_ * bs, Math.min((this.iter_ + 1) * bs, this.order.length));
    const log = s + 1 === 1 || (s + 1) % this.logEvery === 0;
    const batch = this.data.batch(indices, new Rng(deriveSeed(cfg.seed, 'augment', s)), this.augment());
    const gMode: ForwardMode = {
      training: true,
      dropout: !cfg.no_dropout,
      updateStats: true,
      dropoutSeed: deriveSeed(cfg.seed, 'dropout', s),
    };
    const dMode: ForwardMode = { training: true, dropout: false, updateStats: true };
    const dModeNoStats: ForwardMode = { training: true, dropout: false, updateStats: false };
    const record: PendingMetrics = {
      step: s + 1,
      epoch: this.epoch_,
      iterInEpoch: this.iter_ + 1,
      lr,
      losses: {},
      gradNorms: {},
      termGradNorms: {},
    };
    const pulls = log && this.withGradNorms;
    // the other terms' summed ∂/∂fake, from G's forward until its backward (see the tap below)
    let others = null as tf.Tensor4D | null; // (assigned inside the tape's closure)
    try {
      const { value, grads } = tf.variableGrads(() => {
        // At log steps G's backward hands the tap ∂L_G/∂fake, the sum of every term's pull; minus
        // the other terms' gradients (computed below without D, except G_fm) it is G_GAN's. This
        // spares a D forward and backward per logged step (the tap passes the gradient unchanged).
        const fakeG = this.G.apply(batch.photo, gMode);
        if (log)
          record.output = outsideGradientTape(() =>
            tf.keep(tf.tidy(() => tf.mean(tf.abs(fakeG)) as tf.Scalar)),
          );
        const fake = pulls
          ? gradientTap(fakeG, (dy) => {
              record.termGradNorms.G_GAN?.dispose();
              record.termGradNorms.G_GAN = tf.keep(
                tf.tidy(() => tf.norm(others ? tf.sub(dy, others) : dy) as tf.Scalar),
              );
            })
          : fakeG;
        // D step on the fake (not differentiated for D's update) and the real pair
        const dStep = (): void => {
          const dRes = tf.variableGrads(() => {
            const outFake = this.D.apply(batch.photo, fake, dMode);
            const outReal = this.D.apply(batch.photo, batch.xray, dMode);
            const l = discriminatorLoss(cfg, outReal, outFake);
            if (log) {
              record.losses.D_real = tf.keep(l.D_real);
              record.losses.D_fake = tf.keep(l.D_fake);
            }
            return l.total;
          }, this.dVars);
          const dGrads = this.gradsByKey(dRes.grads);
          if (log && this.withGradNorms) Object.assign(record.gradNorms, this.groupNorms('D', dGrads));
          this.onGradients?.('D', dGrads);
          this.optD.apply(dGrads, lr);
          tf.dispose([dRes.value, ...Object.values(dRes.grads)]);
        };
        if (this.detachDStep) outsideGradientTape(dStep);
        else dStep();
        // G's objective against the updated D
        const dFake = this.D.apply(batch.photo, fake, dMode);
        const dReal = cfg.lambda_fm > 0 ? this.D.apply(batch.photo, batch.xray, dModeNoStats) : undefined;
        const gl = generatorLoss(cfg, { fake, real: batch.xray, dFake, dReal });
        if (log) for (const term of G_TERMS) record.losses[term] = tf.keep(gl.terms[term]);
        if (pulls) {
          const o = outsideGradientTape(() => this.otherTermPulls(batch, fake, dFake, dReal));
          Object.assign(record.termGradNorms, o.norms);
          others = o.sum;
        }
        return gl.total;
      }, this.gVars);
      const gGrads = this.gradsByKey(grads);
      if (log && this.withGradNorms) Object.assign(record.gradNorms, this.groupNorms('G', gGrads));
      this.onGradients?.('G', gGrads);
      this.optG.apply(gGrads, lr);
      tf.dispose([value, ...Object.values(grads)]);
    } catch (e) {
      this.disposeRecord(record);
      throw e;
    } finally {
      tf.dispose([batch.photo, batch.xray]);
      others?.dispose();
    }
    this.stepsDone += 1;
    this.iter_ += 1;
    if (log) {
      this.pending.push(record);
      this.logged += 1;
      while (this.pending.length > this.maxPending)
        this.disposeRecord(this.pending.shift() as PendingMetrics);
    }
    return {
      step: this.stepsDone,
      epoch: this.epoch_,
      iterInEpoch: this.iter_,
      lr,
      logged: log,
      epochEnded: this.iter_ >= this.spe,
    };
  }

  private disposeRecord(r: PendingMetrics): void {
    tf.dispose([
      ...Object.values(r.losses),
      ...Object.values(r.gradNorms),
      ...Object.values(r.termGradNorms),
      ...(r.output ? [r.output] : []),
    ]);
  }

  /** The oldest unread metrics record (FIFO), read with `await data()`. Throws when none is pending. */
  async readMetrics(): Promise<StepMetrics> {
    const r = this.pending.shift();
    if (!r) throw new Error('readMetrics: no logged step is pending (check StepInfo.logged)');
    const [m] = await this.readRecords([r]);
    return m;
  }

  /**
   * All unread metrics records, oldest first, in ONE GPU→CPU read (a caller that reads at metric-event
   * time instead of every logged step waits for the device once for all of them).
   */
  async drainMetrics(): Promise<StepMetrics[]> {
    const records = this.pending;
    this.pending = [];
    return records.length === 0 ? [] : this.readRecords(records);
  }

  /** Read and dispose `records` (already taken off `pending`): every scalar in one `await data()`. */
  private async readRecords(records: PendingMetrics[]): Promise<StepMetrics[]> {
    try {
      // every scalar of every record in ONE read (one GPU→CPU copy on WebGPU instead of ~20 per record)
      const layouts = records.map((r) => ({
        r,
        lossNames: LOSS_NAMES.filter((name) => r.losses[name] !== undefined),
        groups: Object.keys(r.gradNorms),
        terms: G_TERMS.filter((term) => r.termGradNorms[term] !== undefined),
      }));
      const scalars = layouts.flatMap(({ r, lossNames, groups, terms }) => [
        ...lossNames.map((name) => r.losses[name] as tf.Scalar),
        ...groups.map((group) => r.gradNorms[group]),
        ...terms.map((term) => r.termGradNorms[term] as tf.Scalar),
        ...(r.output ? [r.output] : []),
      ]);
      const packed = scalars.length > 0 ? tf.tidy(() => tf.stack(scalars)) : null;
      const values = packed ? await packed.data() : new Float32Array(0);
      packed?.dispose();
      let i = 0;
      return layouts.map(({ r, lossNames, groups, terms }) => {
        const losses = {} as Record<LossName, number>;
        for (const name of LOSS_NAMES) losses[name] = 0;
        for (const name of lossNames) losses[name] = values[i++];
        const gradNorms: Record<string, number> = {};
        for (const group of groups) gradNorms[group] = values[i++];
        const termGradNorms: Partial<Record<GTerm, number>> = {};
        for (const term of terms) termGradNorms[term] = values[i++];
        const outputAbsMean = r.output ? values[i++] : 0;
        // checked here in JavaScript on the values read back (never trusted to a GPU-side isNan)
        const finite = [
          ...Object.values(losses),
          ...Object.values(gradNorms),
          ...Object.values(termGradNorms),
          outputAbsMean,
        ].every(Number.isFinite);
        this.lastLosses = losses;
        return {
          step: r.step,
          epoch: r.epoch,
          iterInEpoch: r.iterInEpoch,
          lr: r.lr,
          losses,
          gradNorms,
          termGradNorms,
          outputAbsMean,
          finite,
        };
      });
    } finally {
      for (const r of records) this.disposeRecord(r);
    }
  }

  private forwardMode(evalMode: boolean, dropoutSeed: number): ForwardMode {
    return inferenceMode(this.cfg, evalMode, dropoutSeed);
  }

  /**
   * photo [N, H, W, input_nc] in [-1, 1] -> xray prediction (caller disposes). Running statistics
   * are never updated here. Without eval mode BatchNorm uses the batch's statistics and dropout is
   * on, like the server's test.py without `--eval`.
   */
  predict(photo: tf.Tensor4D, opts: PredictOptions = {}): tf.Tensor4D {
    const evalMode = opts.evalMode ?? this.cfg.eval_mode;
    return this.G.apply(
      photo,
      this.forwardMode(evalMode, opts.dropoutSeed ?? deriveSeed(this.cfg.seed, 'predict')),
    );
  }

  /**
   * Metrics of the generator on evaluation cases (photo/xray at the training size), one case at a
   * time like the server's test.py (batch 1). Without eval mode each case's dropout seed is derived
   * from the run seed and its index, so repeated evaluations of the same weights agree.
   */
  async evaluate(cases: readonly ImagePair[], opts: EvaluateOptions = {}): Promise<EvaluationResult> {
    if (cases.length === 0) throw new Error('evaluate: the evaluation set is empty');
    const evalMode = opts.evalMode ?? this.cfg.eval_mode;
    const results: (CaseMetrics & { id: string })[] = [];
    const preds: tf.Tensor4D[] = [];
    try {
      for (let i = 0; i < cases.length; i++) {
        const c = cases[i];
        const photo = imageToTensor(c.photo, this.cfg.input_nc);
        const xray = imageToTensor(c.xray, this.cfg.output_nc);
        let pred: tf.Tensor4D | undefined;
        try {
          pred = this.G.apply(photo, this.forwardMode(evalMode, deriveSeed(this.cfg.seed, 'evaluate', i)));
          const [m] = await imageMetrics(pred, xray);
          results.push({ id: c.id ?? String(i), ...m });
          if (opts.keepPredictions) {
            preds.push(pred);
            pred = undefined;
          }
        } finally {
          tf.dispose([photo, xray]);
          if (pred) pred.dispose();
        }
      }
      const predictions = opts.keepPredictions ? (tf.concat(preds, 0) as tf.Tensor4D) : undefined;
      return { cases: results, aggregate: aggregate(results), predictions };
    } finally {
      tf.dispose(preds);
    }
  }

  /** Everything needed to resume (reads the weights and moments back asynchronously). */
  async getState(extraMetrics: Record<string, number | null> = {}): Promise<TrainerState> {
    const [G, D, optG, optD] = await Promise.all([
      stateDictOf(this.G),
      stateDictOf(this.D),
      this.optG.getState(),
      this.optD.getState(),
    ]);
    return {
      config: { ...this.cfg },
      step: this.stepsDone,
      epoch: this.epoch_,
      iterInEpoch: this.iter_,
      trainCount: this.data.trainCount,
      dataOrder: [...this.order],
      historyLength: this.logged,
      metrics: { ...this.lastLosses, ...extraMetrics },
      G,
      D,
      optimizer: { G: optG, D: optD },
    };
  }

  /**
   * Continue from a saved state: weights, BatchNorm statistics, optimizer moments, step, epoch and
   * position in the epoch. Unread metrics are dropped. Throws (changing nothing it can avoid) when
   * the state does not fit this trainer's networks or data.
   */
  setState(state: TrainerState): void {
    for (const k of STRUCTURE_KEYS) {
      if (state.config[k] !== this.cfg[k]) {
        throw new Error(
          `the checkpoint was trained with ${k} = ${String(state.config[k])}, this run has ${String(this.cfg[k])}; ` +
            'start the run from the checkpoint’s own config',
        );
      }
    }
    if (state.trainCount !== this.data.trainCount || state.dataOrder.length !== this.data.trainCount) {
      throw new Error(
        `the checkpoint was trained on ${state.trainCount} training cases, the current dataset has ` +
          `${this.data.trainCount}; resume with the same dataset or start a new run`,
      );
    }
    loadStateDict(this.G, state.G, { strict: true });
    loadStateDict(this.D, state.D, { strict: true });
    this.optG.setState(state.optimizer.G, 'generator optimizer');
    this.optD.setState(state.optimizer.D, 'discriminator optimizer');
    this.stepsDone = state.step;
    this.epoch_ = state.epoch;
    this.iter_ = state.iterInEpoch;
    this.order = [...state.dataOrder];
    this.logged = state.historyLength;
    for (const r of this.pending) this.disposeRecord(r);
    this.pending = [];
  }

  /** Free the optimizer state and unread metrics (and G and D when made by create/restore). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const r of this.pending) this.disposeRecord(r);
    this.pending = [];
    this.optG.dispose();
    this.optD.dispose();
    if (this.ownsNets) {
      this.G.dispose();
      this.D.dispose();
    }
  }
}
