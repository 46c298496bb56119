import * as z from 'zod';
import { createDocument } from 'zod-openapi';
import { MAX_BATCH_BODY_BYTES, MAX_ORDER_BODY_BYTES } from '../http/limits';
import { OrderSchema } from '../orders/schema';
import {
  AmznTraceIdSchema,
  BatchReceiptSchema,
  HealthSchema,
  IdempotencyKeySchema,
  OrderBatchSchema,
  OrderReceiptSchema,
  ProblemSchema,
  TraceparentSchema,
} from './schemas';

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

const retryAfter = z.object({
  'retry-after': z.string().meta({ description: 'Seconds to wait before retrying.', example: '1' }),
});

const replayed = z.object({
  'idempotent-replayed': z
    .literal('true')
    .optional()
    .meta({ description: 'Present on an answer stored for this Idempotency-Key and sent again: nothing new was written.' }),
});

const publishHeaders = z.object({
  'idempotency-key': IdempotencyKeySchema.optional(),
  traceparent: TraceparentSchema.optional(),
  'x-amzn-trace-id': AmznTraceIdSchema.optional(),
});

const failureResponses = (maxBytes: number) => ({
  '400': problem(
    'Malformed JSON, an empty body, a malformed Idempotency-Key, traceparent or X-Amzn-Trace-Id header, or no Idempotency-Key where the deploy requires one. Nothing was written.',
  ),
  '409': {
    ...problem(
      'A request with this Idempotency-Key is still in flight, or its outcome is still settling (idempotency-key-in-flight). Nothing was written: retry after Retry-After.',
    ),
    headers: retryAfter,
  },
  '413': problem(`The body is over ${maxBytes} bytes. Nothing was written.`),
  '415': problem('The Content-Type is not application/json (or */*+json) in UTF-8. Nothing was written.'),
  '422': problem(
    'The body breaks the schema (validation-failed; `errors` names every bad field by JSON Pointer), or the Idempotency-Key was used for another request (idempotency-key-reused). Nothing was written.',
  ),
  '500': problem('An unexpected error, or Kafka rejected the record for good (authorization, size). Do not retry unchanged.'),
  '503': { ...problem('Kafka, or the idempotency store, is unavailable, and nothing was written: retry.'), headers: retryAfter },
  '504': {
    ...problem(
      'The deadline passed with the record in flight: it may or may not be in Kafka. Retry with the same Idempotency-Key after Retry-After: the key is kept, and the retry is decided against it.',
    ),
    headers: retryAfter,
  },
});

/** The OpenAPI 3.1 document of the HTTP API, generated from the zod schemas. */
export function buildOpenApiDocument() {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Order event publisher',
      version: '1.0.0',
      description:
        'Publishes placed orders to the Kafka topic order-events, keyed by user_id, and answers only after Kafka acknowledged them with acks=all.',
    },
    servers: [{ url: 'http://localhost:3000/dev', description: 'npm run dev (serverless-offline)' }],
    paths: {
      '/orders': {
        post: {
          operationId: 'publishOrder',
          summary: 'Publish one order',
          requestParams: { header: publishHeaders },
          requestBody: { required: true, content: { 'application/json': { schema: OrderSchema } } },
          responses: {
            '201': {
              description:
                'Written: Kafka acknowledged the record. Or, with Idempotent-Replayed, the answer stored for this Idempotency-Key.',
              headers: replayed,
              content: { 'application/json': { schema: OrderReceiptSchema } },
            },
            ...failureResponses(MAX_ORDER_BODY_BYTES),
          },
        },
      },
      '/orders/batch': {
        post: {
          operationId: 'publishOrders',
          summary: 'Publish 1 to 500 orders, with a receipt per order',
          requestParams: { header: publishHeaders },
          requestBody: { required: true, content: { 'application/json': { schema: OrderBatchSchema } } },
          responses: {
            '201': {
              description: 'Every order was written (or, with Idempotent-Replayed, the stored answer).',
              headers: replayed,
              content: { 'application/json': { schema: BatchReceiptSchema } },
            },
            '207': {
              description:
                'Some orders were written and some were not: each receipt says which, whether it is retriable, and whether its outcome is unknown. Retry the same body with the same Idempotency-Key: the retry publishes only the orders not in the log (it looks there first for those of unknown outcome), keeps every earlier receipt, and answers 201 once all are written, or a new 207. Idempotent-Replayed: true only when it wrote nothing.',
              headers: replayed,
              content: { 'application/json': { schema: BatchReceiptSchema } },
            },
            ...failureResponses(MAX_BATCH_BODY_BYTES),
          },
        },
      },
      '/health': {
        get: {
          operationId: 'health',
          summary: 'Whether the Kafka cluster answers a metadata request in time',
          responses: {
            '200': { description: 'The cluster answered.', content: { 'application/json': { schema: HealthSchema } } },
            '503': problem('The cluster did not answer in time.'),
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'openapi',
          summary: 'This document',
          responses: { '200': { description: 'The OpenAPI document.', content: { 'application/json': { schema: z.object({}).loose() } } } },
        },
      },
    },
  });
}
