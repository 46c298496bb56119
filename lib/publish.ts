import { randomUUID } from 'node:crypto';
import { parse as parseUuid, v5 as uuidv5 } from 'uuid';
import type { BatchRecordReceipt, OrderReceipt } from './contracts/schemas';
import type { Deadline } from './deadline';
import { PublishOutcomeUnknownError } from './errors';
import type { Logger } from './log';
import type { PublishMetrics } from './metrics';
import { type RecordContext, toOrderMessage } from './orders/event';
import type { Order } from './orders/schema';
import type { Delivery, OutgoingMessage, Publisher, PublishResult } from './publisher';

export interface PublishOptions extends RecordContext {
  deadline: Deadline;
}

/** Event ids derived from an Idempotency-Key live in this namespace (UUIDv5, RFC 9562). */
export const EVENT_ID_NAMESPACE = '4f2a7a3e-8c1d-5b6e-9f0a-2d3c4b5a6e7f';
/** Parsed once: uuid parses a namespace given as text on every call, half the cost of an id. */
const NAMESPACE_BYTES = parseUuid(EVENT_ID_NAMESPACE);

/**
 * A new random id, or, with an Idempotency-Key, one derived from it (and the order's index in a
 * batch), so that a retried request carries the same event ids and consumers can drop duplicates.
 */
export function eventIdFor(idempotencyKey: string | undefined, index?: number, newEventId: () => string = randomUUID): string {
  if (idempotencyKey === undefined) return newEventId();
  return uuidv5(index === undefined ? idempotencyKey : `${idempotencyKey}#${index}`, NAMESPACE_BYTES);
}

/**
 * Registry mode's record values (lib/schema/registry-values.ts): each order framed with the
 * schema id. Rejects with SchemaUnavailableError, before anything is sent, when it has no id.
 */
export interface OrderValueEncoder {
  encode(orders: readonly Order[], deadline: Deadline): Promise<Buffer[]>;
}

export interface OrderPublishingDeps {
  publisher: Publisher;
  /** Unset: values are the orders' JSON text, as they always were. */
  values?: OrderValueEncoder | undefined;
  logger: Pick<Logger, 'info' | 'debug'>;
  metrics: Pick<PublishMetrics, 'published' | 'failed' | 'batchSize'>;
  now: () => number;
  /** Ids for requests without an Idempotency-Key. */
  newEventId?: () => string;
}

export function makeOrderPublishing({ publisher, values, logger, metrics, now, newEventId = randomUUID }: OrderPublishingDeps) {
  /** The orders' messages; in registry mode with their framed values, resolved first (nothing is sent without them). */
  async function messagesOf(
    orders: readonly Order[],
    eventIds: readonly string[],
    context: RecordContext,
    deadline: Deadline,
  ): Promise<OutgoingMessage[]> {
    const framed = values ? await values.encode(orders, deadline) : undefined;
    const timestampMs = now();
    return orders.map((order, index) => toOrderMessage(order, eventIds[index] as string, timestampMs, context, framed?.[index]));
  }

  /** Publishes and counts: written orders and latency, and failures by kind. */
  async function publishCounted(messages: OutgoingMessage[], deadline: Deadline): Promise<PublishResult[]> {
    const started = now();
    const results = await publisher.publish(messages, { deadline });
    const failuresByKind = new Map<string, number>();
    for (const result of results) {
      if (result.status === 'failed') failuresByKind.set(result.error.name, (failuresByKind.get(result.error.name) ?? 0) + 1);
    }
    const written = results.length - [...failuresByKind.values()].reduce((sum, count) => sum + count, 0);
    if (written > 0) metrics.published(written, now() - started);
    for (const [kind, count] of failuresByKind) metrics.failed(kind, count);
    return results;
  }

  /** One line per record: INFO for a single order, DEBUG inside a batch (500 lines halved its throughput). */
  function logDelivery(delivery: Delivery, eventId: string, order: Order, level: 'info' | 'debug' = 'info') {
    // Powertools reserves "timestamp" for the log line's own time.
    logger[level](`Message delivered to ${delivery.topic} [${delivery.partition}] at offset ${delivery.offset}`, {
      topic: delivery.topic,
      partition: delivery.partition,
      offset: delivery.offset,
      record_timestamp: delivery.timestamp,
      key: order.user_id,
      event_id: eventId,
      order_id: order.order_id,
    });
  }

  return {
    topic: publisher.topic,

    /** Publishes one order; resolves with its receipt, or rejects with a PublisherError. */
    async publishOrder(order: Order, { deadline, ...context }: PublishOptions): Promise<OrderReceipt> {
      const eventId = eventIdFor(context.idempotencyKey, undefined, newEventId);
      const [result] = await publishCounted(await messagesOf([order], [eventId], context, deadline), deadline);
      if (!result) throw new Error('The publisher returned no result for the message');
      if (result.status === 'failed') throw result.error;
      logDelivery(result.delivery, eventId, order);
      return { ...result.delivery, key: order.user_id, event_id: eventId };
    },

    /**
     * Publishes a batch, or only the orders at `only` (positions in the batch, which their event
     * ids derive from: a retry publishes just the orders it did not find in the log). Every order
     * published gets its own receipt, in that order. When nothing at all was written it rejects
     * instead, with the failure that tells the client most (an unknown outcome before
     * "unavailable"), as a single order would.
     */
    async publishOrders(
      batch: readonly Order[],
      { deadline, ...context }: PublishOptions,
      only: readonly number[] = batch.map((_, index) => index),
    ): Promise<BatchRecordReceipt[]> {
      const orders = only.map((index) => batch[index] as Order);
      const eventIds = only.map((index) => eventIdFor(context.idempotencyKey, index, newEventId));
      const messages = await messagesOf(orders, eventIds, context, deadline);
      metrics.batchSize(orders.length);
      const results = await publishCounted(messages, deadline);
      const failures = results.flatMap((result) => (result.status === 'failed' ? [result.error] : []));
      if (failures.length === results.length) {
        throw failures.find((error) => error instanceof PublishOutcomeUnknownError) ?? failures[0];
      }
      const receipts = results.map((result, index): BatchRecordReceipt => {
        const order = orders[index] as Order;
        const eventId = eventIds[index] as string;
        if (result.status === 'failed') {
          return {
            status: 'failed',
            key: order.user_id,
            event_id: eventId,
            retriable: result.error.retriable,
            outcome: result.error instanceof PublishOutcomeUnknownError ? 'unknown' : 'not_written',
            reason: result.error.message,
          };
        }
        logDelivery(result.delivery, eventId, order, 'debug');
        const { partition, offset, timestamp } = result.delivery;
        return { status: 'written', partition, offset, timestamp, key: order.user_id, event_id: eventId };
      });
      logger.info(
        `Batch of ${orders.length} delivered to ${publisher.topic}: ${orders.length - failures.length} written, ${failures.length} failed`,
        {
          topic: publisher.topic,
          written: orders.length - failures.length,
          failed: failures.length,
        },
      );
      return receipts;
    },
  };
}

export type OrderPublishing = ReturnType<typeof makeOrderPublishing>;
