/** Strings of the Landmarks section (issue 12): viewer, tracing wizard, stored tracings, pixel spacing, errors, measurements. */
import type { Translation } from '../../engine/messages';

/** Short definitions of the 19 ISBI 2015 landmarks (where to click), keyed `lm.def.<symbol>`. */
export const LANDMARK_DEFINITIONS = {
  'lm.def.S': {
    en: 'Centre of the sella turcica, the saddle-shaped pit of the sphenoid bone that holds the pituitary.',
    zh: '蝶鞍（蝶骨上容纳垂体的马鞍形凹陷）的中心点。',
  },
  'lm.def.N': {
    en: 'Most anterior point of the frontonasal suture, where the nasal bones meet the frontal bone.',
    zh: '额鼻缝的最前点，即鼻骨与额骨相接处。',
  },
  'lm.def.Or': {
    en: 'Lowest point on the inferior margin of the orbit.',
    zh: '眶下缘的最低点。',
  },
  'lm.def.Po': {
    en: 'Highest point of the external auditory meatus (anatomical porion; the ear-rod ring marks the machine porion).',
    zh: '外耳道的最高点（解剖耳点；耳杆圆环标出的是机械耳点）。',
  },
  'lm.def.A': {
    en: 'Deepest point of the concavity of the maxilla between the anterior nasal spine and the upper incisor alveolus.',
    zh: '上颌骨前缘在前鼻棘与上切牙牙槽嵴之间凹陷的最深点。',
  },
  'lm.def.B': {
    en: 'Deepest point of the concavity of the mandible between the lower incisor alveolus and pogonion.',
    zh: '下颌骨前缘在下切牙牙槽嵴与颏前点之间凹陷的最深点。',
  },
  'lm.def.Pog': {
    en: 'Most anterior point of the bony chin.',
    zh: '骨性颏部的最前点。',
  },
  'lm.def.Me': {
    en: 'Lowest point of the mandibular symphysis.',
    zh: '下颌联合的最低点。',
  },
  'lm.def.Gn': {
    en: 'Most anterior-inferior point of the bony chin, midway between pogonion and menton.',
    zh: '骨性颏部的最前下点，位于颏前点与颏下点之间。',
  },
  'lm.def.Go': {
    en: 'Most posterior-inferior point at the angle of the mandible (bisector of the ramus and body tangents).',
    zh: '下颌角的最后下点（下颌升支与下颌体切线夹角的平分线与下颌角的交点）。',
  },
  'lm.def.L1': {
    en: 'Incisal tip of the most prominent lower central incisor.',
    zh: '最突出的下中切牙的切缘尖端。',
  },
  'lm.def.U1': {
    en: 'Incisal tip of the most prominent upper central incisor.',
    zh: '最突出的上中切牙的切缘尖端。',
  },
  'lm.def.Ls': {
    en: 'Most anterior point of the upper lip.',
    zh: '上唇的最前点。',
  },
  'lm.def.Li': {
    en: 'Most anterior point of the lower lip.',
    zh: '下唇的最前点。',
  },
  'lm.def.Sn': {
    en: 'Point where the base of the nose (columella) meets the upper lip in the midsagittal plane.',
    zh: '正中矢状面上鼻小柱与上唇相交的点。',
  },
  'lm.def.PogS': {
    en: 'Most anterior point of the soft-tissue chin.',
    zh: '软组织颏部的最前点。',
  },
  'lm.def.PNS': {
    en: 'Tip of the posterior nasal spine, the back end of the hard palate.',
    zh: '后鼻棘的尖端，即硬腭的后端。',
  },
  'lm.def.ANS': {
    en: 'Tip of the anterior nasal spine, the front end of the maxilla at the floor of the nose.',
    zh: '前鼻棘的尖端，即鼻底处上颌骨的最前端。',
  },
  'lm.def.Ar': {
    en: 'Intersection of the posterior border of the ramus (condyle) with the inferior surface of the cranial base.',
    zh: '下颌升支后缘（髁突）与颅底下缘影像的交点。',
  },
} as const satisfies Record<string, Translation>;

export type DefinitionKey = keyof typeof LANDMARK_DEFINITIONS;

export function definitionKey(symbol: string): DefinitionKey | null {
  const k = `lm.def.${symbol}`;
  return k in LANDMARK_DEFINITIONS ? (k as DefinitionKey) : null;
}

export const LANDMARKS_STRINGS = {
  ...LANDMARK_DEFINITIONS,
  'lm.title': { en: 'Landmarks', zh: '标志点' },
  'lm.intro': {
    en: 'Trace cephalometric landmarks by hand on the prediction of any checkpoint or on a real X-ray, and see whether a synthetic X-ray can be traced: radial errors in mm against the ground truth, SDR at 2–4 mm, and the cephalometric measurements side by side. Points are stored in original X-ray pixels; millimetres use the dataset’s pixel spacing.',
    zh: '在任一检查点的预测图或真实 X 线片上手工描点，检验合成 X 线片是否可描点：与金标准比较的径向误差（毫米）、2–4 毫米内的成功检测率（SDR）以及并列的头影测量值。点以原始 X 线片像素保存；毫米值使用数据集的像素间距。',
  },
  'lm.loading': { en: 'Loading…', zh: '正在加载…' },
  'lm.noEngine': {
    en: 'The engine is starting; predictions of checkpoints need it.',
    zh: '引擎正在启动；检查点的预测需要它。',
  },

  // ----- picker -----
  'lm.pick.title': { en: 'Trace a case', zh: '描点一个病例' },
  'lm.pick.dataset': { en: 'Dataset', zh: '数据集' },
  'lm.pick.case': { en: 'Case', zh: '病例' },
  'lm.pick.target': { en: 'Image to trace', zh: '描点图像' },
  'lm.pick.real': { en: 'The real X-ray', zh: '真实 X 线片' },
  'lm.pick.checkpoint': { en: 'Prediction of {run} · {name}', zh: '{run} · {name} 的预测' },
  'lm.pick.noDatasets': {
    en: 'No dataset yet: import X-rays in the Data section, or train a demo run in the Train section.',
    zh: '还没有数据集：请在“数据”部分导入 X 线片，或在“训练”部分训练一个演示运行。',
  },
  'lm.pick.demo': { en: '{name} (demo)', zh: '{name}（演示）' },
  'lm.pick.caseGt': { en: '{id} · ground truth', zh: '{id} · 有金标准' },
  'lm.pick.caseNoGt': { en: '{id} · no landmarks', zh: '{id} · 无标志点' },
  'lm.pick.caseTraced': { en: '{id} · traced', zh: '{id} · 已描点' },
  'lm.pick.open': { en: 'Open for tracing', zh: '打开并描点' },
  'lm.pick.opening': { en: 'Predicting…', zh: '正在预测…' },
  'lm.pick.noCases': {
    en: 'This dataset has no case the chosen image exists for.',
    zh: '该数据集中没有可用于所选图像的病例。',
  },
  'lm.pick.demoRealRefused': {
    en: 'The demo phantom has its ground truth already; trace a checkpoint’s prediction instead.',
    zh: '演示体模已有金标准；请改为描点检查点的预测。',
  },
  'lm.pick.btoa': {
    en: 'This run predicts photos from X-rays (BtoA): there is no synthetic X-ray to trace.',
    zh: '该运行由 X 线片预测照片（BtoA）：没有可描点的合成 X 线片。',
  },

  // ----- pixel spacing -----
  'lm.spacing.title': { en: 'Pixel spacing', zh: '像素间距' },
  'lm.spacing.label': { en: 'mm per original pixel', zh: '毫米/原始像素' },
  'lm.spacing.save': { en: 'Save', zh: '保存' },
  'lm.spacing.saved': { en: 'Saved: {mm} mm/px.', zh: '已保存：{mm} 毫米/像素。' },
  'lm.spacing.invalid': {
    en: 'Enter a positive number of mm per pixel (ISBI films: 0.1).',
    zh: '请输入正的毫米/像素数值（ISBI 片：0.1）。',
  },
  'lm.spacing.demo': {
    en: 'Demo phantom at {size} px: {mm} mm/px (the 193.5 × 240 mm ISBI film fitted to the training size).',
    zh: '演示体模（{size} 像素）：{mm} 毫米/像素（193.5 × 240 毫米的 ISBI 片缩放到训练尺寸）。',
  },
  'lm.ruler.start': { en: 'Calibrate with a ruler', zh: '用标尺校准' },
  'lm.ruler.help': {
    en: 'Click both ends of a known length on the film (e.g. the device ruler), then type the length in mm.',
    zh: '在片子上点击已知长度（如设备标尺）的两端，然后输入其毫米长度。',
  },
  'lm.ruler.length': { en: 'Known length (mm)', zh: '已知长度（毫米）' },
  'lm.ruler.apply': { en: 'Apply', zh: '应用' },
  'lm.ruler.cancel': { en: 'Cancel', zh: '取消' },
  'lm.ruler.points': { en: 'Ends placed: {n} of 2', zh: '已放置端点：{n}/2' },
  'lm.ruler.result': {
    en: 'Ruler: {px} px = {mm} mm → {mmPerPx} mm/px (saved for the dataset).',
    zh: '标尺：{px} 像素 = {mm} 毫米 → {mmPerPx} 毫米/像素（已保存到数据集）。',
  },

  // ----- viewer -----
  'lm.view.brightness': { en: 'Brightness', zh: '亮度' },
  'lm.view.contrast': { en: 'Contrast', zh: '对比度' },
  'lm.view.gamma': { en: 'Gamma', zh: '伽马' },
  'lm.view.invert': { en: 'Invert', zh: '反相' },
  'lm.view.reset': { en: 'Reset view', zh: '重置视图' },
  'lm.view.zoom': {
    en: 'Zoom {z}× (1× = one image pixel per screen pixel)',
    zh: '缩放 {z}×（1× = 每个屏幕像素一个图像像素）',
  },
  'lm.view.help': {
    en: 'Wheel: zoom at the cursor · drag: pan · drag a point: adjust it · the loupe magnifies under the cursor.',
    zh: '滚轮：以光标为中心缩放 · 拖动：平移 · 拖动点：调整位置 · 放大镜放大光标下的区域。',
  },
  'lm.view.loupe': { en: 'Loupe', zh: '放大镜' },
  'lm.view.image': {
    en: 'Image being traced: {what}, {w} × {h} px',
    zh: '正在描点的图像：{what}，{w} × {h} 像素',
  },
  'lm.view.imagePrediction': { en: 'prediction at training size', zh: '训练尺寸下的预测' },
  'lm.view.imageReal': { en: 'original X-ray', zh: '原始 X 线片' },

  // ----- wizard -----
  'lm.wiz.title': { en: 'Tracing {case} — {target}', zh: '描点 {case} — {target}' },
  'lm.wiz.current': { en: 'Landmark {i} of {n}', zh: '第 {i}/{n} 个标志点' },
  'lm.wiz.reference': { en: 'Where it lies (ISBI mean shape)', zh: '所在位置（ISBI 平均形状）' },
  'lm.wiz.clickHint': {
    en: 'Click on the image to place it. Enter or → next, ← previous, S not identifiable, Ctrl+Z undo.',
    zh: '在图像上点击放置。Enter 或 → 下一个，← 上一个，S 无法识别，Ctrl+Z 撤销。',
  },
  'lm.wiz.prev': { en: '← Previous', zh: '← 上一个' },
  'lm.wiz.next': { en: 'Next →', zh: '下一个 →' },
  'lm.wiz.skip': { en: 'Not identifiable (S)', zh: '无法识别（S）' },
  'lm.wiz.undo': { en: 'Undo (Ctrl+Z)', zh: '撤销（Ctrl+Z）' },
  'lm.wiz.tracer': { en: 'Tracer (optional)', zh: '描点者（可选）' },
  'lm.wiz.assist': {
    en: 'Pre-place from the ground truth (review only: never counted as a tracing)',
    zh: '用金标准预放置（仅供复核：永不计为描点）',
  },
  'lm.wiz.assisted': {
    en: 'Review of the ground truth: stored as assisted, not counted in the error statistics.',
    zh: '金标准复核：以“辅助”方式保存，不计入误差统计。',
  },
  'lm.wiz.save': { en: 'Save tracing', zh: '保存描点' },
  'lm.wiz.close': { en: 'Close', zh: '关闭' },
  'lm.wiz.placed': {
    en: '{placed} placed · {skipped} not identifiable · {open} open',
    zh: '已放置 {placed} · 无法识别 {skipped} · 未完成 {open}',
  },
  'lm.wiz.statePlaced': { en: 'placed', zh: '已放置' },
  'lm.wiz.stateSkipped': { en: 'not identifiable', zh: '无法识别' },
  'lm.wiz.stateOpen': { en: 'open', zh: '未完成' },
  'lm.wiz.saved': {
    en: 'Tracing saved ({placed} of {n} landmarks).',
    zh: '描点已保存（{placed}/{n} 个标志点）。',
  },
  'lm.wiz.savedGt': {
    en: 'Tracing saved and written as the ground truth of case {case}.',
    zh: '描点已保存，并写入病例 {case} 的金标准。',
  },
  'lm.wiz.incompleteGt': {
    en: 'Saved as a tracing; ground truth needs every landmark placed ({skipped} not identifiable).',
    zh: '已保存为描点；金标准需要放置全部标志点（{skipped} 个无法识别）。',
  },
  'lm.wiz.existing': {
    en: 'A tracing of this case is stored ({date}); saving replaces it.',
    zh: '该病例已存有描点（{date}）；保存将替换它。',
  },

  // ----- stored tracings -----
  'lm.list.title': { en: 'Stored tracings', zh: '已保存的描点' },
  'lm.list.empty': { en: 'No tracing of this dataset yet.', zh: '该数据集尚无描点。' },
  'lm.list.case': { en: 'Case', zh: '病例' },
  'lm.list.target': { en: 'Traced on', zh: '描点对象' },
  'lm.list.tracer': { en: 'Tracer', zh: '描点者' },
  'lm.list.points': { en: 'Landmarks', zh: '标志点' },
  'lm.list.updated': { en: 'Updated', zh: '更新时间' },
  'lm.list.assisted': { en: 'assisted (not counted)', zh: '辅助（不计入）' },
  'lm.list.open': { en: 'Open', zh: '打开' },
  'lm.list.delete': { en: 'Delete', zh: '删除' },
  'lm.list.exportTxt': { en: 'ISBI .txt', zh: 'ISBI 文本' },
  'lm.list.exportCsv': { en: 'Export all as CSV', zh: '全部导出为 CSV' },
  'lm.list.import': { en: 'Import tracings (ISBI .txt or CSV) for', zh: '导入描点（ISBI .txt 或 CSV）到' },
  'lm.list.imported': { en: '{n} tracing(s) imported.', zh: '已导入 {n} 个描点。' },
  'lm.list.importNoCase': {
    en: '{file}: no case "{case}" in this dataset (files are matched to cases by name).',
    zh: '{file}：该数据集中没有病例“{case}”（文件按名称匹配病例）。',
  },

  // ----- errors -----
  'lm.err.title': { en: 'Tracing errors', zh: '描点误差' },
  'lm.err.intro': {
    en: 'Radial error = distance between the landmark traced on the image and the ground truth on the real X-ray, in mm. Within about 2 mm (inter-observer variability, the clinical tolerance) a landmark is traceable. Assisted reviews are not counted.',
    zh: '径向误差 = 图像上描出的标志点与真实 X 线片上金标准之间的距离（毫米）。约 2 毫米以内（观察者间差异、临床容许范围）视为可描点。辅助复核不计入。',
  },
  'lm.err.a': { en: 'Checkpoint A', zh: '检查点 A' },
  'lm.err.b': { en: 'Checkpoint B (side by side)', zh: '检查点 B（并列）' },
  'lm.err.none': { en: '— none —', zh: '— 无 —' },
  'lm.err.noTracings': {
    en: 'No counted tracing of this checkpoint on cases with ground truth yet.',
    zh: '该检查点尚无可计入（且病例有金标准）的描点。',
  },
  'lm.err.summary': {
    en: '{cases} case(s), {n} landmarks: MRE {mre} ± {sd} mm · SDR 2 mm {s2} · 2.5 mm {s25} · 3 mm {s3} · 4 mm {s4}',
    zh: '{cases} 个病例，{n} 个标志点：MRE {mre} ± {sd} 毫米 · SDR 2 毫米 {s2} · 2.5 毫米 {s25} · 3 毫米 {s3} · 4 毫米 {s4}',
  },
  'lm.err.perLandmark': { en: 'Per landmark', zh: '逐标志点' },
  'lm.err.perCase': { en: 'Per case', zh: '逐病例' },
  'lm.err.landmark': { en: 'Landmark', zh: '标志点' },
  'lm.err.n': { en: 'n', zh: 'n' },
  'lm.err.mre': { en: 'MRE (mm)', zh: 'MRE（毫米）' },
  'lm.err.sd': { en: 'SD (mm)', zh: 'SD（毫米）' },
  'lm.err.sdr2': { en: 'SDR 2 mm', zh: 'SDR 2 毫米' },
  'lm.err.sdr': { en: 'SDR 2 / 2.5 / 3 / 4 mm', zh: 'SDR 2 / 2.5 / 3 / 4 毫米' },
  'lm.err.untraceable': { en: 'untraceable (> 2 mm)', zh: '不可描点（> 2 毫米）' },
  'lm.err.traceable': { en: 'traceable', zh: '可描点' },
  'lm.err.skipped': { en: 'not identifiable ×{n}', zh: '无法识别 ×{n}' },
  'lm.err.case': { en: 'Case', zh: '病例' },
  'lm.err.placed': { en: 'Placed', zh: '已放置' },
  'lm.err.csv': { en: 'Errors CSV', zh: '误差 CSV' },
  'lm.err.caseError': { en: 'Radial errors', zh: '径向误差' },

  // ----- measurements -----
  'lm.meas.title': { en: 'Cephalometric measurements', zh: '头影测量' },
  'lm.meas.analysis': { en: 'Analysis', zh: '分析法' },
  'lm.meas.case': { en: 'Case', zh: '病例' },
  'lm.meas.measure': { en: 'Measurement', zh: '测量项' },
  'lm.meas.gt': { en: 'Ground truth', zh: '金标准' },
  'lm.meas.tracing': { en: 'Tracing', zh: '描点' },
  'lm.meas.diff': { en: 'Difference', zh: '差值' },
  'lm.meas.norm': { en: 'Normal range', zh: '正常范围' },
  'lm.meas.class': { en: 'Classification (GT / tracing)', zh: '分类（金标准/描点）' },
  'lm.meas.missing': { en: 'unavailable: needs {symbols}', zh: '不可用：需要 {symbols}' },
  'lm.meas.csv': { en: 'Measurements CSV', zh: '测量 CSV' },
  'lm.meas.none': {
    en: 'Choose a traced case of checkpoint A to compare its measurements.',
    zh: '请选择检查点 A 的一个已描点病例来比较测量值。',
  },
  'lm.unit.deg': { en: '°', zh: '°' },
  'lm.unit.mm': { en: 'mm', zh: '毫米' },
} as const satisfies Record<string, Translation>;
