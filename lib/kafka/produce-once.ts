import type { Kafka } from 'kafkajs';
import { patchEveryBroker } from './cluster';

/** A produce request as kafkajs's send builds it (src/producer/createTopicData.js): our message objects, grouped. */
export interface ProduceRequest {
  topicData: { topic: string; partitions: { partition: number; messages: object[] }[] }[];
}

export interface ProducingBroker {
  produce(request: ProduceRequest): Promise<unknown>;
}

/** A retry inside one send was about to append records a broker had already acknowledged. */
export class RecordAlreadyAcknowledgedError extends Error {
  override readonly name = 'RecordAlreadyAcknowledgedError';
  /** kafkajs's retrier gives up at once on an error that says so; the publisher then asks the log. */
  readonly retriable = false;
}

/**
 * kafkajs 2.2.4's send (src/producer/sendMessages.js) writes a record twice under an idempotent
 * producer when a batch spans brokers and one of them fails before another answers:
 *
 * 1. It sends one produce request per leader at once and waits with Promise.all, which rejects
 *    on the first failure while the other requests are still out.
 * 2. Its retry resends to every broker whose answer it has not recorded yet, the slow one too.
 *    That second request waits for the broker's lock. By the time it has it, the first request
 *    was answered and the partition's sequence number moved past its records, so it carries new
 *    sequence numbers and the broker appends the records again.
 *
 * It also resends a partition that was acknowledged if the retry's metadata names another leader
 * for it (answers are kept per broker, not per partition). The fault suite caught the first case:
 * a batch whose other broker waited on a paused follower for acks=all (case 3, CI of 2026-12-06).
 *
 * So each client's brokers:
 * - report a failed produce only once every other produce of the client still out has settled,
 *   so that the retry sees every answer, and a send that fails leaves no produce behind it;
 * - refuse to send a record (the same message object of the same send) that a broker has already
 *   acknowledged. kafkajs then gives up on the send, and the publisher looks in the log for what
 *   was written (KafkaPublisher.askTheLog), as after any failed send of a batch.
 */
export function appendEachRecordOnce(kafka: Kafka): Kafka {
  return patchEveryBroker(kafka, oneAppendPerRecord());
}

/** The per-broker patch, with the state its brokers share: one per kafkajs client. */
export function oneAppendPerRecord(): (broker: ProducingBroker) => void {
  const acknowledged = new WeakSet<object>();
  const inFlight = new Set<Promise<unknown>>();
  return (broker) => {
    const produce = broker.produce;
    broker.produce = async function produceOnce(this: ProducingBroker, request: ProduceRequest) {
      const messages = request.topicData.flatMap(({ partitions }) => partitions.flatMap((partition) => partition.messages));
      if (messages.some((message) => acknowledged.has(message))) {
        await Promise.allSettled([...inFlight]);
        throw new RecordAlreadyAcknowledgedError(
          'A retry inside the send would have appended records a broker had already acknowledged; not sent again',
        );
      }
      const attempt = produce.call(this, request);
      inFlight.add(attempt);
      try {
        const response = await attempt;
        for (const message of messages) acknowledged.add(message);
        return response;
      } catch (error) {
        inFlight.delete(attempt);
        await Promise.allSettled([...inFlight]);
        throw error;
      } finally {
        inFlight.delete(attempt);
      }
    };
  };
}
