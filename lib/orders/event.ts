import type { OutgoingMessage } from '../publish';
import type { Order } from './schema';

export const ORDER_PLACED_EVENT_TYPE = 'order.placed';
export const ORDER_SCHEMA_VERSION = '1';

/** The Kafka record for a placed order: keyed by user so a user's orders stay in order. */
export function toOrderMessage(order: Order, eventId: string, timestampMs: number): OutgoingMessage {
  return {
    key: order.user_id,
    value: JSON.stringify(order),
    timestampMs,
    headers: {
      'event-id': eventId,
      'event-type': ORDER_PLACED_EVENT_TYPE,
      'content-type': 'application/json',
      'schema-version': ORDER_SCHEMA_VERSION,
    },
  };
}
