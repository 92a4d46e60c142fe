/** Strings of the Data section: import, dataset list, dataset view, audit, splits, preprocessing, browser. */
import type { Translation } from '../../engine/messages';

export const DATA_STRINGS = {
  'data.title': { en: 'Data', zh: '数据' },
  'data.intro': {
    en: 'Import photo/X-ray pairs from a folder, files or a ZIP. Everything stays in this browser; nothing is uploaded.',
    zh: '从文件夹、多个文件或 ZIP 导入照片/X 线片配对。所有数据只保存在此浏览器中，不会上传。',
  },

  // storage
  'data.storage.usage': {
    en: 'Storage: {used} used of {quota} ({pct})',
    zh: '存储：已用 {used}，共 {quota}（{pct}）',
  },
  'data.storage.unknown': {
    en: 'Storage: the browser does not report usage',
    zh: '存储：浏览器未提供用量信息',
  },
  'data.storage.persisted': { en: 'kept by the browser (persistent)', zh: '浏览器会保留（持久存储）' },
  'data.storage.notPersisted': {
    en: 'not persistent: the browser may clear it when the disk is low',
    zh: '非持久存储：磁盘空间不足时浏览器可能清除',
  },
  'data.storage.ask': { en: 'Ask to keep data', zh: '申请持久存储' },

  // drop zone
  'data.drop.title': { en: 'Import a dataset', zh: '导入数据集' },
  'data.drop.hint': {
    en: 'Drop a folder, several files or a ZIP here',
    zh: '将文件夹、多个文件或 ZIP 拖放到此处',
  },
  'data.drop.layouts': {
    en: 'Recognised: photo/ + xray/ folders (also A/B, face/ceph), the server’s aligned images (photo left, X-ray right; train/ val/ test/ give splits), or names like 001_photo.jpg + 001_xray.png. Landmarks: ISBI .txt, one CSV, or Aariz .json.',
    zh: '可识别：photo/ + xray/ 文件夹（也支持 A/B、face/ceph）、服务器的对齐图（左照片右 X 线片；train/ val/ test/ 作为划分），或 001_photo.jpg + 001_xray.png 这类命名。标志点：ISBI .txt、单个 CSV 或 Aariz .json。',
  },
  'data.drop.files': { en: 'Choose files or ZIP…', zh: '选择文件或 ZIP…' },
  'data.drop.folder': { en: 'Choose a folder…', zh: '选择文件夹…' },
  'data.drop.reading': { en: 'Reading the file list…', zh: '正在读取文件列表…' },
  'data.drop.walkErrors': {
    en: '{count} item(s) could not be read by the browser:',
    zh: '浏览器无法读取 {count} 项：',
  },

  // plan
  'data.plan.title': { en: 'Import plan — check before importing', zh: '导入计划 — 导入前请检查' },
  'data.plan.kind.folders': {
    en: 'Photo and X-ray folders, paired by file name',
    zh: '照片与 X 线片文件夹，按文件名配对',
  },
  'data.plan.kind.aligned': {
    en: 'Aligned images (photo left half, X-ray right half), each split in half',
    zh: '对齐图（左半照片、右半 X 线片），每张将一分为二',
  },
  'data.plan.kind.suffix': {
    en: 'File names mark photo and X-ray (e.g. 001_photo / 001_xray)',
    zh: '文件名标明照片与 X 线片（如 001_photo / 001_xray）',
  },
  'data.plan.kind.mixed': {
    en: 'Photo/X-ray folders and name suffixes',
    zh: '照片/X 线片文件夹及文件名后缀',
  },
  'data.plan.kind.empty': { en: 'No PNG or JPEG images found', zh: '未找到 PNG 或 JPEG 图像' },
  'data.plan.layout': { en: 'Layout', zh: '布局' },
  'data.plan.filesLabel': { en: 'Files', zh: '文件' },
  'data.plan.casesLabel': { en: 'Cases', zh: '病例' },
  'data.plan.root': { en: 'Top folder', zh: '顶层文件夹' },
  'data.plan.counts': {
    en: '{files} files: {photos} photos, {xrays} X-rays, {aligned} aligned images',
    zh: '{files} 个文件：照片 {photos} 张，X 线片 {xrays} 张，对齐图 {aligned} 张',
  },
  'data.plan.cases': {
    en: '{pairs} complete cases of {cases}',
    zh: '共 {cases} 个病例，其中完整配对 {pairs} 个',
  },
  'data.plan.unpaired': {
    en: '{count} without a partner (imported with a flag, not used for training)',
    zh: '{count} 个缺少配对（会带标记导入，但不用于训练）',
  },
  'data.plan.splitsFolders': {
    en: 'Splits from folders: train {train}, val {val}, test {test}',
    zh: '来自文件夹的划分：训练 {train}，验证 {val}，测试 {test}',
  },
  'data.plan.splitsSeeded': {
    en: 'No train/ val/ test/ folders: a seeded split will be made (editable later)',
    zh: '没有 train/ val/ test/ 文件夹：将按种子自动划分（之后可修改）',
  },
  'data.plan.landmarks': {
    en: 'Landmarks ({format}) for {count} of {cases} cases',
    zh: '标志点（{format}）：{cases} 个病例中有 {count} 个',
  },
  'data.plan.landmarksCsv': {
    en: 'One CSV ({file}), matched by image name during the import',
    zh: '单个 CSV（{file}），导入时按图像名匹配',
  },
  'data.plan.noLandmarks': { en: 'No landmark files', zh: '没有标志点文件' },
  'data.plan.ignored': { en: '{count} hidden/system files skipped', zh: '已跳过 {count} 个隐藏/系统文件' },
  'data.plan.archives': {
    en: 'ZIP {name}: {entries} entries, {size} uncompressed',
    zh: 'ZIP {name}：{entries} 项，解压后 {size}',
  },
  'data.plan.bytes': { en: '{size} of images and landmarks to read', zh: '需读取图像与标志点共 {size}' },
  'data.plan.problems': {
    en: 'Problems found in the file list ({errors} errors, {warnings} warnings, {infos} notes)',
    zh: '文件列表中发现的问题（错误 {errors}，警告 {warnings}，提示 {infos}）',
  },
  'data.plan.noProblems': { en: 'No problems found in the file list.', zh: '文件列表中未发现问题。' },
  'data.plan.options': { en: 'Options', zh: '选项' },
  'data.plan.name': { en: 'Dataset name', zh: '数据集名称' },
  'data.plan.photoDirs': { en: 'Photo folder names', zh: '照片文件夹名' },
  'data.plan.xrayDirs': { en: 'X-ray folder names', zh: 'X 线片文件夹名' },
  'data.plan.dirsHelp': { en: 'Comma-separated, case-insensitive', zh: '以逗号分隔，不区分大小写' },
  'data.plan.assume': { en: 'Layout detection', zh: '布局识别' },
  'data.plan.assume.auto': { en: 'Automatic', zh: '自动' },
  'data.plan.assume.paired': { en: 'Separate photo and X-ray files', zh: '照片与 X 线片分开的文件' },
  'data.plan.assume.aligned': {
    en: 'Aligned images (photo | X-ray side by side)',
    zh: '对齐图（照片 | X 线片 左右并排）',
  },
  'data.plan.apply': { en: 'Detect again', zh: '重新识别' },
  'data.plan.mmPerPx': { en: 'X-ray pixel spacing (mm/px)', zh: 'X 线片像素间距（毫米/像素）' },
  'data.plan.seed': { en: 'Split seed', zh: '划分种子' },
  'data.plan.import': { en: 'Import {count} cases', zh: '导入 {count} 个病例' },
  'data.plan.cancel': { en: 'Discard', zh: '放弃' },
  'data.plan.nothing': { en: 'Nothing to import: no case was found.', zh: '没有可导入的内容：未找到病例。' },

  // progress
  'data.progress.title': { en: 'Importing “{name}”', zh: '正在导入“{name}”' },
  'data.progress.preparing': { en: 'Preparing…', zh: '正在准备…' },
  'data.progress.cases': {
    en: '{done} of {total} cases read, {stored} stored',
    zh: '已读取 {done}/{total} 个病例，已保存 {stored} 个',
  },
  'data.progress.audit': {
    en: 'Checking the whole dataset (orientation, duplicates, exposure)…',
    zh: '正在检查整个数据集（朝向、重复、曝光）…',
  },
  'data.progress.finishing': { en: 'Choosing the fixed evaluation list…', zh: '正在选定固定评估清单…' },
  'data.progress.eta': { en: 'about {time} left', zh: '预计剩余 {time}' },
  'data.progress.errors': { en: '{count} file problem(s) so far', zh: '目前有 {count} 个文件问题' },
  'data.progress.current': { en: 'Case {id}', zh: '病例 {id}' },
  'data.progress.cancel': { en: 'Cancel import', zh: '取消导入' },
  'data.progress.cancelling': {
    en: 'Cancelling — keeping the cases already read…',
    zh: '正在取消 — 保留已读取的病例…',
  },

  // report
  'data.report.title': { en: 'Import report: {name}', zh: '导入报告：{name}' },
  'data.report.summary': {
    en: '{stored} cases stored ({usable} complete pairs) in {time}. Files: {imported} imported, {skipped} skipped, {errors} with errors.',
    zh: '用时 {time} 保存了 {stored} 个病例（完整配对 {usable} 个）。文件：导入 {imported}，跳过 {skipped}，出错 {errors}。',
  },
  'data.report.cancelled': {
    en: 'Cancelled: the cases read before the cancel are kept.',
    zh: '已取消：取消前读取的病例已保留。',
  },
  'data.report.storageFull': {
    en: 'Stopped: the browser’s storage is full. The cases stored so far are kept and complete.',
    zh: '已停止：浏览器存储已满。已保存的病例完整保留。',
  },
  'data.report.downloadMd': { en: 'Download report (Markdown)', zh: '下载报告（Markdown）' },
  'data.report.downloadCsv': { en: 'Download report (CSV)', zh: '下载报告（CSV）' },
  'data.report.open': { en: 'Open the dataset', zh: '打开数据集' },
  'data.report.close': { en: 'Close', zh: '关闭' },
  'data.report.filter': { en: 'Show', zh: '显示' },
  'data.report.filter.problems': { en: 'Problems only', zh: '仅问题' },
  'data.report.filter.all': { en: 'All files', zh: '全部文件' },
  'data.report.file': { en: 'File', zh: '文件' },
  'data.report.status': { en: 'Status', zh: '状态' },
  'data.report.case': { en: 'Case', zh: '病例' },
  'data.report.message': { en: 'What happened', zh: '说明' },
  'data.report.status.imported': { en: 'imported', zh: '已导入' },
  'data.report.status.skipped': { en: 'skipped', zh: '已跳过' },
  'data.report.status.error': { en: 'error', zh: '错误' },
  'data.report.more': { en: '{count} more rows in the downloaded report', zh: '其余 {count} 行见下载的报告' },
  'data.report.failed': { en: 'The import failed: {error}', zh: '导入失败：{error}' },

  // adding files to an existing dataset
  'data.add.title': { en: 'Add files to this dataset', zh: '向此数据集添加文件' },
  'data.add.hint': {
    en: 'Drop more photo/X-ray pairs here: a folder, files or a ZIP, in the same layouts as an import.',
    zh: '将更多照片/X 线片配对拖放到此处：文件夹、多个文件或 ZIP，布局与导入相同。',
  },
  'data.add.rules': {
    en: 'New cases get this dataset’s preprocessing and pixel spacing and are audited; they are dealt to train/val/test by its split rule (seed {seed}) and no existing case changes split. A case whose id is already here is skipped, never overwritten. The fixed evaluation list is not changed.',
    zh: '新病例使用本数据集的预处理与像素间距，并会经过审核；按本数据集的划分规则（种子 {seed}）分配到训练/验证/测试，已有病例的划分不变。编号已存在的病例会被跳过，绝不覆盖。固定评估清单不会改变。',
  },
  'data.add.files': { en: 'Add files or ZIP…', zh: '添加文件或 ZIP…' },
  'data.add.folder': { en: 'Add a folder…', zh: '添加文件夹…' },
  'data.add.busy': {
    en: 'An import is running; add files when it has finished.',
    zh: '正在导入；请在完成后再添加文件。',
  },
  'data.add.planTitle': { en: 'Add to “{name}” — check before adding', zh: '添加到“{name}” — 添加前请检查' },
  'data.add.newCases': {
    en: '{count} new case(s) will be added',
    zh: '将添加 {count} 个新病例',
  },
  'data.add.duplicates': {
    en: '{count} case(s) already in this dataset will be skipped (a stored case is never overwritten):',
    zh: '{count} 个病例已在此数据集中，将被跳过（已保存的病例绝不会被覆盖）：',
  },
  'data.add.noDuplicates': {
    en: 'None of these cases is already in the dataset.',
    zh: '这些病例都不在数据集中。',
  },
  'data.add.splitsSeeded': {
    en: 'New cases are dealt by this dataset’s rule (seed {seed}, ratios {train} / {val} / {test}); existing cases keep their split.',
    zh: '新病例按本数据集的规则分配（种子 {seed}，比例 {train} / {val} / {test}）；已有病例保持原划分。',
  },
  'data.add.splitsFolders': {
    en: 'Cases in train/ val/ test/ folders keep that split (train {train}, val {val}, test {test}); the others are dealt by this dataset’s rule (seed {seed}). Existing cases keep their split.',
    zh: '位于 train/ val/ test/ 文件夹中的病例保持该划分（训练 {train}，验证 {val}，测试 {test}）；其余按本数据集的规则分配（种子 {seed}）。已有病例保持原划分。',
  },
  'data.add.settings': {
    en: 'Preprocessing, pixel spacing ({mm} mm/px) and landmark set: this dataset’s.',
    zh: '预处理、像素间距（{mm} 毫米/像素）与标志点集：沿用本数据集的设置。',
  },
  'data.add.evalUnchanged': {
    en: 'The fixed evaluation list is not changed by this add (version {version}, {count} cases).',
    zh: '此次添加不会改变固定评估清单（版本 {version}，{count} 个病例）。',
  },
  'data.add.evalNone': {
    en: 'This dataset has no evaluation list yet; adding does not create one (choose it in “Splits & evaluation list”).',
    zh: '此数据集尚无评估清单；添加不会自动创建（请在“划分与评估清单”中选定）。',
  },
  'data.add.start': { en: 'Add {count} cases', zh: '添加 {count} 个病例' },
  'data.add.nothing': {
    en: 'Nothing to add: every case of these files is already in the dataset.',
    zh: '没有可添加的内容：这些文件中的病例都已在数据集中。',
  },
  'data.add.progressTitle': { en: 'Adding to “{name}”', zh: '正在添加到“{name}”' },
  'data.add.progressNote': {
    en: 'The cases are added all at once at the end: until then the dataset is unchanged, and a cancel leaves it as it was.',
    zh: '病例会在最后一次性加入：在此之前数据集保持不变，取消后数据集维持原样。',
  },
  'data.add.progressCases': {
    en: '{done} of {total} new cases read and checked',
    zh: '已读取并检查 {done}/{total} 个新病例',
  },
  'data.add.audit': {
    en: 'Checking the new cases together (orientation, duplicates, exposure) and against the stored ones (copies)…',
    zh: '正在整体检查新病例（朝向、重复、曝光），并与已保存的病例比对（是否为副本）…',
  },
  'data.add.cancel': { en: 'Cancel — add nothing', zh: '取消 — 不添加任何病例' },
  'data.add.cancelling': { en: 'Cancelling — nothing will be added…', zh: '正在取消 — 不会添加任何病例…' },
  'data.add.finishing': { en: 'Adding the cases to the dataset…', zh: '正在将病例加入数据集…' },
  'data.add.reportTitle': { en: 'Files added to “{name}”', zh: '已添加到“{name}”' },
  'data.add.summary': {
    en: '{added} cases added ({usable} complete pairs) in {time}: train {train}, val {val}, test {test}. Files: {imported} imported, {skipped} skipped, {errors} with errors.',
    zh: '用时 {time} 添加了 {added} 个病例（完整配对 {usable} 个）：训练 {train}，验证 {val}，测试 {test}。文件：导入 {imported}，跳过 {skipped}，出错 {errors}。',
  },
  'data.add.summaryDuplicates': {
    en: '{count} case(s) already in the dataset were skipped: {ids}.',
    zh: '已跳过 {count} 个已在数据集中的病例：{ids}。',
  },
  'data.add.evalKept': {
    en: 'The fixed evaluation list was not changed (version {version}).',
    zh: '固定评估清单未改变（版本 {version}）。',
  },
  'data.add.cancelled': {
    en: 'Cancelled: nothing was added; the dataset is as it was before.',
    zh: '已取消：未添加任何病例，数据集保持原样。',
  },
  'data.add.storageFull': {
    en: 'Stopped: the browser’s storage is full. Nothing was added; the dataset is as it was before.',
    zh: '已停止：浏览器存储已满。未添加任何病例，数据集保持原样。',
  },
  'data.add.failed': { en: 'Adding the files failed: {error}', zh: '添加文件失败：{error}' },

  // re-split
  'data.resplit.open': { en: 'Re-split the dataset…', zh: '重新划分数据集…' },
  'data.resplit.title': { en: 'Re-split with a new seed or new ratios', zh: '用新种子或新比例重新划分' },
  'data.resplit.intro': {
    en: 'Deals every case again, replacing folder splits and cases you moved by hand. Deterministic: the same seed, ratios and cases always give the same split.',
    zh: '重新分配所有病例，取代文件夹划分和手动移动的结果。结果是确定的：相同的种子、比例与病例总是得到相同的划分。',
  },
  'data.resplit.seed': { en: 'Seed', zh: '种子' },
  'data.resplit.train': { en: 'Train %', zh: '训练 %' },
  'data.resplit.val': { en: 'Val %', zh: '验证 %' },
  'data.resplit.test': { en: 'Test %', zh: '测试 %' },
  'data.resplit.sumInvalid': {
    en: 'The three shares must be 0 % or more and add up to 100 % (now {sum} %).',
    zh: '三个比例须不小于 0%，且合计为 100%（当前 {sum}%）。',
  },
  'data.resplit.seedInvalid': {
    en: 'The seed must be a whole number of 0 or more.',
    zh: '种子须为不小于 0 的整数。',
  },
  'data.resplit.preview': {
    en: 'Result: train {train} · val {val} · test {test} (excluded cases not counted); {moved} cases change split.',
    zh: '结果：训练 {train} · 验证 {val} · 测试 {test}（不计已排除的病例）；{moved} 个病例的划分会改变。',
  },
  'data.resplit.evalKeptPreview': {
    en: 'The fixed evaluation list stays as it is: its cases remain in val or test.',
    zh: '固定评估清单保持不变：其病例仍在验证集或测试集中。',
  },
  'data.resplit.evalLeavesPreview': {
    en: 'These evaluation-list cases would go to train and leave the list: {ids}',
    zh: '以下评估清单病例将进入训练集并移出清单：{ids}',
  },
  'data.resplit.apply': { en: 'Re-split…', zh: '重新划分…' },
  'data.resplit.close': { en: 'Close', zh: '关闭' },
  'data.resplit.confirmTitle': { en: 'Re-split the whole dataset?', zh: '重新划分整个数据集？' },
  'data.resplit.confirmBody': {
    en: 'Every case is dealt again with seed {seed} and ratios {train} / {val} / {test}: {moved} cases change split. Runs trained on the old split are not comparable with runs on the new one (their training and validation cases differ).',
    zh: '所有病例将以种子 {seed}、比例 {train} / {val} / {test} 重新分配：{moved} 个病例的划分会改变。基于旧划分训练的运行与新划分的运行不可直接比较（训练与验证病例不同）。',
  },
  'data.resplit.confirmEvalKept': {
    en: 'The fixed evaluation list is kept (version {version}).',
    zh: '固定评估清单保持不变（版本 {version}）。',
  },
  'data.resplit.confirmEvalLeaves': {
    en: 'These cases go to train and leave the fixed evaluation list: {ids} (the list becomes version {version}).',
    zh: '以下病例将进入训练集并移出固定评估清单：{ids}（清单将变为版本 {version}）。',
  },
  'data.resplit.confirmFolders': {
    en: 'The current splits came from train/ val/ test/ folders; they are replaced.',
    zh: '当前划分来自 train/ val/ test/ 文件夹，将被取代。',
  },
  'data.resplit.confirm': { en: 'Re-split', zh: '重新划分' },
  'data.resplit.busy': {
    en: 'Files are being added to this dataset; re-split when that has finished.',
    zh: '正在向此数据集添加文件；请在完成后再重新划分。',
  },
  'data.resplit.done': {
    en: 'Re-split with seed {seed}: {moved} cases changed split. Runs trained before are not comparable with new ones.',
    zh: '已用种子 {seed} 重新划分：{moved} 个病例的划分已改变。之前训练的运行与新运行不可直接比较。',
  },
  'data.resplit.doneEvalKept': {
    en: 'The fixed evaluation list was kept (version {version}).',
    zh: '固定评估清单保持不变（版本 {version}）。',
  },
  'data.resplit.doneEvalLeft': {
    en: 'These cases are now in train and left the fixed evaluation list: {ids}. The list is now version {version} with {count} cases; add replacements below.',
    zh: '以下病例现已在训练集中，已移出固定评估清单：{ids}。清单现为版本 {version}，共 {count} 个病例；可在下方补充。',
  },

  // problem texts by code (Chinese display; English shows the core's message)
  'data.problem.unsupported-dicom': {
    en: 'DICOM is not supported: export PNG from your DICOM viewer.',
    zh: '不支持 DICOM：请在 DICOM 查看器中导出 PNG 后再导入。',
  },
  'data.problem.unsupported-format': {
    en: 'Unsupported image format: convert it to PNG.',
    zh: '不支持的图像格式：请转换为 PNG（无损）后再导入。',
  },
  'data.problem.not-image': {
    en: 'Not an image or landmark file; skipped.',
    zh: '不是图像或标志点文件，已跳过。',
  },
  'data.problem.empty-file': {
    en: 'The file is empty (0 bytes).',
    zh: '文件为空（0 字节），请重新复制或导出。',
  },
  'data.problem.generated-image': {
    en: 'A generated image from a results folder; skipped.',
    zh: '这是结果文件夹中的生成图像，不是训练数据，已跳过。',
  },
  'data.problem.unknown-role': {
    en: 'Cannot tell photo from X-ray.',
    zh: '无法判断是照片还是 X 线片：请放入 photo/ 或 xray/ 文件夹，或命名为 001_photo.jpg / 001_xray.png。',
  },
  'data.problem.duplicate-image': {
    en: 'A second image for the same case; skipped.',
    zh: '同一病例的第二张同类图像，已跳过；请删除其中一张。',
  },
  'data.problem.landmark-unmatched': {
    en: 'No case with this name; skipped.',
    zh: '没有同名病例，未作为标志点读取，已跳过。',
  },
  'data.problem.landmark-ambiguous': {
    en: 'Several cases have this name; skipped.',
    zh: '多个病例同名，无法确定归属，已跳过；请与图像放在同一 train/ val/ test/ 文件夹中。',
  },
  'data.problem.landmark-duplicate': {
    en: 'A second landmark source for a case; skipped.',
    zh: '该病例已有标志点来源，此文件已跳过。',
  },
  'data.problem.unpaired': {
    en: 'No partner image; imported with the flag “unpaired”.',
    zh: '缺少配对图像：带“未配对”标记保存，不用于训练。',
  },
  'data.problem.unreadable': {
    en: 'The image cannot be read.',
    zh: '图像无法读取（文件损坏或不完整），请重新导出。',
  },
  'data.problem.file-too-large': {
    en: 'The file is above the size limit.',
    zh: '文件超过大小上限（每张图像 50 MB），请以原始分辨率导出 PNG 或 JPEG。',
  },
  'data.problem.image-too-large': {
    en: 'The image is above 8192 px per side.',
    zh: '图像超过每边 8192 像素的上限，请缩小后再导入。',
  },
  'data.problem.aligned-not-pair': {
    en: 'Not a side-by-side pair.',
    zh: '看起来不是左右并排的照片与 X 线片；请将照片放入 photo/，X 线片放入 xray/，文件名一致。',
  },
  'data.problem.zip-invalid': {
    en: 'Not a readable ZIP.',
    zh: '不是可读取的 ZIP 文件；请重新打包，或直接拖入文件夹。',
  },
  'data.problem.zip-unsupported': { en: 'Unsupported ZIP.', zh: '不支持分卷 ZIP；请打包为单个 ZIP 文件。' },
  'data.problem.zip-too-many-entries': {
    en: 'Too many files in the ZIP.',
    zh: 'ZIP 中文件数量超过上限；请拆分为多个 ZIP，或直接拖入文件夹。',
  },
  'data.problem.zip-too-large': {
    en: 'The ZIP expands past the limit.',
    zh: 'ZIP 解压后超过大小上限；请拆分为多个 ZIP，或直接拖入文件夹。',
  },
  'data.problem.zip-encrypted': {
    en: 'Password-protected entry.',
    zh: '该项受密码保护；请不加密码重新打包。',
  },
  'data.problem.zip-method': {
    en: 'Unsupported compression.',
    zh: '压缩方式不受支持；请使用标准（Deflate）压缩重新打包。',
  },
  'data.problem.zip-corrupt': { en: 'Damaged ZIP entry.', zh: 'ZIP 中该项已损坏；请重新打包或重新下载。' },
  'data.problem.zip-forged-size': {
    en: 'Impossible declared size.',
    zh: '声明的大小不可能由压缩数据得到：压缩包已损坏或被篡改，已跳过。',
  },
  'data.problem.zip-expands': {
    en: 'Expands beyond its declared size.',
    zh: '解压后超过声明大小：压缩包已损坏或被篡改，已停止解压。',
  },
  'data.problem.zip-crc': { en: 'Checksum mismatch.', zh: '校验和不一致（压缩包已损坏）；请重新打包。' },
  'data.problem.nested-zip': {
    en: 'A ZIP inside a ZIP is not read.',
    zh: 'ZIP 中的 ZIP 不会被读取；请解压后导入其内容。',
  },
  'data.problem.landmark-count': {
    en: 'Wrong number of landmarks.',
    zh: '标志点数量不对（应为每行一个“x,y”）；该病例导入时不带标志点。',
  },
  'data.problem.landmark-not-number': {
    en: 'A landmark is not a number.',
    zh: '标志点不是数字（每行应为两个数字“x,y”）；该病例导入时不带标志点。',
  },
  'data.problem.landmark-extra-lines': {
    en: 'Extra lines ignored.',
    zh: '多余的行已忽略（ISBI 评测文件带有额外行）。',
  },
  'data.problem.landmark-extra-columns': { en: 'Extra columns ignored.', zh: '多余的列已忽略。' },
  'data.problem.csv-empty': { en: 'The CSV is empty.', zh: 'CSV 文件为空。' },
  'data.problem.csv-missing-column': {
    en: 'A CSV column is missing.',
    zh: 'CSV 缺少列；表头应为 image_path,1_x,1_y,…',
  },
  'data.problem.csv-missing-image': {
    en: 'A CSV row has no image name.',
    zh: 'CSV 某行缺少图像名，已跳过该行。',
  },
  'data.problem.json-invalid': { en: 'Not valid JSON.', zh: '不是有效的 JSON；请重新导出标注。' },
  'data.problem.json-missing-key': {
    en: 'No landmarks list in the JSON.',
    zh: 'JSON 中没有 "landmarks" 列表。',
  },
  'data.problem.landmark-format': {
    en: 'Not a landmark file.',
    zh: '不是逐病例的标志点文件；请使用 .txt（ISBI）或 .json（Aariz）。',
  },
  'data.problem.hidden': { en: 'Hidden or system file; skipped.', zh: '隐藏或系统文件，已跳过。' },
  'data.problem.cancelled': {
    en: 'Not imported: the import was cancelled.',
    zh: '未导入：导入在此病例之前被取消。',
  },
  'data.problem.storage-full': {
    en: 'Not imported: storage full.',
    zh: '未导入：浏览器存储已满。请释放空间后重新导入此文件。',
  },
  'data.problem.landmark-csv': { en: 'Landmarks from the CSV.', zh: '来自 CSV 的标志点。' },
  'data.problem.duplicate-case': {
    en: 'Case already in the dataset; not added.',
    zh: '该病例编号已在数据集中，此文件未添加（已保存的病例绝不覆盖）。若是另一位患者，请重命名文件后再添加。',
  },
  'data.problem.add-cancelled': {
    en: 'Not added: the add was cancelled.',
    zh: '未添加：添加已取消，本次添加的内容均未保留，数据集保持原样。',
  },
  'data.problem.add-storage-full': {
    en: 'Not added: storage full.',
    zh: '未添加：浏览器存储已满，本次添加的内容均未保留，数据集保持原样。请释放空间后重新添加。',
  },
  'data.problem.imported': { en: 'Imported.', zh: '已导入。' },

  // dataset list
  'data.list.title': { en: 'Datasets', zh: '数据集' },
  'data.list.empty': {
    en: 'No imported datasets yet. The demo phantom is always available.',
    zh: '尚未导入数据集。演示模体数据始终可用。',
  },
  'data.list.name': { en: 'Name', zh: '名称' },
  'data.list.landmarks': { en: 'Landmarks', zh: '标志点' },
  'data.list.cases': { en: 'Cases', zh: '病例数' },
  'data.list.size': { en: 'Size on disk', zh: '占用空间' },
  'data.list.date': { en: 'Imported', zh: '导入时间' },
  'data.list.actions': { en: 'Actions', zh: '操作' },
  'data.list.open': { en: 'Open', zh: '打开' },
  'data.list.rename': { en: 'Rename', zh: '重命名' },
  'data.list.delete': { en: 'Delete', zh: '删除' },
  'data.list.demo': { en: 'Demo phantom ({count} cases)', zh: '演示模体（{count} 个病例）' },
  'data.list.demoNote': {
    en: 'Built in: synthetic profile photos and cephalograms with the 19 ISBI landmarks; generated on this computer, ready to train.',
    zh: '内置：合成的侧面照片与头颅侧位片，含 19 个 ISBI 标志点；在本机生成，可直接训练。',
  },
  'data.list.builtIn': { en: 'built in', zh: '内置' },
  'data.list.train': { en: 'Train on it', zh: '用于训练' },
  'data.list.renameTitle': { en: 'Rename “{name}”', zh: '重命名“{name}”' },
  'data.list.newName': { en: 'New name', zh: '新名称' },
  'data.list.deleteTitle': { en: 'Delete “{name}”?', zh: '删除“{name}”？' },
  'data.list.deleteBody': {
    en: 'This deletes its {count} cases, the original images and the cached tensors from this browser. Runs and checkpoints trained on it are kept. This cannot be undone.',
    zh: '将从此浏览器删除其 {count} 个病例、原始图像和缓存的张量。基于它训练的运行记录和检查点会保留。此操作无法撤销。',
  },
  'data.list.deleteConfirm': { en: 'Delete dataset', zh: '删除数据集' },
  'data.list.usable': { en: '{usable} usable', zh: '{usable} 个可用' },

  // dataset view
  'data.view.back': { en: 'All datasets', zh: '全部数据集' },
  'data.view.readOnly': {
    en: 'Built-in demo, generated on this computer: read-only (import your own data to exclude cases or edit the evaluation list).',
    zh: '内置演示数据，在本机生成：只读（导入您自己的数据后才能排除病例或编辑评估清单）。',
  },
  'data.view.demoLoading': {
    en: 'Generating the demo phantom… {done} of {total} cases',
    zh: '正在生成演示模体… {done}/{total} 个病例',
  },
  'data.view.summaryDemo': { en: '{cases} cases · generated {date}', zh: '{cases} 个病例 · 生成于 {date}' },
  'data.view.summary': {
    en: '{cases} cases · layout: {layout} · imported {date}',
    zh: '{cases} 个病例 · 布局：{layout} · 导入于 {date}',
  },
  'data.view.tab.browse': { en: 'Cases', zh: '病例' },
  'data.view.tab.audit': { en: 'Audit', zh: '数据审核' },
  'data.view.tab.splits': { en: 'Splits & evaluation list', zh: '划分与评估清单' },
  'data.view.tab.preprocess': { en: 'Preprocessing', zh: '预处理' },
  'data.view.mmPerPx': { en: 'Pixel spacing', zh: '像素间距' },
  'data.view.mmPerPxUnit': { en: 'mm/px', zh: '毫米/像素' },
  'data.view.mmPerPxHelp': {
    en: 'Millimetres per original X-ray pixel, used for every distance in mm (ISBI films: 0.1).',
    zh: '每个原始 X 线片像素对应的毫米数，用于所有毫米距离（ISBI 片：0.1）。',
  },
  'data.view.mmPerPxInvalid': {
    en: 'Enter a number between 0.001 and 5 mm/px.',
    zh: '请输入 0.001 到 5 之间的数值（毫米/像素）。',
  },
  'data.view.save': { en: 'Save', zh: '保存' },
  'data.view.saved': { en: 'Saved', zh: '已保存' },
  'data.view.landmarkSet': { en: 'Landmarks: {set} ({count} points)', zh: '标志点：{set}（{count} 个）' },
  'data.view.noLandmarkSet': { en: 'No landmarks', zh: '无标志点' },
  'data.view.loading': { en: 'Loading cases… {done} of {total}', zh: '正在加载病例… {done}/{total}' },
  'data.view.notFound': {
    en: 'This dataset no longer exists (it may have been deleted in another tab).',
    zh: '该数据集已不存在（可能已在其他标签页中删除）。',
  },
  'data.layout.folders': { en: 'photo/ + xray/ folders', zh: 'photo/ + xray/ 文件夹' },
  'data.layout.aligned': { en: 'aligned images', zh: '对齐图' },
  'data.layout.suffix': { en: 'name suffixes', zh: '文件名后缀' },
  'data.layout.mixed': { en: 'folders and suffixes', zh: '文件夹与后缀' },
  'data.layout.empty': { en: 'empty', zh: '空' },

  // splits
  'data.split.train': { en: 'train', zh: '训练' },
  'data.split.val': { en: 'val', zh: '验证' },
  'data.split.test': { en: 'test', zh: '测试' },
  'data.splits.title': { en: 'Splits', zh: '数据划分' },
  'data.splits.counts': {
    en: 'train {train} · val {val} · test {test} (excluded cases not counted: {excluded})',
    zh: '训练 {train} · 验证 {val} · 测试 {test}（未计入已排除的病例：{excluded}）',
  },
  'data.splits.fromFolders': {
    en: 'From the train/ val/ test/ folders of the import.',
    zh: '来自导入时的 train/ val/ test/ 文件夹。',
  },
  'data.splits.seeded': {
    en: 'Seeded split (seed {seed}, ratios {train} / {val} / {test}).',
    zh: '按种子划分（种子 {seed}，比例 {train} / {val} / {test}）。',
  },
  'data.splits.edit': {
    en: 'Change a case’s split in its case view.',
    zh: '可在病例视图中修改单个病例的划分。',
  },
  'data.eval.title': { en: 'Fixed evaluation list', zh: '固定评估清单' },
  'data.eval.intro': {
    en: 'The same {size} held-out cases (val, or test after a re-split) for every run and checkpoint, so versions compare on equal terms. It changes only when you edit it here, or when a re-split moves one of its cases into train.',
    zh: '每次运行和每个检查点都使用同样的 {size} 个留出病例（验证集；重新划分后也可能在测试集），以便公平比较各版本。只有在此处编辑，或重新划分把其中的病例移入训练集时才会改变。',
  },
  'data.eval.version': {
    en: 'Version {version} · {count} cases · seed {seed}',
    zh: '版本 {version} · {count} 个病例 · 种子 {seed}',
  },
  'data.eval.none': {
    en: 'No evaluation list yet (no usable val cases at import).',
    zh: '尚无评估清单（导入时没有可用的验证病例）。',
  },
  'data.eval.choose': { en: 'Choose the list now', zh: '立即选定清单' },
  'data.eval.remove': { en: 'Remove', zh: '移除' },
  'data.eval.replace': { en: 'Replace with {id}', zh: '替换为 {id}' },
  'data.eval.add': { en: 'Add {id}', zh: '添加 {id}' },
  'data.eval.confirmTitle': { en: 'Change the fixed evaluation list?', zh: '修改固定评估清单？' },
  'data.eval.confirmBody': {
    en: '{action}. Runs evaluated on version {version} will no longer compare directly with later ones; the change is recorded with a new version.',
    zh: '{action}。基于版本 {version} 评估的运行将无法与之后的结果直接比较；此修改会记录为新版本。',
  },
  'data.eval.action.remove': { en: 'Remove case {id}', zh: '移除病例 {id}' },
  'data.eval.action.replace': { en: 'Replace case {old} with {id}', zh: '将病例 {old} 替换为 {id}' },
  'data.eval.action.add': { en: 'Add case {id}', zh: '添加病例 {id}' },
  'data.eval.action.choose': {
    en: 'Choose {count} val cases with seed {seed}',
    zh: '用种子 {seed} 选定 {count} 个验证病例',
  },
  'data.eval.reason': { en: 'Reason (recorded)', zh: '原因（会被记录）' },
  'data.eval.confirm': { en: 'Change the list', zh: '修改清单' },
  'data.eval.warnMissing': { en: 'Not in the dataset any more: {ids}', zh: '已不在数据集中：{ids}' },
  'data.eval.warnInTrain': {
    en: 'Now in train (the model learns from them, so they no longer measure it): {ids}',
    zh: '现已在训练集中（模型会学习这些病例，它们不再能衡量模型）：{ids}',
  },
  'data.eval.warnExcluded': {
    en: 'Excluded by you: {ids} (left out of evaluation until replaced)',
    zh: '已被您排除：{ids}（替换前不参与评估）',
  },
  'data.eval.warnShort': {
    en: 'The list is shorter than {size} while val has unused cases.',
    zh: '清单少于 {size} 个，而验证集中仍有未使用的病例。',
  },
  'data.eval.history': { en: 'History', zh: '修改记录' },
  'data.eval.hist.created': { en: 'created', zh: '创建' },
  'data.eval.hist.replaced': { en: 'replaced {removed} → {added}', zh: '替换 {removed} → {added}' },
  'data.eval.hist.added': { en: 'added {added}', zh: '添加 {added}' },
  'data.eval.hist.removed': { en: 'removed {removed}', zh: '移除 {removed}' },
  'data.eval.hist.resplit': {
    en: 're-split with seed {seed}: {ids} went to train and left the list',
    zh: '以种子 {seed} 重新划分：{ids} 进入训练集并移出清单',
  },

  // audit
  'data.audit.title': { en: 'Audit summary', zh: '审核汇总' },
  'data.audit.intro': {
    en: 'Run on import. The audit only informs: nothing is deleted or excluded by it. Info flags (device borders, rulers, labels) are normal on cephalograms and are not reasons to exclude.',
    zh: '导入时自动运行。审核只提供信息：不会删除或排除任何病例。提示级标记（设备边框、标尺、标签）在头颅侧位片上很常见，不构成排除理由。',
  },
  'data.audit.none': {
    en: 'No flags: the audit found nothing to point out.',
    zh: '没有标记：审核未发现需要注意的问题。',
  },
  'data.audit.flag': { en: 'Flag', zh: '标记' },
  'data.audit.severity': { en: 'Severity', zh: '级别' },
  'data.audit.count': { en: 'Flags', zh: '标记数' },
  'data.audit.cases': { en: 'Cases', zh: '病例数' },
  'data.audit.show': { en: 'Show cases', zh: '查看病例' },
  'data.audit.excludeAll': { en: 'Exclude these {count} cases…', zh: '排除这 {count} 个病例…' },
  'data.severity.error': { en: 'error', zh: '错误' },
  'data.severity.warning': { en: 'warning', zh: '警告' },
  'data.severity.info': { en: 'info', zh: '提示' },

  // browser
  'data.browse.filterSplit': { en: 'Split', zh: '划分' },
  'data.browse.filterFlag': { en: 'Flag', zh: '标记' },
  'data.browse.filterState': { en: 'Status', zh: '状态' },
  'data.browse.search': { en: 'Case id', zh: '病例编号' },
  'data.browse.all': { en: 'All', zh: '全部' },
  'data.browse.anyFlag': { en: 'Any flag', zh: '任意标记' },
  'data.browse.noFlag': { en: 'No flags', zh: '无标记' },
  'data.browse.included': { en: 'Included', zh: '已纳入' },
  'data.browse.excluded': { en: 'Excluded', zh: '已排除' },
  'data.browse.inEval': { en: 'In the evaluation list', zh: '在评估清单中' },
  'data.browse.showing': { en: '{count} of {total} cases', zh: '显示 {count}/{total} 个病例' },
  'data.browse.none': { en: 'No case matches these filters.', zh: '没有符合筛选条件的病例。' },
  'data.browse.clear': { en: 'Clear filters', zh: '清除筛选' },
  'data.browse.evalBadge': { en: 'eval', zh: '评估' },
  'data.browse.excludedBadge': { en: 'excluded', zh: '已排除' },
  'data.browse.noImage': { en: 'no image', zh: '无图像' },
  'data.browse.gridLabel': { en: 'Cases of this dataset', zh: '本数据集的病例' },

  // case view
  'data.case.title': { en: 'Case {id}', zh: '病例 {id}' },
  'data.case.photo': { en: 'Photo', zh: '照片' },
  'data.case.xray': { en: 'X-ray', zh: 'X 线片' },
  'data.case.size': { en: '{w} × {h} px', zh: '{w} × {h} 像素' },
  'data.case.landmarks': { en: 'Show landmarks', zh: '显示标志点' },
  'data.case.noLandmarks': { en: 'This case has no landmarks.', zh: '该病例没有标志点。' },
  'data.case.labels': { en: 'Labels', zh: '标签' },
  'data.case.flags': { en: 'Audit flags', zh: '审核标记' },
  'data.case.noFlags': { en: 'No flags.', zh: '无标记。' },
  'data.case.moreFlags': { en: '{count} more like this', zh: '另有 {count} 条同类标记' },
  'data.case.split': { en: 'Split', zh: '划分' },
  'data.case.splitConfirm': {
    en: 'Move case {id} from {from} to {to}? Splits of earlier runs stay as recorded.',
    zh: '将病例 {id} 从{from}移到{to}？之前运行记录的划分保持不变。',
  },
  'data.case.splitEval': {
    en: 'Case {id} is in the fixed evaluation list; moving it to train flags the list (it is not changed).',
    zh: '病例 {id} 在固定评估清单中；移入训练集会使清单出现提示（清单本身不会改变）。',
  },
  'data.case.exclude': { en: 'Exclude from training…', zh: '从训练中排除…' },
  'data.case.include': { en: 'Include again', zh: '重新纳入' },
  'data.case.excludedBecause': { en: 'Excluded: {reason}', zh: '已排除：{reason}' },
  'data.case.excludeTitle': { en: 'Exclude case {id}', zh: '排除病例 {id}' },
  'data.case.excludeBody': {
    en: 'The case stays in the dataset (nothing is deleted) but training and evaluation leave it out. A reason is required.',
    zh: '病例仍保留在数据集中（不会删除），但训练与评估会跳过它。必须填写原因。',
  },
  'data.case.excludeManyTitle': { en: 'Exclude {count} cases', zh: '排除 {count} 个病例' },
  'data.case.reason': { en: 'Reason', zh: '原因' },
  'data.case.reasonPlaceholder': { en: 'e.g. wrong patient, motion blur', zh: '例如：患者不符、运动模糊' },
  'data.case.excludeConfirm': { en: 'Exclude', zh: '排除' },
  'data.case.files': { en: 'Files', zh: '文件' },
  'data.case.prev': { en: 'Previous case', zh: '上一个病例' },
  'data.case.next': { en: 'Next case', zh: '下一个病例' },
  'data.case.close': { en: 'Close', zh: '关闭' },
  'data.case.useForRoi': { en: 'Draw the ROI on this X-ray', zh: '在此 X 线片上绘制 ROI' },

  // preprocessing
  'data.pre.title': { en: 'Preprocessing', zh: '预处理' },
  'data.pre.intro': {
    en: 'How photos and X-rays become square training images. Recorded with every run; landmarks follow the images exactly and map back to original pixels and mm.',
    zh: '照片与 X 线片如何变为正方形训练图像。每次运行都会记录；标志点随图像精确变换，并可映射回原始像素和毫米。',
  },
  'data.pre.mode': { en: 'Mode', zh: '方式' },
  'data.pre.mode.letterbox': {
    en: 'Letterbox — keep the aspect ratio, pad (default)',
    zh: '等比缩放并填充（默认）',
  },
  'data.pre.mode.stretch': {
    en: 'Stretch — squash to a square (the old server way, distorts)',
    zh: '拉伸为正方形（服务器旧方式，会变形）',
  },
  'data.pre.mode.roi': {
    en: 'ROI — crop a box drawn once, then letterbox',
    zh: 'ROI — 裁剪一次绘制的区域后等比缩放',
  },
  'data.pre.size': { en: 'Output size', zh: '输出尺寸' },
  'data.pre.sizeUnit': { en: '{size} × {size} px', zh: '{size} × {size} 像素' },
  'data.pre.pad': { en: 'Padding', zh: '填充' },
  'data.pre.pad.constant': { en: 'Constant colour', zh: '固定颜色' },
  'data.pre.pad.edge': { en: 'Repeat the edge pixels', zh: '重复边缘像素' },
  'data.pre.padColor': { en: 'Padding colour', zh: '填充颜色' },
  'data.pre.roi': { en: 'Crop box (ROI)', zh: '裁剪框（ROI）' },
  'data.pre.roiNone': {
    en: 'No box yet: drag on the X-ray below to draw one.',
    zh: '尚未绘制：在下方 X 线片上拖动以绘制。',
  },
  'data.pre.roiBox': {
    en: '{w} × {h} px at ({x}, {y}) on a {rw} × {rh} px X-ray (scaled for other sizes)',
    zh: '{w} × {h} 像素，位于 ({x}, {y})，基于 {rw} × {rh} 像素的 X 线片（其他尺寸按比例缩放）',
  },
  'data.pre.roiClear': { en: 'Clear the box', zh: '清除裁剪框' },
  'data.pre.roiHelp': {
    en: 'Drag on the sample X-ray to draw the box.',
    zh: '在示例 X 线片上拖动以绘制裁剪框。',
  },
  'data.pre.sample': { en: 'Sample case', zh: '示例病例' },
  'data.pre.preview': { en: 'Result at {size} px', zh: '{size} 像素结果' },
  'data.pre.distortion': {
    en: 'Aspect ratio distorted by {pct} % (width scaled {sx}×, height {sy}×).',
    zh: '宽高比变形 {pct}%（宽度缩放 {sx} 倍，高度 {sy} 倍）。',
  },
  'data.pre.noDistortion': {
    en: 'No distortion: {scale} output px per original px; padding {px} px.',
    zh: '无变形：每个原始像素对应 {scale} 个输出像素；填充 {px} 像素。',
  },
  'data.pre.save': { en: 'Save preprocessing', zh: '保存预处理设置' },
  'data.pre.saved': {
    en: 'Saved. New runs on this dataset use it; earlier runs keep theirs.',
    zh: '已保存。此数据集的新运行将使用该设置；之前的运行保持原设置。',
  },
  'data.pre.invalid': {
    en: 'ROI needs a crop box: draw one on the sample X-ray.',
    zh: 'ROI 方式需要裁剪框：请在示例 X 线片上绘制。',
  },

  // dialogs and generic
  'data.dialog.cancel': { en: 'Cancel', zh: '取消' },
  'data.dialog.ok': { en: 'OK', zh: '确定' },
  'data.error': { en: 'Something went wrong: {error}', zh: '出现错误：{error}' },
  'data.storageFull': { en: 'The browser’s storage is full: {error}', zh: '浏览器存储已满：{error}' },
} as const satisfies Record<string, Translation>;
