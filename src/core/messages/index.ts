/**
 * The one form of user-facing text (issue 11 item 6): core and engine return `Message` values
 * ({code, params}, form.ts) and never prose; the sentences live in en/zh tables, one per domain
 * (engine.ts, train.ts, audit.ts, …), merged into MESSAGES (table.ts); `messageText(msg, lang)`
 * renders any code for the UI, the CLI and the review report alike.
 *
 * TF.js-free; imports only its own tables.
 */
export {
  fillTemplate,
  message,
  renderMessage,
  type Lang,
  type Message,
  type MessageList,
  type MessageTable,
  type NestedMessage,
  type NestedParam,
  type Params,
  type Translation,
} from './form';
export { MESSAGES, MESSAGE_TABLES, messageText, type MessageCode } from './table';
