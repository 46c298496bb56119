import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makePublishOrdersBatchHandler } from '../../handlers/publish-orders-batch';
import { parseConfig } from '../../lib/config';
import { createRuntime, type Runtime } from '../../lib/runtime';
import { LOCAL_AWS_ENV, type LocalDynamoDb, startLocalDynamoDb } from '../../scripts/dynamodb/local-dynamodb';
import { CLUSTER_BOOTSTRAP, cluster } from '../faults/support/fault-cluster';
import { expectBatchOnceInLog } from '../support/batch-in-log';
import { exampleOrder, lambdaContext, postEvent } from '../support/events';
import { keyedRuntime, useLocalAwsEnv } from '../support/keyed-runtime';
import { TopicReader } from '../support/referee';

/**
 * A batch whose partitions fare differently, for real and deterministically: partitions 0-2 are
 * replicated on brokers 1 and 2, partitions 3-5 on brokers 1 and 3, all led by broker 1, with
 * min.insync.replicas=2. With broker 2 stopped, partitions 0-2 refuse acks=all writes
 * (NOT_ENOUGH_REPLICAS) while 3-5 take them.
 *
 * (A replication-factor-1 topic with its leader's broker down does not work here: kafkajs 2.2.4
 * throws on any partition error in a metadata answer of the topic, so one leaderless partition
 * makes the whole topic unwritable to it.)
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
let keyed: ReturnType<typeof keyedRuntime> | undefined;
let dynamo: LocalDynamoDb | undefined;

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
  await keyed?.publisher.close();
  await dynamo?.close();
  vi.unstubAllEnvs();
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

type BatchBody = {
  written: number;
  failed: number;
  receipts: { status: string; partition?: number; offset?: number; key: string; event_id: string; retriable?: boolean; outcome?: string }[];
};

describe('a 207 retried with the same Idempotency-Key and body once the broker is back', () => {
  it('answers 201, keeps the first receipts, and every order is in the topic exactly once', async () => {
    // Prepare: the idempotency store, and a batch whose orders fall on both halves of the topic.
    dynamo = await startLocalDynamoDb();
    useLocalAwsEnv(dynamo);
    keyed = keyedRuntime({
      KAFKA_BROKERS: CLUSTER_BOOTSTRAP,
      KAFKA_TOPIC: topic,
      IDEMPOTENCY_TABLE: dynamo.env.IDEMPOTENCY_TABLE as string,
      AWS_REGION: LOCAL_AWS_ENV.AWS_REGION,
    });
    const key = `partial-${Date.now()}`;
    // Several orders per user, so that the order within a key is checked too.
    const orders = Array.from({ length: 40 }, (_, index) => ({
      ...exampleOrder(),
      order_id: `k-${index}`,
      user_id: `keyed-${index % 12}`,
    }));
    const send = async () => {
      const response = await keyed?.batch(
        postEvent({ orders }, { headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key } }),
        lambdaContext(),
      );
      if (!response) throw new Error('no runtime');
      return {
        status: response.statusCode,
        replayed: response.headers?.['idempotent-replayed'],
        body: JSON.parse(response.body) as BatchBody,
      };
    };
    const first = await send();
    expect(first.status, JSON.stringify(first.body)).toBe(207);
    expect(first.body.receipts.filter((receipt) => receipt.status === 'failed').every((receipt) => receipt.outcome === 'not_written')).toBe(
      true,
    );

    // Act: the broker back, in sync, then the same request again.
    await cluster.node('start', STOPPED_BROKER, { brokers: 3 });
    for (const until = Date.now() + 60_000; ; ) {
      const partitions = (await cluster.topicPartitions(topic, 3)) ?? [];
      if (partitions.every((partition) => partition.isr.length === partition.replicas.length)) break;
      if (Date.now() > until) throw new Error(`Broker ${STOPPED_BROKER} did not rejoin the ISR: ${JSON.stringify(partitions)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const retry = await send();

    // Assess: 201, the earlier receipts unchanged, and what it wrote.
    expect(retry.status, JSON.stringify(retry.body)).toBe(201);
    expect(retry.replayed).toBeUndefined();
    first.body.receipts.forEach((receipt, index) => {
      if (receipt.status === 'written') expect(retry.body.receipts[index]).toEqual(receipt);
    });
    const records = await expectBatchOnceInLog(CLUSTER_BOOTSTRAP, topic, key, orders, retry.body);
    // Within a key, the log holds a user's orders in the batch's order.
    for (const user of new Set(orders.map((order) => order.user_id))) {
      const inLog = records.filter((record) => record.key === user).sort((a, b) => a.offset - b.offset);
      const sent = orders.filter((order) => order.user_id === user).map((order) => order.order_id);
      expect(
        inLog.map((record) => JSON.parse(record.value ?? '').order_id),
        user,
      ).toEqual(sent);
    }
    // A third time: the stored 201, replayed, nothing written.
    const again = await send();
    expect(again).toMatchObject({ status: 201, replayed: 'true', body: retry.body });
  });
});
