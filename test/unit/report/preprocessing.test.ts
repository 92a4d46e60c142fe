/**
 * A run's override of its dataset's preprocessing (core/eval/report/preprocessing.ts), as data
 * and in words.
 */
import { describe, expect, it } from 'vitest';
import { preprocessingOverride, preprocessingOverrideText } from '../../../src/core/eval/report';

describe('preprocessing override', () => {
  it('names a run that overrides its dataset’s size or mode, in the report too', () => {
    const ds = { size: 512, mode: 'letterbox' };
    expect(preprocessingOverride(ds, { size: 512, preprocess: 'letterbox' })).toBeNull();
    expect(preprocessingOverride(null, { size: 64, preprocess: 'stretch' })).toBeNull();
    const o = preprocessingOverride(ds, { size: 64, preprocess: 'letterbox' });
    expect(o).toEqual({ size: { dataset: 512, run: 64 }, mode: null });
    expect(preprocessingOverrideText(o, 'en')).toBe(
      "This run overrides the dataset's preprocessing: size 64 px (dataset: 512 px)",
    );
    expect(
      preprocessingOverrideText(preprocessingOverride(ds, { size: 64, preprocess: 'stretch' }), 'zh'),
    ).toBe('此训练覆盖了数据集的预处理：尺寸 64 px（数据集：512 px），方式 stretch（数据集：letterbox）');
  });
});
