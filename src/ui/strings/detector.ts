/**
 * Strings of the landmark detector (issue 13): the Landmarks section's detector panel, the Train
 * view's traceability choice and curve, the Evaluate traceability card and the assisted tracing.
 */
import type { Translation } from '../../engine/messages';

export const DETECTOR_STRINGS = {
  // ----- Landmarks section: the detector panel -----
  'det.title': { en: 'Landmark detector', zh: '关键点检测器' },
  'det.intro': {
    en: 'A heatmap network that finds the cephalometric landmarks on an X-ray. It scores every synthetic X-ray for traceability (Train, Evaluate) and can pre-place points in the tracing wizard.',
    zh: '在 X 光片上寻找头影测量关键点的热图网络。它为每张合成 X 光评估可追踪性（训练、评估），并可在描点向导中预放关键点。',
  },
  'det.loading': { en: 'Asking the engine for its detectors…', zh: '正在向引擎查询检测器…' },
  'det.engineMissing': {
    en: 'The engine cannot list detectors yet: {message}',
    zh: '引擎暂时无法列出检测器：{message}',
  },
  'det.shipped.title': { en: 'Shipped detector', zh: '随附检测器' },
  'det.shipped.trainedOn': {
    en: 'Trained on the 150 ISBI 2015 training films, 20 held out.',
    zh: '在 150 张 ISBI 2015 训练片上训练，其中 20 张留出验证。',
  },
  'det.shipped.none': {
    en: 'No shipped detector was found (public/detector/).',
    zh: '未找到随附检测器（public/detector/）。',
  },
  'det.set': { en: 'Landmark set', zh: '关键点集' },
  'det.setValue': { en: '{n} landmarks: {list}', zh: '{n} 个关键点：{list}' },
  'det.input': { en: 'Input size', zh: '输入尺寸' },
  'det.inputValue': {
    en: '{size} px, σ {sigma} mm, {mm} mm/px',
    zh: '{size} 像素，σ {sigma} mm，{mm} mm/像素',
  },
  'det.heldOut': { en: 'Held-out accuracy', zh: '留出集精度' },
  'det.heldOutValue': {
    en: '{n} films: MRE {mre} mm · SDR 2 / 2.5 / 3 / 4 mm: {s2} / {s25} / {s3} / {s4}',
    zh: '{n} 张片：MRE {mre} mm · SDR 2 / 2.5 / 3 / 4 mm：{s2} / {s25} / {s3} / {s4}',
  },
  'det.heldOutNone': { en: 'not measured', zh: '未测量' },
  'det.list.title': { en: 'Detectors', zh: '检测器' },
  'det.list.empty': {
    en: 'No detector trained here yet: train one on a dataset’s real X-rays below.',
    zh: '尚未在此训练检测器：请在下方用数据集的真实 X 光训练一个。',
  },
  'det.col.name': { en: 'Name', zh: '名称' },
  'det.col.set': { en: 'Set', zh: '关键点集' },
  'det.col.trainedOn': { en: 'Trained on', zh: '训练数据' },
  'det.col.valMre': { en: 'Val MRE', zh: '验证 MRE' },
  'det.col.status': { en: 'Status', zh: '状态' },
  'det.col.actions': { en: 'Actions', zh: '操作' },
  'det.cases': { en: '{name} ({n} cases)', zh: '{name}（{n} 例）' },
  'det.status.training': { en: 'training', zh: '训练中' },
  'det.status.stopped': { en: 'stopped', zh: '已停止' },
  'det.status.finished': { en: 'finished', zh: '已完成' },
  'det.status.failed': { en: 'failed', zh: '失败' },
  'det.status.shipped': { en: 'shipped', zh: '随附' },
  'det.epochsOf': { en: 'epoch {done}/{total}', zh: '第 {done}/{total} 轮' },
  'det.delete': { en: 'Delete', zh: '删除' },
  'det.deleteConfirm': { en: 'Delete detector “{name}”?', zh: '删除检测器“{name}”？' },
  'det.resume': { en: 'Resume', zh: '继续训练' },
  // ----- training form -----
  'det.train.title': {
    en: 'Train a detector on this dataset’s real X-rays',
    zh: '用该数据集的真实 X 光训练检测器',
  },
  'det.train.dataset': { en: 'Dataset', zh: '数据集' },
  'det.train.demo': {
    en: 'Demo phantom ({cases} cases, seed {seed})',
    zh: '演示体模（{cases} 例，种子 {seed}）',
  },
  'det.train.name': { en: 'Name', zh: '名称' },
  'det.train.preset': { en: 'Preset', zh: '预设' },
  'det.train.quick': { en: 'quick check (64 px, 2 epochs)', zh: '快速检查（64 像素，2 轮）' },
  'det.train.standard': { en: 'standard (256 px, 30 epochs)', zh: '标准（256 像素，30 轮）' },
  'det.train.full': { en: 'accurate (512 px, 80 epochs)', zh: '精确（512 像素，80 轮）' },
  'det.train.size': { en: 'Input size (px)', zh: '输入尺寸（像素）' },
  'det.train.epochs': { en: 'Epochs', zh: '轮数' },
  'det.train.sigma': { en: 'Heatmap σ (mm)', zh: '热图 σ（mm）' },
  'det.train.init': { en: 'Start from the shipped detector', zh: '从随附检测器开始' },
  'det.train.initHelp': {
    en: 'Fine-tuning needs the same landmark set; the shipped detector has {n} landmarks.',
    zh: '微调需要相同的关键点集；随附检测器有 {n} 个关键点。',
  },
  'det.train.initSize': {
    en: 'Fine-tuning keeps the shipped detector’s input size ({size} px) and network.',
    zh: '微调沿用随附检测器的输入尺寸（{size} 像素）和网络。',
  },
  'det.train.initMismatch': {
    en: 'The shipped detector’s set ({a}) differs from this dataset’s ({b}): it trains from scratch.',
    zh: '随附检测器的关键点集（{a}）与该数据集（{b}）不同：将从头训练。',
  },
  'det.train.start': { en: 'Train detector', zh: '训练检测器' },
  'det.train.stop': { en: 'Stop', zh: '停止' },
  'det.train.noLandmarks': {
    en: '“{name}” has no landmarks: a detector needs landmarks to learn from. Trace the films first (a complete tracing of a real film becomes its ground truth).',
    zh: '“{name}”没有关键点：检测器需要关键点才能学习。请先描点（真实片的完整描点会成为其真实标注）。',
  },
  'det.train.trace': { en: 'Trace this dataset’s films', zh: '为该数据集的片子描点' },
  'det.train.mismatch': { en: 'Landmark sets differ', zh: '关键点集不一致' },
  'det.train.progress': {
    en: 'Epoch {epoch}/{epochs} · step {step}/{steps}',
    zh: '第 {epoch}/{epochs} 轮 · 第 {step}/{steps} 步',
  },
  'det.train.eta': { en: 'about {s} s left', zh: '约剩 {s} 秒' },
  'det.train.done': {
    en: 'Detector “{name}” {status}: val MRE {mre} mm, SDR 2 mm {sdr}.',
    zh: '检测器“{name}”{status}：验证 MRE {mre} mm，SDR 2 mm {sdr}。',
  },
  'det.train.resumable': {
    en: '“{name}” stopped at epoch {done}/{total}: resume it to continue from its last checkpoint.',
    zh: '“{name}”在第 {done}/{total} 轮停止：继续训练将从其最后的检查点开始。',
  },
  'det.chart.loss': { en: 'Detector heatmap loss', zh: '检测器热图损失' },
  'det.chart.lossSeries': { en: 'heatmap loss', zh: '热图损失' },
  'det.chart.val': { en: 'Detector validation (held-out cases)', zh: '检测器验证（留出病例）' },
  'det.chart.mre': { en: 'val MRE (mm)', zh: '验证 MRE（mm）' },
  'det.chart.sdr2': { en: 'SDR 2 mm (%)', zh: 'SDR 2 mm（%）' },
  'det.chart.epoch': { en: 'epoch', zh: '轮' },
  'det.chart.step': { en: 'step', zh: '步' },
  'det.chart.empty': { en: 'Curves appear as the detector trains.', zh: '检测器训练时显示曲线。' },
  'det.chart.lossAxis': { en: 'cross-entropy (nats)', zh: '交叉熵（nat）' },
  'det.chart.lossUniform': {
    en: 'uniform heatmap: ln(cells) (nats)',
    zh: '均匀热图：ln(格数)（nat）',
  },
  'det.chart.lossHelp': {
    en: 'Mean training heatmap loss of each epoch: the cross-entropy between the predicted heatmap (a softmax over its {side}×{side} cells) and the Gaussian target, in nats per landmark map, averaged over the epoch’s steps. A uniform heatmap scores ln({side}²) = {uniform} nats; lower is better.',
    zh: '每轮训练的平均热图损失：预测热图（对 {side}×{side} 个格做 softmax）与高斯目标之间的交叉熵，单位为每个关键点热图的 nat，对该轮各步取平均。均匀热图得 ln({side}²) = {uniform} nat；越低越好。',
  },
  'det.chart.lossHelpNoSide': {
    en: 'Mean training heatmap loss of each epoch: the cross-entropy between the predicted heatmap and the Gaussian target, in nats per landmark map, averaged over the epoch’s steps; lower is better.',
    zh: '每轮训练的平均热图损失：预测热图与高斯目标之间的交叉熵，单位为每个关键点热图的 nat，对该轮各步取平均；越低越好。',
  },
  'det.chart.of': { en: 'Curves of “{name}”', zh: '“{name}”的曲线' },
  'det.curves': { en: 'Curves', zh: '曲线' },
  'det.curvesShown': { en: 'shown', zh: '已显示' },
  // a detector's generated name (stored as parts, rendered in the UI's language)
  'det.autoName': { en: '{dataset} · {size} px · {date}', zh: '{dataset} · {size} 像素 · {date}' },
  // ----- a run's traceability detector (stored with the run) -----
  'det.run.scoredBy': {
    en: 'Traceability of this run scored by: {name}',
    zh: '本次训练的可追踪性评分检测器：{name}',
  },
  'det.run.none': {
    en: 'This run has no traceability detector.',
    zh: '本次训练没有可追踪性检测器。',
  },
  // ----- assisted tracing -----
  'det.assist.button': { en: 'Pre-place the detector’s points', zh: '预放检测器的关键点' },
  'det.assist.detector': { en: 'Detector', zh: '检测器' },
  'det.assist.busy': { en: 'Detecting…', zh: '正在检测…' },
  'det.assist.note': {
    en: 'Points pre-placed by the detector: drag each to where it belongs. This tracing is saved as detector-assisted and left out of every statistic.',
    zh: '关键点由检测器预放：请把每个点拖到正确位置。此描点将保存为检测器辅助，不计入任何统计。',
  },
  'det.assist.badge': { en: 'detector-assisted', zh: '检测器辅助' },
  'det.assist.mismatch': {
    en: 'The detector’s landmark set ({a}) differs from this dataset’s ({b}).',
    zh: '检测器的关键点集（{a}）与该数据集（{b}）不同。',
  },
  // ----- Train view -----
  'det.trainView.choice': { en: 'Traceability detector', zh: '可追踪性检测器' },
  'det.trainView.none': { en: 'none', zh: '无' },
  'det.trainView.shipped': { en: 'shipped (ISBI 2015)', zh: '随附（ISBI 2015）' },
  'det.trainView.help': {
    en: 'At each validation round the detector runs on the real X-ray and on the prediction of each val case with landmarks; its radial error on the prediction is the traceability MRE.',
    zh: '每次验证时，检测器在每个带关键点的验证病例的真实 X 光和预测图上运行；它在预测图上的径向误差即可追踪性 MRE。',
  },
  'det.trainView.noLandmarks': {
    en: 'The loaded dataset has no landmarks: traceability needs them.',
    zh: '已加载的数据集没有关键点：可追踪性需要关键点。',
  },
  'train.best.traceMre': { en: 'lowest traceability MRE (mm)', zh: '最低可追踪性 MRE（mm）' },
  'det.chart.trace': {
    en: 'Traceability (detector on the prediction)',
    zh: '可追踪性（检测器作用于预测图）',
  },
  'det.chart.traceMre': { en: 'traceability MRE (mm)', zh: '可追踪性 MRE（mm）' },
  /** The metric's name where the value carries its own unit (run history's best). */
  'det.chart.traceMreName': { en: 'traceability MRE', zh: '可追踪性 MRE' },
  'det.chart.traceFloor': {
    en: 'floor: detector on the real X-ray (mm)',
    zh: '下限：检测器作用于真实 X 光（mm）',
  },
  'det.chart.traceTol': { en: '2 mm clinical tolerance', zh: '2 mm 临床容差' },
  'det.chart.traceAxis': { en: 'MRE (mm)', zh: 'MRE（mm）' },
  'det.chart.traceEmpty': {
    en: 'Appears after a validation round (every {n} steps) of a run with a traceability detector.',
    zh: '在选择了可追踪性检测器的训练完成验证（每 {n} 步）后显示。',
  },
  'det.chart.traceHelp': {
    en: 'Radial error of the detector’s points on the prediction vs the ground truth, mean over landmarks and val cases; the floor is the same detector on the real X-ray (what a perfect prediction would score).',
    zh: '检测器在预测图上的关键点与真实标注之间的径向误差，对关键点和验证病例取平均；下限是同一检测器在真实 X 光上的误差（完美预测的得分）。',
  },
  // ----- Evaluate -----
  'det.eval.title': { en: 'Traceability (landmark detector)', zh: '可追踪性（关键点检测器）' },
  'det.eval.choice': { en: 'Detector for this evaluation', zh: '本次评估使用的检测器' },
  'det.eval.explain': {
    en: '{detector} on {n} val cases with landmarks (step {step}). Floor = the detector on the real X-ray vs the ground truth; traceability = the detector on the synthetic X-ray vs the ground truth. 2 mm is the clinical tolerance.',
    zh: '{detector} 作用于 {n} 个带关键点的验证病例（第 {step} 步）。下限 = 检测器在真实 X 光上对比真实标注；可追踪性 = 检测器在合成 X 光上对比真实标注。2 mm 为临床容差。',
  },
  'det.eval.none': {
    en: 'No traceability in this evaluation: choose a detector and evaluate a checkpoint, or train with a traceability detector.',
    zh: '本次评估没有可追踪性：请选择检测器并评估一个检查点，或在训练时选择可追踪性检测器。',
  },
  'det.eval.evaluate': { en: 'Evaluate with this detector', zh: '用此检测器评估' },
  'det.eval.floor': { en: 'Floor (real X-ray)', zh: '下限（真实 X 光）' },
  'det.eval.synthetic': { en: 'Traceability (synthetic)', zh: '可追踪性（合成）' },
  'det.eval.mre': { en: 'MRE (mm)', zh: 'MRE（mm）' },
  'det.eval.sdr2': { en: 'SDR 2 mm', zh: '2 mm 检出率（SDR）' },
  'det.eval.landmark': { en: 'Landmark', zh: '关键点' },
  'det.eval.name': { en: 'Name', zh: '名称' },
  'det.eval.over2': {
    en: 'Over 2 mm on the synthetic X-ray: {list}',
    zh: '合成 X 光上超过 2 mm：{list}',
  },
  'det.eval.allWithin': {
    en: 'Every landmark within 2 mm on average.',
    zh: '所有关键点平均误差均在 2 mm 内。',
  },
  'det.eval.meas': {
    en: 'Measurement agreement (detected on synthetic vs ground truth)',
    zh: '测量一致性（合成图检测 vs 真实标注）',
  },
  'det.eval.measName': { en: 'Measurement', zh: '测量' },
  'det.eval.measGt': { en: 'Ground truth (mean)', zh: '真实标注（均值）' },
  'det.eval.measSyn': { en: 'Synthetic (mean)', zh: '合成（均值）' },
  'det.eval.measDiff': { en: 'Mean |Δ|', zh: '平均 |Δ|' },
  'det.eval.measN': { en: 'Cases', zh: '病例' },
  'det.eval.unavailable': { en: 'unavailable', zh: '不可用' },
  'det.eval.busy': { en: 'Evaluating with the detector…', zh: '正在用检测器评估…' },
  'eval.gate.trace_mre': { en: 'Traceability MRE', zh: '可追踪性 MRE' },
} as const satisfies Record<string, Translation>;
