/**
 * Every failure the publisher can report. Each says whether the client may retry it, in the
 * way kafkajs errors do (`KafkaJSError.retriable`); lib/http/responses.ts maps them to HTTP.
 */

export interface FieldError {
  /** A JSON Pointer (RFC 6901) into the request body; "" is the body itself. */
  path: string;
  message: string;
}

export abstract class PublisherError extends Error {
  abstract readonly retriable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class InvalidJsonError extends PublisherError {
  readonly retriable = false;
}

export class UnsupportedMediaTypeError extends PublisherError {
  readonly retriable = false;
}

export class PayloadTooLargeError extends PublisherError {
  readonly retriable = false;
  constructor(
    readonly limitBytes: number,
    readonly actualBytes: number,
  ) {
    super(`The body is ${actualBytes} bytes; the limit is ${limitBytes} bytes.`);
  }
}

export class ValidationError extends PublisherError {
  readonly retriable = false;
  constructor(readonly errors: readonly FieldError[]) {
    super(`The order is invalid: ${errors.map((e) => `${e.path || '(body)'} ${e.message}`).join('; ')}`);
  }
}

/** Kafka could not take the record, and nothing was written: the client should retry. */
export class KafkaUnavailableError extends PublisherError {
  readonly retriable = true;
}

/**
 * The deadline passed, or the connection failed, after the record may have reached the broker.
 * It may or may not be in the topic. With the idempotency store, a retry with the same key is
 * reconciled against the log; without it, consumers must drop a duplicate by its event id.
 */
export class PublishOutcomeUnknownError extends PublisherError {
  readonly retriable = true;
  /** When a retry may succeed: the idempotency store sets it to the key's settle time. */
  retryAfterSeconds?: number;
}

/**
 * Registry mode: the schema id to frame values with could not be had (the registry unreachable
 * or refusing our credentials at a cold start, the subject missing, or its latest schema not
 * ours). Nothing was written: a retry may succeed once the registry or the deploy is fixed.
 */
export class SchemaUnavailableError extends PublisherError {
  readonly retriable = true;
}

/** Kafka refused the record for a reason a retry will not fix (authorization, record too large). */
export class PublishRejectedError extends PublisherError {
  readonly retriable = false;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** A request header that we read (Idempotency-Key, traceparent, X-Amzn-Trace-Id) is malformed. */
export class InvalidHeaderError extends PublisherError {
  readonly retriable = false;
  constructor(readonly errors: readonly FieldError[]) {
    super(`Invalid header: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
  }
}

/** IDEMPOTENCY_KEY_REQUIRED=true, and the request has no Idempotency-Key. */
export class IdempotencyKeyMissingError extends PublisherError {
  readonly retriable = false;
}

/** The key was used before for another request (another order, or a batch instead of one order). */
export class IdempotencyKeyReusedError extends PublisherError {
  readonly retriable = false;
}

/** An earlier request with the key has not finished, or has not settled yet. */
export class IdempotencyKeyInFlightError extends PublisherError {
  readonly retriable = true;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** The idempotency store did not answer in time: nothing was written, since publishing without it could duplicate. */
export class IdempotencyStoreUnavailableError extends PublisherError {
  readonly retriable = true;
}

/** An item in the idempotency table that this service did not write, or that is damaged: a 500, never trusted. */
export class IdempotencyRecordCorruptError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IdempotencyRecordCorruptError';
  }
}
