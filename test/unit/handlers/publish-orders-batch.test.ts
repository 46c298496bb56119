import { describe, expect, it } from 'vitest';
import { makePublishOrdersBatchHandler } from '../../../handlers/publish-orders-batch';
import { KafkaUnavailableError, PublishOutcomeUnknownError } from '../../../lib/errors';
import { makeOrderPublishing } from '../../../lib/publish';
import type { OutgoingMessage, PublishResult } from '../../../lib/publisher';
import { exampleOrder, lambdaContext, postEvent } from '../../support/events';
import { FakePublisher, RecordingLogger, RecordingMetrics } from '../../support/fake-publisher';
import { publishingFor } from '../../support/publishing';

function setup(publisher = new FakePublisher()) {
  const logger = new RecordingLogger();
  const metrics = new RecordingMetrics();
  const orders = makeOrderPublishing({ publisher, logger, metrics, now: () => Date.parse('2026-11-26T10:00:00Z') });
  const handler = makePublishOrdersBatchHandler({
    orders: publishingFor(orders, { metrics, logger }),
    logger,
    metrics,
    deadline: { boundMs: 10_000, marginMs: 500 },
  });
  return { handler, publisher, metrics };
}

const batchOf = (count: number) => ({
  orders: Array.from({ length: count }, (_, index) => ({ ...exampleOrder(), order_id: `o-${index}`, user_id: `u-${index % 3}` })),
});

/** Fails the messages whose user is u-1, writes the rest. */
const failUser1 = (error: Error) => (messages: readonly OutgoingMessage[]) =>
  messages.map(
    (message, index): PublishResult =>
      message.key === 'u-1'
        ? { status: 'failed', error: error as KafkaUnavailableError }
        : {
            status: 'written',
            delivery: { topic: 'order-events', partition: 1, offset: 100 + index, timestamp: '2026-11-26T10:00:00.000Z' },
          },
  );

const sendFails = (error: Error) => (messages: readonly OutgoingMessage[]) =>
  messages.map((): PublishResult => ({ status: 'failed', error: error as KafkaUnavailableError }));

describe('POST /orders/batch handler', () => {
  it('answers 201 with one receipt per order, in request order, from one publish call', async () => {
    const { handler, publisher } = setup();
    const response = await handler(postEvent(batchOf(5)), lambdaContext());
    expect(response.statusCode).toBe(201);
    const body = JSON.parse(response.body);
    expect(body).toMatchObject({ topic: 'order-events', written: 5, failed: 0 });
    expect(body.receipts.map((receipt: { key: string; offset: number }) => [receipt.key, receipt.offset])).toEqual([
      ['u-0', 0],
      ['u-1', 1],
      ['u-2', 2],
      ['u-0', 3],
      ['u-1', 4],
    ]);
    expect(publisher.sent).toHaveLength(1);
    expect(publisher.sent[0]?.map((message) => JSON.parse(String(message.value)).order_id)).toEqual(['o-0', 'o-1', 'o-2', 'o-3', 'o-4']);
  });

  it('answers 207 naming each failed order, retriable, whether it is in the topic, with its reason', async () => {
    const { handler, metrics } = setup(new FakePublisher(failUser1(new KafkaUnavailableError('LEADER_NOT_AVAILABLE'))));
    const response = await handler(postEvent(batchOf(4)), lambdaContext());
    expect(response.statusCode).toBe(207);
    expect(metrics.counted).toContainEqual({ name: 'BatchSize', value: 4 });
    expect(metrics.counted).toContainEqual({ name: 'OrdersPublished', value: 3 });
    expect(metrics.counted).toContainEqual({ name: 'PublishFailures', value: 1, dimension: 'KafkaUnavailableError' });
    const body = JSON.parse(response.body);
    expect(body).toMatchObject({ written: 3, failed: 1 });
    expect(body.receipts[1]).toEqual({
      status: 'failed',
      key: 'u-1',
      event_id: expect.any(String),
      retriable: true,
      outcome: 'not_written',
      reason: 'LEADER_NOT_AVAILABLE',
    });
    expect(body.receipts[0]).toMatchObject({ status: 'written', partition: 1, offset: 100 });
  });

  it('answers 207 with the outcome of an order it cannot vouch for as unknown', async () => {
    const { handler } = setup(new FakePublisher(failUser1(new PublishOutcomeUnknownError('may or may not'))));
    const body = JSON.parse((await handler(postEvent(batchOf(4)), lambdaContext())).body);
    expect(body.receipts[1]).toMatchObject({ status: 'failed', retriable: true, outcome: 'unknown' });
  });

  it.each([
    [new KafkaUnavailableError('Kafka is unavailable'), 503],
    [new PublishOutcomeUnknownError('deadline passed'), 504],
  ])('answers a batch of which nothing was written (%s) as %i, like a single order', async (error, status) => {
    const { handler } = setup(new FakePublisher(sendFails(error)));
    const response = await handler(postEvent(batchOf(3)), lambdaContext());
    expect(response.statusCode).toBe(status);
    expect(response.headers).toMatchObject({ 'retry-after': '1', 'content-type': 'application/problem+json' });
  });

  it('answers 504 rather than 503 when any part of a wholly failed batch has an unknown outcome', async () => {
    const mixed = (messages: readonly OutgoingMessage[]) =>
      messages.map(
        (message): PublishResult => ({
          status: 'failed',
          error: message.key === 'u-2' ? new PublishOutcomeUnknownError('timed out') : new KafkaUnavailableError('no leader'),
        }),
      );
    const { handler } = setup(new FakePublisher(mixed));
    expect((await handler(postEvent(batchOf(3)), lambdaContext())).statusCode).toBe(504);
  });

  it.each([
    [
      'an invalid order among valid ones',
      { orders: [exampleOrder(), exampleOrder(), exampleOrder(), { ...exampleOrder(), quantity: 0 }] },
      '/orders/3/quantity',
    ],
    ['an unknown field in an order', { orders: [{ ...exampleOrder(), colour: 'red' }] }, '/orders/0/colour'],
    ['an empty batch', { orders: [] }, '/orders'],
    ['501 orders', batchOf(501), '/orders'],
    ['a missing orders field', {}, '/orders'],
    ['an unknown top-level field', { orders: [exampleOrder()], priority: 'high' }, '/priority'],
  ])('answers %s with 422 naming %s, and produces nothing', async (_, body, path) => {
    const { handler, publisher } = setup();
    const response = await handler(postEvent(body), lambdaContext());
    expect(response.statusCode).toBe(422);
    expect(JSON.parse(response.body).errors.map((error: { path: string }) => error.path)).toContain(path);
    expect(publisher.sent).toHaveLength(0);
  });

  it('accepts a body up to 1 MiB and answers 413 above it', async () => {
    const { handler, publisher } = setup();
    const big = {
      orders: Array.from({ length: 500 }, (_, index) => ({ ...exampleOrder(), order_id: `o-${index}`, product: 'p'.repeat(200) })),
    };
    expect(JSON.stringify(big).length).toBeGreaterThan(64 * 1024);
    expect((await handler(postEvent(big), lambdaContext())).statusCode).toBe(201);
    const tooBig = postEvent(`{"orders":[${'"x",'.repeat(270_000)}"x"]}`);
    expect((await handler(tooBig, lambdaContext())).statusCode).toBe(413);
    expect(publisher.sent).toHaveLength(1);
  });

  it('derives the same event ids from the same Idempotency-Key, a different one per order, and copies trace headers', async () => {
    const { handler, publisher } = setup();
    const headers = {
      'content-type': 'application/json',
      'Idempotency-Key': 'checkout-42',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    };
    const first = JSON.parse((await handler(postEvent(batchOf(3), { headers }), lambdaContext())).body);
    const second = JSON.parse((await handler(postEvent(batchOf(3), { headers }), lambdaContext())).body);
    const ids = first.receipts.map((receipt: { event_id: string }) => receipt.event_id);
    expect(second.receipts.map((receipt: { event_id: string }) => receipt.event_id)).toEqual(ids);
    expect(new Set(ids).size).toBe(3);
    expect(publisher.sent[0]?.[0]?.headers).toMatchObject({
      'event-id': ids[0],
      'idempotency-key': 'checkout-42',
      traceparent: headers.traceparent,
    });
  });

  it('answers a malformed Idempotency-Key with 400 and produces nothing', async () => {
    const { handler, publisher } = setup();
    const response = await handler(
      postEvent(batchOf(1), { headers: { 'content-type': 'application/json', 'idempotency-key': '' } }),
      lambdaContext(),
    );
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({
      type: 'urn:order-publisher:problem:invalid-header',
      errors: [{ path: 'idempotency-key' }],
    });
    expect(publisher.sent).toHaveLength(0);
  });
});
