/**
 * The one form of user-facing text (issue 11 item 6). Core and engine return `Message` values
 * — a code and its parameters — and never prose; one en/zh table per domain (`MessageTable`)
 * holds the sentences, and `renderMessage` turns a message into the UI language for the UI,
 * the CLI and the review report alike. `{name}` in a template is replaced by `params.name`.
 *
 * TF.js-free, no imports: a leaf module every layer may use (the domain tables import their
 * types from here; index.ts re-exports it with the merged table).
 */

export type Lang = 'en' | 'zh';

/** One user-visible string in both languages; a missing language is a type error. */
export interface Translation {
  en: string;
  zh: string;
}

export type Params = Record<string, string | number>;

/** A table of sentences by code; declare tables `as const satisfies MessageTable`. */
export type MessageTable = Readonly<Record<string, Translation>>;

/** A user-facing sentence as data: render it with the table that owns `code`. */
export interface Message<C extends string = string> {
  code: C;
  params: Params;
}

/**
 * A parameter of a composite sentence: a plain value, a sentence of its own, or a list of values
 * and sentences — rendered in the language of the sentence that holds it, so a parameter never
 * carries text of one language (e.g. the checklist's "Yes: {terms}." over per-term sentences).
 */
export type NestedParam = string | number | NestedMessage | MessageList;

/** A message whose parameters may be messages or lists (see NestedParam); a `Message` is one. */
export interface NestedMessage<C extends string = string> {
  code: C;
  params: Readonly<Record<string, NestedParam>>;
}

/** Items joined with the sentence `sep` (a code whose text is the separator, e.g. ', ' / '、'). */
export interface MessageList {
  list: readonly (string | number | NestedMessage)[];
  sep: string;
}

/** Replace `{name}` with `params.name`; unknown placeholders stay visible so a bug shows. */
export function fillTemplate(template: string, params: Params = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

/** Build a message for a code of `table` (the table only types the code). */
export function message<T extends MessageTable>(
  _table: T,
  code: keyof T & string,
  params: Params = {},
): Message<keyof T & string> {
  return { code, params };
}

/**
 * The message in `lang`. A code missing from the table renders as the code itself (with its
 * parameters), so a stale stored code shows up instead of crashing a view.
 */
export function renderMessage(table: MessageTable, msg: NestedMessage, lang: Lang): string {
  const t = Object.prototype.hasOwnProperty.call(table, msg.code) ? table[msg.code] : undefined;
  const params: Params = {};
  for (const [k, v] of Object.entries(msg.params ?? {})) params[k] = renderParam(table, v, lang);
  if (!t) {
    const ps = Object.entries(params);
    return ps.length ? `${msg.code} (${ps.map(([k, v]) => `${k}=${v}`).join(', ')})` : msg.code;
  }
  return fillTemplate(t[lang], params);
}

function renderParam(table: MessageTable, v: NestedParam, lang: Lang): string | number {
  if (typeof v !== 'object' || v === null) return v;
  if ('list' in v) {
    const sep = renderMessage(table, { code: v.sep, params: {} }, lang);
    return v.list.map((x) => renderParam(table, x, lang)).join(sep);
  }
  return renderMessage(table, v, lang);
}
