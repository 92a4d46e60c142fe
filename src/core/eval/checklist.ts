/**
 * The clinic's checklist for a generator whose output stopped changing (plan 002, "诊断对策"),
 * each item answered automatically from what the studio knows:
 *  1. eval/train mode — the inference mode the evaluation used against the run config;
 *  2. every loss term > 0 — from the last logged losses (terms with a non-zero weight);
 *  3. input range — min/max of the photo and X-ray tensors actually fed to the model ([-1,1]);
 *  4. a loss weight too small to matter — from the loss balance at the generator output
 *     (share of the total < 1 % or gradient norm < 1/100 of G_L1's);
 *  5. learning rate — against pix2pix's 2e-4 and where the schedule stands now.
 * Every answer is English and Simplified Chinese. Pure functions.
 */
import { TERM_WEIGHT, type RunConfig } from '../config';
import type { GTerm, TermBalance } from '../losses';
import { epochLrFactor, lastEpoch, lrStepAt } from '../train/schedule';

/** A sentence in both UI languages. */
export interface Bi {
  en: string;
  zh: string;
}

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'unknown';
export type ChecklistId = 'mode' | 'losses' | 'input_range' | 'weights' | 'lr';

export interface ChecklistItem {
  id: ChecklistId;
  status: CheckStatus;
  question: Bi;
  answer: Bi;
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

function checkMode(inp: ChecklistInputs): ChecklistItem {
  const question: Bi = {
    en: 'Is the model in eval/train mode as intended?',
    zh: '模型是否按预期处于 eval/train 模式？',
  };
  const mismatch = inp.evalMode !== inp.cfg.eval_mode;
  const how: Bi = inp.evalMode
    ? {
        en: 'evaluated in eval mode (BatchNorm running statistics, no dropout; the server’s --eval)',
        zh: '以 eval 模式评估（BatchNorm 使用滑动统计量，关闭 dropout；即服务器的 --eval）',
      }
    : {
        en: 'evaluated like the server’s test.py without --eval (BatchNorm on each image’s own statistics, dropout on with a fixed seed)',
        zh: '按服务器 test.py 不加 --eval 的方式评估（BatchNorm 使用每张图像自身的统计量，dropout 开启且种子固定）',
      };
  const cfgText = `eval_mode = ${inp.cfg.eval_mode ? 'on' : 'off'}`;
  return {
    id: 'mode',
    status: mismatch ? 'warn' : 'ok',
    question,
    answer: mismatch
      ? {
          en: `The model was ${how.en}, but the run config says ${cfgText}. Training always runs in train mode.`,
          zh: `模型${how.zh}，但训练配置为 ${cfgText}。训练本身始终处于 train 模式。`,
        }
      : {
          en: `Yes: ${how.en}, as the run config says (${cfgText}). Training always runs in train mode.`,
          zh: `是：${how.zh}，与训练配置一致（${cfgText}）。训练本身始终处于 train 模式。`,
        },
  };
}

function checkLosses(inp: ChecklistInputs): ChecklistItem {
  const question: Bi = { en: 'Is each loss term > 0?', zh: '每个损失项是否都 > 0？' };
  if (!inp.losses) {
    return {
      id: 'losses',
      status: 'unknown',
      question,
      answer: { en: 'No losses logged yet.', zh: '尚未记录任何损失值。' },
    };
  }
  const active: string[] = ['D_real', 'D_fake'];
  for (const [term, key] of Object.entries(TERM_WEIGHT) as [GTerm, keyof RunConfig | null][]) {
    if (key === null || (inp.cfg[key] as number) > 0) active.push(term);
  }
  const bad = active.filter((name) => {
    const v = inp.losses?.[name];
    return v === null || v === undefined || !Number.isFinite(v) || v <= 0;
  });
  const list = active.map((n) => `${n} = ${fmt(inp.losses?.[n] ?? NaN)}`).join(', ');
  if (bad.length > 0) {
    return {
      id: 'losses',
      status: 'fail',
      question,
      answer: {
        en: `No: ${bad.join(', ')} ${bad.length === 1 ? 'is' : 'are'} not > 0 although ${bad.length === 1 ? 'its weight is' : 'their weights are'} on (${list}). A zero term contributes no gradient — check its weight and inputs.`,
        zh: `否：${bad.join('、')} 的权重已开启但其值不 > 0（${list}）。为零的损失项不产生梯度——请检查其权重和输入。`,
      },
    };
  }
  return {
    id: 'losses',
    status: 'ok',
    question,
    answer: {
      en: `Yes, every active term is > 0 in the last logged step: ${list}.`,
      zh: `是，最近一次记录中每个启用的损失项都 > 0：${list}。`,
    },
  };
}

function checkRange(inp: ChecklistInputs): ChecklistItem {
  const question: Bi = {
    en: 'Is the input range right ([-1,1], the server’s Normalize(0.5, 0.5))?',
    zh: '输入范围是否正确（[-1,1]，即服务器的 Normalize(0.5, 0.5)）？',
  };
  const r = inp.inputRange;
  if (!r) {
    return {
      id: 'input_range',
      status: 'unknown',
      question,
      answer: { en: 'Not measured in this evaluation.', zh: '本次评估未测量。' },
    };
  }
  const text = `photo [${fmt(r.photoMin)}, ${fmt(r.photoMax)}], X-ray [${fmt(r.xrayMin)}, ${fmt(r.xrayMax)}]`;
  const textZh = `照片 [${fmt(r.photoMin)}, ${fmt(r.photoMax)}]，X 线 [${fmt(r.xrayMin)}, ${fmt(r.xrayMax)}]`;
  const eps = 1e-4;
  const outside =
    [r.photoMin, r.xrayMin].some((v) => v < -1 - eps) || [r.photoMax, r.xrayMax].some((v) => v > 1 + eps);
  if (outside || ![r.photoMin, r.photoMax, r.xrayMin, r.xrayMax].every(Number.isFinite)) {
    return {
      id: 'input_range',
      status: 'fail',
      question,
      answer: {
        en: `No: the tensors fed to the model leave [-1,1]: ${text}. Check the normalisation (value / 127.5 − 1).`,
        zh: `否：输入模型的张量超出 [-1,1]：${textZh}。请检查归一化（值 / 127.5 − 1）。`,
      },
    };
  }
  const halfOnly = r.photoMin >= 0 || r.xrayMin >= 0;
  const narrow = r.photoMax - r.photoMin < 0.25 || r.xrayMax - r.xrayMin < 0.25;
  if (halfOnly || narrow) {
    return {
      id: 'input_range',
      status: 'warn',
      question,
      answer: {
        en:
          `Within [-1,1] but suspicious: ${text}. ` +
          (halfOnly
            ? 'Values use only [0,1] — as if the images were scaled to [0,1] instead of [-1,1]. '
            : 'The images use only a narrow part of the range (nearly uniform images). ') +
          'Check the image export and the normalisation.',
        zh:
          `在 [-1,1] 内但可疑：${textZh}。` +
          (halfOnly
            ? '数值只落在 [0,1]——像是图像被缩放到 [0,1] 而非 [-1,1]。'
            : '图像只占用了很窄的数值范围（几乎是均匀图像）。') +
          '请检查图像导出和归一化。',
      },
    };
  }
  return {
    id: 'input_range',
    status: 'ok',
    question,
    answer: {
      en: `Yes, measured on the tensors fed to the model: ${text}.`,
      zh: `是，在输入模型的张量上实测：${textZh}。`,
    },
  };
}

function checkWeights(inp: ChecklistInputs): ChecklistItem {
  const question: Bi = {
    en: 'Is a loss weight too small to matter?',
    zh: '是否有损失权重小到不起作用？',
  };
  const b = inp.balance;
  if (!b || b.length === 0) {
    return {
      id: 'weights',
      status: 'unknown',
      question,
      answer: { en: 'No loss balance measured in this evaluation.', zh: '本次评估未测量损失平衡。' },
    };
  }
  const l1 = b.find((r) => r.term === 'G_L1');
  const ref = l1 ?? b.reduce((m, r) => (r.gradNorm > m.gradNorm ? r : m), b[0]);
  const weak = b.filter(
    (r) =>
      EXTRA_TERMS.includes(r.term) &&
      (r.share < TOO_SMALL || (ref.gradNorm > 0 && r.gradNorm < ref.gradNorm * TOO_SMALL)),
  );
  const describe = (r: TermBalance): string => {
    const key = TERM_WEIGHT[r.term];
    const w = key ? `${key} ${fmt(inp.cfg[key] as number)}` : 'weight 1';
    return `${r.term} (${w}): ${fmt(r.share * 100)} % of the total, ‖∂/∂fake‖ ${fmt(r.gradNorm)} = ${fmt(ref.gradNorm > 0 ? r.gradNorm / ref.gradNorm : NaN)}× ${ref.term}’s`;
  };
  const describeZh = (r: TermBalance): string => {
    const key = TERM_WEIGHT[r.term];
    const w = key ? `${key} ${fmt(inp.cfg[key] as number)}` : '权重 1';
    return `${r.term}（${w}）：占总损失 ${fmt(r.share * 100)} %，‖∂/∂fake‖ ${fmt(r.gradNorm)}，为 ${ref.term} 的 ${fmt(ref.gradNorm > 0 ? r.gradNorm / ref.gradNorm : NaN)} 倍`;
  };
  if (weak.length > 0) {
    return {
      id: 'weights',
      status: 'warn',
      question,
      answer: {
        en: `Yes: ${weak.map(describe).join('; ')}. Below 1 % of the total or 1/100 of ${ref.term}’s gradient it cannot compete — raise its weight (the clinic’s plan: gradient loss 5–10).`,
        zh: `是：${weak.map(describeZh).join('；')}。占比低于 1 % 或梯度不足 ${ref.term} 的 1/100 时无法与之竞争——请提高其权重（诊所方案：梯度损失 5–10）。`,
      },
    };
  }
  const extras = b.filter((r) => EXTRA_TERMS.includes(r.term));
  if (extras.length === 0) {
    return {
      id: 'weights',
      status: 'ok',
      question,
      answer: {
        en: `No weak term: only G_GAN and G_L1 are active (G_GAN’s gradient is ${fmt(ref.gradNorm > 0 ? (b.find((r) => r.term === 'G_GAN')?.gradNorm ?? NaN) / ref.gradNorm : NaN)}× ${ref.term}’s). No edge term pushes sharpness; lambda_grad 5–10 or lambda_lap adds one.`,
        zh: `没有过弱的项：只启用了 G_GAN 和 G_L1（G_GAN 的梯度为 ${ref.term} 的 ${fmt(ref.gradNorm > 0 ? (b.find((r) => r.term === 'G_GAN')?.gradNorm ?? NaN) / ref.gradNorm : NaN)} 倍）。没有推动边缘清晰度的损失项；可设置 lambda_grad 5–10 或 lambda_lap。`,
      },
    };
  }
  return {
    id: 'weights',
    status: 'ok',
    question,
    answer: {
      en: `No: ${extras.map(describe).join('; ')}.`,
      zh: `否：${extras.map(describeZh).join('；')}。`,
    },
  };
}

function checkLr(inp: ChecklistInputs): ChecklistItem {
  const question: Bi = {
    en: 'Is the learning rate reasonable?',
    zh: '学习率是否合理？',
  };
  const c = inp.cfg;
  const ratio = c.lr / PIX2PIX_LR;
  const stepAt = lrStepAt(c);
  const atStart = stepAt === 'epoch_start';
  const schedule: Bi = {
    en: `constant for ${c.n_epochs} epochs, then linear decay to 0 over ${c.n_epochs_decay}, stepped at the ${atStart ? 'start' : 'end'} of each epoch (lr_step_at ${stepAt}: the server's ${atStart ? '2020' : 'current'} train.py)${c.warmup_steps > 0 ? `, after a warmup of ${c.warmup_steps} steps` : ''}`,
    zh: `前 ${c.n_epochs} 个 epoch 保持不变，之后 ${c.n_epochs_decay} 个 epoch 线性衰减到 0，在每个 epoch ${atStart ? '开始' : '结束'}时更新（lr_step_at ${stepAt}：服务器${atStart ? ' 2020 年' : '当前'}的 train.py）${c.warmup_steps > 0 ? `，此前先预热 ${c.warmup_steps} 步` : ''}`,
  };
  const zeroNow: Bi = atStart
    ? {
        en: ' It is 0 now: with lr_step_at epoch_start (the 2020 train.py) the last epoch of the linear decay runs at 0, so the images stop changing by design.',
        zh: '当前为 0：lr_step_at 为 epoch_start（2020 年的 train.py）时，线性衰减的最后一个 epoch 学习率为 0，此时图像不再变化是调度所致。',
      }
    : {
        en: ` It is 0 now: the schedule ended with epoch ${lastEpoch(c)} (n_epochs + n_epochs_decay), so the images stop changing by design.`,
        zh: `当前为 0：调度已在第 ${lastEpoch(c)} 个 epoch（n_epochs + n_epochs_decay）结束，此时图像不再变化是调度所致。`,
      };
  const now: Bi =
    inp.lrNow === null
      ? { en: '', zh: '' }
      : { en: `; now ${lrText(inp.lrNow)}`, zh: `；当前 ${lrText(inp.lrNow)}` };
  const base = `lr ${lrText(c.lr)} (pix2pix: ${lrText(PIX2PIX_LR)}, ${fmt(ratio)}×)`;
  const outOfRange = !(ratio >= 0.1 && ratio <= 10);
  const decayed = inp.lrNow !== null && c.lr > 0 && inp.lrNow < 0.05 * c.lr;
  if (zeroWholeRun(c)) {
    return {
      id: 'lr',
      status: 'fail',
      question,
      answer: {
        en: atStart
          ? `No: the schedule gives lr 0 from the first epoch on (n_epochs ${c.n_epochs} + n_epochs_decay ${c.n_epochs_decay} with lr_step_at epoch_start: like the server's 2020 train.py, the last epoch runs at 0, and here the first epoch is the last), so the weights never change. Choose lr_step_at epoch_end (the current train.py), or set n_epochs ≥ 2 or n_epochs_decay ≥ 1.`
          : `No: the run starts at epoch ${c.epoch_count}, after the schedule's last epoch ${lastEpoch(c)} (n_epochs ${c.n_epochs} + n_epochs_decay ${c.n_epochs_decay}), so the lr is 0 and the weights never change. Raise n_epochs or n_epochs_decay.`,
        zh: atStart
          ? `否：按此调度从第一个 epoch 起学习率就是 0（n_epochs ${c.n_epochs} + n_epochs_decay ${c.n_epochs_decay}，lr_step_at 为 epoch_start：与服务器 2020 年的 train.py 相同，最后一个 epoch 的学习率为 0，而这里第一个 epoch 就是最后一个），权重从不更新。请选择 lr_step_at epoch_end（当前的 train.py），或设置 n_epochs ≥ 2 或 n_epochs_decay ≥ 1。`
          : `否：训练从第 ${c.epoch_count} 个 epoch 开始，已在调度的最后一个 epoch ${lastEpoch(c)}（n_epochs ${c.n_epochs} + n_epochs_decay ${c.n_epochs_decay}）之后，学习率为 0，权重从不更新。请增大 n_epochs 或 n_epochs_decay。`,
      },
    };
  }
  if (outOfRange) {
    return {
      id: 'lr',
      status: 'warn',
      question,
      answer: {
        en: `Unusual: ${base}${now.en}; schedule ${schedule.en}. More than 10× away from 2e-4 a GAN either barely moves or oscillates — try 2e-4 first.`,
        zh: `异常：${base}${now.zh}；调度为${schedule.zh}。与 2e-4 相差超过 10 倍时 GAN 要么几乎不动、要么振荡——建议先用 2e-4。`,
      },
    };
  }
  return {
    id: 'lr',
    status: 'ok',
    question,
    answer: {
      en: `Yes: ${base}${now.en}; schedule ${schedule.en}.${inp.lrNow === 0 ? zeroNow.en : decayed ? ' The rate has decayed below 5 % of its start, so the images change little now by design.' : ''}`,
      zh: `是：${base}${now.zh}；调度为${schedule.zh}。${inp.lrNow === 0 ? zeroNow.zh : decayed ? '学习率已衰减到初始值的 5 % 以下，此时图像变化很小是调度所致。' : ''}`,
    },
  };
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
