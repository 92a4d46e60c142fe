/**
 * The review report's files (core/eval/report/{markdown,json,bundle}.ts): what the Markdown
 * (English and 简体中文) and the JSON contain, and the ZIP bundle's files.
 */
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type RunConfig } from '../../../src/core/config';
import { metricsJson, REVIEW_SCHEMA, reviewBundle } from '../../../src/core/eval/report';
import { clinicInput } from './fixtures';

describe('report files', () => {
  it('Markdown (en / zh), JSON and metrics with the clinic’s names, zipped with the figures', () => {
    const cfg: RunConfig = { ...DEFAULT_CONFIG, size: 512, preprocess: 'stretch' };
    const input = clinicInput(cfg, false);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const b = reviewBundle(input, 'en', { grid: png, curves: png });
    expect(b.markdown).toContain('# Review report: small 80 cases 512 px');
    expect(b.markdown).toContain('**Verdict: FAIL**');
    expect(b.markdown).toContain('| L1 (mean_l1) | 0.2033 | 0.2 | mean absolute error on [0,1] |');
    expect(b.markdown).toContain('| PSNR (mean_psnr) | 15.85 | 15.9 | dB, data range 1 |');
    expect(b.markdown).toContain('## Failure statistics: 25/80');
    // the grid's file name says the real count of the evaluation list (one case here), never a fixed 20
    expect(b.markdown).toContain('![viz_grid_1](viz_grid_1.png)');
    expect(b.markdown).not.toContain('viz_grid_20');
    expect(b.markdown).toContain('![curves](curves.png)');
    expect(b.markdown).toContain('| mean gradient | 2.133 | 3.9 | 0.547 |');
    expect(b.markdown).toContain('ratio **4.9×**');

    const zh = reviewBundle(input, 'zh', {}).markdown;
    expect(zh).toContain('# 评审报告: small 80 cases 512 px');
    expect(zh).toContain('**结论: 未通过**');
    expect(zh).toContain('## 失败统计: 25/80');
    expect(zh).toContain('训练/验证差距大：4.9 倍');
    expect(zh).not.toContain('viz_grid_1.png)');

    expect(b.json.schema).toBe(REVIEW_SCHEMA);
    expect((b.json.gate as { status: string }).status).toBe('fail');
    expect((b.json.failures as { label: string }).label).toBe('25/80');
    const m = metricsJson(input.evaluation, 'best');
    expect(m).toMatchObject({
      mean_l1: 0.203312,
      mean_psnr: 15.852553,
      n_cases: 80,
      checkpoint: 'best',
      eval_mode: false,
    });
    expect((m.per_case as { case_id: string }[])[0]).toMatchObject({
      case_id: 'c01',
      l1: 0.203312,
      l1_pm1: 0.406624,
    });

    const files = unzipSync(b.zip);
    expect(Object.keys(files).sort()).toEqual(
      [
        'curves.png',
        'failure_stats.json',
        'report.json',
        'report.md',
        'val_metrics.json',
        'viz_grid_1.png',
      ].map((n) => `review/${n}`),
    );
    expect(Array.from(files['review/viz_grid_1.png'])).toEqual(Array.from(png));
    const mj = JSON.parse(new TextDecoder().decode(files['review/val_metrics.json']));
    expect(mj.mean_l1).toBe(0.203312);
    const fj = JSON.parse(new TextDecoder().decode(files['review/failure_stats.json']));
    expect([fj.failed, fj.total]).toEqual([25, 80]);
    expect(new TextDecoder().decode(files['review/report.md'])).toBe(b.markdown);
  });
});
