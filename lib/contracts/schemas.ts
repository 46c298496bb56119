import * as z from 'zod';
import { OrderSchema } from '../orders/schema';

/**
 * The HTTP contract beside the order itself: what each route answers. Types in the code are
 * inferred from these, and openapi.json is generated from them (scripts/contracts.ts).
 */

const eventId = z.uuid().describe("The record's event-id header: derived from Idempotency-Key when one is sent.");
const partition = z.int().min(0);
const offset = z.int().min(0);

export const OrderReceiptSchema = z
  .object({
    topic: z.string(),
    partition,
    offset,
    timestamp: z.iso.datetime({ offset: true }).describe("The broker's log-append time, or the record's create time."),
    key: z.string().describe("The record key: the order's user_id."),
    event_id: eventId,
  })
  .meta({
    id: 'OrderReceipt',
    description: 'Kafka acknowledged the record with acks=all; this is where it is.',
    examples: [
      {
        topic: 'order-events',
        partition: 0,
        offset: 12,
        timestamp: '2026-11-26T10:00:00.000Z',
        key: 'user789',
        event_id: '9b2c1f0e-4d7a-4c1b-9a57-0f3c2d1e5b6a',
      },
    ],
  });
export type OrderReceipt = z.infer<typeof OrderReceiptSchema>;

export const OrderBatchSchema = z
  .strictObject({
    orders: z.array(OrderSchema).min(1, 'orders must hold at least 1 order').max(500, 'orders must hold at most 500 orders'),
  })
  .meta({
    id: 'OrderBatch',
    examples: [
      {
        orders: [
          { order_id: '12345', user_id: 'user789', product: 'Laptop', quantity: 1, amount: 75000 },
          { order_id: '12346', user_id: 'user123', product: 'Mouse', quantity: 2, amount: 19.99, currency: 'EUR' },
        ],
      },
    ],
  });
export type OrderBatch = z.infer<typeof OrderBatchSchema>;

export const WrittenRecordSchema = z.object({
  status: z.literal('written'),
  partition,
  offset,
  timestamp: z.iso.datetime({ offset: true }),
  key: z.string(),
  event_id: eventId,
});

export const FailedRecordSchema = z.object({
  status: z.literal('failed'),
  key: z.string(),
  event_id: eventId,
  retriable: z
    .boolean()
    .describe(
      'true: retrying may write it. Retry the whole batch with the same Idempotency-Key and the same body: the retry publishes only the orders not in the log, keeps every earlier receipt, and its event ids stay the same.',
    ),
  outcome: z
    .enum(['not_written', 'unknown'])
    .describe(
      'not_written: Kafka refused it, it is not in the topic. unknown: the send may have reached Kafka (the deadline passed while Kafka had it, or a connection was lost mid-request), so it may or may not be in the topic; a retry with the same key looks in the log before it publishes.',
    ),
  reason: z.string(),
});

export const BatchRecordReceiptSchema = z
  .discriminatedUnion('status', [WrittenRecordSchema, FailedRecordSchema])
  .meta({ id: 'BatchRecordReceipt' });
export type BatchRecordReceipt = z.infer<typeof BatchRecordReceiptSchema>;

export const BatchReceiptSchema = z
  .object({
    topic: z.string(),
    written: z.int().min(0),
    failed: z.int().min(0),
    receipts: z.array(BatchRecordReceiptSchema).describe('One per order, in request order.'),
  })
  .meta({
    id: 'BatchReceipt',
    examples: [
      {
        topic: 'order-events',
        written: 1,
        failed: 1,
        receipts: [
          {
            status: 'written',
            partition: 2,
            offset: 40,
            timestamp: '2026-11-26T10:00:00.000Z',
            key: 'user789',
            event_id: '9b2c1f0e-4d7a-4c1b-9a57-0f3c2d1e5b6a',
          },
          {
            status: 'failed',
            key: 'user123',
            event_id: '1c9d7f3a-2b4e-5a6c-8d0e-3f2a1b4c5d6e',
            retriable: true,
            outcome: 'not_written',
            reason: 'Kafka could not take the record: LEADER_NOT_AVAILABLE',
          },
        ],
      },
    ],
  });
export type BatchReceipt = z.infer<typeof BatchReceiptSchema>;

export const FieldErrorSchema = z.object({
  path: z.string().describe('A JSON Pointer into the body ("" is the body itself), or the header\'s name.'),
  message: z.string(),
});

export const ProblemSchema = z
  .object({
    type: z.string().describe('A URN naming the kind of problem: urn:order-publisher:problem:<kind>.'),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    retriable: z.boolean(),
    errors: z.array(FieldErrorSchema).optional(),
  })
  .meta({
    id: 'Problem',
    description: 'RFC 9457 problem details, served as application/problem+json.',
    examples: [
      {
        type: 'urn:order-publisher:problem:validation-failed',
        title: 'The order is invalid',
        status: 422,
        detail: 'The order is invalid: /quantity quantity must be at least 1',
        retriable: false,
        errors: [{ path: '/quantity', message: 'quantity must be at least 1' }],
      },
    ],
  });
export type Problem = z.infer<typeof ProblemSchema>;

export const HealthSchema = z
  .object({
    status: z.literal('ok'),
    brokers: z.int().min(0).describe('Brokers in the cluster, as the metadata answer lists them.'),
    topic: z.string(),
    partitions: z.int().min(0),
  })
  .meta({ id: 'Health', examples: [{ status: 'ok', brokers: 3, topic: 'order-events', partitions: 3 }] });
export type Health = z.infer<typeof HealthSchema>;

export const IdempotencyKeySchema = z
  .string()
  .regex(/^[\x20-\x7e]{1,128}$/, 'must be 1 to 128 printable ASCII characters')
  .meta({
    description:
      'One key per order (or batch), the same key on every retry of it. With the idempotency store on, a retry gets the stored answer and writes nothing; without it, the key makes the event ids deterministic (UUIDv5 of the key, and of key#index in a batch) so that consumers can drop a duplicate.',
    example: 'checkout-7f3a-attempt',
  });

export const TraceparentSchema = z
  .string()
  .regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/, 'must be a W3C trace context: 00-<32 hex>-<16 hex>-<2 hex>')
  .refine(
    (value) => !value.startsWith('ff-') && !/^..-0{32}-/.test(value) && !/-0{16}-..$/.test(value),
    'must not use version ff or an all-zero id',
  )
  .meta({
    description: 'W3C trace context, copied into the record headers.',
    example: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  });

export const AmznTraceIdSchema = z
  .string()
  .regex(
    /^(?:[A-Za-z]+=[^;\s]{1,256};)*Root=1-[0-9a-f]{8}-[0-9a-f]{24}(?:;[A-Za-z]+=[^;\s]{1,256})*$/,
    'must be an X-Ray trace header: Root=1-<8 hex>-<24 hex>[;Parent=…;Sampled=…]',
  )
  .meta({
    description: 'AWS X-Ray trace header (API Gateway sets it), copied into the record headers.',
    example: 'Root=1-67a1b2c3-0123456789abcdef01234567;Sampled=1',
  });

/** The request headers that travel into the record. Names are lower-case, as they are matched. */
export const RecordHeadersSchema = z.object({
  'idempotency-key': IdempotencyKeySchema.optional(),
  traceparent: TraceparentSchema.optional(),
  'x-amzn-trace-id': AmznTraceIdSchema.optional(),
});
