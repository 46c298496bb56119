import { describe, expect, it } from 'vitest';
import { makePublishOrderHandler } from '../../../handlers/publish-order';
import { KafkaUnavailableError, PublishOutcomeUnknownError } from '../../../lib/errors';
import { makeOrderPublishing } from '../../../lib/publish';
import { exampleOrder, lambdaContext, postEvent } from '../../support/events';
import { FakePublisher, RecordingLogger, RecordingMetrics } from '../../support/fake-publisher';
import { publishingFor } from '../../support/publishing';

function setup(publisher = new FakePublisher(), deadline = { boundMs: 10_000, marginMs: 500 }) {
  const logger = new RecordingLogger();
  const metrics = new RecordingMetrics();
  const orders = makeOrderPublishing({
    publisher,
    logger,
    metrics,
    newEventId: () => 'evt-1',
    now: () => Date.parse('2026-11-26T10:00:00Z'),
  });
  const handler = makePublishOrderHandler({ orders: publishingFor(orders, { metrics, logger }), logger, metrics, deadline });
  return { handler, publisher, logger, metrics };
}

const json = { 'Content-Type': 'application/json' };

describe('POST /orders handler', () => {
  it('publishes the order and answers 201 with its receipt', async () => {
    // Prepare
    const { handler, publisher, logger, metrics } = setup();
    // Act
    const response = await handler(postEvent(), lambdaContext());
    // Assess
    expect(response.statusCode).toBe(201);
    expect(response.headers).toMatchObject({ 'content-type': 'application/json' });
    expect(JSON.parse(response.body)).toEqual({
      topic: 'order-events',
      partition: 0,
      offset: 0,
      timestamp: '2026-11-26T10:00:00.000Z',
      key: 'user789',
      event_id: 'evt-1',
    });
    expect(publisher.sent).toHaveLength(1);
    expect(publisher.sent[0]?.[0]).toMatchObject({ key: 'user789', value: JSON.stringify(exampleOrder()) });
    expect(logger.lines.filter((line) => line.level === 'INFO').map((line) => line.message)).toEqual([
      'Message delivered to order-events [0] at offset 0',
    ]);
    expect(logger.keys).toEqual({ request_id: 'test-request' });
    expect(metrics.counted.map((metric) => metric.name)).toEqual(['OrdersPublished', 'PublishLatency']);
    expect(metrics.flushes).toBe(1);
  });

  it.each([
    ['malformed JSON', postEvent('{"order_id":'), 400, 'invalid-json'],
    ['an empty body', postEvent(''), 400, 'invalid-json'],
    ['a body of spaces', postEvent('  \n'), 400, 'invalid-json'],
    [
      'invalid UTF-8',
      postEvent(Buffer.from([0x7b, 0xff, 0x7d]).toString('base64'), { headers: json, isBase64Encoded: true }),
      400,
      'invalid-json',
    ],
    ['text/plain', postEvent(exampleOrder(), { headers: { 'content-type': 'text/plain' } }), 415, 'unsupported-media-type'],
    [
      'form encoding',
      postEvent(exampleOrder(), { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }),
      415,
      'unsupported-media-type',
    ],
    ['no content type', postEvent(exampleOrder(), { headers: {} }), 415, 'unsupported-media-type'],
    [
      'a charset other than UTF-8',
      postEvent(exampleOrder(), { headers: { 'content-type': 'application/json; charset=latin1' } }),
      415,
      'unsupported-media-type',
    ],
    ['a body over 64 KiB', postEvent({ ...exampleOrder(), product: 'p'.repeat(70_000) }), 413, 'payload-too-large'],
    ['a schema violation', postEvent({ ...exampleOrder(), quantity: 0 }), 422, 'validation-failed'],
    ['a JSON array', postEvent('[]'), 422, 'validation-failed'],
  ])('answers %s with a problem document and produces nothing', async (_, event, status, slug) => {
    // Prepare
    const { handler, publisher, metrics } = setup();
    // Act
    const response = await handler(event, lambdaContext());
    // Assess
    expect(response.statusCode).toBe(status);
    expect(response.headers).toMatchObject({ 'content-type': 'application/problem+json' });
    const problem = JSON.parse(response.body);
    expect(problem).toMatchObject({ type: `urn:order-publisher:problem:${slug}`, status, retriable: false });
    expect(problem.title).toEqual(expect.any(String));
    expect(problem.detail).toEqual(expect.any(String));
    expect(publisher.sent).toHaveLength(0);
    expect(metrics.counted).toEqual([{ name: 'RequestsRejected', value: 1, dimension: String(status) }]);
  });

  it('accepts application/json with a UTF-8 charset and a +json media type', async () => {
    const { handler } = setup();
    for (const contentType of ['application/json; charset=UTF-8', 'application/vnd.order+json']) {
      const response = await handler(postEvent(exampleOrder(), { headers: { 'CONTENT-TYPE': contentType } }), lambdaContext());
      expect(response.statusCode).toBe(201);
    }
  });

  it('accepts a base64-encoded body, as API Gateway sends binary media types', async () => {
    const { handler } = setup();
    const body = Buffer.from(JSON.stringify(exampleOrder())).toString('base64');
    const response = await handler(postEvent(body, { headers: json, isBase64Encoded: true }), lambdaContext());
    expect(response.statusCode).toBe(201);
  });

  it('names every bad field of a 422', async () => {
    const { handler } = setup();
    const response = await handler(
      postEvent({ order_id: 'x y', user_id: 'u', product: 'p', quantity: 1, amount: 1.234, extra: true }),
      lambdaContext(),
    );
    expect(response.statusCode).toBe(422);
    expect(JSON.parse(response.body).errors).toEqual([
      { path: '/order_id', message: 'order_id may contain only letters, digits and . _ : -' },
      { path: '/amount', message: 'amount must have at most 2 decimal places' },
      { path: '/extra', message: 'unknown field' },
    ]);
  });

  it.each([
    [new KafkaUnavailableError('Kafka is unavailable: ECONNREFUSED'), 503, 'kafka-unavailable'],
    [new PublishOutcomeUnknownError('The deadline passed'), 504, 'outcome-unknown'],
  ])('answers %s as %i with Retry-After', async (error, status, slug) => {
    const { handler, metrics } = setup(new FakePublisher((messages) => messages.map(() => ({ status: 'failed', error }))));
    const response = await handler(postEvent(), lambdaContext());
    expect(response.statusCode).toBe(status);
    expect(metrics.counted).toContainEqual({ name: 'PublishFailures', value: 1, dimension: error.name });
    expect(response.headers).toMatchObject({ 'retry-after': '1', 'content-type': 'application/problem+json' });
    expect(JSON.parse(response.body)).toMatchObject({
      type: `urn:order-publisher:problem:${slug}`,
      retriable: true,
      detail: error.message,
    });
  });

  it('hides the details of an unexpected error from the client and logs them', async () => {
    const { handler, logger } = setup(
      new FakePublisher(() => {
        throw new TypeError('secret internals');
      }),
    );
    const response = await handler(postEvent(), lambdaContext());
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret internals');
    expect(logger.lines.some((line) => line.level === 'ERROR' && JSON.stringify(line.extra).length > 0)).toBe(true);
  });

  it.each([
    ['the configured bound when the Lambda has plenty of time', 60_000, 10_000],
    ['the remaining time less the margin when that is smaller', 3_000, 2_500],
  ])('gives the publisher a deadline of %s', async (_, remainingMs, expectedBudgetMs) => {
    const { handler, publisher } = setup();
    const before = Date.now();
    await handler(postEvent(), { awsRequestId: 'r-1', getRemainingTimeInMillis: () => remainingMs });
    const after = Date.now();
    const at = publisher.deadlines[0]?.at ?? 0;
    expect(at).toBeGreaterThanOrEqual(before + expectedBudgetMs);
    expect(at).toBeLessThanOrEqual(after + expectedBudgetMs);
  });
});
