/**
 * The training engine's user-facing messages. The engine returns `TrainMessage` values (code +
 * params + the English text for the CLI and logs); the sentences (en + zh) live in
 * core/messages/train.ts, part of the one MESSAGES table the UI, the CLI and the report render
 * with `messageText` (core/messages).
 */
import { fillTemplate, messageText as renderAny, type Lang, type Params } from '../core/messages';
import { TRAIN_MESSAGES } from '../core/messages/train';

export { TRAIN_MESSAGES };

export type TrainMessageCode = keyof typeof TRAIN_MESSAGES;

/** A user-facing sentence from the training engine; `text` is English. */
export interface TrainMessage {
  code: TrainMessageCode;
  params: Params;
  text: string;
}

export function trainMessage(code: TrainMessageCode, params: Params = {}): TrainMessage {
  return { code, params, text: fillTemplate(TRAIN_MESSAGES[code].en, params) };
}

export function trainMessageText(message: TrainMessage, lang: Lang): string {
  return renderAny(message, lang);
}

/** An Error carrying a TrainMessage (so it crosses the worker boundary translatable). */
export class TrainError extends Error {
  readonly trainMessage: TrainMessage;
  constructor(message: TrainMessage) {
    super(message.text);
    this.name = 'TrainError';
    this.trainMessage = message;
  }
}

/** The TrainMessage of any thrown value (plain errors become `engine.error`). */
export function toTrainMessage(e: unknown): TrainMessage {
  if (e instanceof TrainError) return e.trainMessage;
  // an error rebuilt on the other side of the worker boundary carries the message as a field
  const carried = (e as { trainMessage?: TrainMessage } | null)?.trainMessage;
  if (carried && typeof carried.code === 'string' && carried.code in TRAIN_MESSAGES) return carried;
  const text = e instanceof Error ? e.message : String(e);
  return trainMessage('engine.error', { error: text });
}
