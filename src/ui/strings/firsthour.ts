/**
 * Strings of a clinician's first hour (issue 14): choosing the data on purpose, honest evaluation
 * on small datasets, one preprocessing story (Train, Data and Evaluate).
 */
import type { Translation } from '../../engine/messages';

export const FIRSTHOUR_STRINGS = {
  // ----- Train: the dataset is chosen on purpose -----
  'train.data.autoDemo': {
    en: 'The demo phantom was loaded by itself for a first look — synthetic images, not your data.',
    zh: '已自动加载演示模拟数据供初次体验——这是合成图像，不是您的数据。',
  },
  'train.data.chooseFirst': {
    en: 'You have imported data: choose the dataset this run trains on. Nothing is preselected.',
    zh: '您已导入数据：请选择本次训练使用的数据集。不会自动预选。',
  },
  'train.data.choosePlaceholder': { en: '— choose a dataset —', zh: '— 选择数据集 —' },
  'train.data.preprocessing': {
    en: 'Its preprocessing ({mode}, {size} px) is the default of every run on it.',
    zh: '其预处理（{mode}，{size} px）是此数据集上每次训练的默认设置。',
  },
  'train.why.chooseData': {
    en: 'Choose the dataset to train on first (imported data exists, so nothing is preselected).',
    zh: '请先选择要训练的数据集（已有导入的数据，因此不会自动预选）。',
  },
  // ----- Train: the run header -----
  'train.header.next': { en: 'Next run trains on: {dataset}', zh: '下次训练使用：{dataset}' },
  'train.header.run': { en: 'Run “{name}” · dataset: {dataset}', zh: '训练“{name}”· 数据集：{dataset}' },
  'train.header.input': { en: 'Network input: {size} px, {mode}', zh: '网络输入：{size} px，{mode}' },
  'train.header.follows': { en: '(the dataset’s preprocessing)', zh: '（数据集的预处理）' },
  'train.header.overrideSize': {
    en: 'overrides the dataset’s size ({dataset} px)',
    zh: '覆盖了数据集的尺寸（{dataset} px）',
  },
  'train.header.overrideMode': {
    en: 'overrides the dataset’s mode ({dataset})',
    zh: '覆盖了数据集的方式（{dataset}）',
  },
  'train.header.demoSize': {
    en: '(the demo phantom is generated at this size)',
    zh: '（演示模拟数据按此尺寸生成）',
  },
  'train.header.unknownDataset': { en: 'unknown (imported run)', zh: '未知（导入的训练）' },
  'train.mode.letterbox': { en: 'letterbox', zh: '等比缩放填充' },
  'train.mode.stretch': { en: 'stretch', zh: '拉伸' },
  'train.mode.roi': { en: 'ROI crop', zh: 'ROI 裁剪' },
  'train.progress.etaStopped': { en: '– (not training)', zh: '–（未在训练）' },
  // ----- Train: what the network sees -----
  'train.netin.title': { en: 'What the network sees', zh: '网络看到的图像' },
  'train.netin.intro': {
    en: 'The first evaluation case exactly as the network gets it: the preprocessed photo (input) and X-ray (target) at the training size, with the landmarks carried along.',
    zh: '第一个评估病例在网络中的实际样子：按训练尺寸预处理后的照片（输入）与 X 线片（目标），并带有随之变换的标志点。',
  },
  'train.netin.show': { en: 'Show what the network will see', zh: '显示网络将看到的图像' },
  'train.netin.refresh': { en: 'Update for the current settings', zh: '按当前设置更新' },
  'train.netin.loading': { en: 'Preparing the images…', zh: '正在准备图像…' },
  'train.netin.input': { en: 'Input ({what})', zh: '输入（{what}）' },
  'train.netin.target': { en: 'Target ({what})', zh: '目标（{what}）' },
  'train.netin.photo': { en: 'photo', zh: '照片' },
  'train.netin.xray': { en: 'X-ray', zh: 'X 线片' },
  'train.netin.caption': {
    en: 'Case {id} · {size} × {size} px · {mode} · {landmarks}',
    zh: '病例 {id} · {size} × {size} px · {mode} · {landmarks}',
  },
  'train.netin.landmarks': { en: '{count} landmarks', zh: '{count} 个标志点' },
  'train.netin.noLandmarks': { en: 'no landmarks in this dataset', zh: '此数据集没有标志点' },
  'train.netin.fromRun': {
    en: 'From the run being shown (its preview cases).',
    zh: '来自当前显示的训练（其预览病例）。',
  },
  'train.netin.stale': {
    en: 'The settings changed since: update to see the new input.',
    zh: '设置已更改：请更新以查看新的输入。',
  },
  'train.netin.none': {
    en: 'Load a dataset to see what the network sees.',
    zh: '加载数据集后即可查看网络看到的图像。',
  },

  // ----- Data -----
  'data.list.trainOn': { en: 'Train on this dataset', zh: '用此数据集训练' },
  'data.list.trainOnNamed': { en: 'Train on {name}', zh: '用 {name} 训练' },
  'data.list.demoLabel': { en: 'demo', zh: '演示' },
  'data.plan.splitsProposed': {
    en: 'No train/ val/ test/ folders: a seeded split of the {pairs} pairs — {train} train, {val} val, {test} test (small datasets get at least 20 % and, where two thirds still train, 5 val cases; editable later)',
    zh: '没有 train/ val/ test/ 文件夹：{pairs} 对图像按种子划分——训练 {train}，验证 {val}，测试 {test}（小数据集的验证集至少占 20%，在训练仍保留三分之二时至少 5 例；之后可修改）',
  },
  'data.plan.smallEval': {
    en: 'Small evaluation: the evaluation list will hold only {count} cases (fewer than {min}). Every metric, the quality gate and the failure rate will rest on {count} films — treat them as anecdotal, not as a measurement.',
    zh: '评估规模小：评估清单只有 {count} 个病例（少于 {min} 个）。所有指标、质量门和失败率都只基于 {count} 张片子——请视为个例参考，而不是测量结果。',
  },
  'data.landmarkSet.isbi2015-19': { en: 'ISBI 2015 set', zh: 'ISBI 2015 标志点集' },

  // ----- Evaluate -----
  'eval.small.title': {
    en: 'Small evaluation: {count} cases (fewer than {min})',
    zh: '评估规模小：{count} 个病例（少于 {min} 个）',
  },
  'eval.small.body': {
    en: 'Every number on this page — the metrics, the gate and the failure rate (out of {count}) — rests on {count} films. With so few cases they are anecdotal: one unusual film moves them a lot. Import more cases or re-split with a larger val share before trusting a comparison.',
    zh: '本页的所有数字——指标、质量门和失败率（分母为 {count}）——都只基于 {count} 张片子。病例这么少时，这些数字只是个例：一张特殊的片子就能大幅改变它们。在信任任何比较之前，请导入更多病例或以更大的验证比例重新划分。',
  },
  'eval.fail.anecdotal': {
    en: 'Out of only {count} cases: anecdotal.',
    zh: '仅基于 {count} 个病例：只是个例。',
  },
} as const satisfies Record<string, Translation>;
