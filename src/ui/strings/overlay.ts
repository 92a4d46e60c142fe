/** Strings of the landmark overlay (src/ui/landmarks): toggles, label modes, the real ↔ predicted blend. */
import type { Translation } from '../../engine/messages';

export const OVERLAY_STRINGS = {
  'overlay.show': { en: 'Landmarks', zh: '标志点' },
  'overlay.showHelp': {
    en: 'Draw the ground-truth landmarks (coloured by landmark) on the X-rays',
    zh: '在 X 线片上绘制真实标志点（按标志点着色）',
  },
  'overlay.labels': { en: 'Names', zh: '名称' },
  'overlay.labels.always': { en: 'always', zh: '始终显示' },
  'overlay.labels.hover': { en: 'on hover', zh: '悬停时显示' },
  'overlay.labels.off': { en: 'off', zh: '不显示' },
  'overlay.blend': { en: 'Under the points', zh: '标志点下方图像' },
  'overlay.blend.real': { en: 'real X-ray', zh: '真实 X 线片' },
  'overlay.blend.pred': { en: 'prediction', zh: '预测图像' },
  'overlay.blend.value': {
    en: '{pct} % prediction',
    zh: '预测占 {pct}%',
  },
  'overlay.blend.help': {
    en: 'Fade the real X-ray into the prediction under the same ground-truth points: bone that moves away from a point is where the model drew it elsewhere.',
    zh: '在同一组真实标志点下，将真实 X 线片渐变为预测图像：骨结构偏离标志点之处，就是模型画错位置的地方。',
  },
  'overlay.blendTile': { en: 'Blend', zh: '混合' },
  'overlay.aria': { en: '{n} landmarks', zh: '{n} 个标志点' },
  'overlay.hidden': {
    en: '{n} label(s) without room: hover the point to read them',
    zh: '{n} 个标签没有空间显示：将鼠标悬停在点上即可查看',
  },
  'overlay.secondary': { en: 'second set (hollow)', zh: '第二组（空心）' },
  'overlay.grid.note': {
    en: 'Dots: the ground-truth landmarks of each case, the same points on the real X-ray and on every prediction; symbols where they fit.',
    zh: '圆点：每个病例的真实标志点，真实 X 线片与每个预测图像上标注同一组点；空间足够处标出符号。',
  },
  'overlay.inspect.title': { en: 'One case, larger', zh: '单个病例放大查看' },
  'overlay.inspect.case': { en: 'Case', zh: '病例' },
  'overlay.inspect.xray': { en: 'Real X-ray', zh: '真实 X 线片' },
  'overlay.inspect.pred': { en: 'Prediction {model}', zh: '预测 {model}' },
  'overlay.inspect.blend': { en: 'Real ↔ prediction {model}', zh: '真实 ↔ 预测 {model}' },
} as const satisfies Record<string, Translation>;
