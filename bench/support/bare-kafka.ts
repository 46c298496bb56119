import { type CompressionTypes, Kafka, logLevel, type Message, Partitioners, type Producer } from 'kafkajs';
import { type Config, parseConfig } from '../../lib/config';
import { compressionType } from '../../lib/kafka/compression';
import { stopIdlePolling } from '../../lib/kafka/request-queue';
import { type BenchOrder, recordHeaders, SAMPLE_EVENT_ID } from './orders';

/**
 * The reference: kafkajs used directly, with the producer settings of lib/kafka/publisher.ts
 * (idempotent, Java-compatible partitioner, acks -1 on each send) and nothing around it. It runs
 * the same kafkajs as the handler, with the idle poll stopped (lib/kafka/request-queue.ts), so
 * that the ratios measure the publisher's own work, not a kafkajs bug one side has fixed.
 */
export async function connectBareProducer(bootstrap: string): Promise<Producer> {
  stopIdlePolling();
  const kafka = new Kafka({ clientId: 'bench-bare-kafkajs', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  return producer;
}

/**
 * The codec the handler runs with in this process (KAFKA_COMPRESSION, else the default): the bare
 * send compresses with it too, or the ratios would compare compressing with not compressing.
 */
export function handlerCodec(): { name: Config['kafka']['compression']; type: CompressionTypes } {
  const name = parseConfig(process.env).kafka.compression;
  return { name, type: compressionType(name) };
}

/** The record the handler would write for this order: same key, value and headers. */
export function bareMessage(order: BenchOrder): Message {
  return { key: order.user_id, value: JSON.stringify(order), headers: recordHeaders(SAMPLE_EVENT_ID) };
}
