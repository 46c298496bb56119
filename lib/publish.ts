import type { Deadline } from './deadline';
import type { Logger } from './log';
import { toOrderMessage } from './orders/event';
import type { Order } from './orders/schema';

/** A record ready for Kafka; the Publisher owns the topic. */
export interface OutgoingMessage {
  key: string;
  value: string;
  headers: Record<string, string>;
  timestampMs: number;
}

/** Where the broker put a record, once it acknowledged it with acks=all. */
export interface Delivery {
  topic: string;
  partition: number;
  offset: number;
  /** ISO 8601: the broker's log-append time, or the record's own create time. */
  timestamp: string;
}

/**
 * The only door to Kafka. The real one lives in lib/kafka/; tests of the use case and the
 * handlers pass their own.
 */
export interface Publisher {
  /** Resolves with one delivery per message, in order, only after acks=all; rejects with a PublisherError. */
  publish(messages: readonly OutgoingMessage[], options: { deadline: Deadline }): Promise<Delivery[]>;
}

export interface OrderReceipt {
  topic: string;
  partition: number;
  offset: number;
  timestamp: string;
  key: string;
  event_id: string;
}

export interface OrderPublishingDeps {
  publisher: Publisher;
  logger: Pick<Logger, 'info'>;
  newEventId: () => string;
  now: () => number;
}

export function makeOrderPublishing({ publisher, logger, newEventId, now }: OrderPublishingDeps) {
  return {
    async publishOrder(order: Order, options: { deadline: Deadline }): Promise<OrderReceipt> {
      const eventId = newEventId();
      const message = toOrderMessage(order, eventId, now());
      const [delivery] = await publisher.publish([message], options);
      if (!delivery) throw new Error('The publisher returned no delivery for the message');
      const receipt: OrderReceipt = { ...delivery, key: message.key, event_id: eventId };
      const { timestamp, ...where } = receipt;
      // Powertools reserves "timestamp" for the log line's own time.
      logger.info(`Message delivered to ${delivery.topic} [${delivery.partition}] at offset ${delivery.offset}`, {
        ...where,
        record_timestamp: timestamp,
        order_id: order.order_id,
      });
      return receipt;
    },
  };
}

export type OrderPublishing = ReturnType<typeof makeOrderPublishing>;
