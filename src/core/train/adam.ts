/**
 * Adam with its state keyed by state_dict key, so the moments can be saved beside the weights and
 * restored exactly on resume.
 *
 * The arithmetic is TF.js 4.22's `tf.train.adam` op for op (same ops, same order, same float32
 * scalars; a unit test checks bit equality), with two differences that resume needs:
 *  - the moments are keyed by the network's state_dict key instead of by position, and created
 *    eagerly (zeros) for every trainable parameter;
 *  - the bias-correction accumulators beta1^t and beta2^t are saved and restored as they are
 *    (TF.js's setWeights recomputes them with pow(), which can differ in the last bit from the
 *    running product and would make a resumed run drift from an uninterrupted one).
 * The learning rate is an argument of each step, so the schedule needs no optimizer surgery.
 * The epsilon is always explicit (cfg.adam_epsilon): TF.js's default depends on the backend.
 */
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../config';
import type { StateDict } from '../model/types';

export interface AdamHyper {
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** Serializable optimizer state (moments in TF layout, the layout of the parameters). */
export interface AdamState {
  /** Completed optimizer steps. */
  iterations: number;
  /** beta1^(iterations+1) as the float32 accumulator holds it. */
  accBeta1: number;
  /** beta2^(iterations+1) as the float32 accumulator holds it. */
  accBeta2: number;
  /** First moments, key = parameter state_dict key, TF layout. */
  m: StateDict;
  /** Second moments, same keys and shapes. */
  v: StateDict;
}

export class Adam {
  readonly hyper: AdamHyper;
  private readonly params: Map<string, tf.Variable>;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private accBeta1: tf.Variable;
  private accBeta2: tf.Variable;
  private iterations_ = 0;

  constructor(params: Map<string, tf.Variable>, hyper: AdamHyper) {
    this.hyper = { ...hyper };
    this.params = params;
    this.accBeta1 = tf.tidy(() => tf.scalar(hyper.beta1).variable(false));
    this.accBeta2 = tf.tidy(() => tf.scalar(hyper.beta2).variable(false));
    for (const [key, p] of params) {
      this.m.set(
        key,
        tf.tidy(() => tf.zerosLike(p).variable(false)),
      );
      this.v.set(
        key,
        tf.tidy(() => tf.zerosLike(p).variable(false)),
      );
    }
  }

  get iterations(): number {
    return this.iterations_;
  }

  /**
   * One Adam step with learning rate `lr`. `grads` maps state_dict key -> gradient; a parameter
   * without a gradient is left unchanged (its moments too), like TF.js. Does not dispose `grads`.
   */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    const { beta1, beta2, epsilon } = this.hyper;
    const oneMinusAccBeta1 = tf.sub(1, this.accBeta1);
    const oneMinusAccBeta2 = tf.sub(1, this.accBeta2);
    try {
      for (const [key, value] of this.params) {
        const gradient = grads.get(key);
        if (gradient === undefined) continue;
        // one tidy per parameter: peak memory is one parameter's temporaries, not all of them
        tf.tidy(() => {
          const firstMoment = this.m.get(key) as tf.Variable;
          const secondMoment = this.v.get(key) as tf.Variable;
          const newFirstMoment = tf.add(tf.mul(firstMoment, beta1), tf.mul(gradient, 1 - beta1));
          const newSecondMoment = tf.add(tf.mul(secondMoment, beta2), tf.mul(tf.square(gradient), 1 - beta2));
          const biasCorrectedFirstMoment = tf.div(newFirstMoment, oneMinusAccBeta1);
          const biasCorrectedSecondMoment = tf.div(newSecondMoment, oneMinusAccBeta2);
          firstMoment.assign(newFirstMoment);
          secondMoment.assign(newSecondMoment);
          const newValue = tf.add(
            tf.mul(
              tf.div(biasCorrectedFirstMoment, tf.add(tf.sqrt(biasCorrectedSecondMoment), epsilon)),
              -lr,
            ),
            value,
          );
          value.assign(newValue);
        });
      }
      tf.tidy(() => {
        this.accBeta1.assign(tf.mul(this.accBeta1, beta1));
        this.accBeta2.assign(tf.mul(this.accBeta2, beta2));
      });
    } finally {
      tf.dispose([oneMinusAccBeta1, oneMinusAccBeta2]);
    }
    this.iterations_++;
  }

  /** Read the state back (async, no synchronous readback). */
  async getState(): Promise<AdamState> {
    const read = async (moments: Map<string, tf.Variable>): Promise<StateDict> => {
      const out: StateDict = [];
      for (const [key, t] of moments) {
        out.push({ key, dtype: 'float32', shape: [...t.shape], data: Float32Array.from(await t.data()) });
      }
      return out;
    };
    const [a1, a2] = await Promise.all([this.accBeta1.data(), this.accBeta2.data()]);
    return {
      iterations: this.iterations_,
      accBeta1: a1[0],
      accBeta2: a2[0],
      m: await read(this.m),
      v: await read(this.v),
    };
  }

  /** Restore a state saved by getState(); every parameter must have both moments with its shape. */
  setState(state: AdamState, what = 'optimizer'): void {
    const byKey = (sd: StateDict, kind: string): Map<string, StateDict[number]> => {
      const map = new Map(sd.map((e) => [e.key, e]));
      for (const [key, p] of this.params) {
        const e = map.get(key);
        if (!e) throw new Error(`${what}: ${kind} moment for "${key}" is missing`);
        if (e.shape.join('x') !== p.shape.join('x')) {
          throw new Error(
            `${what}: ${kind} moment for "${key}" has shape [${e.shape}], the parameter [${p.shape}]`,
          );
        }
      }
      for (const key of map.keys()) {
        if (!this.params.has(key)) throw new Error(`${what}: ${kind} moment for unknown parameter "${key}"`);
      }
      return map;
    };
    const m = byKey(state.m, 'first');
    const v = byKey(state.v, 'second');
    tf.tidy(() => {
      for (const key of this.params.keys()) {
        const me = m.get(key) as StateDict[number];
        const ve = v.get(key) as StateDict[number];
        (this.m.get(key) as tf.Variable).assign(tf.tensor(me.data as Float32Array, me.shape, 'float32'));
        (this.v.get(key) as tf.Variable).assign(tf.tensor(ve.data as Float32Array, ve.shape, 'float32'));
      }
      this.accBeta1.assign(tf.scalar(state.accBeta1));
      this.accBeta2.assign(tf.scalar(state.accBeta2));
    });
    this.iterations_ = state.iterations;
  }

  dispose(): void {
    tf.dispose([this.accBeta1, this.accBeta2, ...this.m.values(), ...this.v.values()]);
  }
}

/** Fresh Adam state (zero moments in TF layout for every trainable parameter). */
export function freshAdam(sd: StateDict, cfg: RunConfig): AdamState {
  const params = sd.filter((e) => e.dtype === 'float32' && !/\.running_(mean|var)$/.test(e.key));
  const zeros = params.map((e) => {
    const shape = e.shape.length === 4 ? [e.shape[2], e.shape[3], e.shape[1], e.shape[0]] : [...e.shape];
    return { key: e.key, dtype: 'float32' as const, shape, data: new Float32Array(e.data.length) };
  });
  return {
    iterations: 0,
    accBeta1: Math.fround(cfg.beta1),
    accBeta2: Math.fround(cfg.beta2),
    m: zeros,
    v: zeros.map((z) => ({ ...z, data: new Float32Array(z.data.length) })),
  };
}
