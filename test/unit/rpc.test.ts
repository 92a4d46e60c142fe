/**
 * engine/rpc.ts, the one worker RPC, over a Node MessageChannel (real structured clone and
 * transfer): results, typed errors rebuilt, events, progress, cancel reaching the handler's
 * AbortSignal, transfer, an unknown method refused, concurrent calls matched by id.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connect,
  isCancelled,
  portOf,
  RpcCancelledError,
  RpcError,
  serve,
  transfer,
  type FromServer,
  type MessageTarget,
  type ToServer,
} from '../../src/engine/rpc';

interface TestCommands {
  add: { params: { a: number; b: number }; result: number };
  wait: { params: { ms: number; tag: string }; result: string };
  fail: { params: { kind: 'coded' | 'plain' }; result: never };
  count: { params: { to: number }; result: number; progress: { done: number } };
  /** Runs until cancelled; `graceful` returns what it has instead of throwing. */
  forever: { params: { graceful: boolean }; result: { stoppedBy: string } };
  bytes: { params: { n: number }; result: { data: Uint8Array } };
  sum: { params: { data: Uint8Array }; result: number };
}
type TestEvent = { type: 'tick'; n: number } | { type: 'blob'; data: Uint8Array };

class CodedError extends Error {
  readonly code = 'store.full';
  readonly params = { file: 'a.png', mb: 12 };
  constructor() {
    super('storage is full writing a.png');
    this.name = 'StorageFullError';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const opened: MessagePort[] = [];

function channel() {
  const { port1, port2 } = new MessageChannel();
  opened.push(port1, port2);
  const seenSignals: AbortSignal[] = [];
  const sent: Uint8Array[] = [];
  const server = serve<TestCommands, TestEvent>(
    portOf<ToServer, FromServer<TestEvent>>(port2 as unknown as MessageTarget),
    {
      add: ({ a, b }) => a + b,
      wait: async ({ ms, tag }) => {
        await sleep(ms);
        return tag;
      },
      fail: ({ kind }) => {
        throw kind === 'coded' ? new CodedError() : new TypeError('plain failure');
      },
      count: async ({ to }, { progress }) => {
        for (let i = 1; i <= to; i++) progress({ done: i });
        return to;
      },
      forever: async ({ graceful }, { signal }) => {
        seenSignals.push(signal);
        while (!signal.aborted) await sleep(2);
        if (graceful) return { stoppedBy: String((signal.reason as Error).name) };
        signal.throwIfAborted();
        return { stoppedBy: 'unreachable' };
      },
      bytes: ({ n }) => {
        const data = new Uint8Array(n).fill(7);
        sent.push(data);
        return transfer({ data }, [data.buffer]);
      },
      sum: ({ data }) => data.reduce((s, x) => s + x, 0),
    },
  );
  const client = connect<TestCommands, TestEvent>(
    portOf<FromServer<TestEvent>, ToServer>(port1 as unknown as MessageTarget),
  );
  return { server, client, seenSignals, sent };
}

afterEach(() => {
  for (const p of opened.splice(0)) p.close();
});

describe('one worker RPC over a MessageChannel', () => {
  it('answers calls with their results and matches concurrent calls by id', async () => {
    const { client } = channel();
    expect(await client.call('add', { a: 2, b: 3 })).toBe(5);
    // the slow call was sent first and answers last: each promise still gets its own result
    const order: string[] = [];
    const slow = client.call('wait', { ms: 40, tag: 'slow' }).then((r) => (order.push(r), r));
    const fast = client.call('wait', { ms: 1, tag: 'fast' }).then((r) => (order.push(r), r));
    const sum = client.call('add', { a: 10, b: -4 });
    expect(await Promise.all([slow, fast, sum])).toEqual(['slow', 'fast', 6]);
    expect(order).toEqual(['fast', 'slow']);
  });

  it('rebuilds errors with name, message, code and params', async () => {
    const { client } = channel();
    const coded = await client.call('fail', { kind: 'coded' }).catch((e: unknown) => e);
    expect(coded).toBeInstanceOf(RpcError);
    const e = coded as RpcError;
    expect([e.name, e.message, e.method, e.code, e.params]).toEqual([
      'StorageFullError',
      'storage is full writing a.png',
      'fail',
      'store.full',
      { file: 'a.png', mb: 12 },
    ]);
    const plain = (await client.call('fail', { kind: 'plain' }).catch((x: unknown) => x)) as RpcError;
    expect([plain.name, plain.message, plain.code]).toEqual(['TypeError', 'plain failure', undefined]);
    expect(isCancelled(plain)).toBe(false);
  });

  it('lets the client rebuild errors as its own class', async () => {
    const { port1, port2 } = new MessageChannel();
    opened.push(port1, port2);
    class MyError extends Error {}
    serve<TestCommands>(portOf(port2 as unknown as MessageTarget), {
      fail: () => {
        throw new Error('x');
      },
    } as never);
    const client = connect<TestCommands>(portOf(port1 as unknown as MessageTarget), {
      rebuildError: (method, wire) => new MyError(`${method}: ${wire.message}`),
    });
    const err = await client.call('fail', { kind: 'plain' }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(MyError);
    expect((err as Error).message).toBe('fail: x');
  });

  it('refuses an unknown method (and an inherited name) with rpc.unknownMethod', async () => {
    const { client } = channel();
    const unknown = client as unknown as { call(m: string, p: unknown): Promise<unknown> };
    for (const m of ['format', 'toString', 'constructor']) {
      const err = (await unknown.call(m, {}).catch((x: unknown) => x)) as RpcError;
      expect(err).toBeInstanceOf(RpcError);
      expect([err.code, err.params]).toEqual(['rpc.unknownMethod', { method: m }]);
    }
    // the server still answers afterwards
    expect(await client.call('add', { a: 1, b: 1 })).toBe(2);
  });

  it('delivers events in order, and per-call progress only to its own call', async () => {
    const { server, client } = channel();
    const events: TestEvent[] = [];
    const off = client.onEvent((e) => events.push(e));
    server.emit({ type: 'tick', n: 1 });
    server.emit({ type: 'tick', n: 2 });
    const a: number[] = [];
    const b: number[] = [];
    const [ra, rb] = await Promise.all([
      client.call('count', { to: 3 }, { onProgress: (p) => a.push(p.done) }),
      client.call('count', { to: 2 }, { onProgress: (p) => b.push(p.done) }),
    ]);
    expect([ra, rb, a, b]).toEqual([3, 2, [1, 2, 3], [1, 2]]);
    expect(events).toEqual([
      { type: 'tick', n: 1 },
      { type: 'tick', n: 2 },
    ]);
    off();
    server.emit({ type: 'tick', n: 3 });
    await client.call('add', { a: 0, b: 0 }); // the event, if delivered, would arrive before this answer
    expect(events).toHaveLength(2);
  });

  it('cancel() aborts the handler’s signal and the call rejects with a cancel error', async () => {
    const { client, seenSignals } = channel();
    const call = client.call('forever', { graceful: false });
    await sleep(10);
    expect(seenSignals).toHaveLength(1);
    expect(seenSignals[0].aborted).toBe(false);
    call.cancel();
    const err = await call.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcCancelledError);
    expect(isCancelled(err)).toBe(true);
    expect((err as RpcError).method).toBe('forever');
    expect(seenSignals[0].aborted).toBe(true);
  });

  it('an aborted AbortSignal cancels too; a handler may answer what it has instead', async () => {
    const { client, seenSignals } = channel();
    const ctl = new AbortController();
    const call = client.call('forever', { graceful: true }, { signal: ctl.signal });
    await sleep(10);
    ctl.abort();
    expect(await call).toEqual({ stoppedBy: 'RpcCancelledError' });
    expect(seenSignals[0].aborted).toBe(true);
    // a signal aborted before the call cancels it at once
    const pre = new AbortController();
    pre.abort();
    const err = await client.call('forever', { graceful: false }, { signal: pre.signal }).catch((e) => e);
    expect(isCancelled(err)).toBe(true);
  });

  it('transfers what transfer() names: the sender’s buffer is detached', async () => {
    const { server, client, sent } = channel();
    const r = await client.call('bytes', { n: 16 });
    expect(r.data.byteLength).toBe(16);
    expect(sent[0].byteLength).toBe(0); // the handler's buffer moved with the result
    expect(Array.from(r.data.slice(0, 3))).toEqual([7, 7, 7]);
    // params likewise
    const data = new Uint8Array([1, 2, 3, 4]);
    const sum = client.call('sum', transfer({ data }, [data.buffer]));
    expect(data.buffer.byteLength).toBe(0);
    expect(await sum).toBe(10);
    // without transfer() the buffer is copied and stays usable
    const kept = new Uint8Array([5, 5]);
    expect(await client.call('sum', { data: kept })).toBe(10);
    expect(kept.byteLength).toBe(2);
    // events
    const got = new Promise<TestEvent>((resolve) => client.onEvent(resolve));
    const pixels = new Uint8Array(8).fill(9);
    server.emit(transfer({ type: 'blob', data: pixels }, [pixels.buffer]));
    expect(pixels.byteLength).toBe(0);
    const e = await got;
    expect(e.type === 'blob' && e.data.byteLength).toBe(8);
  });

  it('close() and failAll() reject calls in flight', async () => {
    const { client } = channel();
    const a = client.call('wait', { ms: 50, tag: 'a' });
    client.failAll(new Error('the worker crashed'));
    await expect(a).rejects.toThrow('the worker crashed');
    const b = client.call('wait', { ms: 50, tag: 'b' });
    client.close(new Error('closed'));
    await expect(b).rejects.toThrow('closed');
  });
});
