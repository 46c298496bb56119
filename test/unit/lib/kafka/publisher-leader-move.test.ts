import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { Deadline } from '../../../../lib/deadline';
import { PublishOutcomeUnknownError } from '../../../../lib/errors';
import { appendEachRecordOnce } from '../../../../lib/kafka/produce-once';
import { KafkaPublisher } from '../../../../lib/kafka/publisher';
import { createLogger } from '../../../../lib/log';
import type { OutgoingMessage } from '../../../../lib/publisher';

/**
 * The publisher with kafkajs 2.2.4's own producer (its send, sequence numbers and retrier) on a
 * fake cluster whose brokers keep one shared log per partition, as replicated partitions do, and
 * deduplicate an idempotent producer's batches by their sequence numbers as Kafka does: a batch
 * whose first sequence and length match one already in the log gets that batch's offset back.
 */
const TOPIC = 'order-events';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Batch {
  firstSequence: number;
  count: number;
  baseOffset: number;
}

interface ProduceRequest {
  producerId: number;
  topicData: { topic: string; partitions: { partition: number; firstSequence: number; messages: { key: string; value: string }[] }[] }[];
}

type BrokerBehaviour = (attempt: number, appendEach: () => void) => Promise<void>;

class FakeCluster {
  /** Per partition: the records in offset order, and the producer's batches. */
  readonly records = new Map<number, string[]>();
  readonly batches = new Map<number, Batch[]>();
  private refreshes = 0;
  private readonly brokers = new Map<number, unknown>();
  readonly retry = { retries: 0 };
  readonly targetTopics = new Set<string>();
  brokerPool: { createBroker: (options: { nodeId: number }) => unknown };

  constructor(
    private readonly behaviours: Record<number, BrokerBehaviour>,
    /** Each partition's leader, per metadata refresh (the last stays). */
    private readonly leadersByRefresh: Record<number, number>[],
  ) {
    this.brokerPool = { createBroker: ({ nodeId }) => this.newBroker(nodeId) };
  }

  private leaders(): Record<number, number> {
    return this.leadersByRefresh[Math.min(this.refreshes, this.leadersByRefresh.length - 1)] as Record<number, number>;
  }

  private newBroker(nodeId: number) {
    const cluster = this;
    let attempts = 0;
    return {
      nodeId,
      async initProducerId() {
        return { producerId: 7, producerEpoch: 0 };
      },
      async produce(request: ProduceRequest) {
        attempts++;
        const partitions: { partition: number; errorCode: number; baseOffset: string; logAppendTime: string; logStartOffset: string }[] =
          [];
        const append = () => {
          for (const { partitions: data } of request.topicData) {
            for (const { partition, firstSequence, messages } of data) {
              const batches = cluster.batches.get(partition) ?? [];
              const records = cluster.records.get(partition) ?? [];
              const duplicate = batches.find((batch) => batch.firstSequence === firstSequence && batch.count === messages.length);
              const expected = batches.reduce((next, batch) => Math.max(next, batch.firstSequence + batch.count), 0);
              if (!duplicate && firstSequence !== expected) throw new Error(`OUT_OF_ORDER_SEQUENCE_NUMBER on ${partition}`);
              const baseOffset = duplicate?.baseOffset ?? records.length;
              if (!duplicate) {
                batches.push({ firstSequence, count: messages.length, baseOffset });
                records.push(...messages.map((message) => message.value));
              }
              cluster.batches.set(partition, batches);
              cluster.records.set(partition, records);
              partitions.push({ partition, errorCode: 0, baseOffset: String(baseOffset), logAppendTime: '-1', logStartOffset: '0' });
            }
          }
        };
        await cluster.behaviours[nodeId]?.(attempts, append);
        if (partitions.length === 0) append();
        return { topics: [{ topicName: TOPIC, partitions }], throttleTime: 0 };
      },
    };
  }

  async connect() {}
  async disconnect() {}
  isConnected() {
    return true;
  }
  async refreshMetadata() {
    this.refreshes++;
  }
  async refreshMetadataIfNecessary() {}
  async addTargetTopic(topic: string) {
    this.targetTopics.add(topic);
  }
  async addMultipleTargetTopics(topics: string[]) {
    for (const topic of topics) this.targetTopics.add(topic);
  }
  removeBroker() {}
  getNodeIds() {
    return [...new Set(Object.values(this.leaders()))].map(String);
  }
  findTopicPartitionMetadata() {
    return Object.entries(this.leaders()).map(([partition, leader]) => ({
      partitionId: Number(partition),
      leader,
      partitionErrorCode: 0,
      replicas: [1, 2],
      isr: [1, 2],
    }));
  }
  findLeaderForPartitions(_topic: string, partitions: (string | number)[]) {
    const byLeader: Record<string, number[]> = {};
    for (const partition of partitions) {
      const leader = String(this.leaders()[Number(partition)]);
      byLeader[leader] = [...(byLeader[leader] ?? []), Number(partition)];
    }
    return byLeader;
  }
  async findBroker({ nodeId }: { nodeId: string | number }) {
    const id = Number(nodeId);
    if (!this.brokers.has(id)) this.brokers.set(id, this.brokerPool.createBroker({ nodeId: id }));
    return this.brokers.get(id);
  }
  async findControllerBroker() {
    return this.findBroker({ nodeId: 1 });
  }
}

function publisherOn(cluster: FakeCluster): KafkaPublisher {
  const kafka = new Kafka({
    clientId: 'unit',
    brokers: ['fake:1'],
    logLevel: logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 5, maxRetryTime: 10 },
  });
  const symbol = Object.getOwnPropertySymbols(kafka).find((candidate) => candidate.description === 'private:Kafka:createCluster');
  (kafka as unknown as Record<symbol, unknown>)[symbol as symbol] = () => cluster;
  return new KafkaPublisher(async () => ({ kafka: appendEachRecordOnce(kafka), retire: () => {} }), TOPIC, createLogger('CRITICAL'));
}

/** user-1 and user-2 go to partition 0, user-3 and user-4 to partition 1 (murmur2 over two partitions). */
const messages: OutgoingMessage[] = ['user-1', 'user-3', 'user-2', 'user-4'].map((key, index) => ({
  key,
  value: `order-${index}`,
  headers: { 'event-id': `event-${index}` },
  timestampMs: 1_000 + index,
}));

const connectionLost = () =>
  Object.assign(new Error('Connection error: read ECONNRESET'), { name: 'KafkaJSConnectionError', retriable: true });

/**
 * Broker 2 leads partition 1 and answers at once; broker 1, partition 0's leader, loses the
 * connection. The metadata kafkajs then refreshes names broker 2 as partition 0's leader too, and
 * broker 2 has already answered: kafkajs's retry sends nothing (answers are kept per broker), and
 * the send resolves without partition 0 (tulios/kafkajs#1798).
 */
const leaderMove = [
  { 0: 1, 1: 2 },
  { 0: 2, 1: 2 },
];

describe('a batch whose partition moved to a broker that had already answered', () => {
  it.each([
    ['had not appended it', false],
    ['had appended it (replicated) before the connection dropped', true],
  ])('is written once, with receipts where the log has it, when the old leader %s', async (_, appendedFirst) => {
    const cluster = new FakeCluster(
      {
        1: async (attempt, append) => {
          await sleep(10);
          if (attempt === 1) {
            if (appendedFirst) append();
            throw connectionLost();
          }
        },
      },
      leaderMove,
    );
    const results = await publisherOn(cluster).publish(messages, { deadline: new Deadline(Date.now() + 2_000) });
    expect(cluster.records.get(0)).toEqual(['order-0', 'order-2']);
    expect(cluster.records.get(1)).toEqual(['order-1', 'order-3']);
    expect(
      results.map((result) => (result.status === 'written' ? `${result.delivery.partition}:${result.delivery.offset}` : result.status)),
    ).toEqual(['0:0', '1:0', '0:1', '1:1']);
  });

  it('keeps the acknowledged receipts, and calls the rest unknown, when the resend fails', async () => {
    const refused = () => Object.assign(new Error('broker said NOT_ENOUGH_REPLICAS'), { type: 'NOT_ENOUGH_REPLICAS', retriable: false });
    const cluster = new FakeCluster(
      {
        1: async (attempt, append) => {
          await sleep(10);
          if (attempt === 1) {
            append();
            throw connectionLost();
          }
        },
        2: async (attempt) => {
          if (attempt > 1) throw refused();
        },
      },
      leaderMove,
    );
    const results = await publisherOn(cluster).publish(messages, { deadline: new Deadline(Date.now() + 500) });
    // The old leader's attempt was appended: "not written" would be a lie, so the outcome is unknown.
    expect(cluster.records.get(0)).toEqual(['order-0', 'order-2']);
    expect(results[1]).toMatchObject({ status: 'written', delivery: { partition: 1, offset: 0 } });
    expect(results[3]).toMatchObject({ status: 'written', delivery: { partition: 1, offset: 1 } });
    for (const index of [0, 2]) {
      const result = results[index];
      expect(result?.status).toBe('failed');
      expect(result?.status === 'failed' && result.error).toBeInstanceOf(PublishOutcomeUnknownError);
    }
  });

  it('sends a partition once when kafkajs acknowledges every partition', async () => {
    const cluster = new FakeCluster({}, [{ 0: 1, 1: 2 }]);
    const results = await publisherOn(cluster).publish(messages, { deadline: new Deadline(Date.now() + 2_000) });
    expect(cluster.batches.get(0)).toHaveLength(1);
    expect(cluster.batches.get(1)).toHaveLength(1);
    expect(results.every((result) => result.status === 'written')).toBe(true);
  });
});
