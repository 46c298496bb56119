import { createHash } from 'node:crypto';
import type { BatchReceipt } from '../contracts/schemas';
import { Deadline } from '../deadline';
import {
  IdempotencyKeyInFlightError,
  IdempotencyKeyMissingError,
  IdempotencyKeyReusedError,
  IdempotencyRecordCorruptError,
  IdempotencyStoreUnavailableError,
  KafkaUnavailableError,
  PublishOutcomeUnknownError,
  PublishRejectedError,
} from '../errors';
import type { Logger } from '../log';
import type { IdempotencyMetrics } from '../metrics';
import type { Order } from '../orders/schema';
import { eventIdFor, type OrderPublishing, type PublishOptions } from '../publish';
import { type Attempt, type Claim, type IdempotencyStore, LeaseLostError, type Operation, type StoredAnswer } from './store';

/** What a publishing request is answered with: the status and body, and whether they were replayed. */
export interface Answer extends StoredAnswer {
  replayed: boolean;
}

export interface IdempotencyPolicy {
  ttlSeconds: number;
  keyRequired: boolean;
  /** After an attempt's lease ends, how long before a retry may take its key over. */
  settleMs: number;
  /** Time allowed past the deadline to record the outcome: part of the margin kept before Lambda's own timeout. */
  finishMs: number;
}

export interface IdempotentPublishingDeps {
  orders: OrderPublishing;
  /** Undefined without IDEMPOTENCY_TABLE: a key then only makes the event ids deterministic. */
  store: IdempotencyStore | undefined;
  policy: IdempotencyPolicy;
  logger: Pick<Logger, 'warn' | 'error'>;
  metrics: IdempotencyMetrics;
  now: () => number;
}

/**
 * A hash of the validated orders, keys sorted: the same order sent with its keys in another order
 * or other whitespace is the same request, another order under the same key is not.
 */
export function fingerprint(orders: readonly Order[]): string {
  const canonical = JSON.stringify(orders, (_, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)))
      : value,
  );
  return createHash('sha256').update(canonical).digest('base64url');
}

/**
 * The publishing use case with Idempotency-Key behind a store: the first request with a key
 * publishes and its answer is stored; a retry gets that answer again, and writes nothing.
 */
export function makeIdempotentPublishing({ orders, store, policy, logger, metrics, now }: IdempotentPublishingDeps) {
  /** Records an outcome; a failure to record it never changes the answer, which is Kafka's. */
  async function record(what: string, write: (deadline: Deadline) => Promise<void>, deadline: Deadline): Promise<void> {
    try {
      await write(new Deadline(Math.max(deadline.at, now()) + policy.finishMs));
    } catch (error) {
      if (error instanceof LeaseLostError) {
        logger.warn(`Idempotency store: could not ${what}: a later request took the key over`, { error });
        return;
      }
      metrics.idempotencyStoreError(what);
      logger.error(`Idempotency store: could not ${what}`, { error });
    }
  }

  async function claim(
    store: IdempotencyStore,
    key: string,
    operation: Operation,
    batch: readonly Order[],
    attempt: Attempt,
    deadline: Deadline,
  ) {
    try {
      return await store.claim(
        {
          key,
          operation,
          fingerprint: fingerprint(batch),
          orders: {
            keys: batch.map((order) => order.user_id),
            eventIds: batch.map((_, index) => eventIdFor(key, operation === 'batch' ? index : undefined)),
          },
          attempt,
          expiresAt: attempt.startedAt + policy.ttlSeconds * 1000,
        },
        deadline,
      );
    } catch (error) {
      if (error instanceof IdempotencyRecordCorruptError) throw error;
      metrics.idempotencyStoreError('claim');
      // Publishing without the store could write a duplicate: fail closed, before anything is sent.
      throw new IdempotencyStoreUnavailableError(`The idempotency store did not answer; nothing was written: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  function refuse(claim: Exclude<Claim, { outcome: 'claimed' | 'replay' }>, operation: Operation): never {
    if (claim.outcome === 'reused') {
      metrics.idempotencyConflict('reused');
      const earlier =
        claim.operation === operation
          ? `another ${operation === 'batch' ? 'batch' : 'order'}`
          : claim.operation === 'batch'
            ? 'a batch'
            : 'a single order';
      throw new IdempotencyKeyReusedError(`This Idempotency-Key was already used for ${earlier}; send a new key with a new request`);
    }
    metrics.idempotencyConflict('in-flight');
    const seconds = Math.max(1, Math.ceil(claim.retryAfterMs / 1000));
    throw new IdempotencyKeyInFlightError(
      `A request with this Idempotency-Key is still in progress, or its outcome is still settling; retry in ${seconds} s`,
      seconds,
    );
  }

  async function once(
    operation: Operation,
    batch: readonly Order[],
    options: PublishOptions,
    publish: () => Promise<StoredAnswer>,
  ): Promise<Answer> {
    const key = options.idempotencyKey;
    if (key === undefined && policy.keyRequired) {
      throw new IdempotencyKeyMissingError(
        'The Idempotency-Key header is required: a unique key per request, the same key when you retry it',
      );
    }
    if (key === undefined || store === undefined) return { ...(await publish()), replayed: false };

    const { deadline } = options;
    const attempt: Attempt = { startedAt: now(), leaseUntil: deadline.at };
    const claimed = await claim(store, key, operation, batch, attempt, deadline);
    if (claimed.outcome === 'replay') {
      metrics.idempotentReplay();
      return { ...claimed.answer, replayed: true };
    }
    if (claimed.outcome !== 'claimed') refuse(claimed, operation);

    let answer: StoredAnswer;
    try {
      answer = await publish();
    } catch (error) {
      if (error instanceof KafkaUnavailableError || error instanceof PublishRejectedError) {
        // Nothing of this attempt was written.
        await record('release the key', (bound) => store.release(key, claimed.lease, claimed.earlierAttempts, bound), deadline);
      } else {
        // It may be in the topic: keep the key, with what a later retry needs to look for it.
        await record(
          'mark the outcome unknown',
          (bound) => store.markUnknown(key, claimed.lease, [...claimed.earlierAttempts, attempt], bound),
          deadline,
        );
        if (error instanceof PublishOutcomeUnknownError)
          error.retryAfterSeconds = Math.max(1, Math.ceil((deadline.at + policy.settleMs - now()) / 1000));
      }
      throw error;
    }
    await record('store the answer', (bound) => store.complete(key, claimed.lease, answer, bound), deadline);
    return { ...answer, replayed: false };
  }

  return {
    topic: orders.topic,

    /** POST /orders: 201 with the receipt. */
    publishOrder(order: Order, options: PublishOptions): Promise<Answer> {
      return once('order', [order], options, async () => ({
        statusCode: 201,
        body: JSON.stringify(await orders.publishOrder(order, options)),
      }));
    },

    /** POST /orders/batch: 201 when every order was written, 207 when only some were. */
    publishOrders(batch: readonly Order[], options: PublishOptions): Promise<Answer> {
      return once('batch', batch, options, async () => {
        const receipts = await orders.publishOrders(batch, options);
        const written = receipts.filter((receipt) => receipt.status === 'written').length;
        const body: BatchReceipt = { topic: orders.topic, written, failed: receipts.length - written, receipts };
        return { statusCode: written === receipts.length ? 201 : 207, body: JSON.stringify(body) };
      });
    },
  };
}

export type IdempotentPublishing = ReturnType<typeof makeIdempotentPublishing>;
