/** Walking dropped folders: readEntries is called until it returns nothing (Chromium gives ≤ 100 per call). */
import { describe, expect, it } from 'vitest';
import { collectFiles, walkEntries, type EntryLike } from '../../src/engine/import/walk';

function file(name: string, content = name): EntryLike {
  return {
    name,
    isFile: true,
    isDirectory: false,
    file: (ok) => ok(new File([content], name)),
  };
}

/** A directory whose reader hands out at most `perCall` entries per readEntries call, like Chromium. */
function dir(name: string, children: EntryLike[], perCall = 100, calls = { n: 0 }): EntryLike {
  return {
    name,
    isFile: false,
    isDirectory: true,
    createReader() {
      let at = 0;
      return {
        readEntries(ok) {
          calls.n++;
          const batch = children.slice(at, at + perCall);
          at += batch.length;
          setTimeout(() => ok(batch), 0);
        },
      };
    },
  };
}

describe('walkEntries', () => {
  it('reads a folder of 250 files in batches of 100 until empty, recursively', async () => {
    const calls = { n: 0 };
    const photos = Array.from({ length: 250 }, (_, i) => file(`${i}.png`));
    const root = dir(
      'cases',
      [dir('photo', photos, 100, calls), dir('xray', [file('0.png')], 100, calls), file('notes.txt')],
      100,
      calls,
    );
    const r = await walkEntries([root]);
    expect(r.errors).toEqual([]);
    expect(r.inputs.length).toBe(252);
    expect(r.inputs.filter((i) => i.path.startsWith('cases/photo/')).length).toBe(250);
    expect(r.inputs.map((i) => i.path)).toContain('cases/xray/0.png');
    expect(r.inputs.map((i) => i.path)).toContain('cases/notes.txt');
    // photo: 3 full/partial batches + the empty one; xray: 1 + 1; root: 1 + 1
    expect(calls.n).toBe(4 + 2 + 2);
  });

  it('collects a folder that cannot be read as an error and continues', async () => {
    const broken: EntryLike = {
      name: 'locked',
      isFile: false,
      isDirectory: true,
      createReader: () => ({ readEntries: (_ok, fail) => fail?.(new Error('NotReadableError')) }),
    };
    const r = await walkEntries([broken, file('a.png')]);
    expect(r.inputs.map((i) => i.path)).toEqual(['a.png']);
    expect(r.errors).toEqual([{ path: 'locked/', message: 'NotReadableError' }]);
  });

  it('uses webkitRelativePath for files picked from a folder', () => {
    const f = new File(['x'], '001.png');
    Object.defineProperty(f, 'webkitRelativePath', { value: 'ceph/photo/001.png' });
    const g = new File(['y'], 'loose.png');
    expect(collectFiles([f, g]).inputs.map((i) => i.path)).toEqual(['ceph/photo/001.png', 'loose.png']);
  });
});
