import { describe, expect, it } from 'vitest';
import { MESSAGE_TABLES, MESSAGES, messageText } from '../../src/core/messages';
import { ENGINE_MESSAGES, engineMessage, type Translation } from '../../src/engine/messages';
import { TRAIN_MESSAGES, trainMessage, trainMessageText } from '../../src/engine/trainMessages';
import {
  DICTIONARY,
  DICTIONARY_PARTS,
  htmlLang,
  initialLang,
  translate,
  type StringKey,
} from '../../src/ui/strings';
import { SECTIONS, sectionFromHash } from '../../src/ui/sectionIds';

const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const HAN = /[\u4e00-\u9fff]/;

describe('i18n dictionary', () => {
  it('has English and Chinese text for every key, with the same placeholders', () => {
    const entries = Object.entries(DICTIONARY) as [StringKey, Translation][];
    expect(entries.length).toBeGreaterThan(100);
    for (const [key, t] of entries) {
      expect(typeof t.en, key).toBe('string');
      expect(typeof t.zh, key).toBe('string');
      expect(t.en.trim().length, key).toBeGreaterThan(0);
      expect(t.zh.trim().length, key).toBeGreaterThan(0);
      // a stored pre-code sentence is shown as it was: its en and zh are two parameters
      if (key === 'audit.legacy') continue;
      expect(placeholders(t.zh), key).toEqual(placeholders(t.en));
    }
  });

  it('has no key defined in two parts (a later part would silently win)', () => {
    const seen = new Map<string, string>();
    for (const [part, strings] of Object.entries(DICTIONARY_PARTS)) {
      for (const key of Object.keys(strings)) {
        expect(seen.get(key), `${key} in ${part}`).toBeUndefined();
        seen.set(key, part);
      }
    }
    expect(seen.size).toBe(Object.keys(DICTIONARY).length);
  });

  it('really translates: no multi-word English text copied unchanged into zh', () => {
    // Identical in both languages on purpose: the product name and this technical label.
    const same = new Set<StringKey>(['app.name', 'report.userAgent']);
    const copied = (Object.entries(DICTIONARY) as [StringKey, Translation][])
      .filter(([key, t]) => !same.has(key) && t.zh === t.en && /\s/.test(t.en.trim()))
      .map(([key]) => key);
    expect(copied).toEqual([]);
    // and the shell/environment strings written for this page are in Chinese script
    const ours = { ...DICTIONARY_PARTS.shell, ...DICTIONARY_PARTS.environment } as Record<
      string,
      Translation
    >;
    const latinOnly = Object.entries(ours)
      .filter(([key]) => !same.has(key as StringKey) && !/^(backend\.name|lang)\./.test(key))
      .filter(([key, t]) => key !== 'env.backend.webgpu' && !HAN.test(t.zh))
      .map(([key]) => key);
    expect(latinOnly).toEqual([]);
  });

  it('names every navigation section in both languages', () => {
    const zh = SECTIONS.map((id) => translate('zh', `nav.${id}`));
    const en = SECTIONS.map((id) => translate('en', `nav.${id}`));
    expect(en).toEqual([
      'Data',
      'Train',
      'Evaluate',
      'Experiments',
      'Landmarks',
      'Checkpoints',
      'Environment',
    ]);
    expect(zh).toEqual(['数据', '训练', '评估', '实验', '标志点', '检查点', '运行环境']);
  });

  it('fills placeholders', () => {
    expect(translate('en', 'banner.cpu', { backend: 'WebAssembly' })).toBe(
      'Training would run on the WebAssembly backend (no GPU) — expect it to be slow.',
    );
    expect(translate('zh', 'report.bits', { bits: 32 })).toBe('32 位');
  });

  it('rejects a missing translation at compile time', () => {
    // @ts-expect-error — `zh` is missing, so this does not satisfy Translation
    const missing: Translation = { en: 'only English' };
    expect(missing.en).toBe('only English');
    // @ts-expect-error — unknown keys are a type error for translate()
    expect(() => translate('en', 'no.such.key')).toThrow();
  });
});

describe('the one message table (core/messages)', () => {
  it('holds every domain table once, and the UI dictionary holds all of it', () => {
    const seen = new Map<string, string>();
    for (const [part, table] of Object.entries(MESSAGE_TABLES)) {
      for (const code of Object.keys(table)) {
        expect(seen.get(code), `${code} in ${part}`).toBeUndefined();
        seen.set(code, part);
      }
    }
    expect(seen.size).toBe(Object.keys(MESSAGES).length);
    for (const code of Object.keys(MESSAGES)) expect(code in DICTIONARY, code).toBe(true);
    // the engine's two tables are reachable through it
    expect(Object.keys(ENGINE_MESSAGES).every((c) => c in MESSAGES)).toBe(true);
    expect(Object.keys(TRAIN_MESSAGES).every((c) => c in MESSAGES)).toBe(true);
  });

  it('renders any code in both languages; helpers and the UI agree', () => {
    const m = engineMessage('backend.initFailed', { backend: 'webgl', error: 'boom' });
    expect(messageText(m, 'en')).toBe(m.text);
    expect(messageText(m, 'zh')).toBe('webgl 后端未能启动：boom');
    expect(messageText(m, 'zh')).toBe(translate('zh', 'backend.initFailed', m.params));
    const t = trainMessage('engine.busy', { run: 'r1' });
    expect(trainMessageText(t, 'zh')).toBe(messageText(t, 'zh'));
    expect(messageText({ code: 'audit.legacy', params: { en: 'old', zh: '旧' } }, 'zh')).toBe('旧');
    // an unknown (stale) code shows itself and its parameters instead of throwing
    expect(messageText({ code: 'no.such.code', params: { a: 1 } }, 'en')).toBe('no.such.code (a=1)');
  });
});

describe('section links', () => {
  it('maps the URL hash to a section, defaulting to Data', () => {
    expect(sectionFromHash('#/environment')).toBe('environment');
    expect(sectionFromHash('#train')).toBe('train');
    expect(sectionFromHash('')).toBe('data');
    expect(sectionFromHash('#/nonsense')).toBe('data');
  });
});

describe('language choice', () => {
  it('prefers the stored choice, then the browser language', () => {
    expect(initialLang('zh', ['en-US'])).toBe('zh');
    expect(initialLang('en', ['zh-CN'])).toBe('en');
    expect(initialLang(null, ['zh-TW', 'en'])).toBe('zh');
    expect(initialLang(null, ['de-DE', 'en'])).toBe('en');
    expect(initialLang('fr', [])).toBe('en');
  });
  it('maps to BCP 47 tags for <html lang>', () => {
    expect(htmlLang('zh')).toBe('zh-CN');
    expect(htmlLang('en')).toBe('en');
  });
});
