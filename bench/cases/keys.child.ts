// Case 7: what Idempotency-Key costs. Single orders through the warm handler with the store on
// (dynalite in this process, reached through the AWS SDK as DynamoDB would be), each with a new
// key, taking turns with orders without a key; then the retry after a 504, found in the log and
// not found. Run by bench/run.ts in a child process of its own.

import { makePublishOrderHandler } from '../../handlers/publish-order';
import { parseConfig } from '../../lib/config';
import { Deadline } from '../../lib/deadline';
import { fingerprint } from '../../lib/idempotency/idempotent-publishing';
import { lazyDynamoDbStore } from '../../lib/idempotency/lazy-store';
import { eventIdFor } from '../../lib/publish';
import { createRuntime } from '../../lib/runtime';
import { LOCAL_AWS_ENV, startLocalDynamoDb } from '../../scripts/dynamodb/local-dynamodb';
import { bareMessage, connectBareProducer } from '../support/bare-kafka';
import { childInput, progressReporter, runAsChild } from '../support/child';
import { alternate, type Timings, warmUp } from '../support/measure';
import { benchOrder, lambdaContext, singleOrderEvents } from '../support/orders';
import { expectStatus, type KafkaCaseInput, type TimedSummary, timedSummary } from './shared';

export interface KeysResult {
  withoutKey: TimedSummary;
  withKey: TimedSummary;
  /** A retry after a 504 whose record the log holds: it answers from the log and writes nothing. */
  retryFound: TimedSummary;
  /** A retry after a 504 whose record is not in the log: it reads the log, then publishes. */
  retryNotFound: TimedSummary;
}

async function main(): Promise<KeysResult> {
  const { plan, bootstrap, topic } = childInput<KafkaCaseInput>();
  const dynamo = await startLocalDynamoDb();
  Object.assign(process.env, dynamo.env);
  const table = dynamo.env.IDEMPOTENCY_TABLE as string;
  // No settle time: the bench stages each retry's earlier attempt as long over.
  const runtime = createRuntime(parseConfig({ ...process.env, KAFKA_BROKERS: bootstrap, KAFKA_TOPIC: topic, IDEMPOTENCY_SETTLE_MS: '0' }));
  const handler = makePublishOrderHandler(runtime.publishDeps);
  const store = lazyDynamoDbStore({ table, region: LOCAL_AWS_ENV.AWS_REGION, settleMs: 0 });
  const events = singleOrderEvents();
  const run = `${process.pid}-${Date.now()}`;
  const keyed = (key: string, iteration: number) => {
    const event = structuredClone(events[iteration % events.length] as (typeof events)[number]);
    event.headers = { ...event.headers, 'Idempotency-Key': key };
    return event;
  };

  const withoutKey = async (iteration: number) =>
    expectStatus(await handler(events[iteration % events.length] as (typeof events)[number], lambdaContext()), 201);
  const withKey = async (iteration: number) =>
    expectStatus(await handler(keyed(`new-${run}-${iteration}`, iteration), lambdaContext()), 201);
  await warmUp([withoutKey, withKey], plan.singleWarmup, progressReporter(plan.singleWarmup, 'warm-up'));
  const [without, withIt] = await alternate(
    [withoutKey, withKey],
    plan.keyIterations,
    progressReporter(plan.keyIterations, 'without and with a key, taking turns'),
  );

  // A key left outcome-unknown by an attempt that ended a moment ago, with its record written
  // (by a bare producer, as the attempt would have) or not.
  const producer = await connectBareProducer(bootstrap);
  const staged = async (key: string, iteration: number, written: boolean) => {
    const order = benchOrder(iteration % events.length);
    const eventId = eventIdFor(key);
    if (written)
      await producer.send({
        topic,
        acks: -1,
        messages: [{ ...bareMessage(order), headers: { 'event-id': eventId, 'idempotency-key': key } }],
      });
    const now = Date.now();
    const attempt = { startedAt: now - 1_000, leaseUntil: now - 1 };
    const deadline = new Deadline(now + 5_000);
    const claim = await store.claim(
      {
        key,
        operation: 'order',
        fingerprint: fingerprint([order]),
        orders: { keys: [order.user_id], eventIds: [eventId] },
        attempt,
        expiresAt: now + 60_000,
      },
      deadline,
    );
    if (claim.outcome !== 'claimed') throw new Error(`Could not stage ${key}: ${claim.outcome}`);
    await store.markUnknown(key, claim.lease, [attempt], deadline);
    return keyed(key, iteration);
  };
  const retries = plan.reconcileIterations;
  const found: { wallMs: Float64Array; cpuMs: Float64Array } = { wallMs: new Float64Array(retries), cpuMs: new Float64Array(retries) };
  const notFound: { wallMs: Float64Array; cpuMs: Float64Array } = { wallMs: new Float64Array(retries), cpuMs: new Float64Array(retries) };
  const report = progressReporter(retries, 'retries after a 504: found, not found');
  for (let iteration = 0; iteration < retries; iteration++) {
    for (const [timings, written, expected] of [
      [found, true, 'true'],
      [notFound, false, undefined],
    ] as const) {
      const event = await staged(`retry-${written ? 'found' : 'lost'}-${run}-${iteration}`, iteration, written);
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      const response = await handler(event, lambdaContext());
      timings.wallMs[iteration] = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      timings.cpuMs[iteration] = (cpu.user + cpu.system) / 1000;
      expectStatus(response, 201);
      if (response.headers?.['idempotent-replayed'] !== expected)
        throw new Error(`Retry ${iteration} (${written ? 'found' : 'not found'}): replayed ${response.headers?.['idempotent-replayed']}`);
    }
    report(iteration + 1);
  }
  await producer.disconnect();
  await runtime.publisher.close();
  await dynamo.close();
  return {
    withoutKey: timedSummary(without as Timings),
    withKey: timedSummary(withIt as Timings),
    retryFound: timedSummary(found),
    retryNotFound: timedSummary(notFound),
  };
}

runAsChild(main);
