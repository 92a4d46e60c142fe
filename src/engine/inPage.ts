/**
 * The engine's second home: the page itself, for when a worker cannot get WebGPU but the page
 * can (or module workers are unavailable). Same interface as the worker-backed engine; the loop
 * still yields a macrotask between steps, but each step's kernel dispatch runs on the page's
 * thread.
 */
import { EngineCore } from './engineCore';
import { COMMAND_NAMES, type Engine, type EngineApi, type EngineHome } from './protocol';

/** Wrap an EngineCore as an `Engine` (also used for Node, with home 'node'). */
export function engineFromCore(core: EngineCore, home: EngineHome = core.home): Engine {
  const api = Object.fromEntries(
    COMMAND_NAMES.map((m) => {
      const fn = core[m] as (p: unknown) => Promise<unknown>;
      return [m, (params: unknown) => fn.call(core, params)];
    }),
  ) as unknown as EngineApi;
  return {
    ...api,
    home,
    onEvent: (listener) => core.onEvent(listener),
    terminate: () => {
      void core.dispose();
    },
  };
}

export function createInPageEngine(): Engine {
  return engineFromCore(new EngineCore({ home: 'page' }), 'page');
}
