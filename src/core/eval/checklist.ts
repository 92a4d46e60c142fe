/**
 * The clinic's checklist for a generator whose output stopped changing (plan 002, "诊断对策"),
 * each item answered automatically from what the studio knows:
 *  1. eval/train mode — the inference mode the evaluation used against the run config;
 *  2. every loss term > 0 — from the last logged losses (terms with a non-zero weight);
 *  3. input range — min/max of the photo and X-ray tensors actually fed to the model ([-1,1]);
 *  4. a loss weight too small to matter — from the loss balance at the generator output
 *     (share of the total < 1 % or gradient norm < 1/100 of G_L1's);
 *  5. learning rate — against pix2pix's 2e-4 and where the schedule stands now.
 * Questions and answers are messages ({code, params}) of core/messages/checklist.ts, rendered
 * with `messageText(msg, lang)` in English or Simplified Chinese. Pure functions.
 */
import { TERM_WEIGHT, type RunConfig } from '../config';
import type { ChecklistCode } from '../messages/checklist';
import type { Message, MessageList, NestedMessage, NestedParam } from '../messages/form';
import type { GTerm, TermBalance } from '../losses';
import { epochLrFactor, lastEpoch, lrStepAt } from '../train/schedule';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'unknown';
export type ChecklistId = 'mode' | 'losses' | 'input_range' | 'weights' | 'lr';

export interface ChecklistItem {
  id: ChecklistId;
  status: CheckStatus;
  question: Message<ChecklistCode>;
  /** May hold sub-messages (lists of terms, the schedule): render with `messageText`. */
  answer: NestedMessage<ChecklistCode>;
}

/** Value range of the tensors fed to the model, on the server's [-1,1] scale. */
export interface InputRange {
  photoMin: number;
  photoMax: number;
  xrayMin: number;
  xrayMax: number;
}

export interface ChecklistInputs {
  cfg: RunConfig;
  /** Inference mode the evaluation used (server `--eval`). */
  evalMode: boolean;
  /** Last logged losses with the server's names (G terms weighted), or null when none yet. */
  losses: Record<string, number | null> | null;
  inputRange: InputRange | null;
  balance: readonly TermBalance[] | null;
  /** Learning rate of the next step, or null when unknown. */
  lrNow: number | null;
}

/** pix2pix's learning rate (the server's default). */
export const PIX2PIX_LR = 2e-4;
/** A term whose share is below this, or whose gradient norm is below G_L1's times this, cannot steer. */
export const TOO_SMALL = 0.01;

const EXTRA_TERMS: readonly GTerm[] = ['G_grad', 'G_lap', 'G_fm', 'G_ssim'];

function fmt(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return Number(v.toPrecision(digits)).toString();
}

function lrText(v: number): string {
  return v === 0 ? '0' : v.toExponential(1);
}

/** A checklist message; `params` may hold sub-messages (rendered in the same language). */
function msg(
  code: ChecklistCode,
  params: Readonly<Record<string, NestedParam>> = {},
): NestedMessage<ChecklistCode> {
  return { code, params };
}

function question(code: ChecklistCode): Message<ChecklistCode> {
  return { code, params: {} };
}

/** Items joined with ', ' / '、' (enum) or '; ' / '；' (semicolon). */
function list(items: MessageList['list'], sep: 'enum' | 'semicolon'): MessageList {
  return { list: items, sep: sep === 'enum' ? 'checklist.sep.enum' : 'checklist.sep.semicolon' };
}

function checkMode(inp: ChecklistInputs): ChecklistItem {
  const mismatch = inp.evalMode !== inp.cfg.eval_mode;
  const code: ChecklistCode = mismatch
    ? inp.evalMode
      ? 'checklist.mode.mismatchEval'
      : 'checklist.mode.mismatchTrainLike'
    : inp.evalMode
      ? 'checklist.mode.okEval'
      : 'checklist.mode.okTrainLike';
  return {
    id: 'mode',
    status: mismatch ? 'warn' : 'ok',
    question: question('checklist.mode.question'),
    answer: msg(code, { evalMode: inp.cfg.eval_mode ? 'on' : 'off' }),
  };
}

function checkLosses(inp: ChecklistInputs): ChecklistItem {
  const q = question('checklist.losses.question');
  if (!inp.losses) {
    return { id: 'losses', status: 'unknown', question: q, answer: msg('checklist.losses.none') };
  }
  const active: string[] = ['D_real', 'D_fake'];
  for (const [term, key] of Object.entries(TERM_WEIGHT) as [GTerm, keyof RunConfig | null][]) {
    if (key === null || (inp.cfg[key] as number) > 0) active.push(term);
  }
  const bad = active.filter((name) => {
    const v = inp.losses?.[name];
    return v === null || v === undefined || !Number.isFinite(v) || v <= 0;
  });
  const values = active.map((n) => `${n} = ${fmt(inp.losses?.[n] ?? NaN)}`).join(', ');
  if (bad.length > 0) {
    return {
      id: 'losses',
      status: 'fail',
      question: q,
      answer: msg(bad.length === 1 ? 'checklist.losses.failOne' : 'checklist.losses.failMany', {
        bad: list(bad, 'enum'),
        list: values,
      }),
    };
  }
  return { id: 'losses', status: 'ok', question: q, answer: msg('checklist.losses.ok', { list: values }) };
}

function checkRange(inp: ChecklistInputs): ChecklistItem {
  const q = question('checklist.range.question');
  const r = inp.inputRange;
  if (!r) {
    return { id: 'input_range', status: 'unknown', question: q, answer: msg('checklist.range.none') };
  }
  const values = {
    photoMin: fmt(r.photoMin),
    photoMax: fmt(r.photoMax),
    xrayMin: fmt(r.xrayMin),
    xrayMax: fmt(r.xrayMax),
  };
  const eps = 1e-4;
  const outside =
    [r.photoMin, r.xrayMin].some((v) => v < -1 - eps) || [r.photoMax, r.xrayMax].some((v) => v > 1 + eps);
  if (outside || ![r.photoMin, r.photoMax, r.xrayMin, r.xrayMax].every(Number.isFinite)) {
    return { id: 'input_range', status: 'fail', question: q, answer: msg('checklist.range.outside', values) };
  }
  const halfOnly = r.photoMin >= 0 || r.xrayMin >= 0;
  const narrow = r.photoMax - r.photoMin < 0.25 || r.xrayMax - r.xrayMin < 0.25;
  if (halfOnly || narrow) {
    return {
      id: 'input_range',
      status: 'warn',
      question: q,
      answer: msg(halfOnly ? 'checklist.range.halfOnly' : 'checklist.range.narrow', values),
    };
  }
  return { id: 'input_range', status: 'ok', question: q, answer: msg('checklist.range.ok', values) };
}

function checkWeights(inp: ChecklistInputs): ChecklistItem {
  const q = question('checklist.weights.question');
  const b = inp.balance;
  if (!b || b.length === 0) {
    return { id: 'weights', status: 'unknown', question: q, answer: msg('checklist.weights.none') };
  }
  const l1 = b.find((r) => r.term === 'G_L1');
  const ref = l1 ?? b.reduce((m, r) => (r.gradNorm > m.gradNorm ? r : m), b[0]);
  const weak = b.filter(
    (r) =>
      EXTRA_TERMS.includes(r.term) &&
      (r.share < TOO_SMALL || (ref.gradNorm > 0 && r.gradNorm < ref.gradNorm * TOO_SMALL)),
  );
  const describe = (r: TermBalance): NestedMessage => {
    const key = TERM_WEIGHT[r.term];
    const values = {
      term: r.term,
      share: fmt(r.share * 100),
      norm: fmt(r.gradNorm),
      ratio: fmt(ref.gradNorm > 0 ? r.gradNorm / ref.gradNorm : NaN),
      ref: ref.term,
    };
    return key
      ? msg('checklist.weights.term', { ...values, key, weight: fmt(inp.cfg[key] as number) })
      : msg('checklist.weights.termUnweighted', values);
  };
  if (weak.length > 0) {
    return {
      id: 'weights',
      status: 'warn',
      question: q,
      answer: msg('checklist.weights.weak', { terms: list(weak.map(describe), 'semicolon'), ref: ref.term }),
    };
  }
  const extras = b.filter((r) => EXTRA_TERMS.includes(r.term));
  if (extras.length === 0) {
    const gan = b.find((r) => r.term === 'G_GAN')?.gradNorm ?? NaN;
    return {
      id: 'weights',
      status: 'ok',
      question: q,
      answer: msg('checklist.weights.onlyBase', {
        ratio: fmt(ref.gradNorm > 0 ? gan / ref.gradNorm : NaN),
        ref: ref.term,
      }),
    };
  }
  return {
    id: 'weights',
    status: 'ok',
    question: q,
    answer: msg('checklist.weights.ok', { terms: list(extras.map(describe), 'semicolon') }),
  };
}

function checkLr(inp: ChecklistInputs): ChecklistItem {
  const q = question('checklist.lr.question');
  const c = inp.cfg;
  const ratio = c.lr / PIX2PIX_LR;
  const stepAt = lrStepAt(c);
  const atStart = stepAt === 'epoch_start';
  const epochs = { nEpochs: c.n_epochs, nDecay: c.n_epochs_decay };
  const schedule =
    c.warmup_steps > 0
      ? msg(atStart ? 'checklist.lr.schedule.startWarmup' : 'checklist.lr.schedule.endWarmup', {
          ...epochs,
          stepAt,
          warmup: c.warmup_steps,
        })
      : msg(atStart ? 'checklist.lr.schedule.start' : 'checklist.lr.schedule.end', { ...epochs, stepAt });
  const now = inp.lrNow === null ? '' : msg('checklist.lr.now', { lr: lrText(inp.lrNow) });
  const base = { lr: lrText(c.lr), pix2pix: lrText(PIX2PIX_LR), ratio: fmt(ratio), now, schedule };
  const outOfRange = !(ratio >= 0.1 && ratio <= 10);
  const decayed = inp.lrNow !== null && c.lr > 0 && inp.lrNow < 0.05 * c.lr;
  if (zeroWholeRun(c)) {
    return {
      id: 'lr',
      status: 'fail',
      question: q,
      answer: atStart
        ? msg('checklist.lr.failStart', epochs)
        : msg('checklist.lr.failPastEnd', { ...epochs, epochCount: c.epoch_count, last: lastEpoch(c) }),
    };
  }
  if (outOfRange) return { id: 'lr', status: 'warn', question: q, answer: msg('checklist.lr.warn', base) };
  const tail =
    inp.lrNow === 0
      ? atStart
        ? msg('checklist.lr.tail.zeroStart')
        : msg('checklist.lr.tail.zeroPastEnd', { last: lastEpoch(c) })
      : decayed
        ? msg('checklist.lr.tail.decayed')
        : '';
  return { id: 'lr', status: 'ok', question: q, answer: msg('checklist.lr.ok', { ...base, tail }) };
}

/**
 * The schedule gives lr 0 already in the run's first epoch. With lr_step_at epoch_start (the 2020
 * train.py) the linear policy runs its last epoch (n_epochs + n_epochs_decay) at 0, so n_epochs 1
 * with n_epochs_decay 0 never learns; with epoch_end (the current train.py) no epoch of the
 * schedule is at 0, only a first epoch past its end.
 */
export function zeroWholeRun(cfg: RunConfig): boolean {
  return cfg.lr > 0 && epochLrFactor(cfg.epoch_count, cfg) === 0;
}

/** The five items, in the clinic's order of the plan (mode, losses, input range, weights, lr). */
export function stuckChecklist(inp: ChecklistInputs): ChecklistItem[] {
  return [checkMode(inp), checkLosses(inp), checkRange(inp), checkWeights(inp), checkLr(inp)];
}
