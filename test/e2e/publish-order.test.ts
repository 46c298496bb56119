import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../scripts/dynamodb/local-dynamodb';
import { exampleOrder } from '../support/events';
import { startOffline } from '../support/offline';
import { readRecordAt } from '../support/referee';

const brokers = process.env.KAFKA_BROKERS as string;
let offline: Awaited<ReturnType<typeof startOffline>>;
let dynamo: LocalDynamoDb;
const ordersUrl = () => `${offline.baseUrl}/orders`;

beforeAll(async () => {
  // The idempotency store, as npm run dev has it: dynalite, with the table serverless.yml names for stage dev.
  dynamo = await startLocalDynamoDb();
  offline = await startOffline({ env: dynamo.env });
});

afterAll(async () => {
  await offline?.stop();
  await dynamo?.close();
});

const readRecord = (partition: number, offset: number) => readRecordAt(brokers, 'order-events', partition, offset);

function post(body: string, contentType = 'application/json') {
  return fetch(ordersUrl(), { method: 'POST', headers: { 'content-type': contentType }, body, signal: AbortSignal.timeout(20_000) });
}

describe('POST /dev/orders over HTTP through serverless-offline', () => {
  it("answers 201 with a receipt, and Kafka's Java consumer finds the record there", async () => {
    // Act
    const response = await post(JSON.stringify(exampleOrder()));
    // Assess
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const receipt = (await response.json()) as { partition: number; offset: number; event_id: string };
    expect(receipt).toMatchObject({ topic: 'order-events', key: 'user789', event_id: expect.any(String) });
    const record = await readRecord(receipt.partition, receipt.offset);
    expect(record).toMatchObject({ partition: receipt.partition, offset: receipt.offset, key: 'user789' });
    expect(JSON.parse(record.value ?? '')).toEqual(exampleOrder());
    expect(record.headers).toEqual({
      'event-id': receipt.event_id,
      'event-type': 'order.placed',
      'content-type': 'application/json',
      'schema-version': '1',
    });
  });

  it.each([
    ['malformed JSON', () => post('{"order_id":'), 400, 'invalid-json'],
    ['an empty body', () => post(''), 400, 'invalid-json'],
    ['a content type other than JSON', () => post(JSON.stringify(exampleOrder()), 'text/plain'), 415, 'unsupported-media-type'],
    ['a body over 64 KiB', () => post(JSON.stringify({ ...exampleOrder(), product: 'p'.repeat(70_000) })), 413, 'payload-too-large'],
    ['a schema violation', () => post(JSON.stringify({ ...exampleOrder(), amount: -1, colour: 'red' })), 422, 'validation-failed'],
  ])('answers %s with %i and a problem document', async (_, send, status, slug) => {
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ type: `urn:order-publisher:problem:${slug}`, status });
  });

  it('names the fields of a 422', async () => {
    const response = await post(JSON.stringify({ ...exampleOrder(), amount: -1, colour: 'red' }));
    expect(((await response.json()) as { errors: unknown }).errors).toEqual([
      { path: '/amount', message: 'amount must be greater than 0' },
      { path: '/colour', message: 'unknown field' },
    ]);
  });

  it.each([
    ['an unknown route', 'POST', '/nope'],
    ['an unknown method on /orders', 'GET', '/orders'],
  ])('answers %s with 404, as serverless-offline does (API Gateway answers 403)', async (_, method, path) => {
    const response = await fetch(`${offline.baseUrl}${path}`, { method });
    expect(response.status).toBe(404);
  });
});

describe('Idempotency-Key over HTTP, with the store on dynalite', () => {
  it('answers a retry with the stored receipt, byte for byte, and Idempotent-Replayed: true', async () => {
    const key = `e2e-${Date.now()}`;
    const send = () =>
      fetch(ordersUrl(), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(exampleOrder()),
      });
    const first = await send();
    const firstBody = await first.text();
    expect(first.status, firstBody).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const retry = await send();
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.text()).toBe(firstBody);
  });
});

describe('the other routes over HTTP', () => {
  it('POST /dev/orders/batch answers 201 with a receipt per order', async () => {
    const orders = [exampleOrder(), { ...exampleOrder(), user_id: 'user123', order_id: '12346' }];
    const response = await fetch(`${offline.baseUrl}/orders/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orders }),
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { receipts: { key: string; partition: number; offset: number }[] };
    expect(body.receipts.map((receipt) => receipt.key)).toEqual(['user789', 'user123']);
    const record = await readRecord(body.receipts[1]?.partition ?? -1, body.receipts[1]?.offset ?? -1);
    expect(record.key).toBe('user123');
  });

  it('GET /dev/health answers 200', async () => {
    const response = await fetch(`${offline.baseUrl}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', topic: 'order-events', partitions: 3 });
  });

  it('GET /dev/openapi.json serves the contract', async () => {
    const response = await fetch(`${offline.baseUrl}/openapi.json`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ openapi: '3.1.0', paths: { '/orders': {}, '/orders/batch': {}, '/health': {} } });
  });
});
