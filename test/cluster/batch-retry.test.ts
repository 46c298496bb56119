import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LOCAL_AWS_ENV, type LocalDynamoDb, startLocalDynamoDb } from '../../scripts/dynamodb/local-dynamodb';
import { CLUSTER_BOOTSTRAP, cluster, createFaultTopic } from '../faults/support/fault-cluster';
import { expectBatchOnceInLog } from '../support/batch-in-log';
import { exampleOrder, lambdaContext, postEvent } from '../support/events';
import { keyedRuntime, useLocalAwsEnv } from '../support/keyed-runtime';

/**
 * A batch whose outcome is unknown: the leader of one of its partitions is paused while the batch
 * is in flight, so the deadline passes with that partition's records in the leader's hands (and
 * the answer cannot say which partitions took theirs). Once the leader is back, the same request
 * again finishes the batch: each order is in the topic exactly once, at its receipt.
 */
let dynamo: LocalDynamoDb;
let runtime: ReturnType<typeof keyedRuntime> | undefined;
let topic: string;
let paused: number | undefined;

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
  useLocalAwsEnv(dynamo);
  topic = await createFaultTopic('batch-unknown');
});

afterAll(async () => {
  if (paused !== undefined) await cluster.node('resume', paused, { brokers: 3 });
  await runtime?.publisher.close();
  await dynamo?.close();
  vi.unstubAllEnvs();
});

type BatchBody = { receipts: { status: string; partition?: number; offset?: number; event_id: string; outcome?: string }[] };

describe('a batch retried with the same key after an unknown outcome', () => {
  it('ends with every order exactly once in the topic, where its final receipt says', async () => {
    // Prepare: a warm runtime, and a batch over every partition with several orders per user.
    runtime = keyedRuntime({
      KAFKA_BROKERS: CLUSTER_BOOTSTRAP,
      KAFKA_TOPIC: topic,
      IDEMPOTENCY_TABLE: dynamo.env.IDEMPOTENCY_TABLE as string,
      AWS_REGION: LOCAL_AWS_ENV.AWS_REGION,
    });
    const orders = Array.from({ length: 30 }, (_, index) => ({
      ...exampleOrder(),
      order_id: `u-${index}`,
      user_id: `unknown-${index % 9}`,
    }));
    const key = `batch-unknown-${Date.now()}`;
    const send = async (remainingMs = 15_000) => {
      if (!runtime) throw new Error('no runtime');
      const response = await runtime.batch(
        postEvent({ orders }, { headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key } }),
        lambdaContext(remainingMs),
      );
      return { status: response.statusCode, body: JSON.parse(response.body) as BatchBody };
    };
    expect((await runtime.batch(postEvent({ orders }), lambdaContext())).statusCode).toBe(201);
    const partitions = (await cluster.topicPartitions(topic, 3)) ?? [];
    const partitionMetadata = partitions.map(({ partition, leader }) => ({
      partitionId: partition,
      leader,
      partitionErrorCode: 0,
      replicas: [],
      isr: [],
    }));
    const partitionOf = (user: string) =>
      Partitioners.DefaultPartitioner()({ topic, partitionMetadata, message: { key: user, value: null } });
    const leader = partitions.find((state) => state.partition === partitionOf(orders[0]?.user_id as string))?.leader;
    if (leader === undefined) throw new Error('no leader');

    // Act: the leader paused around the send, then back.
    paused = leader;
    await cluster.node('pause', leader, { brokers: 3 });
    const first = await send(3_000);
    await cluster.node('resume', leader, { brokers: 3 });
    paused = undefined;
    expect([207, 504], JSON.stringify(first.body)).toContain(first.status);
    const statuses = [first.status];
    let last = first;
    for (let attempt = 0; attempt < 20 && last.status !== 201; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      last = await send();
      statuses.push(last.status);
    }

    // Assess
    expect(last.status, `${statuses.join(' → ')}: ${JSON.stringify(last.body)}`).toBe(201);
    await expectBatchOnceInLog(CLUSTER_BOOTSTRAP, topic, key, orders, last.body);
  });
});
