import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { LOCAL_AWS_ENV, type LocalDynamoDb, startLocalDynamoDb } from '../../scripts/dynamodb/local-dynamodb';
import { testKafka } from '../../scripts/kafka/local-kafka';
import { exampleOrder, lambdaContext, postEvent } from '../support/events';
import { createTopic, keyedRuntime, useLocalAwsEnv } from '../support/keyed-runtime';
import { readTopic } from '../support/referee';

/**
 * A retry after a 504 whose record never reached the log: the broker is paused while the request
 * is sent (so it waits unread in the socket), the deadline passes, and the broker is killed
 * before it could read it. The retry reads the log, finds nothing, and publishes once.
 * (The record that was appended is test/cluster/reconcile.test.ts: it needs a follower to hold.)
 */
const bootstrap = process.env.KAFKA_BROKERS as string;
const broker = (action: 'kill' | 'start' | 'pause' | 'resume') => testKafka.quiet().node(action, 1, { brokers: 1 });
let dynamo: LocalDynamoDb;
let runtime: ReturnType<typeof keyedRuntime>;
let topic: string;

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
  useLocalAwsEnv(dynamo);
  topic = await createTopic(bootstrap, 'reconcile-single');
  runtime = keyedRuntime({
    KAFKA_BROKERS: bootstrap,
    KAFKA_TOPIC: topic,
    IDEMPOTENCY_TABLE: dynamo.env.IDEMPOTENCY_TABLE as string,
    AWS_REGION: LOCAL_AWS_ENV.AWS_REGION,
  });
});

afterEach(async () => {
  await broker('resume').catch(() => undefined);
  await broker('start');
});

afterAll(async () => {
  await runtime?.publisher.close();
  await dynamo?.close();
  vi.unstubAllEnvs();
});

const send = async (key: string, remainingMs = 15_000) => {
  const response = await runtime.order(
    postEvent(exampleOrder(), { headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key } }),
    lambdaContext(remainingMs),
  );
  return { status: response.statusCode, headers: response.headers ?? {}, body: response.body };
};

describe('a retry after a 504 whose record never reached the log', () => {
  it('reads the log, finds nothing, and publishes exactly one record', async () => {
    // Prepare: a warm producer, then the broker paused under the send, and killed before it read it.
    expect((await send(`warm-${Date.now()}`)).status).toBe(201);
    const key = `never-appended-${Date.now()}`;
    await broker('pause');
    const lost = await send(key, 2_000);
    expect(lost.status, lost.body).toBe(504);
    expect(Number(lost.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    await broker('kill');
    await broker('start');
    // Act: after the settle time (1 s here).
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const retry = await send(key);
    // Assess
    expect(retry.status, retry.body).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    const receipt = JSON.parse(retry.body) as { partition: number; offset: number; event_id: string };
    const records = (await readTopic(bootstrap, topic)).filter((record) => record.headers['event-id'] === receipt.event_id);
    expect(records.map(({ partition, offset }) => ({ partition, offset }))).toEqual([
      { partition: receipt.partition, offset: receipt.offset },
    ]);
  });
});
