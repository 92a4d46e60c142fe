/**
 * The stuck checklist's sentences (core/eval/checklist.ts answers them), en + zh: each item's
 * question and its answers, one code per variant. Numbers arrive formatted ({lr}, {share}, …);
 * config names and values ({evalMode} on/off, {stepAt}) are the config's own words in both
 * languages. Lists of terms are `MessageList`s joined with `checklist.sep.*`, the learning-rate
 * answer takes its schedule, "now" and closing sentence as sub-messages.
 */
import type { MessageTable } from './form';

export const CHECKLIST_MESSAGES = {
  'checklist.sep.enum': { en: ', ', zh: '、' },
  'checklist.sep.semicolon': { en: '; ', zh: '；' },

  // 1. eval/train mode
  'checklist.mode.question': {
    en: 'Is the model in eval/train mode as intended?',
    zh: '模型是否按预期处于 eval/train 模式？',
  },
  'checklist.mode.okEval': {
    en: 'Yes: evaluated in eval mode (BatchNorm running statistics, no dropout; the server’s --eval), as the run config says (eval_mode = {evalMode}). Training always runs in train mode.',
    zh: '是：以 eval 模式评估（BatchNorm 使用滑动统计量，关闭 dropout；即服务器的 --eval），与训练配置一致（eval_mode = {evalMode}）。训练本身始终处于 train 模式。',
  },
  'checklist.mode.okTrainLike': {
    en: 'Yes: evaluated like the server’s test.py without --eval (BatchNorm on each image’s own statistics, dropout on with a fixed seed), as the run config says (eval_mode = {evalMode}). Training always runs in train mode.',
    zh: '是：按服务器 test.py 不加 --eval 的方式评估（BatchNorm 使用每张图像自身的统计量，dropout 开启且种子固定），与训练配置一致（eval_mode = {evalMode}）。训练本身始终处于 train 模式。',
  },
  'checklist.mode.mismatchEval': {
    en: 'The model was evaluated in eval mode (BatchNorm running statistics, no dropout; the server’s --eval), but the run config says eval_mode = {evalMode}. Training always runs in train mode.',
    zh: '模型以 eval 模式评估（BatchNorm 使用滑动统计量，关闭 dropout；即服务器的 --eval），但训练配置为 eval_mode = {evalMode}。训练本身始终处于 train 模式。',
  },
  'checklist.mode.mismatchTrainLike': {
    en: 'The model was evaluated like the server’s test.py without --eval (BatchNorm on each image’s own statistics, dropout on with a fixed seed), but the run config says eval_mode = {evalMode}. Training always runs in train mode.',
    zh: '模型按服务器 test.py 不加 --eval 的方式评估（BatchNorm 使用每张图像自身的统计量，dropout 开启且种子固定），但训练配置为 eval_mode = {evalMode}。训练本身始终处于 train 模式。',
  },

  // 2. every loss term > 0 ({list}: "G_GAN = 0.9, G_L1 = 12.3, …", the same in both languages)
  'checklist.losses.question': { en: 'Is each loss term > 0?', zh: '每个损失项是否都 > 0？' },
  'checklist.losses.none': { en: 'No losses logged yet.', zh: '尚未记录任何损失值。' },
  'checklist.losses.failOne': {
    en: 'No: {bad} is not > 0 although its weight is on ({list}). A zero term contributes no gradient — check its weight and inputs.',
    zh: '否：{bad} 的权重已开启但其值不 > 0（{list}）。为零的损失项不产生梯度——请检查其权重和输入。',
  },
  'checklist.losses.failMany': {
    en: 'No: {bad} are not > 0 although their weights are on ({list}). A zero term contributes no gradient — check its weight and inputs.',
    zh: '否：{bad} 的权重已开启但其值不 > 0（{list}）。为零的损失项不产生梯度——请检查其权重和输入。',
  },
  'checklist.losses.ok': {
    en: 'Yes, every active term is > 0 in the last logged step: {list}.',
    zh: '是，最近一次记录中每个启用的损失项都 > 0：{list}。',
  },

  // 3. input range
  'checklist.range.question': {
    en: 'Is the input range right ([-1,1], the server’s Normalize(0.5, 0.5))?',
    zh: '输入范围是否正确（[-1,1]，即服务器的 Normalize(0.5, 0.5)）？',
  },
  'checklist.range.none': { en: 'Not measured in this evaluation.', zh: '本次评估未测量。' },
  'checklist.range.outside': {
    en: 'No: the tensors fed to the model leave [-1,1]: photo [{photoMin}, {photoMax}], X-ray [{xrayMin}, {xrayMax}]. Check the normalisation (value / 127.5 − 1).',
    zh: '否：输入模型的张量超出 [-1,1]：照片 [{photoMin}, {photoMax}]，X 线 [{xrayMin}, {xrayMax}]。请检查归一化（值 / 127.5 − 1）。',
  },
  'checklist.range.halfOnly': {
    en: 'Within [-1,1] but suspicious: photo [{photoMin}, {photoMax}], X-ray [{xrayMin}, {xrayMax}]. Values use only [0,1] — as if the images were scaled to [0,1] instead of [-1,1]. Check the image export and the normalisation.',
    zh: '在 [-1,1] 内但可疑：照片 [{photoMin}, {photoMax}]，X 线 [{xrayMin}, {xrayMax}]。数值只落在 [0,1]——像是图像被缩放到 [0,1] 而非 [-1,1]。请检查图像导出和归一化。',
  },
  'checklist.range.narrow': {
    en: 'Within [-1,1] but suspicious: photo [{photoMin}, {photoMax}], X-ray [{xrayMin}, {xrayMax}]. The images use only a narrow part of the range (nearly uniform images). Check the image export and the normalisation.',
    zh: '在 [-1,1] 内但可疑：照片 [{photoMin}, {photoMax}]，X 线 [{xrayMin}, {xrayMax}]。图像只占用了很窄的数值范围（几乎是均匀图像）。请检查图像导出和归一化。',
  },
  'checklist.range.ok': {
    en: 'Yes, measured on the tensors fed to the model: photo [{photoMin}, {photoMax}], X-ray [{xrayMin}, {xrayMax}].',
    zh: '是，在输入模型的张量上实测：照片 [{photoMin}, {photoMax}]，X 线 [{xrayMin}, {xrayMax}]。',
  },

  // 4. a loss weight too small to matter ({terms}: a list of checklist.weights.term*)
  'checklist.weights.question': {
    en: 'Is a loss weight too small to matter?',
    zh: '是否有损失权重小到不起作用？',
  },
  'checklist.weights.none': {
    en: 'No loss balance measured in this evaluation.',
    zh: '本次评估未测量损失平衡。',
  },
  'checklist.weights.term': {
    en: '{term} ({key} {weight}): {share} % of the total, ‖∂/∂fake‖ {norm} = {ratio}× {ref}’s',
    zh: '{term}（{key} {weight}）：占总损失 {share} %，‖∂/∂fake‖ {norm}，为 {ref} 的 {ratio} 倍',
  },
  'checklist.weights.termUnweighted': {
    en: '{term} (weight 1): {share} % of the total, ‖∂/∂fake‖ {norm} = {ratio}× {ref}’s',
    zh: '{term}（权重 1）：占总损失 {share} %，‖∂/∂fake‖ {norm}，为 {ref} 的 {ratio} 倍',
  },
  'checklist.weights.weak': {
    en: 'Yes: {terms}. Below 1 % of the total or 1/100 of {ref}’s gradient it cannot compete — raise its weight (the clinic’s plan: gradient loss 5–10).',
    zh: '是：{terms}。占比低于 1 % 或梯度不足 {ref} 的 1/100 时无法与之竞争——请提高其权重（诊所方案：梯度损失 5–10）。',
  },
  'checklist.weights.onlyBase': {
    en: 'No weak term: only G_GAN and G_L1 are active (G_GAN’s gradient is {ratio}× {ref}’s). No edge term pushes sharpness; lambda_grad 5–10 or lambda_lap adds one.',
    zh: '没有过弱的项：只启用了 G_GAN 和 G_L1（G_GAN 的梯度为 {ref} 的 {ratio} 倍）。没有推动边缘清晰度的损失项；可设置 lambda_grad 5–10 或 lambda_lap。',
  },
  'checklist.weights.ok': { en: 'No: {terms}.', zh: '否：{terms}。' },

  // 5. learning rate ({schedule}: a checklist.lr.schedule.*; {now}: checklist.lr.now or empty;
  // {tail}: checklist.lr.tail.* or empty)
  'checklist.lr.question': { en: 'Is the learning rate reasonable?', zh: '学习率是否合理？' },
  'checklist.lr.schedule.start': {
    en: "constant for {nEpochs} epochs, then linear decay to 0 over {nDecay}, stepped at the start of each epoch (lr_step_at {stepAt}: the server's 2020 train.py)",
    zh: '前 {nEpochs} 个 epoch 保持不变，之后 {nDecay} 个 epoch 线性衰减到 0，在每个 epoch 开始时更新（lr_step_at {stepAt}：服务器 2020 年的 train.py）',
  },
  'checklist.lr.schedule.startWarmup': {
    en: "constant for {nEpochs} epochs, then linear decay to 0 over {nDecay}, stepped at the start of each epoch (lr_step_at {stepAt}: the server's 2020 train.py), after a warmup of {warmup} steps",
    zh: '前 {nEpochs} 个 epoch 保持不变，之后 {nDecay} 个 epoch 线性衰减到 0，在每个 epoch 开始时更新（lr_step_at {stepAt}：服务器 2020 年的 train.py），此前先预热 {warmup} 步',
  },
  'checklist.lr.schedule.end': {
    en: "constant for {nEpochs} epochs, then linear decay to 0 over {nDecay}, stepped at the end of each epoch (lr_step_at {stepAt}: the server's current train.py)",
    zh: '前 {nEpochs} 个 epoch 保持不变，之后 {nDecay} 个 epoch 线性衰减到 0，在每个 epoch 结束时更新（lr_step_at {stepAt}：服务器当前的 train.py）',
  },
  'checklist.lr.schedule.endWarmup': {
    en: "constant for {nEpochs} epochs, then linear decay to 0 over {nDecay}, stepped at the end of each epoch (lr_step_at {stepAt}: the server's current train.py), after a warmup of {warmup} steps",
    zh: '前 {nEpochs} 个 epoch 保持不变，之后 {nDecay} 个 epoch 线性衰减到 0，在每个 epoch 结束时更新（lr_step_at {stepAt}：服务器当前的 train.py），此前先预热 {warmup} 步',
  },
  'checklist.lr.now': { en: '; now {lr}', zh: '；当前 {lr}' },
  'checklist.lr.tail.zeroStart': {
    en: ' It is 0 now: with lr_step_at epoch_start (the 2020 train.py) the last epoch of the linear decay runs at 0, so the images stop changing by design.',
    zh: '当前为 0：lr_step_at 为 epoch_start（2020 年的 train.py）时，线性衰减的最后一个 epoch 学习率为 0，此时图像不再变化是调度所致。',
  },
  'checklist.lr.tail.zeroPastEnd': {
    en: ' It is 0 now: the schedule ended with epoch {last} (n_epochs + n_epochs_decay), so the images stop changing by design.',
    zh: '当前为 0：调度已在第 {last} 个 epoch（n_epochs + n_epochs_decay）结束，此时图像不再变化是调度所致。',
  },
  'checklist.lr.tail.decayed': {
    en: ' The rate has decayed below 5 % of its start, so the images change little now by design.',
    zh: '学习率已衰减到初始值的 5 % 以下，此时图像变化很小是调度所致。',
  },
  'checklist.lr.failStart': {
    en: "No: the schedule gives lr 0 from the first epoch on (n_epochs {nEpochs} + n_epochs_decay {nDecay} with lr_step_at epoch_start: like the server's 2020 train.py, the last epoch runs at 0, and here the first epoch is the last), so the weights never change. Choose lr_step_at epoch_end (the current train.py), or set n_epochs ≥ 2 or n_epochs_decay ≥ 1.",
    zh: '否：按此调度从第一个 epoch 起学习率就是 0（n_epochs {nEpochs} + n_epochs_decay {nDecay}，lr_step_at 为 epoch_start：与服务器 2020 年的 train.py 相同，最后一个 epoch 的学习率为 0，而这里第一个 epoch 就是最后一个），权重从不更新。请选择 lr_step_at epoch_end（当前的 train.py），或设置 n_epochs ≥ 2 或 n_epochs_decay ≥ 1。',
  },
  'checklist.lr.failPastEnd': {
    en: "No: the run starts at epoch {epochCount}, after the schedule's last epoch {last} (n_epochs {nEpochs} + n_epochs_decay {nDecay}), so the lr is 0 and the weights never change. Raise n_epochs or n_epochs_decay.",
    zh: '否：训练从第 {epochCount} 个 epoch 开始，已在调度的最后一个 epoch {last}（n_epochs {nEpochs} + n_epochs_decay {nDecay}）之后，学习率为 0，权重从不更新。请增大 n_epochs 或 n_epochs_decay。',
  },
  'checklist.lr.warn': {
    en: 'Unusual: lr {lr} (pix2pix: {pix2pix}, {ratio}×){now}; schedule {schedule}. More than 10× away from 2e-4 a GAN either barely moves or oscillates — try 2e-4 first.',
    zh: '异常：lr {lr} (pix2pix: {pix2pix}, {ratio}×){now}；调度为{schedule}。与 2e-4 相差超过 10 倍时 GAN 要么几乎不动、要么振荡——建议先用 2e-4。',
  },
  'checklist.lr.ok': {
    en: 'Yes: lr {lr} (pix2pix: {pix2pix}, {ratio}×){now}; schedule {schedule}.{tail}',
    zh: '是：lr {lr} (pix2pix: {pix2pix}, {ratio}×){now}；调度为{schedule}。{tail}',
  },
} as const satisfies MessageTable;

export type ChecklistCode = keyof typeof CHECKLIST_MESSAGES;
