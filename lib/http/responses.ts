import type { APIGatewayProxyResult } from 'aws-lambda';
import type { Problem } from '../contracts/schemas';
import {
  IdempotencyKeyInFlightError,
  IdempotencyKeyMissingError,
  IdempotencyKeyReusedError,
  IdempotencyStoreUnavailableError,
  InvalidHeaderError,
  InvalidJsonError,
  KafkaUnavailableError,
  PayloadTooLargeError,
  PublishOutcomeUnknownError,
  PublishRejectedError,
  SchemaUnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors';
import type { Logger } from '../log';

/** Seconds a client should wait before retrying a 503 or 504, unless the error says otherwise. */
export const RETRY_AFTER_SECONDS = 1;

/** Problem types are URNs: stable names to branch on, with no page behind them to fetch. */
const PROBLEM_BASE = 'urn:order-publisher:problem:';

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

interface ProblemKind {
  status: number;
  slug: string;
  title: string;
  retryAfter?: boolean;
}

/** The one table from error class to HTTP status. Anything not in it is a 500. */
const PROBLEM_KINDS: ReadonlyArray<[new (...args: never[]) => Error, ProblemKind]> = [
  [InvalidJsonError, { status: 400, slug: 'invalid-json', title: 'The body is not a JSON document' }],
  [InvalidHeaderError, { status: 400, slug: 'invalid-header', title: 'A request header is malformed' }],
  [IdempotencyKeyMissingError, { status: 400, slug: 'idempotency-key-missing', title: 'The Idempotency-Key header is required' }],
  [
    IdempotencyKeyInFlightError,
    { status: 409, slug: 'idempotency-key-in-flight', title: 'A request with this Idempotency-Key is in progress', retryAfter: true },
  ],
  [IdempotencyKeyReusedError, { status: 422, slug: 'idempotency-key-reused', title: 'The Idempotency-Key was used for another request' }],
  [PayloadTooLargeError, { status: 413, slug: 'payload-too-large', title: 'The body is too large' }],
  [UnsupportedMediaTypeError, { status: 415, slug: 'unsupported-media-type', title: 'The body must be JSON' }],
  [ValidationError, { status: 422, slug: 'validation-failed', title: 'The order is invalid' }],
  [PublishRejectedError, { status: 500, slug: 'rejected-by-kafka', title: 'Kafka rejected the record' }],
  [KafkaUnavailableError, { status: 503, slug: 'kafka-unavailable', title: 'Kafka is unavailable; nothing was written', retryAfter: true }],
  [
    SchemaUnavailableError,
    {
      status: 503,
      slug: 'schema-unavailable',
      title: "The event schema's registry id is unavailable; nothing was written",
      retryAfter: true,
    },
  ],
  [
    IdempotencyStoreUnavailableError,
    {
      status: 503,
      slug: 'idempotency-store-unavailable',
      title: 'The idempotency store is unavailable; nothing was written',
      retryAfter: true,
    },
  ],
  [
    PublishOutcomeUnknownError,
    {
      status: 504,
      slug: 'outcome-unknown',
      title: 'The outcome is unknown: the record may or may not have been written',
      retryAfter: true,
    },
  ],
];

const UNEXPECTED: ProblemKind = { status: 500, slug: 'internal-error', title: 'Internal error' };

export function problemResponse(error: unknown, logger: Pick<Logger, 'warn' | 'error'>): APIGatewayProxyResult {
  const kind = PROBLEM_KINDS.find(([type]) => error instanceof type)?.[1] ?? UNEXPECTED;
  const known = kind !== UNEXPECTED;
  const problem: Problem = {
    type: `${PROBLEM_BASE}${kind.slug}`,
    title: kind.title,
    status: kind.status,
    // Details of unexpected errors go to the log, never to the client.
    detail: known ? (error as Error).message : 'An unexpected error occurred; it has been logged.',
    retriable: known ? Boolean((error as { retriable?: boolean }).retriable) : false,
    ...(error instanceof ValidationError || error instanceof InvalidHeaderError ? { errors: [...error.errors] } : {}),
  };
  if (kind.status >= 500) logger.error(kind.title, { error, status: kind.status });
  else logger.warn(kind.title, { detail: problem.detail, status: kind.status });
  return {
    statusCode: kind.status,
    headers: {
      'content-type': 'application/problem+json',
      ...(kind.retryAfter
        ? { 'retry-after': String((error as { retryAfterSeconds?: number }).retryAfterSeconds ?? RETRY_AFTER_SECONDS) }
        : {}),
    },
    body: JSON.stringify(problem),
  };
}
