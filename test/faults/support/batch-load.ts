import type { Order } from '../../../lib/orders/schema';
import { type BatchInvocation, type ExecutionEnvironment, orderFor } from './load';

/**
 * Answers a shop retries a batch on, with the same Idempotency-Key and the same body: some orders
 * not written (207), nothing written (503), outcome unknown (504), in flight or settling (409), no
 * answer. A 201 ends the batch.
 */
export const RETRIED_BATCH_STATUSES: ReadonlySet<number> = new Set([0, 207, 409, 503, 504]);

/** What a 207 carries no Retry-After for: the wait before its retry. */
const PARTIAL_RETRY_MS = 1_000;

export interface BatchLoadOptions {
  /** The batch clients' own users: none of them is ever in a single-order request. */
  users: readonly string[];
  ordersPerBatch: number;
  /** Users per batch: each batch takes this many idle users and spreads its orders over them. */
  usersPerBatch: number;
  /** Requests per batch at most: the first and its retries. */
  maxAttempts: number;
  thinkTimeMs: number;
  orderIdPrefix: string;
}

export const batchUserIds = (count: number): string[] =>
  Array.from({ length: count }, (_, index) => `batch-user-${String(index).padStart(2, '0')}`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The orders of batch `seq`: every user gets at least one, the rest go to users at random, so a user's orders are interleaved with others'. */
export function batchOrders(prefix: string, seq: number, users: readonly string[], count: number): Order[] {
  const owners = [...users];
  while (owners.length < count) owners.push(users[Math.floor(Math.random() * users.length)] as string);
  for (let index = owners.length - 1; index > 0; index--) {
    const other = Math.floor(Math.random() * (index + 1));
    [owners[index], owners[other]] = [owners[other] as string, owners[index] as string];
  }
  return owners.map((userId, index) => ({
    ...orderFor(prefix, seq * count + index, userId),
    order_id: `${prefix}-b${String(seq).padStart(5, '0')}-${String(index).padStart(3, '0')}`,
  }));
}

/**
 * The batch clients: a closed loop like SteadyLoad's, one batch at a time per environment. A batch
 * takes `usersPerBatch` idle users and gives them back once it is settled, so a user never has
 * two requests in flight, and a user's next batch is sent only after the last one ended: within a
 * user, the shop's order is the order of (batch, position in the batch).
 *
 * Each batch has its own Idempotency-Key. It is sent again, the same key and the same body, after
 * a 207 (the orders not written yet), a 503, 504, 409 or a lost answer, after the answer's
 * Retry-After (a second for a 207), until a 201 or maxAttempts requests.
 */
export class BatchLoad {
  readonly invocations: BatchInvocation[] = [];
  private readonly idleUsers: string[];
  private seq = 0;
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly environments: readonly ExecutionEnvironment[],
    private readonly options: BatchLoadOptions,
  ) {
    if (options.users.length < environments.length * options.usersPerBatch) {
      throw new Error('Too few batch users: two batches in flight would have to share a user');
    }
    if (options.ordersPerBatch < options.usersPerBatch) throw new Error('Fewer orders per batch than users per batch');
    this.idleUsers = [...options.users];
  }

  start(): this {
    this.running = true;
    this.loops = this.environments.map((environment) => this.loop(environment));
    return this;
  }

  /** Stops sending new batches, and waits for every batch in flight to be settled (retries included). */
  async stop(): Promise<BatchInvocation[]> {
    this.running = false;
    await Promise.all(this.loops);
    return this.invocations;
  }

  /** One batch per environment, all at once; their first requests. */
  async invokeEachOnce(): Promise<BatchInvocation[]> {
    if (this.running) throw new Error('invokeEachOnce while the batch load runs');
    return Promise.all(this.environments.map((environment) => this.send(environment)));
  }

  private async loop(environment: ExecutionEnvironment): Promise<void> {
    await sleep(Math.random() * this.options.thinkTimeMs);
    while (this.running) {
      await this.send(environment);
      await sleep(this.options.thinkTimeMs * (0.5 + Math.random()));
    }
  }

  /** Places one batch and retries it until it is settled; resolves with its first request. */
  private async send(environment: ExecutionEnvironment): Promise<BatchInvocation> {
    const { usersPerBatch, ordersPerBatch, orderIdPrefix, maxAttempts } = this.options;
    if (this.idleUsers.length < usersPerBatch) throw new Error('Too few idle batch users');
    const users = this.idleUsers.splice(0, usersPerBatch);
    const seq = this.seq++;
    const batch = {
      seq,
      key: `batch-${orderIdPrefix}-${String(seq).padStart(5, '0')}`,
      orders: batchOrders(orderIdPrefix, seq, users, ordersPerBatch),
    };
    try {
      let first: BatchInvocation | undefined;
      for (let attempt = 1; ; attempt++) {
        const invocation = await environment.invokeBatch(batch, attempt);
        first ??= invocation;
        this.invocations.push(invocation);
        if (!RETRIED_BATCH_STATUSES.has(invocation.status) || attempt >= maxAttempts) return first;
        await sleep((invocation.retryAfterMs ?? PARTIAL_RETRY_MS) * (1 + Math.random() * 0.2));
      }
    } finally {
      this.idleUsers.push(...users);
    }
  }
}
