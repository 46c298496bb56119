import { AsyncLocalStorage } from 'node:async_hooks';
import net from 'node:net';
import tls from 'node:tls';

/**
 * The client's side of every Kafka connection in a worker: lib/kafka/client.ts opens its sockets
 * with `net.connect` (or `tls.connect`) looked up on the module object at each call, so wrapping
 * those functions sees every socket of every runtime, without a change to lib/. Each socket is
 * put down to the environment whose invocation opened it, through AsyncLocalStorage: kafkajs
 * opens it somewhere inside the async chain of that environment's `environment.run`.
 */

/** The environment whose work runs now; undefined outside any. */
export const environment = new AsyncLocalStorage<number>();

/** Epoch milliseconds, with the sub-millisecond part (comparable across the worker processes). */
export const now = (): number => performance.timeOrigin + performance.now();

export interface SocketTrace {
  /** The environment that opened it; null when none was running. */
  env: number | null;
  port: number;
  /** net.connect called. */
  attemptAt: number;
  /** TCP connected (the kernel completed the handshake; Kafka may not have accepted it yet). */
  connectAt?: number;
  /** The broker's first bytes: it accepted the connection and answered its first request. */
  firstDataAt?: number;
  closeAt?: number;
  /** Why it failed, if it did: an error code, or `abandoned` when the client gave up first (kafkajs's connection timeout). */
  error?: string;
}

type ConnectFunction = (...args: unknown[]) => net.Socket;

let installed: SocketTrace[] | undefined;

/** Wraps net.connect, net.createConnection and tls.connect (once); returns the traces, filled as sockets live. */
export function traceSockets(clock: () => number = now): SocketTrace[] {
  if (installed) return installed;
  const traces: SocketTrace[] = [];
  installed = traces;
  const wrap = (original: ConnectFunction, connectedEvent: 'connect' | 'secureConnect'): ConnectFunction =>
    function tracedConnect(this: unknown, ...args: unknown[]) {
      const socket = original.apply(this, args);
      const trace: SocketTrace = { env: environment.getStore() ?? null, port: portOf(args), attemptAt: clock() };
      traces.push(trace);
      socket.once(connectedEvent, () => {
        trace.connectAt = clock();
      });
      socket.once('data', () => {
        trace.firstDataAt = clock();
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        trace.error ??= error.code ?? error.name;
      });
      socket.once('close', () => {
        trace.closeAt = clock();
        if (trace.connectAt === undefined) trace.error ??= 'abandoned';
      });
      return socket;
    };
  const modules = { net: net as unknown as Record<string, ConnectFunction>, tls: tls as unknown as Record<string, ConnectFunction> };
  for (const [module, name, event] of [
    [modules.net, 'connect', 'connect'],
    [modules.net, 'createConnection', 'connect'],
    [modules.tls, 'connect', 'secureConnect'],
  ] as const) {
    module[name] = wrap(module[name] as ConnectFunction, event);
  }
  return traces;
}

/** The port of net.connect(options) or net.connect(port, host). */
function portOf(args: unknown[]): number {
  const [first] = args;
  if (first && typeof first === 'object' && 'port' in first) return Number((first as { port: unknown }).port);
  return Number(first);
}
