import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePublishOrderHandler } from '../../handlers/publish-order';
import { makePublishOrdersBatchHandler } from '../../handlers/publish-orders-batch';
import { parseConfig } from '../../lib/config';
import { createRuntime, type Runtime } from '../../lib/runtime';
import { sendBadRequests } from '../support/bad-input/runner';
import { exampleOrder, lambdaContext, postEvent } from '../support/events';
import { endOffsets } from '../support/referee';
import { CLUSTER_BOOTSTRAP, createFaultTopic, deleteFaultTopics } from './support/fault-cluster';
import { faultSuiteTiming } from './support/scale';

/**
 * Bad input at volume through the real handlers, with a connected producer behind them: every
 * generated request gets its 4xx problem document naming the field at fault, and Kafka's Java consumer finds the
 * topic's end offsets where they were. The same generators run in `npm test` against a fake
 * publisher (test/unit/handlers/bad-input.property.test.ts) and, fewer, against the single broker
 * (test/integration/bad-input.test.ts).
 */
const timing = faultSuiteTiming();
let runtime: Runtime;
let topic: string;

beforeAll(async () => {
  topic = await createFaultTopic('bad-input');
  runtime = createRuntime(parseConfig({ KAFKA_BROKERS: CLUSTER_BOOTSTRAP, KAFKA_TOPIC: topic, LOG_LEVEL: 'SILENT' }));
});

afterAll(async () => {
  await runtime?.publisher.close();
  if (topic) await deleteFaultTopics([topic]).catch(() => undefined);
});

describe(`generated bad input through the real handlers, producer connected (${timing.scale})`, () => {
  it(`answers ${timing.badBodies} generated bad requests with 4xx problem documents naming the field, and writes nothing`, async () => {
    // Prepare: a connected producer that would write anything it were given.
    const order = makePublishOrderHandler(runtime.publishDeps);
    const batch = makePublishOrdersBatchHandler(runtime.publishDeps);
    const warm = await order(postEvent({ ...exampleOrder(), order_id: 'warm-up' }), lambdaContext());
    expect(warm.statusCode, warm.body).toBe(201);
    const before = await endOffsets(CLUSTER_BOOTSTRAP, topic);
    // Act (each answer is checked as it comes)
    const sent = await sendBadRequests({ order, batch }, timing.badBodies);
    // Assess
    const total = [...sent.values()].reduce((sum, count) => sum + count, 0);
    console.log(
      `Bad input (${timing.scale}): ${total} generated requests\n${[...sent].map(([family, count]) => `  ${String(count).padStart(6)} ${family}`).join('\n')}`,
    );
    expect(total).toBeGreaterThanOrEqual(timing.badBodies);
    expect(await endOffsets(CLUSTER_BOOTSTRAP, topic)).toEqual(before);
  });
});
