/**
 * The UI language as reactive state. Every user-visible string goes through `i18n.t(key)`
 * (or `i18n.msg(engineMessage)`); templates re-render when the language changes. The choice is
 * remembered in localStorage and mirrored to `<html lang>`.
 */
import { messageText, type EngineMessage, type Lang, type Params } from '../engine/messages';
import { htmlLang, initialLang, translate, type StringKey } from './strings';

export const LANG_STORAGE_KEY = 'ceph-gan-studio.lang';

function readStored(): string | null {
  try {
    return globalThis.localStorage?.getItem(LANG_STORAGE_KEY) ?? null;
  } catch {
    return null; // storage blocked: fall back to the browser language
  }
}

class I18n {
  lang = $state<Lang>(
    initialLang(readStored(), (globalThis.navigator?.languages as readonly string[] | undefined) ?? []),
  );

  /** The text of `key` in the current language. */
  t = (key: StringKey, params?: Params): string => translate(this.lang, key, params);

  /** An engine message (backend reason, self-test verdict) in the current language. */
  msg = (message: EngineMessage): string => messageText(message, this.lang);

  set(lang: Lang): void {
    this.lang = lang;
    try {
      globalThis.localStorage?.setItem(LANG_STORAGE_KEY, lang);
    } catch {
      // not remembered; the switch still works for this visit
    }
    this.applyToDocument();
  }

  applyToDocument(): void {
    if (typeof document !== 'undefined') {
      document.documentElement.lang = htmlLang(this.lang);
      document.title = `${this.t('app.name')} — ${this.t('app.tagline')}`;
    }
  }
}

export const i18n = new I18n();
