import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Order } from '../../../lib/orders/schema';
import { type Invocation, orderFor } from './load';

/**
 * The part of autocannon 9's API used here. autocannon ships no types; it is loaded through
 * require with this interface rather than an ambient `declare module`, which would clash with
 * another declaration of the same module elsewhere in the repository.
 */
interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: AutocannonRequest, context: object) => AutocannonRequest;
  onResponse?: (status: number, body: string, context: object, headers: Record<string, string>) => void;
}

interface AutocannonClient {
  setRequests(requests: AutocannonRequest[]): void;
}

interface AutocannonOptions {
  url: string;
  connections: number;
  amount: number;
  overallRate: number;
  /** Seconds. */
  timeout: number;
  pipelining: 1;
  setupClient: (client: AutocannonClient) => void;
}

interface Histogram {
  average: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p97_5: number;
  p99: number;
  p99_9: number;
}

export interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  latency: Histogram;
  requests: Histogram & { total: number; sent: number };
}

type Autocannon = (options: AutocannonOptions) => EventEmitter & PromiseLike<AutocannonResult>;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface HttpLoadOptions {
  baseUrl: string;
  /** Concurrent connections: the requests in flight at most (one per connection, no pipelining). */
  connections: number;
  /** Requests per second over all connections. */
  rate: number;
  durationSeconds: number;
  users: readonly string[];
  orderIdPrefix: string;
  /** Numbers the orders on from here, so that runs against one topic do not reuse order ids. */
  firstSeq: number;
}

/**
 * A steady load over HTTP with autocannon: `rate` orders a second on `connections` keep-alive
 * connections, for `durationSeconds` (as a request count, so that autocannon waits for every
 * answer instead of dropping the last ones at the end). Each connection owns its own users and
 * sends one request at a time, so a user never has two requests in flight (see SteadyLoad).
 * Every answer is recorded with its order, for the checker.
 */
export async function runHttpLoad(options: HttpLoadOptions): Promise<{ result: AutocannonResult; invocations: Invocation[] }> {
  const invocations: Invocation[] = [];
  let seq = options.firstSeq;
  let nextConnection = 0;
  const setupClient = (client: AutocannonClient) => {
    const connection = nextConnection++;
    const ownUsers = options.users.filter((_, index) => index % options.connections === connection);
    let turn = 0;
    let pending: { order: Order; seq: number; sentAt: number } | undefined;
    const giveUp = () => {
      // A new request while one is unanswered: autocannon reconnected after an error or a timeout.
      if (pending)
        invocations.push({ ...pending, attempt: 1, environment: connection, receivedAt: Date.now(), deadlineMs: 0, status: 0, body: null });
      pending = undefined;
    };
    client.setRequests([
      {
        method: 'POST',
        path: '/dev/orders',
        setupRequest: (request) => {
          giveUp();
          const userId = ownUsers[turn++ % ownUsers.length] as string;
          pending = { order: orderFor(options.orderIdPrefix, seq, userId), seq: seq++, sentAt: Date.now() };
          return {
            ...request,
            headers: { 'content-type': 'application/json', 'idempotency-key': `order-${pending.order.order_id}` },
            body: JSON.stringify(pending.order),
          };
        },
        onResponse: (status, body) => {
          if (!pending) return;
          let parsed: unknown = body;
          try {
            parsed = JSON.parse(body);
          } catch {}
          invocations.push({
            ...pending,
            attempt: 1,
            environment: connection,
            receivedAt: Date.now(),
            deadlineMs: 0,
            status,
            body: parsed,
          });
          pending = undefined;
        },
      },
    ]);
  };
  if (options.users.length < options.connections) throw new Error('Fewer users than connections');
  const result = await autocannon({
    url: new URL(options.baseUrl).origin,
    connections: options.connections,
    amount: Math.round(options.rate * options.durationSeconds),
    overallRate: options.rate,
    timeout: 30,
    pipelining: 1,
    setupClient,
  });
  return { result, invocations };
}
