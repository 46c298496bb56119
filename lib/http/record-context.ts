import type { APIGatewayProxyEvent } from 'aws-lambda';
import { RecordHeadersSchema } from '../contracts/schemas';
import { InvalidHeaderError } from '../errors';
import type { RecordContext } from '../orders/event';
import { header } from './request';

/** The request headers that travel into the record; a malformed one is a 400, not silently dropped. */
export function readRecordContext(event: Pick<APIGatewayProxyEvent, 'headers'>): RecordContext {
  const names = Object.keys(RecordHeadersSchema.shape) as (keyof typeof RecordHeadersSchema.shape)[];
  const result = RecordHeadersSchema.safeParse(Object.fromEntries(names.map((name) => [name, header(event, name)])));
  if (!result.success) {
    throw new InvalidHeaderError(result.error.issues.map((issue) => ({ path: String(issue.path[0]), message: issue.message })));
  }
  return {
    idempotencyKey: result.data['idempotency-key'],
    traceparent: result.data.traceparent,
    amznTraceId: result.data['x-amzn-trace-id'],
  };
}
