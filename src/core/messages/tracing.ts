/**
 * Tracing files' sentences (core/landmarks/tracingFile.ts parses them, store/tracings.ts imports
 * them), en + zh. Every refusal names the file and the line (`{file}`, `{line}`).
 */
import type { MessageTable } from './form';

export const TRACING_MESSAGES = {
  'tracing.txt.afterTrailer': {
    en: '{file}, line {line}: "{raw}" follows the single-number lines after the landmarks; a tracing has one "x,y" line per landmark only.',
    zh: '{file} 第 {line} 行："{raw}" 出现在标志点之后的单数字行后面；描点文件每个标志点只有一行 "x,y"。',
  },
  'tracing.txt.notLandmark': {
    en: '{file}, line {line}: "{raw}" is not a landmark: each line must be two numbers "x,y" in pixels (or "NaN,NaN" for a landmark that is not identifiable).',
    zh: '{file} 第 {line} 行："{raw}" 不是标志点：每行必须是两个数字 "x,y"（像素），无法识别的标志点写 "NaN,NaN"。',
  },
  'tracing.txt.tooMany': {
    en: '{file}, line {line}: landmark {found} found, but the landmark set has {expected}. Check that the file belongs to this landmark set.',
    zh: '{file} 第 {line} 行：出现第 {found} 个标志点，但该标志点集只有 {expected} 个。请确认文件属于此标志点集。',
  },
  'tracing.txt.empty': {
    en: '{file}, line {line}: the file contains no landmarks.',
    zh: '{file} 第 {line} 行：文件中没有标志点。',
  },
  'tracing.txt.tooFew': {
    en: '{file}, line {line}: the file ends after {count} landmarks, {expected} expected (one "x,y" line per landmark).',
    zh: '{file} 第 {line} 行：文件在 {count} 个标志点后结束，应有 {expected} 个（每个标志点一行 "x,y"）。',
  },
  'tracing.txt.trailerIgnored': {
    en: '{file}: {count} single-number line(s) after the landmarks ignored (ISBI evaluator class labels).',
    zh: '{file}：标志点之后的 {count} 行单个数字已忽略（ISBI 评测文件的分类标签）。',
  },
  'tracing.csv.empty': { en: '{file}: the CSV file is empty.', zh: '{file}：CSV 文件为空。' },
  'tracing.csv.headerTooMany': {
    en: '{file}, line {line}: landmark {count} in the header, but a landmark set has at most {max}; the header must be image_path,1_x,1_y,…,N_x,N_y.',
    zh: '{file} 第 {line} 行：表头中有第 {count} 个标志点，但标志点集最多 {max} 个；表头应为 image_path,1_x,1_y,…,N_x,N_y。',
  },
  'tracing.csv.noImageColumn': {
    en: '{file}, line {line}: no image column; the header must be image_path,1_x,1_y,…,N_x,N_y.',
    zh: '{file} 第 {line} 行：没有图像列；表头应为 image_path,1_x,1_y,…,N_x,N_y。',
  },
  'tracing.csv.noLandmarkColumns': {
    en: '{file}, line {line}: no landmark columns (1_x, 1_y, …); the header must be image_path,1_x,1_y,…,N_x,N_y.',
    zh: '{file} 第 {line} 行：没有标志点列 (1_x, 1_y, …)；表头应为 image_path,1_x,1_y,…,N_x,N_y。',
  },
  'tracing.csv.missingColumns': {
    en: '{file}, line {line}: missing column(s) {columns}; the header must be image_path,1_x,1_y,…,N_x,N_y.',
    zh: '{file} 第 {line} 行：缺少列 {columns}；表头应为 image_path,1_x,1_y,…,N_x,N_y。',
  },
  'tracing.csv.headerCount': {
    en: '{file}, line {line}: the header has {count} landmarks (up to {count}_x, {count}_y), but the landmark set has {expected}.',
    zh: '{file} 第 {line} 行：表头有 {count} 个标志点（到 {count}_x, {count}_y 为止），但该标志点集有 {expected} 个。',
  },
  'tracing.csv.cells': {
    en: '{file}, line {line}: {cells} cells, the header has {header}; every row needs the image and {count} x,y pairs.',
    zh: '{file} 第 {line} 行：有 {cells} 个单元格，表头有 {header} 个；每行需要图像名和 {count} 对 x,y。',
  },
  'tracing.csv.noImageName': {
    en: '{file}, line {line}: the image name is empty.',
    zh: '{file} 第 {line} 行：图像名为空。',
  },
  'tracing.csv.notNumber': {
    en: '{file}, line {line} ({image}), column {column}: "{value}" is not a number (pixels; leave both cells of a landmark empty when it is not identifiable).',
    zh: '{file} 第 {line} 行（{image}），{column} 列："{value}" 不是数字（像素；无法识别的标志点两格都留空）。',
  },
  'tracing.csv.duplicate': {
    en: '{file}, line {line}: a second row for "{case}" (the first is line {first}); keep one tracing per image.',
    zh: '{file} 第 {line} 行："{case}" 的第二行（第一行在第 {first} 行）；每张图像只保留一个描点。',
  },
  'tracing.csv.noRows': {
    en: '{file}, line {line}: no rows after the header.',
    zh: '{file} 第 {line} 行：表头之后没有数据行。',
  },
  'tracing.format': {
    en: '{file}: not a tracing file; use .txt (ISBI, one "x,y" line per landmark) or .csv (image_path,1_x,1_y,…).',
    zh: '{file}：不是描点文件；请使用 .txt（ISBI，每个标志点一行 "x,y"）或 .csv（image_path,1_x,1_y,…）。',
  },
  // importing a parsed file into a dataset (store/tracings.ts)
  'tracing.import.noCase': {
    en: '{file}: the dataset has no case "{case}" (files and CSV rows are matched to cases by the image\'s base name). Nothing was imported.',
    zh: '{file}：数据集中没有病例“{case}”（文件与 CSV 行按图像基本名称匹配病例）。未导入任何内容。',
  },
  'tracing.import.noCaseAtLine': {
    en: '{file}, line {line}: the dataset has no case "{case}" (files and CSV rows are matched to cases by the image\'s base name). Nothing was imported.',
    zh: '{file}，第 {line} 行：数据集中没有病例“{case}”（文件与 CSV 行按图像基本名称匹配病例）。未导入任何内容。',
  },
} as const satisfies MessageTable;

export type TracingMessageCode = keyof typeof TRACING_MESSAGES;
