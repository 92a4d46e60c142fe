/** core/errors.ts: the one errorText (thrown value → sentence) every layer uses. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorText } from '../../src/core/errors';

/** Every .ts / .svelte file under src/ with its text. */
function sources(dir = join(__dirname, '../../src')): { path: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return sources(p);
    if (!/\.(ts|svelte)$/.test(d.name)) return [];
    return [{ path: relative(join(__dirname, '../..'), p), text: readFileSync(p, 'utf8') }];
  });
}

describe('errorText', () => {
  it('gives an Error its message (subclasses too)', () => {
    expect(errorText(new Error('disk full'))).toBe('disk full');
    expect(errorText(new RangeError('offset 12 is outside the file'))).toBe('offset 12 is outside the file');
    expect(errorText(new Error(''))).toBe('');
  });

  it('prefers the engine message an error carries across the worker boundary', () => {
    const rebuilt = Object.assign(new Error('wire text'), {
      trainMessage: { code: 'engine.noDataset', params: {}, text: 'Load a dataset first.' },
    });
    expect(errorText(rebuilt)).toBe('Load a dataset first.');
    // an empty or missing text falls back to the message
    expect(errorText(Object.assign(new Error('wire text'), { trainMessage: { text: '' } }))).toBe(
      'wire text',
    );
    expect(errorText(Object.assign(new Error('wire text'), { trainMessage: null }))).toBe('wire text');
  });

  it('keeps strings and reads message-like objects (structured clones, engine messages)', () => {
    expect(errorText('the worker script failed')).toBe('the worker script failed');
    expect(errorText(structuredClone({ name: 'Error', message: 'cloned' }))).toBe('cloned');
    expect(errorText({ code: 'engine.error', params: {}, text: 'engine said so' })).toBe('engine said so');
  });

  it('shows a plain object as JSON and never throws on odd values', () => {
    expect(errorText(undefined)).toBe('undefined');
    expect(errorText(null)).toBe('null');
    expect(errorText(42)).toBe('42');
    expect(errorText({ status: 507 })).toBe('{"status":507}');
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    expect(errorText(cyclic)).toBe('[object Object]');
    expect(errorText({ big: 1n })).toBe('[object Object]');
    expect(errorText({ message: 7 })).toBe('{"message":7}');
  });
});

describe('one errorText, no one-letter exports', () => {
  const files = sources();
  it('has exactly one errorText, in core/errors.ts', () => {
    const defs = files
      .filter((f) => /function errorText\b|const errorText\b/.test(f.text))
      .map((f) => f.path);
    expect(defs).toEqual(['src/core/errors.ts']);
  });
  it('exports no one-letter helper', () => {
    const found = files.flatMap((f) =>
      [...f.text.matchAll(/export (?:function|const) ([a-zA-Z])\b/g)].map((m) => `${f.path}: ${m[1]}`),
    );
    expect(found).toEqual([]);
  });
});
