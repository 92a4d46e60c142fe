/**
 * Taking turns on the engine's thread (part of the engine, see engineCore.ts): the GPU lock that the
 * training loop takes per step and every command that uses the GPU takes too, and the macrotask the
 * loop yields between steps so queued messages (pause, stop) and timers run.
 */

/** A one-at-a-time lock: the training loop takes it per step, commands that use the GPU take it too. */
export class GpuLock {
  private tail: Promise<void> = Promise.resolve();
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.tail;
    let release: () => void = () => undefined;
    this.tail = new Promise<void>((r) => {
      release = r;
    });
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/** A macrotask: lets queued messages (pause, stop) and timers run between steps. */
export function macrotask(): Promise<void> {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown };
  if (typeof g.setImmediate === 'function') {
    const si = g.setImmediate;
    return new Promise((r) => si(r));
  }
  if (typeof MessageChannel !== 'undefined') {
    return new Promise((r) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        r();
      };
      ch.port2.postMessage(null);
    });
  }
  return new Promise((r) => setTimeout(r, 0));
}
