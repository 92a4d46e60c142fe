/**
 * The merged message table and its one renderer. Every code any layer returns is a key here; the
 * UI dictionary (ui/strings/index.ts) merges MESSAGES, the CLI prints `messageText(m, 'en')`, the
 * review report's prose (REPORT_TEXT, `review.*`) is one of its tables. Codes are unique across the domain tables (a unit test checks).
 */
import { renderMessage, type Lang, type MessageTable, type NestedMessage } from './form';
import { AUDIT_MESSAGES } from './audit';
import { CHECKLIST_MESSAGES } from './checklist';
import { ENGINE_MESSAGES } from './engine';
import { EXPERIMENTS_MESSAGES } from './experiments';
import { REPORT_TEXT } from './report';
import { TRACING_MESSAGES } from './tracing';
import { TRAIN_MESSAGES } from './train';

/** The domain tables by name (for the uniqueness test). */
export const MESSAGE_TABLES = {
  engine: ENGINE_MESSAGES,
  train: TRAIN_MESSAGES,
  audit: AUDIT_MESSAGES,
  tracing: TRACING_MESSAGES,
  experiments: EXPERIMENTS_MESSAGES,
  checklist: CHECKLIST_MESSAGES,
  review: REPORT_TEXT,
} as const satisfies Record<string, MessageTable>;

export const MESSAGES = {
  ...ENGINE_MESSAGES,
  ...TRAIN_MESSAGES,
  ...AUDIT_MESSAGES,
  ...TRACING_MESSAGES,
  ...EXPERIMENTS_MESSAGES,
  ...CHECKLIST_MESSAGES,
  ...REPORT_TEXT,
} as const satisfies MessageTable;

export type MessageCode = keyof typeof MESSAGES;

/**
 * Any message in `lang`. A code missing from the table renders as the code with its parameters
 * (a stale stored code shows instead of crashing a view). Sub-messages in `params` (NestedMessage)
 * render in the same language.
 */
export function messageText(msg: NestedMessage, lang: Lang): string {
  return renderMessage(MESSAGES, msg, lang);
}
