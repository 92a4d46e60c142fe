/**
 * The one worker RPC (issue 11 item 2): the training engine, the checkpoint worker and the import
 * worker all speak it. One side `serve`s a table of handlers on a port, the other `connect`s and
 * `call`s them by name. Structured-clone only: what crosses is plain data, Blobs/Files by
 * reference, and the ArrayBuffers named with `transfer()` moved instead of copied.
 *
 *   interface Commands { add: { params: { a: number; b: number }; result: number; progress?: number } }
 *   serve<Commands, MyEvent>(workerSide, { add: async ({ a, b }, { signal, progress }) => a + b });
 *   const rpc = connect<Commands, MyEvent>(pageSide);
 *   const sum = await rpc.call('add', { a: 1, b: 2 }, { onProgress, signal });
 *
 * - Commands: a map method → { params, result, progress? }; params and results are typed per method.
 * - Events: one typed stream from the serving side (`server.emit(e)` → `rpc.onEvent(listener)`).
 * - Progress: a handler's `progress(p)` reaches that call's `onProgress` only.
 * - Cancel is cooperative: `call(…).cancel()` or the call's `signal` aborts the handler's
 *   AbortSignal on the other side. A handler that then throws (e.g. `signal.throwIfAborted()`)
 *   makes the call reject with `RpcCancelledError` (`isCancelled(e)`); a handler may instead return
 *   what it has (the import returns its report with `cancelled: true`). A handler that ignores
 *   the signal runs to its end: to stop such work at once, terminate the worker.
 * - Errors cross as `{ name, message, code?, params? }` (`code`/`params` when the error carries a
 *   message code, see core/messages) and are rebuilt as `RpcError` (or by the client's `rebuildError`).
 * - Calls run concurrently and are matched by id; an unknown method is refused with `rpc.unknownMethod`.
 *
 * TF.js-free and DOM-free (any `postMessage`/`addEventListener` pair is a port: Worker, worker
 * scope, MessagePort, Node's worker_threads MessagePort).
 */

/**
 * One command: its params, its result, and what its progress reports carry (omit `progress` for a
 * command without). A command map is an interface or type of method → CommandSpec.
 */
export interface CommandSpec {
  params: unknown;
  result: unknown;
  progress?: unknown;
}

export type Method<C> = keyof C & string;
export type ParamsOf<C, M extends Method<C>> = C[M] extends { params: infer P } ? P : never;
export type ResultOf<C, M extends Method<C>> = C[M] extends { result: infer R } ? R : never;
export type ProgressOf<C, M extends Method<C>> = C[M] extends { progress: infer P } ? P : never;

/** What a handler gets besides its params. */
export interface CallContext<P> {
  /** Aborted when the caller cancels this call. */
  signal: AbortSignal;
  /** Report progress to this call's `onProgress`. */
  progress(p: P): void;
}

export type Handler<C, M extends Method<C>> = (
  params: ParamsOf<C, M>,
  ctx: CallContext<ProgressOf<C, M>>,
) => ResultOf<C, M> | Promise<ResultOf<C, M>>;

export type Handlers<C> = { [M in Method<C>]: Handler<C, M> };

// ---------------------------------------------------------------------------------------------
// Wire messages
// ---------------------------------------------------------------------------------------------

/** An error as it crosses: name and message, and the message code with its params when there is one. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  params?: Record<string, string | number>;
}

export type RequestMessage = { kind: 'request'; id: number; method: string; params: unknown };
export type CancelMessage = { kind: 'cancel'; id: number };
export type ResponseMessage =
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: WireError };
export type ProgressMessage = { kind: 'progress'; id: number; progress: unknown };
export type EventMessage<E = never> = { kind: 'event'; event: E };

/** Caller → server. */
export type ToServer = RequestMessage | CancelMessage;
/** Server → caller. */
export type FromServer<E = never> = ResponseMessage | ProgressMessage | EventMessage<E>;

/** One end of a message channel (a Worker, the worker's global scope, a MessagePort, a fake). */
export interface Port<In, Out> {
  post(message: Out, transfer?: Transferable[]): void;
  /** Subscribe; returns the unsubscribe function. */
  listen(handler: (message: In) => void): () => void;
}

/** Anything with postMessage + message events: Worker, DedicatedWorkerGlobalScope, MessagePort. */
export interface MessageTarget {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (e: MessageEvent) => void): void;
}

export function portOf<In, Out>(target: MessageTarget): Port<In, Out> {
  return {
    post: (message, transfer = []) => target.postMessage(message, transfer),
    listen(handler) {
      const f = (e: MessageEvent): void => handler(e.data as In);
      target.addEventListener('message', f);
      (target as { start?: () => void }).start?.(); // a MessagePort queues until started
      return () => target.removeEventListener('message', f);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Transferables and errors
// ---------------------------------------------------------------------------------------------

const transfers = new WeakMap<object, Transferable[]>();

/**
 * Mark `value` (a result, params or an event) to be sent with `list` transferred, not copied:
 * the sender's buffers are detached (byteLength 0) afterwards. Returns `value` itself.
 */
export function transfer<T>(value: T, list: Transferable[]): T {
  if (value !== null && typeof value === 'object' && list.length) transfers.set(value, list);
  return value;
}

function transferListOf(value: unknown): Transferable[] {
  return value !== null && typeof value === 'object' ? (transfers.get(value) ?? []) : [];
}

/** An error rebuilt from a WireError on the calling side. */
export class RpcError extends Error {
  readonly method: string;
  readonly code?: string;
  readonly params?: Record<string, string | number>;
  constructor(method: string, wire: WireError) {
    super(wire.message);
    this.name = wire.name === 'Error' ? 'RpcError' : wire.name;
    this.method = method;
    if (wire.code !== undefined) this.code = wire.code;
    if (wire.params !== undefined) this.params = wire.params;
  }
}

/** A call that was cancelled (by `cancel()`, its signal, or the caller closing the connection). */
export class RpcCancelledError extends RpcError {
  constructor(method: string, message = `"${method}" was cancelled`) {
    super(method, { name: 'RpcCancelledError', message, code: 'rpc.cancelled', params: { method } });
  }
}

export function isCancelled(e: unknown): e is RpcCancelledError {
  return e instanceof RpcCancelledError;
}

/** The default error form: name, message, and `code` + `params` when the error has both. */
export function toWireError(e: unknown): WireError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const { code, params } = e as { code?: unknown; params?: unknown };
  if (typeof code === 'string' && params !== null && typeof params === 'object')
    return { name: e.name, message: e.message, code, params: params as WireError['params'] };
  return { name: e.name, message: e.message };
}

// ---------------------------------------------------------------------------------------------
// The serving side
// ---------------------------------------------------------------------------------------------

export interface ServeOptions {
  /** How a thrown value crosses (default `toWireError`). */
  errorOf?: (e: unknown) => WireError;
}

export interface Server<E> {
  /** Send an event to the connected side (`transfer(event, […])` moves its buffers). */
  emit(event: E): void;
  /** Stop serving (calls in flight are aborted; their answers are not sent). */
  stop(): void;
}

/**
 * Serve `handlers` on `port`. Requests run concurrently (a pause must get through while a run is
 * going); each gets its own AbortSignal, aborted by the caller's cancel.
 */
export function serve<C, E = never>(
  port: Port<ToServer, FromServer<E>>,
  handlers: Handlers<C>,
  opts: ServeOptions = {},
): Server<E> {
  const errorOf = opts.errorOf ?? toWireError;
  const running = new Map<number, { ctl: AbortController; method: string }>();
  let stopped = false;
  const send = (m: FromServer<E>, list: Transferable[] = []): void => {
    if (!stopped) port.post(m, list);
  };
  const off = port.listen((msg) => {
    if (!msg || typeof msg !== 'object') return;
    if (msg.kind === 'cancel') {
      const r = running.get(msg.id);
      r?.ctl.abort(new RpcCancelledError(r.method));
      return;
    }
    if (msg.kind !== 'request') return;
    const { id, method } = msg;
    const fn = Object.prototype.hasOwnProperty.call(handlers, method)
      ? (handlers as Record<string, (p: unknown, ctx: CallContext<unknown>) => unknown>)[method]
      : undefined;
    if (typeof fn !== 'function') {
      send({
        kind: 'response',
        id,
        ok: false,
        error: {
          name: 'RpcError',
          message: `unknown command "${String(method)}"`,
          code: 'rpc.unknownMethod',
          params: { method: String(method) },
        },
      });
      return;
    }
    const ctl = new AbortController();
    running.set(id, { ctl, method });
    const ctx: CallContext<unknown> = {
      signal: ctl.signal,
      progress: (p) => send({ kind: 'progress', id, progress: p }, transferListOf(p)),
    };
    Promise.resolve()
      .then(() => fn.call(handlers, msg.params, ctx))
      .then(
        (result) => send({ kind: 'response', id, ok: true, result }, transferListOf(result)),
        (e: unknown) => {
          const error = ctl.signal.aborted
            ? { name: 'RpcCancelledError', message: `"${method}" was cancelled`, code: 'rpc.cancelled' }
            : errorOf(e);
          send({ kind: 'response', id, ok: false, error });
        },
      )
      .finally(() => running.delete(id));
  });
  return {
    emit: (event) => send({ kind: 'event', event }, transferListOf(event)),
    stop() {
      off();
      stopped = true;
      for (const r of running.values()) r.ctl.abort(new RpcCancelledError(r.method));
      running.clear();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The calling side
// ---------------------------------------------------------------------------------------------

export interface CallOptions<P> {
  onProgress?: (p: P) => void;
  /** Aborting it cancels the call (see the module comment). */
  signal?: AbortSignal;
}

/** A call in flight: a Promise of the result with `cancel()`. */
export type Call<T> = Promise<T> & { cancel(): void };

export interface ConnectOptions {
  /** Build the Error a failed call rejects with (default `RpcError` / `RpcCancelledError`). */
  rebuildError?: (method: string, wire: WireError) => Error;
}

export interface Connection<C, E> {
  call<M extends Method<C>>(
    method: M,
    params: ParamsOf<C, M>,
    opts?: CallOptions<ProgressOf<C, M>>,
  ): Call<ResultOf<C, M>>;
  /** Subscribe to the served side's events; returns the unsubscribe function. */
  onEvent(listener: (event: E) => void): () => void;
  /** Deliver an event to the listeners from this side (e.g. "the worker crashed"). */
  emitLocal(event: E): void;
  /** Reject every call in flight (the worker died) without closing. */
  failAll(error: Error): void;
  /** Stop listening; calls in flight reject with `error`. */
  close(error?: Error): void;
}

interface Pending {
  method: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
  onProgress?: (p: unknown) => void;
  done(): void;
}

export function connect<C, E = never>(
  port: Port<FromServer<E>, ToServer>,
  opts: ConnectOptions = {},
): Connection<C, E> {
  const rebuild = (method: string, wire: WireError): Error =>
    wire.code === 'rpc.cancelled'
      ? new RpcCancelledError(method, wire.message)
      : (opts.rebuildError ?? ((m, w) => new RpcError(m, w)))(method, wire);
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const listeners = new Set<(e: E) => void>();
  const off = port.listen((msg) => {
    if (!msg || typeof msg !== 'object') return;
    if (msg.kind === 'event') {
      for (const l of [...listeners]) l(msg.event);
      return;
    }
    const p = pending.get(msg.id);
    if (!p) return;
    if (msg.kind === 'progress') {
      p.onProgress?.(msg.progress);
      return;
    }
    if (msg.kind !== 'response') return;
    pending.delete(msg.id);
    p.done();
    if (msg.ok) p.resolve(msg.result);
    else p.reject(rebuild(p.method, msg.error));
  });
  const failAll = (error: Error): void => {
    const all = [...pending.values()];
    pending.clear();
    for (const p of all) {
      p.done();
      p.reject(error);
    }
  };
  return {
    call(method, params, callOpts = {}) {
      const id = nextId++;
      const cancel = (): void => {
        if (pending.has(id)) port.post({ kind: 'cancel', id });
      };
      const promise = new Promise((resolve, reject) => {
        const signal = callOpts.signal;
        const onAbort = (): void => cancel();
        pending.set(id, {
          method,
          resolve,
          reject,
          onProgress: callOpts.onProgress as ((p: unknown) => void) | undefined,
          done: () => signal?.removeEventListener('abort', onAbort),
        });
        port.post({ kind: 'request', id, method, params }, transferListOf(params));
        if (signal?.aborted) cancel();
        else signal?.addEventListener('abort', onAbort, { once: true });
      }) as Call<ResultOf<C, typeof method>>;
      promise.cancel = cancel;
      return promise;
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emitLocal(event) {
      for (const l of [...listeners]) l(event);
    },
    failAll,
    close(error = new Error('the connection was closed')) {
      off();
      failAll(error);
    },
  };
}
