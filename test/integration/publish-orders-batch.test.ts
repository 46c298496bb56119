import { describe, expect, it } from 'vitest';
import { handler as healthHandler } from '../../handlers/health';
import { handler as orderHandler } from '../../handlers/publish-order';
import { handler as batchHandler } from '../../handlers/publish-orders-batch';
import { defaultRuntime } from '../../lib/runtime';
import { exampleOrder, lambdaContext, postEvent } from '../support/events';
import { useTopicReader } from '../support/kafka-reader';
import { endOffsets } from '../support/referee';

const reader = useTopicReader();
const { bootstrap, topic } = reader;

type Receipt = { status: string; partition: number; offset: number; key: string; event_id: string };
const json = { 'content-type': 'application/json' };

describe('POST /orders/batch against a real broker', () => {
  it("writes 200 orders of 20 users where their receipts say, keeping each user's order", async () => {
    // Prepare
    const run = Date.now();
    const orders = Array.from({ length: 200 }, (_, index) => ({
      ...exampleOrder(),
      order_id: `batch-${run}-${index}`,
      user_id: `batch-user-${index % 20}`,
      quantity: index + 1,
    }));
    // Act
    const response = await batchHandler(postEvent({ orders }), lambdaContext());
    // Assess
    expect(response.statusCode, response.body).toBe(201);
    const { receipts, written, failed } = JSON.parse(response.body) as { receipts: Receipt[]; written: number; failed: number };
    expect([written, failed]).toEqual([200, 0]);
    expect(receipts).toHaveLength(200);
    expect(new Set(receipts.map((receipt) => receipt.partition)).size).toBe(3);
    const lastOffsetOfUser = new Map<string, { partition: number; offset: number }>();
    for (const [index, receipt] of receipts.entries()) {
      const order = orders[index] as (typeof orders)[number];
      expect(receipt).toMatchObject({ status: 'written', key: order.user_id });
      const record = await reader.at(receipt.partition, receipt.offset);
      expect(record.key).toBe(order.user_id);
      expect(JSON.parse(record.value ?? '')).toEqual(order);
      expect(record.headers['event-id']).toBe(receipt.event_id);
      const previous = lastOffsetOfUser.get(order.user_id);
      if (previous) {
        expect(receipt.partition).toBe(previous.partition);
        expect(receipt.offset).toBeGreaterThan(previous.offset);
      }
      lastOffsetOfUser.set(order.user_id, receipt);
    }
  });

  it("answers 422 for valid and invalid orders mixed, and the topic's end offsets do not move", async () => {
    const before = await endOffsets(bootstrap, topic);
    const orders = [exampleOrder(), { ...exampleOrder(), amount: 0 }, exampleOrder()];
    const response = await batchHandler(postEvent({ orders }), lambdaContext());
    expect(response.statusCode).toBe(422);
    expect(JSON.parse(response.body).errors).toEqual([{ path: '/orders/1/amount', message: 'amount must be greater than 0' }]);
    expect(await endOffsets(bootstrap, topic)).toEqual(before);
  });

  it('gives the same event ids to a retry with the same Idempotency-Key, and writes them into the records', async () => {
    const headers = {
      ...json,
      'Idempotency-Key': `retry-${Date.now()}`,
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    };
    const orders = [exampleOrder(), { ...exampleOrder(), user_id: 'other-user' }];
    const first = JSON.parse((await batchHandler(postEvent({ orders }, { headers }), lambdaContext())).body) as { receipts: Receipt[] };
    const retry = JSON.parse((await batchHandler(postEvent({ orders }, { headers }), lambdaContext())).body) as { receipts: Receipt[] };
    expect(retry.receipts.map((receipt) => receipt.event_id)).toEqual(first.receipts.map((receipt) => receipt.event_id));
    const record = await reader.at(retry.receipts[1]?.partition ?? -1, retry.receipts[1]?.offset ?? -1);
    expect(record.headers).toMatchObject({
      'event-id': first.receipts[1]?.event_id,
      'idempotency-key': headers['Idempotency-Key'],
      traceparent: headers.traceparent,
    });
    const single = JSON.parse((await orderHandler(postEvent(exampleOrder(), { headers }), lambdaContext())).body) as Receipt;
    const singleAgain = JSON.parse((await orderHandler(postEvent(exampleOrder(), { headers }), lambdaContext())).body) as Receipt;
    expect(singleAgain.event_id).toBe(single.event_id);
    expect(single.event_id).not.toBe(first.receipts[0]?.event_id);
  });
});

describe('GET /health against a real broker', () => {
  it("answers 200 with the brokers and the topic's partitions, on the warm producer's own connection", async () => {
    const clientsBefore = defaultRuntime().publisher.session.created;
    const first = await healthHandler();
    const second = await healthHandler();
    expect(first.statusCode, first.body).toBe(200);
    expect(JSON.parse(second.body)).toEqual({ status: 'ok', brokers: 1, topic, partitions: 3 });
    expect(defaultRuntime().publisher.session.created).toBe(Math.max(clientsBefore, 1));
  });
});
