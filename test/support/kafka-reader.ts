import { randomUUID } from 'node:crypto';
import { Kafka, type KafkaMessage, logLevel } from 'kafkajs';
import { afterAll, beforeAll } from 'vitest';
import { defaultRuntime } from '../../lib/runtime';

export interface ReadRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  timestamp: string;
}

function toRecord(partition: number, message: KafkaMessage): ReadRecord {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
  return {
    partition,
    offset: Number(message.offset),
    key: message.key?.toString('utf8') ?? null,
    value: message.value?.toString('utf8') ?? null,
    headers,
    timestamp: message.timestamp,
  };
}

/**
 * A kafkajs consumer, separate from the code under test, that reads the whole topic from the
 * beginning and hands out records by partition and offset.
 */
export async function openTopicReader(brokers: string[], topic: string) {
  const kafka = new Kafka({ clientId: 'test-reader', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `test-reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
  const records = new Map<string, ReadRecord>();
  const waiting = new Set<() => void>();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      records.set(`${partition}:${message.offset}`, toRecord(partition, message));
      for (const wake of waiting) wake();
    },
  });

  return {
    /** The record at this partition and offset, waiting for it at most `timeoutMs`. */
    async at(partition: number, offset: number, timeoutMs = 20_000): Promise<ReadRecord> {
      const key = `${partition}:${offset}`;
      const until = Date.now() + timeoutMs;
      while (!records.has(key)) {
        if (Date.now() > until) throw new Error(`No record at ${topic} [${partition}] offset ${offset} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiting.delete(wake);
            resolve();
          };
          waiting.add(wake);
          setTimeout(wake, 100);
        });
      }
      return records.get(key) as ReadRecord;
    },
    async close() {
      await consumer.disconnect();
    },
  };
}

/** The end offset of every partition, from an admin client of its own. */
export async function endOffsets(brokers: string[], topic: string): Promise<Record<number, string>> {
  const admin = new Kafka({ clientId: 'test-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return Object.fromEntries(offsets.map(({ partition, high }) => [partition, high]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * For a test file that drives the default runtime against the local broker: a topic reader opened
 * before its tests, and both closed after them.
 */
export function useTopicReader(topic = 'order-events') {
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const state: { reader?: Awaited<ReturnType<typeof openTopicReader>> } = {};
  beforeAll(async () => {
    state.reader = await openTopicReader(brokers, topic);
  });
  afterAll(async () => {
    await state.reader?.close();
    await defaultRuntime().publisher.close();
  });
  return {
    brokers,
    topic,
    at: (partition: number, offset: number) => (state.reader as Awaited<ReturnType<typeof openTopicReader>>).at(partition, offset),
  };
}
