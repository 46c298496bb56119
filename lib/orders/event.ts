import type { OutgoingMessage } from '../publisher';
import type { Order } from './schema';

export const ORDER_PLACED_EVENT_TYPE = 'order.placed';
export const ORDER_SCHEMA_VERSION = '1';

/** What the request says about where the order came from, carried into the record's headers. */
export interface RecordContext {
  idempotencyKey?: string | undefined;
  /** W3C trace context. */
  traceparent?: string | undefined;
  /** AWS X-Ray's trace header, as API Gateway passes it. */
  amznTraceId?: string | undefined;
}

/**
 * The Kafka record for a placed order: keyed by user so a user's orders stay in order. Its value is
 * the order's JSON text, or in registry mode the framed bytes the caller encoded.
 */
export function toOrderMessage(
  order: Order,
  eventId: string,
  timestampMs: number,
  context: RecordContext = {},
  value: string | Buffer = JSON.stringify(order),
): OutgoingMessage {
  const headers: Record<string, string> = {
    'event-id': eventId,
    'event-type': ORDER_PLACED_EVENT_TYPE,
    'content-type': 'application/json',
    'schema-version': ORDER_SCHEMA_VERSION,
  };
  if (context.idempotencyKey !== undefined) headers['idempotency-key'] = context.idempotencyKey;
  if (context.traceparent !== undefined) headers.traceparent = context.traceparent;
  if (context.amznTraceId !== undefined) headers['x-amzn-trace-id'] = context.amznTraceId;
  return { key: order.user_id, value, timestampMs, headers };
}
