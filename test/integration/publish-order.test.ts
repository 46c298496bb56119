import { execFileSync } from 'node:child_process';
import RequestQueue from 'kafkajs/src/network/requestQueue/index.js';
import { describe, expect, it, vi } from 'vitest';
import { handler } from '../../handlers/publish-order';
import { defaultRuntime } from '../../lib/runtime';
import { LIBS_DIR } from '../../scripts/kafka/topology';
import { exampleOrder, lambdaContext, postEvent } from '../support/events';
import { useTopicReader } from '../support/kafka-reader';
import { endOffsets } from '../support/referee';

const reader = useTopicReader();
const { bootstrap, topic } = reader;

async function publish(order: Record<string, unknown>) {
  const response = await handler(postEvent(order), lambdaContext());
  expect(response.statusCode, response.body).toBe(201);
  return JSON.parse(response.body) as {
    topic: string;
    partition: number;
    offset: number;
    timestamp: string;
    key: string;
    event_id: string;
  };
}

describe('POST /orders against a real broker', () => {
  it('writes the order where its receipt says, with its key, value and headers', async () => {
    // Prepare
    const order = { ...exampleOrder(), currency: 'EUR', created_at: '2026-11-26T10:00:00Z' };
    // Act
    const receipt = await publish(order);
    // Assess
    expect(receipt).toMatchObject({ topic, key: 'user789', event_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(new Date(receipt.timestamp).toISOString()).toBe(receipt.timestamp);
    const record = await reader.at(receipt.partition, receipt.offset);
    expect(record.key).toBe('user789');
    expect(JSON.parse(record.value ?? '')).toEqual(order);
    expect(record.headers).toEqual({
      'event-id': receipt.event_id,
      'event-type': 'order.placed',
      'content-type': 'application/json',
      'schema-version': '1',
      // API Gateway's trace header in the event fixture, copied into the record.
      'x-amzn-trace-id': 'Root=1-67a1b2c3-0123456789abcdef01234567',
    });
    expect(Number(record.timestamp)).toBe(Date.parse(receipt.timestamp));
  });

  it("keeps a user's orders on one partition, in the order they were placed", async () => {
    const first = await publish({ ...exampleOrder(), user_id: 'same-user', order_id: 'first' });
    const second = await publish({ ...exampleOrder(), user_id: 'same-user', order_id: 'second' });
    expect(second.partition).toBe(first.partition);
    expect(second.offset).toBeGreaterThan(first.offset);
    expect(JSON.parse((await reader.at(first.partition, first.offset)).value ?? '').order_id).toBe('first');
    expect(JSON.parse((await reader.at(second.partition, second.offset)).value ?? '').order_id).toBe('second');
  });

  it("puts each key on the partition Kafka's own Java producer would choose", async () => {
    // Prepare: the Java client's murmur2 partitioner, run from the broker's own jars.
    const keys = ['user789', 'order-1', 'ORD-000123', 'a', '42', 'user:with.dots_and-dashes', 'x'.repeat(64), 'Z9'];
    const output = execFileSync('java', ['-cp', `${LIBS_DIR}/*`, 'test/support/java-partitioner.java', '3', ...keys], {
      encoding: 'utf8',
    });
    const javaPartition = new Map(
      output
        .trim()
        .split('\n')
        .map((line) => line.split(' ') as [string, string]),
    );
    expect(javaPartition.size).toBe(keys.length);
    expect(new Set(javaPartition.values()).size).toBeGreaterThan(1);
    // Act
    const receipts = [];
    for (const key of keys) receipts.push(await publish({ ...exampleOrder(), user_id: key }));
    // Assess
    for (const [index, key] of keys.entries()) {
      expect(receipts[index]?.partition, key).toBe(Number(javaPartition.get(key)));
    }
  });

  it('reuses one warm producer across invocations', async () => {
    const before = defaultRuntime().publisher.session.created;
    for (let i = 0; i < 20; i++) await publish({ ...exampleOrder(), order_id: `warm-${i}` });
    expect(before).toBeGreaterThanOrEqual(1);
    expect(defaultRuntime().publisher.session.created).toBe(before);
  });

  it('leaves a warm connection idle between invocations: no polling, no TimeoutNegativeWarning', async () => {
    // Prepare: count the request queue's checks, and the warnings kafkajs 2.2.4's 1 ms poll emits on Node 24.
    await publish({ ...exampleOrder(), order_id: 'before-idle' });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    const check = vi.spyOn(RequestQueue.prototype, 'checkPendingRequests');
    try {
      // Act
      await publish({ ...exampleOrder(), order_id: 'then-idle' });
      const checksAfterPublish = check.mock.calls.length;
      await new Promise((resolve) => setTimeout(resolve, 500));
      // Assess: unpatched, each open connection checks about every millisecond (hundreds here).
      expect(check.mock.calls.length - checksAfterPublish).toBeLessThan(5);
      expect(warnings).not.toContain('TimeoutNegativeWarning');
    } finally {
      check.mockRestore();
      process.off('warning', onWarning);
    }
  });

  it('produces nothing for bad input', async () => {
    const before = await endOffsets(bootstrap, topic);
    const responses = await Promise.all([
      handler(postEvent('{"order_id":'), lambdaContext()),
      handler(postEvent({ ...exampleOrder(), quantity: 0 }), lambdaContext()),
      handler(postEvent(exampleOrder(), { headers: { 'content-type': 'text/plain' } }), lambdaContext()),
      handler(postEvent({ ...exampleOrder(), product: 'p'.repeat(70_000) }), lambdaContext()),
    ]);
    expect(responses.map((response) => response.statusCode)).toEqual([400, 422, 415, 413]);
    expect(await endOffsets(bootstrap, topic)).toEqual(before);
  });
});
