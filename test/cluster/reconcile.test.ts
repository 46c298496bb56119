import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Deadline } from '../../lib/deadline';
import { LOCAL_AWS_ENV, type LocalDynamoDb, startLocalDynamoDb } from '../../scripts/dynamodb/local-dynamodb';
import { CLUSTER_BOOTSTRAP, cluster, createFaultTopic } from '../faults/support/fault-cluster';
import { exampleOrder, lambdaContext, postEvent } from '../support/events';
import { keyedRuntime, useLocalAwsEnv } from '../support/keyed-runtime';
import { readTopic } from '../support/referee';

/**
 * A retry after a 504 whose record *was* appended: one follower of the partition is paused, so
 * the leader appends the record and waits for it (acks=all waits for every in-sync replica),
 * and the deadline passes. While the follower stays paused the record is appended but not
 * committed: a retry cannot decide, and says 504 again. Once the follower is back the record is
 * committed, and the retry answers 201 with it, writing nothing.
 */
let dynamo: LocalDynamoDb;
let runtime: ReturnType<typeof keyedRuntime> | undefined;
let topic: string;
let paused: number | undefined;
const order = { ...exampleOrder(), user_id: 'reconcile-user' };

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
  useLocalAwsEnv(dynamo);
  topic = await createFaultTopic('reconcile');
});

afterAll(async () => {
  if (paused !== undefined) await cluster.node('resume', paused, { brokers: 3 });
  await runtime?.publisher.close();
  await dynamo?.close();
  vi.unstubAllEnvs();
});

const send = async (key: string, remainingMs = 15_000) => {
  if (!runtime) throw new Error('No runtime yet');
  const response = await runtime.order(
    postEvent(order, { headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key } }),
    lambdaContext(remainingMs),
  );
  return { status: response.statusCode, headers: response.headers ?? {}, body: JSON.parse(response.body) };
};
const settle = () => new Promise((resolve) => setTimeout(resolve, 1_100));

describe('a retry after a 504 whose record was appended', () => {
  it('answers 504 while the record is appended but not committed, then 201 with the record as it is in the log', async () => {
    // Prepare: the order's partition, its leader and a follower. The runtime bootstraps from the
    // leader alone, so that no client of it waits on the paused follower to connect.
    const partitions = (await cluster.topicPartitions(topic, 3)) ?? [];
    const partitionMetadata = partitions.map(({ partition, leader }) => ({
      partitionId: partition,
      leader,
      partitionErrorCode: 0,
      replicas: [],
      isr: [],
    }));
    const partition = Partitioners.DefaultPartitioner()({ topic, partitionMetadata, message: { key: order.user_id, value: null } });
    const state = partitions.find((candidate) => candidate.partition === partition);
    const follower = state?.replicas.find((replica) => replica !== state.leader);
    if (!state || follower === undefined) throw new Error(`No follower for ${topic} [${partition}]`);
    runtime = keyedRuntime({
      KAFKA_BROKERS: CLUSTER_BOOTSTRAP.split(',')[state.leader - 1] as string,
      KAFKA_TOPIC: topic,
      IDEMPOTENCY_TABLE: dynamo.env.IDEMPOTENCY_TABLE as string,
      AWS_REGION: LOCAL_AWS_ENV.AWS_REGION,
    });
    // A warm producer, and a warm reader of the log (a look for a record that is not there).
    expect((await send(`warm-${Date.now()}`)).status).toBe(201);
    const nowhere = await runtime.publisher.find([{ key: order.user_id, eventId: 'none' }], Date.now(), new Deadline(Date.now() + 5_000));
    expect(nowhere).toEqual([undefined]);
    paused = follower;
    await cluster.node('pause', follower, { brokers: 3 });
    const key = `appended-${Date.now()}`;
    const first = await send(key, 2_500);
    expect(first.status, JSON.stringify(first.body)).toBe(504);

    // Act and assess: appended, not committed: undecided.
    await settle();
    const undecided = await send(key, 3_000);
    expect(undecided.status, JSON.stringify(undecided.body)).toBe(504);
    expect(undecided.body.detail, JSON.stringify(undecided.body)).toMatch(
      /could not be decided: The high watermark of .* was \d+ when the deadline passed: records up to \d+ were appended, not all committed/,
    );

    // Act and assess: committed once the follower is back: found, nothing new written.
    await cluster.node('resume', paused, { brokers: 3 });
    paused = undefined;
    const found = await send(key);
    expect(found.status, JSON.stringify(found.body)).toBe(201);
    expect(found.headers['idempotent-replayed']).toBe('true');
    const records = (await readTopic(CLUSTER_BOOTSTRAP, topic)).filter((record) => record.headers['idempotency-key'] === key);
    expect(records.map(({ partition: p, offset }) => ({ partition: p, offset }))).toEqual([
      { partition: found.body.partition, offset: found.body.offset },
    ]);
    expect(records[0]?.headers['event-id']).toBe(found.body.event_id);
    // And again: the stored answer now.
    const replay = await send(key);
    expect(replay.body).toEqual(found.body);
  });
});
