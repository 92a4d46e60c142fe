/**
 * The one way to turn a thrown value into a sentence for a log, a UI line or a message parameter.
 * A leaf module (imports nothing), so core, engine, store and ui all use it.
 *
 * - an error that carries an engine message (`trainMessage.text`, e.g. a TrainError rebuilt on this
 *   side of the worker boundary): that text;
 * - an `Error`: its `message`;
 * - a string: itself;
 * - any other object with a string `message` (a structured-clone copy of an Error, a DOMException
 *   from another realm) or a string `text` (an engine message `{code, params, text}`): that string;
 * - anything else: `String(e)` for primitives (`undefined`, `42`), the JSON of a plain object (so it
 *   does not read "[object Object]"), `String(e)` when that JSON cannot be made (a cycle, a BigInt).
 */
export function errorText(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e === null || typeof e !== 'object') return String(e);
  const carried = (e as { trainMessage?: { text?: unknown } }).trainMessage;
  if (carried && typeof carried.text === 'string' && carried.text !== '') return carried.text;
  if (e instanceof Error) return e.message;
  const { message, text } = e as { message?: unknown; text?: unknown };
  if (typeof message === 'string') return message;
  if (typeof text === 'string') return text;
  try {
    const json = JSON.stringify(e);
    if (typeof json === 'string' && json !== '{}') return json;
  } catch {
    // a cycle or a BigInt: fall through
  }
  return String(e);
}
