/**
 * The stuck checklist's answers (core/eval/checklist.ts) and the learning-rate schedule's effect on
 * the stuck verdict (core/eval/round.ts scheduleAware): the review report's checklist section and
 * its stuck finding read these.
 */
import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../../../src/core/config';
import { stuckChecklist } from '../../../src/core/eval/checklist';
import { messageText } from '../../../src/core/messages';
import type { TermBalance } from '../../../src/core/losses';
import { scheduleAware } from '../../../src/core/eval/round';
import { CFG, checklistInputs as inputs } from './fixtures';

type Answer = ReturnType<typeof stuckChecklist>[number]['answer'];
/** An answer in English / Chinese ('' when the item is missing). */
const en = (m: Answer | undefined): string => (m ? messageText(m, 'en') : '');
const zh = (m: Answer | undefined): string => (m ? messageText(m, 'zh') : '');

const status = (items: ReturnType<typeof stuckChecklist>): Record<string, string> =>
  Object.fromEntries(items.map((i) => [i.id, i.status]));

describe('the learning-rate schedule and the stuck verdict', () => {
  const frozen = {
    stuck: true,
    kind: 'frozen' as const,
    reason: 'prediction mean gradient 2.133 stayed frozen',
  };
  // lr_step_at epoch_start (the server's 2020 train.py): the last epoch (n_epochs + n_epochs_decay) runs at lr 0
  const START = { ...CFG, lr_step_at: 'epoch_start' as const };

  it('epoch_start, n_epochs 1 + n_epochs_decay 0 never learns: the lr item fails and the alert stays', () => {
    const cfg = { ...START, n_epochs: 1, n_epochs_decay: 0 };
    const lr = stuckChecklist(inputs({ cfg, lrNow: 0 })).find((i) => i.id === 'lr');
    expect(lr?.status).toBe('fail');
    expect(en(lr?.answer)).toContain('Choose lr_step_at epoch_end');
    expect(en(lr?.answer)).toContain('set n_epochs ≥ 2 or n_epochs_decay ≥ 1');
    const v = scheduleAware(frozen, cfg, 0);
    expect([v.stuck, v.kind]).toEqual([true, 'frozen']);
    expect(v.reason).toContain('the learning rate is 0 from the first epoch on');
  });

  it('epoch_start: a frozen last epoch at lr 0 is the schedule, not a stuck generator', () => {
    const cfg = { ...START, n_epochs: 2, n_epochs_decay: 0 };
    const v = scheduleAware(frozen, cfg, 0);
    expect([v.stuck, v.kind]).toEqual([false, 'plateau']);
    expect(v.reason).toContain("the learning rate is 0 in the schedule's last epoch (lr_step_at epoch_start");
    const lr = stuckChecklist(inputs({ cfg, lrNow: 0 })).find((i) => i.id === 'lr');
    expect(lr?.status).toBe('ok');
    expect(en(lr?.answer)).toContain('It is 0 now: with lr_step_at epoch_start');
    expect(en(lr?.answer)).toContain('stepped at the start of each epoch');
    // with a learning rate the verdict is the detector's
    expect(scheduleAware(frozen, cfg, 1e-4)).toBe(frozen);
    expect(scheduleAware(frozen, cfg, null)).toBe(frozen);
    const moving = { stuck: false, kind: 'moving' as const, reason: 'x' };
    expect(scheduleAware(moving, cfg, 0)).toBe(moving);
  });

  it('epoch_end (the default, the current train.py): no epoch of the schedule runs at lr 0', () => {
    expect(CFG.lr_step_at).toBe('epoch_end');
    const one = { ...CFG, n_epochs: 1, n_epochs_decay: 0 };
    const lr = stuckChecklist(inputs({ cfg: one, lrNow: one.lr })).find((i) => i.id === 'lr');
    expect(lr?.status).toBe('ok');
    expect(en(lr?.answer)).toContain('stepped at the end of each epoch (lr_step_at epoch_end');
    // lr 0 only past the schedule's end: a plateau that names the end, not the last epoch
    const v = scheduleAware(frozen, { ...CFG, n_epochs: 2, n_epochs_decay: 0 }, 0);
    expect([v.stuck, v.kind]).toEqual([false, 'plateau']);
    expect(v).toHaveProperty('explanation', [{ key: 'lrZeroPastEnd', params: { last: 2 } }]);
    expect(v.reason).toContain('the schedule ended with epoch 2');
    const past = stuckChecklist(inputs({ cfg: { ...CFG, n_epochs: 2, n_epochs_decay: 0 }, lrNow: 0 }));
    expect(en(past.find((i) => i.id === 'lr')?.answer)).toContain(
      'It is 0 now: the schedule ended with epoch 2',
    );
    // a first epoch past the end never learns in either convention
    const late = { ...CFG, n_epochs: 2, n_epochs_decay: 0, epoch_count: 3 };
    expect(stuckChecklist(inputs({ cfg: late, lrNow: 0 })).find((i) => i.id === 'lr')?.status).toBe('fail');
    expect(scheduleAware(frozen, late, 0)).toMatchObject({ stuck: true, kind: 'frozen' });
  });

  it('a config stored without lr_step_at ran epoch_start and is judged so', () => {
    const { lr_step_at: _omit, ...old } = { ...CFG, n_epochs: 1, n_epochs_decay: 0 };
    const cfg = old as RunConfig;
    expect(stuckChecklist(inputs({ cfg, lrNow: 0 })).find((i) => i.id === 'lr')?.status).toBe('fail');
    expect(scheduleAware(frozen, cfg, 0)).toMatchObject({ stuck: true, kind: 'frozen' });
  });
});

describe('stuck checklist', () => {
  it('answers every item ok for a sound run', () => {
    const items = stuckChecklist(inputs());
    expect(items.map((i) => i.id)).toEqual(['mode', 'losses', 'input_range', 'weights', 'lr']);
    expect(status(items)).toEqual({ mode: 'ok', losses: 'ok', input_range: 'ok', weights: 'ok', lr: 'ok' });
    expect(en(items[1].answer)).toContain('G_L1 = 12.3');
    expect(en(items[4].answer)).toContain('lr 2.0e-4 (pix2pix: 2.0e-4, 1×)');
    for (const i of items) expect(zh(i.answer).length).toBeGreaterThan(4);
  });

  it("flags the clinic's weak gradient loss from the loss balance (share < 1 % or 1/100 of G_L1's norm)", () => {
    const cfg = { ...CFG, lambda_grad: 0.05 };
    const balance: TermBalance[] = [
      { term: 'G_GAN', value: 0.9, share: 0.068, gradNorm: 0.05 },
      { term: 'G_L1', value: 12.3, share: 0.93, gradNorm: 0.8 },
      // share 0.2 % and norm 0.004 = 0.005x G_L1's
      { term: 'G_grad', value: 0.026, share: 0.002, gradNorm: 0.004 },
    ];
    const items = stuckChecklist(
      inputs({ cfg, balance, losses: { G_GAN: 0.9, G_L1: 12.3, G_grad: 0.026, D_real: 0.6, D_fake: 0.5 } }),
    );
    const w = items.find((i) => i.id === 'weights');
    expect(w?.status).toBe('warn');
    expect(en(w?.answer)).toContain('G_grad (lambda_grad 0.05): 0.2 % of the total');
    expect(en(w?.answer)).toContain('0.005× G_L1’s');
    // a strong term with a small share but a big gradient is fine: only a norm < 1/100 or share < 1 % warns
    const ok = stuckChecklist(
      inputs({
        cfg,
        balance: [balance[0], balance[1], { term: 'G_grad', value: 0.5, share: 0.037, gradNorm: 0.2 }],
      }),
    );
    expect(status(ok).weights).toBe('ok');
  });

  it('fails a zero loss term and an input outside [-1,1]; warns on [0,1]-only inputs and an unusual lr', () => {
    const cfg = { ...CFG, lambda_grad: 5, lr: 2e-2 };
    const items = stuckChecklist(
      inputs({
        cfg,
        losses: { G_GAN: 0.9, G_L1: 12.3, G_grad: 0, D_real: 0.6, D_fake: 0.5 },
        inputRange: { photoMin: 0, photoMax: 1, xrayMin: 0, xrayMax: 1 },
        lrNow: 2e-2,
      }),
    );
    expect(status(items)).toMatchObject({ losses: 'fail', input_range: 'warn', lr: 'warn' });
    expect(en(items[1].answer)).toContain('G_grad is not > 0');
    expect(en(items[2].answer)).toContain('only [0,1]');
    expect(en(items[4].answer)).toContain('100×');
    const out = stuckChecklist(
      inputs({ inputRange: { photoMin: -1, photoMax: 1.5, xrayMin: -1, xrayMax: 1 } }),
    );
    expect(status(out).input_range).toBe('fail');
    const mismatch = stuckChecklist(inputs({ evalMode: true }));
    expect(status(mismatch).mode).toBe('warn');
    const none = stuckChecklist(inputs({ losses: null, inputRange: null, balance: null, lrNow: null }));
    expect(status(none)).toMatchObject({
      losses: 'unknown',
      input_range: 'unknown',
      weights: 'unknown',
      lr: 'ok',
    });
  });
});

describe('checklist answers are messages ({code, params}) rendered in one language', () => {
  /** Every plain value in a message's params, sub-messages and lists included. */
  const plainParams = (m: unknown): (string | number)[] => {
    if (typeof m === 'string' || typeof m === 'number') return [m];
    if (!m || typeof m !== 'object') return [];
    if ('list' in m) return (m as { list: unknown[] }).list.flatMap(plainParams);
    return Object.values((m as { params: Record<string, unknown> }).params).flatMap(plainParams);
  };

  it('lists two zero terms and two weak terms with each language’s separators, params hold no prose', () => {
    const cfg = { ...CFG, lambda_grad: 0.05, lambda_lap: 0.05, warmup_steps: 100 };
    const balance: TermBalance[] = [
      { term: 'G_GAN', value: 0.9, share: 0.068, gradNorm: 0.05 },
      { term: 'G_L1', value: 12.3, share: 0.93, gradNorm: 0.8 },
      { term: 'G_grad', value: 0.026, share: 0.002, gradNorm: 0.004 },
      { term: 'G_lap', value: 0.01, share: 0.001, gradNorm: 0.002 },
    ];
    const items = stuckChecklist(
      inputs({
        cfg,
        balance,
        losses: { G_GAN: 0.9, G_L1: 12.3, G_grad: 0, G_lap: 0, D_real: 0.6, D_fake: 0.5 },
        lrNow: 1e-4,
      }),
    );
    const [, losses, , weights, lr] = items;
    expect(en(losses.answer)).toContain('No: G_grad, G_lap are not > 0 although their weights are on');
    expect(zh(losses.answer)).toContain('否：G_grad、G_lap 的权重已开启');
    expect(en(weights.answer)).toMatch(
      /^Yes: G_grad \(lambda_grad 0\.05\): .*; G_lap \(lambda_lap 0\.05\): /,
    );
    expect(zh(weights.answer)).toMatch(
      /^是：G_grad（lambda_grad 0\.05）：占总损失 .*；G_lap（lambda_lap 0\.05）：/,
    );
    expect(en(lr.answer)).toContain('; now 1.0e-4; schedule constant for');
    expect(en(lr.answer)).toContain(', after a warmup of 100 steps.');
    expect(zh(lr.answer)).toContain('；当前 1.0e-4；调度为前');
    expect(zh(lr.answer)).toContain('，此前先预热 100 步。');
    for (const item of items) {
      expect(zh(item.answer)).not.toMatch(/ of | the |; now|schedule /);
      expect(en(item.answer)).not.toMatch(/[\u3000-\u9fff\uff00-\uffef]/);
      expect(en(item.question)).not.toMatch(/[\u3000-\u9fff\uff00-\uffef]/);
      // no Chinese and no English sentence in any parameter: the table holds all prose
      for (const v of plainParams(item.answer)) {
        expect(String(v)).not.toMatch(/[\u3000-\u9fff\uff00-\uffef]/);
        expect(String(v)).not.toMatch(/\b(the|is|are|of|now|weight)\b/);
      }
    }
  });
});
