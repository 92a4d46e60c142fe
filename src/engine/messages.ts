/**
 * The engine's user-facing messages (backend skip reasons, warnings, self-test verdicts, report
 * labels). The engine has no UI, so it returns `EngineMessage` values (code + params + the English
 * text for Node/CLI logs); the sentences (en + zh) live in core/messages/engine.ts, part of the
 * one MESSAGES table the UI, the CLI and the report render with `messageText` (core/messages).
 */

import {
  fillTemplate,
  messageText as renderAny,
  type Lang,
  type Message,
  type Params,
  type Translation,
} from '../core/messages';
import { ENGINE_MESSAGES } from '../core/messages/engine';

export { fillTemplate, type Lang, type Params, type Translation };

export { ENGINE_MESSAGES };

export type EngineMessageCode = keyof typeof ENGINE_MESSAGES;

/** A user-facing sentence from the engine: render `code` + `params` in the UI language; `text` is English. */
export interface EngineMessage {
  code: EngineMessageCode;
  params: Params;
  text: string;
}

export function engineMessage(code: EngineMessageCode, params: Params = {}): EngineMessage {
  return { code, params, text: fillTemplate(ENGINE_MESSAGES[code].en, params) };
}

/** Any message (engine, training, audit …) in `lang`: the one renderer of core/messages. */
export function messageText(message: Message, lang: Lang): string {
  return renderAny(message, lang);
}
