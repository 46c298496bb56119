import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePublishOrderHandler } from '../../handlers/publish-order';
import { makePublishOrdersBatchHandler } from '../../handlers/publish-orders-batch';
import { parseConfig } from '../../lib/config';
import { createRuntime, type Runtime } from '../../lib/runtime';
import { sendBadRequests } from '../support/bad-input/runner';
import { exampleOrder, lambdaContext, postEvent } from '../support/events';
import { endOffsets } from '../support/referee';

/**
 * Generated bad input through the real handlers against the broker, with a connected producer:
 * no record is written (the end offsets, as Kafka's Java consumer reads them, do not move). `npm run test:faults` runs the same
 * with 10,000 requests against the three-broker cluster (test/faults/bad-input.test.ts).
 */
const BAD_REQUESTS = 600;
const brokers = (process.env.KAFKA_BROKERS as string).split(',');
const topic = `bad-input-${Date.now()}`;
const admin = () => new Kafka({ clientId: 'test-admin', brokers, logLevel: logLevel.NOTHING }).admin();
let runtime: Runtime;

beforeAll(async () => {
  const client = admin();
  await client.connect();
  await client.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }] });
  await client.disconnect();
  runtime = createRuntime(parseConfig({ KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC: topic, LOG_LEVEL: 'SILENT' }));
});

afterAll(async () => {
  await runtime?.publisher.close();
  const client = admin();
  await client.connect();
  await client.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await client.disconnect();
});

describe('generated bad input through the real handlers, producer connected', () => {
  it(`answers ${BAD_REQUESTS} generated bad requests with 4xx problem documents, and writes nothing`, async () => {
    // Prepare: a connected producer that would write anything it were given.
    const order = makePublishOrderHandler(runtime.publishDeps);
    const batch = makePublishOrdersBatchHandler(runtime.publishDeps);
    const warm = await order(postEvent({ ...exampleOrder(), order_id: 'warm-up' }), lambdaContext());
    expect(warm.statusCode, warm.body).toBe(201);
    const before = await endOffsets(brokers.join(','), topic);
    // Act (each answer is checked as it comes)
    const sent = await sendBadRequests({ order, batch }, BAD_REQUESTS);
    // Assess
    expect([...sent.values()].reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(BAD_REQUESTS);
    expect(await endOffsets(brokers.join(','), topic)).toEqual(before);
  });
});
