import * as z from 'zod';
import { ORDER_PLACED_EVENT_TYPE, ORDER_SCHEMA_VERSION } from '../orders/event';
import { OrderSchema, standaloneJsonSchema } from '../orders/schema';
import { AmznTraceIdSchema, IdempotencyKeySchema, TraceparentSchema } from './schemas';

/** The record headers every order.placed event carries, and the ones copied from the request. */
const RecordHeaderSchema = z.strictObject({
  'event-id': z.uuid().describe('Unique per order; derived from idempotency-key when the request sent one.'),
  'event-type': z.literal(ORDER_PLACED_EVENT_TYPE),
  'content-type': z.literal('application/json'),
  'schema-version': z.literal(ORDER_SCHEMA_VERSION),
  'idempotency-key': IdempotencyKeySchema.optional(),
  traceparent: TraceparentSchema.optional(),
  'x-amzn-trace-id': AmznTraceIdSchema.optional(),
});

const jsonSchema = (schema: z.ZodType) => {
  const { $schema: _dialect, ...rest } = standaloneJsonSchema(schema);
  return rest;
};

/**
 * The AsyncAPI 3 document of the order-events topic: key, value and headers, generated from the
 * same zod schemas as the HTTP contract. No well-kept zod-to-AsyncAPI library exists; the
 * document is small and its schemas all come from zod's own JSON Schema output.
 */
export function buildAsyncApiDocument(topic = 'order-events') {
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Order events',
      version: '1.0.0',
      description:
        'Orders placed on the shop, written by the order event publisher with an idempotent producer and acks=all. Keyed by user_id, so the orders of one user are in one partition, in order.',
    },
    defaultContentType: 'application/json',
    channels: {
      orderEvents: {
        address: topic,
        description: 'Partitioned by the Java-compatible murmur2 hash of the key.',
        messages: { orderPlaced: { $ref: '#/components/messages/orderPlaced' } },
      },
    },
    operations: {
      publishOrderPlaced: {
        action: 'send',
        channel: { $ref: '#/channels/orderEvents' },
        messages: [{ $ref: '#/channels/orderEvents/messages/orderPlaced' }],
      },
    },
    components: {
      messages: {
        orderPlaced: {
          name: ORDER_PLACED_EVENT_TYPE,
          title: 'Order placed',
          contentType: 'application/json',
          headers: jsonSchema(RecordHeaderSchema),
          payload: jsonSchema(OrderSchema),
          bindings: {
            kafka: {
              key: { type: 'string', description: "The order's user_id.", pattern: '^[A-Za-z0-9._:-]{1,64}$' },
              bindingVersion: '0.5.0',
            },
          },
        },
      },
    },
  };
}
