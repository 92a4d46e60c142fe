/** The demo as a read-only dataset view: PNG blobs that decode to the same pixels, audit flags, eval list = val. */
import { describe, expect, it } from 'vitest';
import type { CaseSplit } from '../../src/core/data/dataset';
import type { Point, RgbaImage } from '../../src/core/image';
import { decodeImageNode, encodePngNode } from '../../src/core/io/decodeNode';
import { buildDemoView, DEMO_VIEW_ID, type PhantomCaseLike } from '../../src/engine/import/demo';

function img(k: number, grey: boolean): RgbaImage {
  const w = 48;
  const h = 40;
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    const v = (i * 13 + k * 29) % 251;
    data.set([v, grey ? v : 200 - (v % 100), grey ? v : 90, 255], i * 4);
  }
  return { width: w, height: h, data };
}

describe('buildDemoView', () => {
  it('encodes losslessly, audits, and keeps the generator split with every val case in the evaluation list', async () => {
    const phantom: PhantomCaseLike[] = Array.from({ length: 10 }, (_, k) => ({
      id: `p${String(k).padStart(3, '0')}`,
      split: (k < 8 ? 'train' : 'val') as CaseSplit,
      photo: img(k, false),
      xray: img(k + 50, true),
      landmarks: Array.from({ length: 19 }, (_, i) => [i + 1, i + 2] as Point),
    }));
    const progress: number[] = [];
    const v = await buildDemoView(phantom, {
      name: 'Demo',
      seed: 1,
      mmPerPx: 0.756,
      encode: async (i) => new Blob([encodePngNode(i) as Uint8Array<ArrayBuffer>], { type: 'image/png' }),
      onProgress: (d) => progress.push(d),
    });
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(v.summary.id).toBe(DEMO_VIEW_ID);
    expect(v.summary.caseCount).toBe(10);
    expect(v.summary.mmPerPx).toBe(0.756);
    expect(v.summary.evalList.ids).toEqual(['p008', 'p009']);
    expect(v.summary.landmarkSet?.symbols.length).toBe(19);
    expect(v.cases.map((c) => c.record.split)).toEqual(phantom.map((p) => p.split));
    const back = decodeImageNode(new Uint8Array(await v.blobs.p003.xray.arrayBuffer()));
    expect(back.ok && Buffer.compare(Buffer.from(back.image.data), Buffer.from(phantom[3].xray.data))).toBe(
      0,
    );
    expect(v.cases[3].record.landmarks).toEqual(phantom[3].landmarks);
    expect(v.summary.bytesOnDisk).toBe(
      Object.values(v.blobs).reduce((s, b) => s + b.photo.size + b.xray.size, 0),
    );
    // the audit ran: every case carries its per-case flags array (possibly empty), none excluded
    expect(v.cases.every((c) => Array.isArray(c.record.flags) && !c.record.state.excluded)).toBe(true);
  });
});
