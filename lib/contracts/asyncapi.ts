import * as z from 'zod';
import { ORDER_AVRO_SCHEMA } from '../orders/avro-schema';
import { ORDER_PLACED_EVENT_TYPE, ORDER_SCHEMA_VERSION } from '../orders/event';
import { OrderSchema, standaloneJsonSchema } from '../orders/schema';
import { orderRegistryJsonSchema } from '../schema/formats';
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

const KEY = { type: 'string', description: "The order's user_id.", pattern: '^[A-Za-z0-9._:-]{1,64}$' };

/**
 * Registry mode's message: the same order and headers, its value framed in the Confluent wire
 * format with the id the registry gave the schema under the subject (docs/api.md#registry-mode).
 */
function registryMessage(topic: string, format: string, contentType: string, payload: { schemaFormat: string; schema: unknown }) {
  return {
    name: ORDER_PLACED_EVENT_TYPE,
    title: `Order placed (schema registry, ${format})`,
    summary: `With SCHEMA_REGISTRY_URL set and SCHEMA_FORMAT=${format === 'Avro' ? 'avro' : 'json'}.`,
    description: `The value is framed in the Confluent wire format: byte 0, then the schema id (4 bytes, big-endian) of this schema in the registry under the subject ${topic}-value (SCHEMA_SUBJECT_STRATEGY=topic, the default; record: ${format === 'Avro' ? 'shop.orders.Order' : 'Order'}; topic-record: ${topic}-${format === 'Avro' ? 'shop.orders.Order' : 'Order'}), then the order in ${format}. The headers are those of orderPlaced, unchanged (content-type included).`,
    contentType,
    headers: jsonSchema(RecordHeaderSchema),
    payload,
    bindings: {
      kafka: {
        key: KEY,
        schemaIdLocation: 'payload',
        schemaIdPayloadEncoding: 'confluent',
        schemaLookupStrategy: 'TopicIdStrategy',
        bindingVersion: '0.5.0',
      },
    },
  };
}

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
        messages: {
          orderPlaced: { $ref: '#/components/messages/orderPlaced' },
          orderPlacedJsonSchema: { $ref: '#/components/messages/orderPlacedJsonSchema' },
          orderPlacedAvro: { $ref: '#/components/messages/orderPlacedAvro' },
        },
      },
    },
    operations: {
      publishOrderPlaced: {
        action: 'send',
        channel: { $ref: '#/channels/orderEvents' },
        description:
          'One of the three messages, as the deploy is configured: orderPlaced (plain JSON) without a schema registry, the default; with SCHEMA_REGISTRY_URL, orderPlacedJsonSchema (SCHEMA_FORMAT=json) or orderPlacedAvro (SCHEMA_FORMAT=avro).',
        messages: [
          { $ref: '#/channels/orderEvents/messages/orderPlaced' },
          { $ref: '#/channels/orderEvents/messages/orderPlacedJsonSchema' },
          { $ref: '#/channels/orderEvents/messages/orderPlacedAvro' },
        ],
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
            kafka: { key: KEY, bindingVersion: '0.5.0' },
          },
        },
        orderPlacedJsonSchema: registryMessage(topic, 'JSON Schema', 'application/json', {
          schemaFormat: 'application/schema+json;version=draft-07',
          schema: orderRegistryJsonSchema(),
        }),
        orderPlacedAvro: registryMessage(topic, 'Avro', 'application/octet-stream', {
          schemaFormat: 'application/vnd.apache.avro+json;version=1.9.0',
          schema: ORDER_AVRO_SCHEMA,
        }),
      },
    },
  };
}
