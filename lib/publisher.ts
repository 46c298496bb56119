import type { Deadline } from './deadline';
import type { PublisherError } from './errors';

/**
 * The port between the use case and Kafka. lib/orders/event.ts builds OutgoingMessages,
 * lib/publish.ts sends them through a Publisher, and lib/kafka/ implements it; none of them
 * imports another for these types.
 */

/** A record ready for Kafka; the Publisher owns the topic. */
export interface OutgoingMessage {
  key: string;
  /** JSON text; in registry mode, the framed bytes (lib/schema/). */
  value: string | Buffer;
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

export type PublishResult = { status: 'written'; delivery: Delivery } | { status: 'failed'; error: PublisherError };

/**
 * The only door to Kafka. The real one lives in lib/kafka/; tests of the use case and the
 * handlers pass their own.
 */
export interface Publisher {
  /**
   * One result per message, in order. A message is 'written' only after acks=all; the promise
   * itself does not reject for Kafka's failures.
   */
  publish(messages: readonly OutgoingMessage[], options: { deadline: Deadline }): Promise<PublishResult[]>;
  readonly topic: string;
}

/** A record a retry looks for: the key it was written with, and its event-id header. */
export interface WantedRecord {
  key: string;
  eventId: string;
}

/** Reads the log: whether an earlier attempt's records are there. */
export interface RecordFinder {
  /**
   * Where each wanted record is, or undefined when it is not in the log. `since` is the earliest
   * time the records can carry (ms since the epoch): the read starts a few seconds before it.
   * Rejects with RecordsUndecidedError when it cannot tell by the deadline.
   */
  find(wanted: readonly WantedRecord[], since: number, deadline: Deadline): Promise<(Delivery | undefined)[]>;
}

/** Whether the records are in the log could not be decided in time (or within the scan's bounds). */
export class RecordsUndecidedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RecordsUndecidedError';
  }
}
