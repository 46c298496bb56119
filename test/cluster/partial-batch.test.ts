import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePublishOrdersBatchHandler } from '../../handlers/publish-orders-batch';
import { parseConfig } from '../../lib/config';
import { createRuntime, type Runtime } from '../../lib/runtime';
import { CLUSTER_BOOTSTRAP, cluster } from '../faults/support/fault-cluster';
import { exampleOrder, lambdaContext, postEvent } from '../support/events';
import { TopicReader } from '../support/referee';

/**
 * A batch whose partitions fare differently, for real and deterministically: partitions 0-2 are
 * replicated on brokers 1 and 2, partitions 3-5 on brokers 1 and 3, all led by broker 1, with
 * min.insync.replicas=2. With broker 2 stopped, partitions 0-2 refuse acks=all writes
 * (NOT_ENOUGH_REPLICAS) while 3-5 take them.
 *
 * (A replication-factor-1 topic with its leader's broker down does not work here: kafkajs 2.2.4
 * throws on any partition error in a metadata answer, so one leaderless partition makes the whole
 * topic unwritable to it.)
 */
const topic = `orders-partial-${Date.now()}`;
const PARTITIONS = 6;
const STOPPED_BROKER = 2;
const assignment = [
  { partition: 0, replicas: [1, 2] },
  { partition: 1, replicas: [1, 2] },
  { partition: 2, replicas: [1, 2] },
  { partition: 3, replicas: [1, 3] },
  { partition: 4, replicas: [1, 3] },
  { partition: 5, replicas: [1, 3] },
];
let runtime: Runtime;

function partitionOfKey(key: string): number {
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({
    partitionId,
    leader: 1,
    partitionErrorCode: 0,
    replicas: [],
    isr: [],
  }));
  return Partitioners.DefaultPartitioner()({ topic, partitionMetadata, message: { key, value: null } });
}

beforeAll(async () => {
  const admin = new Kafka({ clientId: 'test-admin', brokers: CLUSTER_BOOTSTRAP.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, replicaAssignment: assignment, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
  });
  await admin.disconnect();
  runtime = createRuntime(parseConfig({ KAFKA_BROKERS: CLUSTER_BOOTSTRAP, KAFKA_TOPIC: topic, LOG_LEVEL: 'SILENT' }));
  await cluster.node('stop', STOPPED_BROKER, { brokers: 3, waitFenced: true });
});

afterAll(async () => {
  await runtime?.publisher.close();
  await cluster.node('start', STOPPED_BROKER, { brokers: 3 });
});

describe('a batch when one broker of three is down', () => {
  it('answers 207: the orders of the live partitions are written and readable, the others named as failed', async () => {
    // Prepare
    const handler = makePublishOrdersBatchHandler(runtime.publishDeps);
    const orders = Array.from({ length: 60 }, (_, index) => ({ ...exampleOrder(), order_id: `p-${index}`, user_id: `user-${index % 30}` }));
    // Act
    const started = Date.now();
    const response = await handler(postEvent({ orders }), lambdaContext());
    // Assess
    expect(response.statusCode, response.body).toBe(207);
    expect(Date.now() - started).toBeLessThan(10_000);
    const body = JSON.parse(response.body) as {
      written: number;
      failed: number;
      receipts: { status: string; partition?: number; offset?: number; key: string; retriable?: boolean; reason?: string }[];
    };
    expect(body.written).toBeGreaterThan(0);
    expect(body.failed).toBeGreaterThan(0);
    const reader = new TopicReader(CLUSTER_BOOTSTRAP, topic);
    for (const [index, receipt] of body.receipts.entries()) {
      const order = orders[index] as (typeof orders)[number];
      const onStoppedBroker = assignment[partitionOfKey(order.user_id)]?.replicas.includes(STOPPED_BROKER);
      expect(receipt.status, `${order.user_id} on partition ${partitionOfKey(order.user_id)}`).toBe(onStoppedBroker ? 'failed' : 'written');
      if (receipt.status === 'failed') {
        expect(receipt).toMatchObject({ retriable: true, reason: expect.stringContaining('NOT_ENOUGH_REPLICAS') });
        continue;
      }
      const record = await reader.at(receipt.partition ?? -1, receipt.offset ?? -1);
      expect(record.key).toBe(order.user_id);
      expect(JSON.parse(record.value ?? '')).toEqual(order);
    }
  });
});
