/**
 * core/data/auditFeatures.ts: the audit's one median helper (both even-count conventions it has
 * always used). The features themselves are tested with the flags they feed (audit.test.ts: drawn
 * frames, rulers, labels, orientation scores, the ten ISBI films, the phantom).
 */
import { describe, expect, it } from 'vitest';
import { median } from '../../src/core/data/auditFeatures';

describe('median', () => {
  it('an odd count gives the middle value whatever the order', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median(Float32Array.of(9, 2, 7, 4, 8), 'upper')).toBe(7);
  });

  it('an even count gives the mean of the middle two, or the upper one (the frame detector)', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([4, 1, 3, 2], 'upper')).toBe(3);
    expect(median([10, 20])).toBe(15);
    expect(median([10, 20], 'upper')).toBe(20);
  });

  it('does not reorder its input and gives 0 for no values', () => {
    const v = [3, 1, 2, 0];
    median(v);
    expect(v).toEqual([3, 1, 2, 0]);
    expect(median([])).toBe(0);
    expect(median([], 'upper')).toBe(0);
  });
});
