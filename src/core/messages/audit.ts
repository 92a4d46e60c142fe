/**
 * The data audit's sentences, en + zh. A stored flag is `{code, severity, caseId, file?, params,
 * details}` (core/data/dataset.ts); its sentence is the message `auditFlagMessage(flag)` (code
 * `audit.<flag code>` or `audit.<flag code>.<params.variant>`), rendered with `messageText`.
 * `audit.name.<code>` is the short name of each flag code, `audit.help.<code>` what it means.
 * `audit.legacy` holds a stored sentence the migration could not express by a code (kept as is).
 */
import type { Message, MessageTable, Params } from './form';

const XRAY = 'X线片';
const PHOTO = '照片';

/** Per-image sentences, the same for the photo and the X-ray except the noun (and one ending). */
function perImage(what: string, whatZh: string) {
  return {
    dark: {
      en: `The ${what} is very dark: mean {mean}/255, 95th percentile {p95}/255 (limits {limitMean} and {limitP95}). Check the export or the exposure.`,
      zh: `${whatZh}过暗：平均灰度 {mean}/255，95% 分位 {p95}/255（限值 {limitMean} 和 {limitP95}）。请检查导出或曝光。`,
    },
    bright: {
      en: `The ${what} is very bright: mean {mean}/255, 5th percentile {p5}/255 (limits {limitMean} and {limitP5}). Check the export or the exposure.`,
      zh: `${whatZh}过亮：平均灰度 {mean}/255，5% 分位 {p5}/255（限值 {limitMean} 和 {limitP5}）。请检查导出或曝光。`,
    },
    ruler: {
      en: `A ruler or scale with ticks every {period} px is burned into the ${what} near ({x}, {y}). Normal for cephalograms (nasion relator / calibration scale); not a reason to exclude.`,
      zh: `${whatZh}上有标尺（刻度间距约 {period} 像素，位置约 ({x}, {y})）。头颅侧位片常见，不是剔除理由。`,
    },
    label: {
      en: `Burned-in text (label or ID) on the ${what} near ({x}, {y}). Normal for cephalograms and not a reason to exclude; check that no patient name leaves the clinic.`,
      zh: `${whatZh}上有烧录文字（标签/编号），位置约 ({x}, {y})。属正常现象，不是剔除理由；注意患者信息不要外传。`,
    },
    darker: {
      en: `The ${what} is much darker than the rest of the dataset: mean {mean}/255 against a median of {median}/255 ({z} robust SD). Check its export or exposure.`,
      zh: `该${whatZh}明显偏暗：平均灰度 {mean}/255，数据集中位数 {median}/255（{z} 个稳健标准差）。请检查导出或曝光。`,
    },
    brighter: {
      en: `The ${what} is much brighter than the rest of the dataset: mean {mean}/255 against a median of {median}/255 ({z} robust SD). Check its export or exposure.`,
      zh: `该${whatZh}明显偏亮：平均灰度 {mean}/255，数据集中位数 {median}/255（{z} 个稳健标准差）。请检查导出或曝光。`,
    },
  } as const;
}
const X = perImage('X-ray', XRAY);
const P = perImage('photo', PHOTO);
const BORDER_END = {
  en: ' This is normal for cephalograms and not a reason to exclude the case.',
  zh: '。这在头颅侧位片中很常见，不是剔除理由。',
} as const;
const DUP_END = {
  en: ' A case imported twice inflates its weight and can leak between train and val; keep one.',
  zh: '。重复导入会增加权重并可能在训练集与验证集之间泄漏，请保留一个。',
} as const;
const STORED_DUP_END = {
  en: ' bits apart; copies differ by 0-{maxBits}). Compare the two cases and exclude one if they are the same patient.',
  zh: ' 位；副本相差 0-{maxBits} 位）。请对比这两个病例，若为同一患者请排除其一。',
} as const;

export const AUDIT_MESSAGES = {
  // --- per image (variant = photo | xray) ---
  'audit.too-dark.xray': X.dark,
  'audit.too-dark.photo': P.dark,
  'audit.too-bright.xray': X.bright,
  'audit.too-bright.photo': P.bright,
  'audit.low-contrast.xray': {
    en: 'The X-ray has low contrast: the 5th-95th percentile range is {contrast}/255 grey levels (below {limit}). Bone edges may be hard to learn.',
    zh: `${XRAY}对比度低：5%–95% 分位范围仅 {contrast}/255 灰度级（低于 {limit}），骨缘可能难以学习。`,
  },
  'audit.low-contrast.photo': {
    en: 'The photo has low contrast: the 5th-95th percentile range is {contrast}/255 grey levels (below {limit}). Check the lighting or the export.',
    zh: `${PHOTO}对比度低：5%–95% 分位范围仅 {contrast}/255 灰度级（低于 {limit}），请检查光照或导出。`,
  },
  // device borders are judged on X-rays only (variant = which parts were found)
  'audit.device-border.margins': {
    en: `Device border on the X-ray: a uniform margin on the {margins}.${BORDER_END.en}`,
    zh: `${XRAY}有设备边框：边缘均匀带（{margins}）${BORDER_END.zh}`,
  },
  'audit.device-border.marks': {
    en: `Device border on the X-ray: {marks} film-holder marks at the edges.${BORDER_END.en}`,
    zh: `${XRAY}有设备边框：边缘夹片标记 {marks} 处${BORDER_END.zh}`,
  },
  'audit.device-border.both': {
    en: `Device border on the X-ray: a uniform margin on the {margins} and {marks} film-holder marks at the edges.${BORDER_END.en}`,
    zh: `${XRAY}有设备边框：边缘均匀带（{margins}）边缘夹片标记 {marks} 处${BORDER_END.zh}`,
  },
  'audit.ruler.xray': X.ruler,
  'audit.ruler.photo': P.ruler,
  'audit.burned-in-label.xray': X.label,
  'audit.burned-in-label.photo': P.label,
  // --- per case ---
  'audit.unreadable': { en: '{file} cannot be read: {error}', zh: '{file} 无法读取：{error}' },
  'audit.unpaired.noPhoto': {
    en: 'Case "{id}" has a X-ray but no photo; it cannot be used for training until the photo is added.',
    zh: `病例 "{id}" 只有${XRAY}，缺少${PHOTO}，补齐前不能用于训练。`,
  },
  'audit.unpaired.noXray': {
    en: 'Case "{id}" has a photo but no X-ray; it cannot be used for training until the X-ray is added.',
    zh: `病例 "{id}" 只有${PHOTO}，缺少${XRAY}，补齐前不能用于训练。`,
  },
  'audit.aspect-mismatch': {
    en: 'Photo {pw}×{ph} px and X-ray {xw}×{xh} px have different aspect ratios ({pct} % apart): the pair may not be aligned; check the crop of one of them.',
    zh: `${PHOTO} {pw}×{ph} 与 ${XRAY} {xw}×{xh} 宽高比相差 {pct}%，两者可能未对齐，请检查裁剪。`,
  },
  'audit.size-mismatch': {
    en: 'Photo {pw}×{ph} px and X-ray {xw}×{xh} px differ in size (same aspect ratio): both are resampled to the training size, but check that they come from the same export.',
    zh: `${PHOTO} {pw}×{ph} 与 ${XRAY} {xw}×{xh} 尺寸不同（宽高比一致）：训练时会统一缩放，但请确认来自同一次导出。`,
  },
  'audit.landmark-count': {
    en: "{count} landmarks, {expected} expected for this dataset's landmark set; the landmarks of this case are not used.",
    zh: '标志点数量为 {count}，本数据集应为 {expected}；该病例的标志点不会被使用。',
  },
  /** The landmark file could not be parsed (import); `problem` is the parser's sentence. */
  'audit.landmark-count.file': {
    en: '{problem} The case is imported without landmarks.',
    zh: '标志点文件无法使用（数量不对或含非数字内容：{problem}）；该病例导入时不带标志点。',
  },
  'audit.landmarks-outside': {
    en: '{count} landmark(s) lie outside the {w}×{h} px X-ray: {list}{more}. The file probably belongs to another image or uses another scale.',
    zh: `{count} 个标志点位于 ${XRAY}（{w}×{h}）之外：{list}{more}。标注文件可能属于其他图像或比例不同。`,
  },
  // --- against the rest of the dataset ---
  'audit.photo-orientation': {
    en: "The profile in this photo faces the opposite way from {pct} % of the dataset's photos. Mirror it (or its X-ray) so that all cases face the same way, or exclude it.",
    zh: `该${PHOTO}的侧貌朝向与数据集中 {pct}% 的${PHOTO}相反。请镜像翻转使朝向一致，或将其排除。`,
  },
  'audit.xray-mirrored': {
    en: "This X-ray looks mirrored: the face points the other way than in {pct} % of the dataset's X-rays. Check the export (a flipped film swaps left and right structures); mirror it back or exclude it.",
    zh: `该${XRAY}疑似左右镜像：面部朝向与数据集中 {pct}% 的${XRAY}相反。请检查导出，翻转回来或排除。`,
  },
  'audit.exposure-outlier.xray-darker': X.darker,
  'audit.exposure-outlier.xray-brighter': X.brighter,
  'audit.exposure-outlier.photo-darker': P.darker,
  'audit.exposure-outlier.photo-brighter': P.brighter,
  // near duplicates within the import (variant = the images that match)
  'audit.near-duplicate.xray': {
    en: `Near duplicate of case "{other}": the X-ray is almost identical (perceptual hash {bits} bits apart, correlation {corr}).${DUP_END.en}`,
    zh: `与病例 "{other}" 近似重复（${XRAY}几乎相同，感知哈希相差 {bits} 位，相关系数 {corr}）${DUP_END.zh}`,
  },
  'audit.near-duplicate.photo': {
    en: `Near duplicate of case "{other}": the photo is almost identical (perceptual hash {bits} bits apart, correlation {corr}).${DUP_END.en}`,
    zh: `与病例 "{other}" 近似重复（${PHOTO}几乎相同，感知哈希相差 {bits} 位，相关系数 {corr}）${DUP_END.zh}`,
  },
  'audit.near-duplicate.both': {
    en: `Near duplicate of case "{other}": the X-ray and the photo are almost identical (perceptual hash {bits} bits apart, correlation {corr}).${DUP_END.en}`,
    zh: `与病例 "{other}" 近似重复（${XRAY}和${PHOTO}几乎相同，感知哈希相差 {bits} 位，相关系数 {corr}）${DUP_END.zh}`,
  },
  // near duplicates of a case already stored (adding to a dataset)
  'audit.near-duplicate.stored-xray': {
    en: `Possibly the same case as the stored case "{other}": the X-ray is almost identical (perceptual hash {bits}${STORED_DUP_END.en}`,
    zh: `可能与已保存的病例 "{other}" 是同一病例（${XRAY}几乎相同，感知哈希相差 {bits}${STORED_DUP_END.zh}`,
  },
  'audit.near-duplicate.stored-photo': {
    en: `Possibly the same case as the stored case "{other}": the photo is almost identical (perceptual hash {bits}${STORED_DUP_END.en}`,
    zh: `可能与已保存的病例 "{other}" 是同一病例（${PHOTO}几乎相同，感知哈希相差 {bits}${STORED_DUP_END.zh}`,
  },
  'audit.near-duplicate.stored-both': {
    en: `Possibly the same case as the stored case "{other}": the X-ray and the photo are almost identical (perceptual hash {bits}${STORED_DUP_END.en}`,
    zh: `可能与已保存的病例 "{other}" 是同一病例（${XRAY}和${PHOTO}几乎相同，感知哈希相差 {bits}${STORED_DUP_END.zh}`,
  },
  /** A stored sentence from before the codes (schema 1) that no code reproduces: shown as it was. */
  'audit.legacy': { en: '{en}', zh: '{zh}' },
  // --- short names and explanations of the flag codes (the Data views, the review report) ---
  'audit.name.unpaired': { en: 'Unpaired file', zh: '未配对文件' },
  'audit.name.unreadable': { en: 'Unreadable file', zh: '无法读取的文件' },
  'audit.name.aspect-mismatch': { en: 'Photo/X-ray aspect mismatch', zh: '照片/X 线片宽高比不一致' },
  'audit.name.size-mismatch': { en: 'Photo/X-ray size mismatch', zh: '照片/X 线片尺寸不一致' },
  'audit.name.aligned-not-pair': { en: 'Not a side-by-side pair', zh: '不是左右并排的配对' },
  'audit.name.photo-orientation': { en: 'Profile faces the other way', zh: '侧貌朝向相反' },
  'audit.name.xray-mirrored': { en: 'Mirrored X-ray', zh: 'X 线片疑似镜像' },
  'audit.name.device-border': { en: 'Device border', zh: '设备边框' },
  'audit.name.ruler': { en: 'Ruler', zh: '标尺' },
  'audit.name.burned-in-label': { en: 'Burned-in label', zh: '烧录标签' },
  'audit.name.too-dark': { en: 'Too dark', zh: '过暗' },
  'audit.name.too-bright': { en: 'Too bright', zh: '过亮' },
  'audit.name.low-contrast': { en: 'Low contrast', zh: '对比度低' },
  'audit.name.exposure-outlier': { en: 'Exposure unlike the rest', zh: '曝光与其他病例差异大' },
  'audit.name.near-duplicate': { en: 'Near-duplicate case', zh: '近似重复病例' },
  'audit.name.landmarks-outside': { en: 'Landmarks outside the image', zh: '标志点超出图像' },
  'audit.name.landmark-count': {
    en: 'Landmark file unusable (count / not numbers)',
    zh: '标志点文件不可用（数量或非数字）',
  },
  'audit.help.unpaired': {
    en: 'A photo without its X-ray or the reverse: the case cannot be used for training until the partner is added.',
    zh: '只有照片没有 X 线片（或相反）：补齐前不能用于训练。',
  },
  'audit.help.unreadable': {
    en: 'A file of the case could not be decoded; the import report says why.',
    zh: '该病例的某个文件无法解码，原因见导入报告。',
  },
  'audit.help.aspect-mismatch': {
    en: 'Photo and X-ray have different aspect ratios: one may be cropped differently, so the pair may not be aligned.',
    zh: '照片与 X 线片宽高比不同：可能裁剪不一致，配对可能未对齐。',
  },
  'audit.help.size-mismatch': {
    en: 'Same aspect ratio, different pixel size: both are resampled for training; check they come from the same export.',
    zh: '宽高比相同但像素尺寸不同：训练时会统一缩放，请确认来自同一次导出。',
  },
  'audit.help.aligned-not-pair': {
    en: 'The aligned image is narrower than tall, so it cannot hold a photo and an X-ray side by side.',
    zh: '对齐图宽度小于高度，无法容纳左右并排的照片与 X 线片。',
  },
  'audit.help.photo-orientation': {
    en: 'The profile faces the opposite way from most photos: mirror it (or its X-ray) or exclude it.',
    zh: '侧貌朝向与大多数照片相反：请镜像或排除。',
  },
  'audit.help.xray-mirrored': {
    en: 'The face points the other way than in most X-rays: a flipped film swaps left and right structures.',
    zh: '面部朝向与大多数 X 线片相反：翻转的片子会左右结构互换。',
  },
  'audit.help.device-border': {
    en: 'A uniform frame or film margin. Normal for cephalograms; not a reason to exclude.',
    zh: '均匀的边框或胶片边缘。头颅侧位片常见，不构成排除理由。',
  },
  'audit.help.ruler': {
    en: 'A ruler with regular ticks. Normal for cephalograms; not a reason to exclude.',
    zh: '带规则刻度的标尺。头颅侧位片常见，不构成排除理由。',
  },
  'audit.help.burned-in-label': {
    en: 'Text burned into the image (name, date, side marker). Normal; not a reason to exclude.',
    zh: '图像上烧录的文字（姓名、日期、侧别标记）。常见，不构成排除理由。',
  },
  'audit.help.too-dark': {
    en: 'Mean brightness very low: check the exposure or the export.',
    zh: '平均亮度很低：请检查曝光或导出。',
  },
  'audit.help.too-bright': {
    en: 'Mean brightness very high: check the exposure or the export.',
    zh: '平均亮度很高：请检查曝光或导出。',
  },
  'audit.help.low-contrast': {
    en: 'Little difference between dark and bright areas: bone edges may be hard to learn.',
    zh: '明暗差异小：骨缘可能难以学习。',
  },
  'audit.help.exposure-outlier': {
    en: 'Much darker or brighter than the rest of this dataset.',
    zh: '明显比本数据集其他病例更暗或更亮。',
  },
  'audit.help.near-duplicate': {
    en: 'Almost identical to another case: a case imported twice inflates its weight and can leak between train and val.',
    zh: '与另一病例几乎相同：重复导入会增加权重，并可能在训练集与验证集间泄漏。',
  },
  'audit.help.landmarks-outside': {
    en: 'Some landmarks lie outside the X-ray: the file may belong to another image or use another scale.',
    zh: '部分标志点位于 X 线片之外：文件可能属于其他图像或比例不同。',
  },
  'audit.help.landmark-count': {
    en: 'The landmark file has the wrong number of points or non-numbers; the case has no landmarks.',
    zh: '标志点文件点数不对或含非数字；该病例没有标志点。',
  },
} as const satisfies MessageTable;

export type AuditMessageCode = keyof typeof AUDIT_MESSAGES;

/** The message code of a flag: `audit.<code>` or `audit.<code>.<params.variant>`. */
export function auditMessageCode(code: string, params: Params): string {
  if (params.variant === 'legacy') return 'audit.legacy';
  return params.variant !== undefined ? `audit.${code}.${params.variant}` : `audit.${code}`;
}

/** The sentence of a stored flag as a Message (render with `messageText`). */
export function auditFlagMessage(flag: { code: string; params: Params }): Message {
  return { code: auditMessageCode(flag.code, flag.params), params: flag.params };
}
