import { expect } from 'vitest';
import { type RefereeRecord, readTopic } from './referee';

export interface BatchReceiptBody {
  receipts: { status: string; partition?: number; offset?: number; event_id: string }[];
}

/**
 * Reads the topic with the referee and holds a batch's final answer against it: the key's records
 * are as many as the orders, each order is there exactly once, at its receipt, with the value sent.
 */
export async function expectBatchOnceInLog(
  bootstrap: string,
  topic: string,
  key: string,
  orders: readonly unknown[],
  answer: BatchReceiptBody,
): Promise<RefereeRecord[]> {
  const records = (await readTopic(bootstrap, topic)).filter((record) => record.headers['idempotency-key'] === key);
  expect(records).toHaveLength(orders.length);
  expect(answer.receipts).toHaveLength(orders.length);
  answer.receipts.forEach((receipt, index) => {
    expect(receipt.status, `order ${index}`).toBe('written');
    const matching = records.filter((record) => record.headers['event-id'] === receipt.event_id);
    expect(
      matching.map(({ partition, offset }) => ({ partition, offset })),
      `order ${index}`,
    ).toEqual([{ partition: receipt.partition, offset: receipt.offset }]);
    expect(JSON.parse(matching[0]?.value ?? ''), `order ${index}`).toEqual(orders[index]);
  });
  return records;
}
