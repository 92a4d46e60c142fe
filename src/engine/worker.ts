/**
 * Entry of the dedicated module Worker that owns the GPU for training:
 *   new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })
 * It serves one EngineCore over the worker's message port (protocol.ts over the one worker RPC, rpc.ts). Uncaught failures are
 * reported as `error` events so the page can tell the user.
 */
/// <reference lib="webworker" />
import { EngineCore } from './engineCore';
import { serveEngine, type FromEngine, type ToEngine } from './protocol';
import { portOf } from './rpc';
import { trainMessage } from './trainMessages';

const scope = self as unknown as DedicatedWorkerGlobalScope;

const port = portOf<ToEngine, FromEngine>(scope);

const core = new EngineCore({ home: 'worker' });
serveEngine(core, port);

function reportCrash(error: string): void {
  port.post({ kind: 'event', event: { type: 'error', message: trainMessage('engine.error', { error }) } });
}
scope.addEventListener('unhandledrejection', (e: PromiseRejectionEvent) => {
  reportCrash(e.reason instanceof Error ? e.reason.message : String(e.reason));
});
scope.addEventListener('error', (e: ErrorEvent) => reportCrash(e.message));
