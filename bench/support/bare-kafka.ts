import { Kafka, logLevel, type Message, Partitioners, type Producer } from 'kafkajs';
import { type BenchOrder, recordHeaders, SAMPLE_EVENT_ID } from './orders';

/**
 * The reference: kafkajs used directly, with the producer settings of lib/kafka/publisher.ts
 * (idempotent, Java-compatible partitioner, acks -1 on each send) and nothing around it.
 */
export async function connectBareProducer(bootstrap: string): Promise<Producer> {
  const kafka = new Kafka({ clientId: 'bench-bare-kafkajs', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  return producer;
}

/** The record the handler would write for this order: same key, value and headers. */
export function bareMessage(order: BenchOrder): Message {
  return { key: order.user_id, value: JSON.stringify(order), headers: recordHeaders(SAMPLE_EVENT_ID) };
}
