/**
 * The order as an Avro record, for registry mode with SCHEMA_FORMAT=avro. Kept by hand beside the
 * zod schema (lib/orders/schema.ts), which stays the one source of truth: a test checks that both
 * have the same fields, in the same required-ness and types, and that every order zod accepts
 * encodes (test/unit/lib/schema/avro.test.ts).
 *
 * - Optional fields are unions with null first and a null default, so a reader of a later version
 *   may add one without breaking BACKWARD compatibility.
 * - `amount` is a double: zod's number with at most 2 decimals round-trips through it exactly.
 * - `created_at` stays RFC 3339 text: a timestamp-millis would lose the time zone the shop sent.
 * - Written the way Avro's Schema.toString writes it (primitive types as bare names), which is what
 *   a registry stores and answers with.
 */
export const ORDER_AVRO_SCHEMA = {
  type: 'record',
  name: 'Order',
  namespace: 'shop.orders',
  doc: 'An order placed on the shop, published to the order-events topic keyed by user_id.',
  fields: [
    { name: 'order_id', type: 'string' },
    { name: 'user_id', type: 'string', doc: 'The Kafka key: all orders of a user share a partition.' },
    { name: 'product', type: 'string' },
    { name: 'quantity', type: 'int' },
    { name: 'amount', type: 'double', doc: 'Greater than 0, with at most 2 decimal places.' },
    { name: 'currency', type: ['null', 'string'], default: null, doc: 'ISO 4217: three upper-case letters.' },
    { name: 'created_at', type: ['null', 'string'], default: null, doc: 'RFC 3339, with a time zone.' },
  ],
} as const;

/** The record's full name: the subject under the record and topic-record strategies. */
export const ORDER_AVRO_NAME = `${ORDER_AVRO_SCHEMA.namespace}.${ORDER_AVRO_SCHEMA.name}`;
