import type { APIGatewayProxyResult } from 'aws-lambda';
import { makePublishOrderHandler } from '../../../handlers/publish-order';
import { makePublishOrdersBatchHandler } from '../../../handlers/publish-orders-batch';
import { parseConfig } from '../../../lib/config';
import type { Order } from '../../../lib/orders/schema';
import { createRuntime, type Runtime } from '../../../lib/runtime';
import { lambdaContext, postEvent } from '../../support/events';
import { CLUSTER_BOOTSTRAP } from './fault-cluster';

/** What the Lambda context says is left: the handler's deadline is the smaller of this less 500 ms and PUBLISH_TIMEOUT_MS. */
const LAMBDA_REMAINING_MS = 15_000;
const DEADLINE_MARGIN_MS = 500;

/** One request and what it got back, as a client would record it. */
export interface Invocation {
  /** The order in which orders were placed, over the whole case: a retry has its order's. */
  seq: number;
  /** 1 for the first request of an order, then 2, 3… for its retries with the same Idempotency-Key. */
  attempt: number;
  environment: number;
  order: Order;
  sentAt: number;
  receivedAt: number;
  /** The deadline the handler was given. */
  deadlineMs: number;
  status: number;
  body: unknown;
  /** The answer's Retry-After, in ms. */
  retryAfterMs?: number;
  /** The answer said Idempotent-Replayed: true. */
  replayed?: boolean;
}

/** One request of a batch (POST /orders/batch) and what it got back; a retry resends the same body with the same key. */
export interface BatchInvocation {
  /** The order in which batches were placed, over the whole case: a retry has its batch's. */
  seq: number;
  /** 1 for the first request of a batch, then 2, 3… for its retries with the same Idempotency-Key and body. */
  attempt: number;
  environment: number;
  /** The batch's Idempotency-Key. */
  key: string;
  /** The orders, in the order the shop sent them (the same array on every request of the batch). */
  orders: readonly Order[];
  sentAt: number;
  receivedAt: number;
  deadlineMs: number;
  status: number;
  body: unknown;
  retryAfterMs?: number;
  /** The answer said Idempotent-Replayed: true (it wrote nothing). */
  replayed: boolean;
}

/** The receipt of a 201: where Kafka put the record. */
export interface Receipt {
  topic: string;
  partition: number;
  offset: number;
  key: string;
  event_id: string;
}

export interface EnvironmentOptions {
  topic: string;
  publishTimeoutMs: number;
  bootstrap?: string;
  /** More configuration: the idempotency store's (IDEMPOTENCY_TABLE, IDEMPOTENCY_SETTLE_MS…). */
  env?: Record<string, string>;
}

/**
 * One Lambda execution environment: its own runtime (config, warm producer), built once, and
 * one invocation at a time, as Lambda runs them. Twenty of them in flight are twenty
 * environments, not twenty concurrent calls on one producer.
 */
export class ExecutionEnvironment {
  readonly runtime: Runtime;
  private readonly handler: ReturnType<typeof makePublishOrderHandler>;
  private readonly batchHandler: ReturnType<typeof makePublishOrdersBatchHandler>;
  private busy = false;

  constructor(
    readonly id: number,
    private readonly options: EnvironmentOptions,
  ) {
    this.runtime = createRuntime(
      parseConfig({
        KAFKA_BROKERS: options.bootstrap ?? CLUSTER_BOOTSTRAP,
        KAFKA_TOPIC: options.topic,
        PUBLISH_TIMEOUT_MS: String(options.publishTimeoutMs),
        DEADLINE_MARGIN_MS: String(DEADLINE_MARGIN_MS),
        LOG_LEVEL: 'SILENT',
        ...options.env,
      }),
    );
    this.handler = makePublishOrderHandler(this.runtime.publishDeps);
    this.batchHandler = makePublishOrdersBatchHandler(this.runtime.publishDeps);
  }

  get deadlineMs(): number {
    return Math.min(this.options.publishTimeoutMs, LAMBDA_REMAINING_MS - DEADLINE_MARGIN_MS);
  }

  async invoke(order: Order, seq: number, attempt = 1): Promise<Invocation> {
    // An Idempotency-Key, as a careful client sends: the event id then follows from it.
    const answered = await this.call(this.handler, order, `order-${order.order_id}`);
    return { seq, attempt, environment: this.id, order, deadlineMs: this.deadlineMs, ...answered };
  }

  /** POST /orders/batch with the batch's Idempotency-Key: the same key and body on every attempt. */
  async invokeBatch(batch: { seq: number; key: string; orders: readonly Order[] }, attempt = 1): Promise<BatchInvocation> {
    const answered = await this.call(this.batchHandler, { orders: batch.orders }, batch.key);
    return { ...batch, attempt, environment: this.id, deadlineMs: this.deadlineMs, ...answered };
  }

  private async call(
    handler: ReturnType<typeof makePublishOrderHandler>,
    body: unknown,
    idempotencyKey: string,
  ): Promise<Pick<BatchInvocation, 'sentAt' | 'receivedAt' | 'status' | 'body' | 'retryAfterMs' | 'replayed'>> {
    if (this.busy) throw new Error(`Environment ${this.id} got a second invocation while busy; Lambda never does that`);
    this.busy = true;
    const event = postEvent(body, { headers: { 'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey } });
    const sentAt = Date.now();
    let response: APIGatewayProxyResult;
    try {
      response = await handler(event, lambdaContext(LAMBDA_REMAINING_MS));
    } finally {
      this.busy = false;
    }
    const receivedAt = Date.now();
    const retryAfter = Number(response.headers?.['retry-after']);
    return {
      ...(Number.isFinite(retryAfter) ? { retryAfterMs: retryAfter * 1000 } : {}),
      sentAt,
      receivedAt,
      status: response.statusCode,
      body: parseBody(response.body),
      replayed: response.headers?.['idempotent-replayed'] === 'true',
    };
  }

  async close(): Promise<void> {
    await this.runtime.publisher.close().catch(() => undefined);
  }
}

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

export function createEnvironments(count: number, options: EnvironmentOptions): ExecutionEnvironment[] {
  return Array.from({ length: count }, (_, id) => new ExecutionEnvironment(id, options));
}

export const userIds = (count: number): string[] => Array.from({ length: count }, (_, index) => `user-${String(index).padStart(2, '0')}`);

/** A valid order; amounts are built from decimal text so that they have at most two decimals exactly. */
export function orderFor(prefix: string, seq: number, userId: string): Order {
  return {
    order_id: `${prefix}-${String(seq).padStart(6, '0')}`,
    user_id: userId,
    product: `Fault drill item ${seq % 17}`,
    quantity: 1 + (seq % 5),
    amount: Number(`${10 + (seq % 90)}.${String(seq % 100).padStart(2, '0')}`),
  };
}

/** Answers a shop retries with the same Idempotency-Key: nothing written (503), outcome unknown (504), in flight (409), no answer. */
export const RETRIED_STATUSES: ReadonlySet<number> = new Set([0, 409, 503, 504]);

export interface LoadOptions {
  users: readonly string[];
  /** Requests per order at most: the first and its retries (a shop gives up after that). */
  maxAttempts?: number;
  /** Each environment waits this long (±50%) after an answer before it takes the next request. */
  thinkTimeMs: number;
  orderIdPrefix: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A steady, closed-loop load: every environment sends an order, waits for the answer, pauses,
 * and sends the next. Users are taken from a queue of idle users and put back only when their
 * request is answered, so a user never has two requests in flight: a shop's user places one
 * order at a time, and with two concurrent requests of one user no client could know which of
 * them Kafka should hold first. That is what makes "a user's orders appear in the order their
 * 2xx responses were received" a property the publisher owes.
 */
export class SteadyLoad {
  readonly invocations: Invocation[] = [];
  private readonly idleUsers: string[];
  private readonly usersInFlight = new Set<string>();
  private seq = 0;
  private running = false;
  private loops: Promise<void>[] = [];
  private waiters = new Set<() => void>();

  constructor(
    private readonly environments: readonly ExecutionEnvironment[],
    private readonly options: LoadOptions,
  ) {
    if (options.users.length < environments.length) throw new Error('Fewer users than environments: some would have to send twice at once');
    this.idleUsers = [...options.users];
  }

  get inFlight(): number {
    return this.usersInFlight.size;
  }

  start(): this {
    this.running = true;
    this.loops = this.environments.map((environment) => this.loop(environment));
    return this;
  }

  /** Stops sending, and waits for every request in flight to be answered. */
  async stop(): Promise<Invocation[]> {
    this.running = false;
    await Promise.all(this.loops);
    return this.invocations;
  }

  /** One order per environment, all at once (for the idle case: each environment's first call after the idle); their first requests. */
  async invokeEachOnce(): Promise<Invocation[]> {
    if (this.running) throw new Error('invokeEachOnce while the steady load runs');
    return Promise.all(this.environments.map((environment) => this.send(environment)));
  }

  /**
   * Resolves once `count` answers in a row, all received after `since`, were 2xx; rejects after
   * `timeoutMs` without that.
   */
  async waitForSuccessStreak(since: number, count: number, timeoutMs: number): Promise<number> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const after = this.invocations.filter((invocation) => invocation.receivedAt >= since);
      const tail = after.slice(-count);
      if (tail.length === count && tail.every((invocation) => isSuccess(invocation.status))) return Date.now();
      if (Date.now() > until) {
        const statuses = after.slice(-count).map((invocation) => invocation.status);
        throw new Error(
          `No ${count} successes in a row within ${timeoutMs} ms after the fault ended; the last answers: ${statuses.join(' ')}`,
        );
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          resolve();
        };
        this.waiters.add(wake);
        setTimeout(wake, 250);
      });
    }
  }

  private async loop(environment: ExecutionEnvironment): Promise<void> {
    // Spread the first requests, as arrivals would be.
    await sleep(Math.random() * this.options.thinkTimeMs);
    while (this.running) {
      await this.send(environment);
      await sleep(this.options.thinkTimeMs * (0.5 + Math.random()));
    }
  }

  /**
   * Places one order, as a shop does: it retries a 503, 504, 409 or a lost answer with the same
   * Idempotency-Key after the answer's Retry-After, up to maxAttempts, and the user places their
   * next order only once this one is settled. Resolves with the order's first request.
   */
  private async send(environment: ExecutionEnvironment): Promise<Invocation> {
    const userId = this.idleUsers.shift();
    if (userId === undefined) throw new Error('No idle user: more environments than users');
    if (this.usersInFlight.has(userId)) throw new Error(`${userId} already has a request in flight`);
    this.usersInFlight.add(userId);
    const seq = this.seq++;
    const order = orderFor(this.options.orderIdPrefix, seq, userId);
    try {
      let first: Invocation | undefined;
      for (let attempt = 1; ; attempt++) {
        const invocation = await environment.invoke(order, seq, attempt);
        first ??= invocation;
        this.invocations.push(invocation);
        for (const wake of this.waiters) wake();
        if (!RETRIED_STATUSES.has(invocation.status) || attempt >= (this.options.maxAttempts ?? 1)) return first;
        await sleep((invocation.retryAfterMs ?? 1_000) * (1 + Math.random() * 0.2));
      }
    } finally {
      this.usersInFlight.delete(userId);
      this.idleUsers.push(userId);
    }
  }
}

export const isSuccess = (status: number): boolean => status >= 200 && status < 300;
