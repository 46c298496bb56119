import { createHash } from 'node:crypto';
import { type BatchReceipt, BatchReceiptSchema, type BatchRecordReceipt, type OrderReceipt } from '../contracts/schemas';
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
  SchemaUnavailableError,
} from '../errors';
import type { Logger } from '../log';
import type { IdempotencyMetrics } from '../metrics';
import type { Order } from '../orders/schema';
import { eventIdFor, type OrderPublishing, type PublishOptions } from '../publish';
import { type Delivery, type RecordFinder, RecordsUndecidedError } from '../publisher';
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
  /** Reads the log for a retry after an unknown outcome; without it such a retry publishes again, with the same event ids. */
  finder?: RecordFinder | undefined;
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
 * What a retry knows before it answers: `found`, where the log holds its orders, when it looked;
 * `partial`, the receipts of an earlier 207 it finishes.
 */
interface Earlier {
  found: (Delivery | undefined)[] | undefined;
  partial: BatchRecordReceipt[] | undefined;
}

/** How a request is answered once its key is claimed. */
type AnswerWith = (earlier: Earlier) => Promise<Answered>;

interface Answered {
  answer: StoredAnswer;
  wroteNothing: boolean;
  /** Some order's outcome is unknown: a retry must wait until its send can no longer land. */
  mayStillLand?: boolean;
}

/**
 * The publishing use case with Idempotency-Key behind a store: the first request with a key
 * publishes and its answer is stored. A retry gets a settled answer again and writes nothing; a
 * retry of a 504 looks in the log first, and a retry of a 207 publishes only the orders not there.
 */
export function makeIdempotentPublishing({ orders, store, finder, policy, logger, metrics, now }: IdempotentPublishingDeps) {
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

  /**
   * Before a retry publishes after an unknown outcome (or a request that died holding the key),
   * it asks the log whether the earlier attempts' records are there. Undecided by the deadline:
   * the key goes back as it was, and the answer is a 504 again rather than a guess.
   */
  async function lookUp(
    batch: readonly Order[],
    key: string,
    operation: Operation,
    earlier: Attempt[],
    only: readonly number[],
    deadline: Deadline,
  ): Promise<(Delivery | undefined)[] | undefined> {
    if (!finder || earlier.length === 0 || only.length === 0) return undefined;
    const started = now();
    const wanted = only.map((index) => ({
      key: (batch[index] as Order).user_id,
      eventId: eventIdFor(key, operation === 'batch' ? index : undefined),
    }));
    try {
      const inLog = await finder.find(wanted, Math.min(...earlier.map((attempt) => attempt.startedAt)), deadline);
      metrics.reconciliation(inLog.some(Boolean) ? 'found' : 'not-found', now() - started);
      const found: (Delivery | undefined)[] = batch.map(() => undefined);
      only.forEach((index, position) => {
        found[index] = inLog[position];
      });
      return found;
    } catch (error) {
      if (!(error instanceof RecordsUndecidedError)) throw error;
      metrics.reconciliation('undecided', now() - started);
      throw new PublishOutcomeUnknownError(`Whether the earlier attempt wrote the record could not be decided: ${error.message}`, {
        cause: error,
      });
    }
  }

  async function once(operation: Operation, batch: readonly Order[], options: PublishOptions, answerWith: AnswerWith): Promise<Answer> {
    const key = options.idempotencyKey;
    if (key === undefined && policy.keyRequired) {
      throw new IdempotencyKeyMissingError(
        'The Idempotency-Key header is required: a unique key per request, the same key when you retry it',
      );
    }
    if (key === undefined || store === undefined) {
      return { ...(await answerWith({ found: undefined, partial: undefined })).answer, replayed: false };
    }

    const { deadline } = options;
    const attempt: Attempt = { startedAt: now(), leaseUntil: deadline.at };
    const claimed = await claim(store, key, operation, batch, attempt, deadline);
    if (claimed.outcome === 'replay') {
      metrics.idempotentReplay();
      return { ...claimed.answer, replayed: true };
    }
    if (claimed.outcome !== 'claimed') refuse(claimed, operation);

    const partial = claimed.partial ? partialReceipts(claimed.partial, batch.length) : undefined;
    // Finishing a 207, only the orders whose outcome it left unknown may be in the log unannounced:
    // the written ones have their receipts, the refused ones are not there.
    const lookFor = batch
      .map((_, index) => index)
      .filter((index) => {
        const receipt = partial?.[index];
        return receipt === undefined || (receipt.status === 'failed' && receipt.outcome === 'unknown');
      });
    let answered: Answered;
    try {
      const found = await lookUp(batch, key, operation, claimed.earlierAttempts, lookFor, deadline);
      answered = await answerWith({ found, partial });
    } catch (error) {
      const undecided = error instanceof PublishOutcomeUnknownError && error.cause instanceof RecordsUndecidedError;
      if (
        error instanceof KafkaUnavailableError ||
        error instanceof SchemaUnavailableError ||
        error instanceof PublishRejectedError ||
        undecided
      ) {
        // Nothing of this attempt was written.
        await record(
          'release the key',
          (bound) => store.release(key, claimed.lease, claimed.earlierAttempts, bound, claimed.partial),
          deadline,
        );
      } else {
        // It may be in the topic: keep the key, with what a later retry needs to look for it.
        await record(
          'mark the outcome unknown',
          (bound) => store.markUnknown(key, claimed.lease, [...claimed.earlierAttempts, attempt], bound),
          deadline,
        );
      }
      if (error instanceof PublishOutcomeUnknownError) {
        // After this attempt's own lease and the settle time; an undecided look may try again at once.
        error.retryAfterSeconds = undecided ? 1 : Math.max(1, Math.ceil((deadline.at + policy.settleMs - now()) / 1000));
      }
      throw error;
    }
    if (answered.answer.statusCode === 207) {
      const partialAnswer = {
        answer: answered.answer,
        attempts: [...claimed.earlierAttempts, attempt],
        settledAt: answered.mayStillLand ? deadline.at + policy.settleMs : now(),
      };
      await record('store the partial answer', (bound) => store.completePartial(key, claimed.lease, partialAnswer, bound), deadline);
    } else {
      await record('store the answer', (bound) => store.complete(key, claimed.lease, answered.answer, bound), deadline);
    }
    if (answered.wroteNothing) metrics.idempotentReplay();
    return { ...answered.answer, replayed: answered.wroteNothing };
  }

  /**
   * Publishes the orders at `only`. When the log already holds the others, a failure to write
   * these is their receipts' to tell (a 207), not the whole answer's.
   */
  async function publishOrFail(
    batch: readonly Order[],
    only: number[],
    options: PublishOptions,
    alone: boolean,
  ): Promise<BatchRecordReceipt[]> {
    try {
      return await orders.publishOrders(batch, options, only);
    } catch (error) {
      if (alone || !(error instanceof Error)) throw error;
      const retriable = (error as { retriable?: boolean }).retriable ?? false;
      const outcome = error instanceof PublishOutcomeUnknownError ? 'unknown' : 'not_written';
      return only.map((index) => ({
        status: 'failed',
        key: (batch[index] as Order).user_id,
        event_id: eventIdFor(options.idempotencyKey, index),
        retriable,
        outcome,
        reason: error.message,
      }));
    }
  }

  /** A batch's answer: 201 when every order is written, 207 when only some are. */
  function answerFor(receipts: BatchRecordReceipt[], wroteNothing: boolean): Answered {
    const written = receipts.filter((receipt) => receipt.status === 'written').length;
    const body: BatchReceipt = { topic: orders.topic, written, failed: receipts.length - written, receipts };
    return {
      answer: { statusCode: written === receipts.length ? 201 : 207, body: JSON.stringify(body) },
      wroteNothing,
      mayStillLand: receipts.some((receipt) => receipt.status === 'failed' && receipt.outcome === 'unknown'),
    };
  }

  /** A receipt for an order found in the log, as its first publish would have answered. */
  const foundReceipt = ({ topic, partition, offset, timestamp }: Delivery, order: Order, eventId: string): OrderReceipt => ({
    topic,
    partition,
    offset,
    timestamp,
    key: order.user_id,
    event_id: eventId,
  });

  return {
    topic: orders.topic,

    /** POST /orders: 201 with the receipt (of the record found in the log, on a retry that found it there). */
    publishOrder(order: Order, options: PublishOptions): Promise<Answer> {
      return once('order', [order], options, async ({ found }) => {
        const inLog = found?.[0];
        const receipt = inLog ? foundReceipt(inLog, order, eventIdFor(options.idempotencyKey)) : await orders.publishOrder(order, options);
        return { answer: { statusCode: 201, body: JSON.stringify(receipt) }, wroteNothing: inLog !== undefined };
      });
    },

    /**
     * POST /orders/batch: 201 when every order was written, 207 when only some were. A retry
     * publishes only the orders the log does not hold: those an earlier 207 did not write, and
     * those of an unknown outcome that it did not find. Earlier receipts are kept as they were.
     */
    publishOrders(batch: readonly Order[], options: PublishOptions): Promise<Answer> {
      return once('batch', batch, options, async ({ found, partial }) => {
        const known = batch.map((order, index): BatchRecordReceipt | undefined => {
          const earlier = partial?.[index];
          if (earlier?.status === 'written') return earlier;
          const inLog = found?.[index];
          if (!inLog) return undefined;
          const { partition, offset, timestamp, key, event_id } = foundReceipt(inLog, order, eventIdFor(options.idempotencyKey, index));
          return { status: 'written', partition, offset, timestamp, key, event_id };
        });
        const missing = batch.map((_, index) => index).filter((index) => known[index] === undefined);
        const published = missing.length > 0 ? await publishOrFail(batch, missing, options, missing.length === batch.length) : [];
        const position = new Map(missing.map((index, at) => [index, at]));
        const receipts = known.map((receipt, index) => receipt ?? (published[position.get(index) as number] as BatchRecordReceipt));
        return answerFor(receipts, missing.length === 0);
      });
    },
  };
}

export type IdempotentPublishing = ReturnType<typeof makeIdempotentPublishing>;

/** The receipts of a stored 207, one per order of the batch it answered. */
function partialReceipts(partial: StoredAnswer, orders: number): BatchRecordReceipt[] {
  const parsed = BatchReceiptSchema.safeParse(JSON.parse(partial.body));
  if (!parsed.success || parsed.data.receipts.length !== orders) {
    throw new IdempotencyRecordCorruptError('A stored 207 does not hold one receipt per order of its batch');
  }
  return parsed.data.receipts;
}
