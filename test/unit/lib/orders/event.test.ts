import { describe, expect, it } from 'vitest';
import { toOrderMessage } from '../../../../lib/orders/event';
import { exampleOrder } from '../../../support/events';

describe('toOrderMessage', () => {
  it('keys the record by user and carries the order as JSON with its event headers', () => {
    const order = { ...exampleOrder(), currency: 'EUR' };
    const message = toOrderMessage(order, '9b2c1f0e-4d7a-4c1b-9a57-0f3c2d1e5b6a', 1_764_151_200_000);
    expect(message).toEqual({
      key: 'user789',
      value: '{"order_id":"12345","user_id":"user789","product":"Laptop","quantity":1,"amount":75000,"currency":"EUR"}',
      timestampMs: 1_764_151_200_000,
      headers: {
        'event-id': '9b2c1f0e-4d7a-4c1b-9a57-0f3c2d1e5b6a',
        'event-type': 'order.placed',
        'content-type': 'application/json',
        'schema-version': '1',
      },
    });
  });
});
