// kafkajs's table of broker error codes (not part of its typed API; kafkajs is pinned at 2.2.4).
import { errorCodes as kafkaErrorCodes } from 'kafkajs/src/protocol/error';
import { KafkaUnavailableError, type PublisherError, PublishOutcomeUnknownError, PublishRejectedError } from '../errors';

/**
 * Broker answers to a produce request that prove the record was not appended: the partition had
 * no leader, the ISR was below min.insync.replicas when the broker checked (before appending),
 * or the broker refused the batch's producer id or sequence. Not here, because they prove
 * nothing: a dropped connection (NETWORK_EXCEPTION), a timeout, and NOT_LEADER_FOR_PARTITION,
 * which a leader also answers for a record it appended and then lost its leadership while
 * waiting for acks=all (the new leader may hold the record).
 */
const NOT_WRITTEN_PROTOCOL_ERRORS = new Set([
  'NOT_ENOUGH_REPLICAS',
  'LEADER_NOT_AVAILABLE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'BROKER_NOT_AVAILABLE',
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'INVALID_PRODUCER_EPOCH',
  'UNKNOWN_PRODUCER_ID',
]);

/** kafkajs errors raised before any produce request left the client. */
const NOT_SENT_ERRORS = new Set([
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSBrokerNotFound',
  'KafkaJSLockTimeout',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSSASLAuthenticationError',
  'KafkaJSNonRetriableError',
  'KafkaJSServerDoesNotSupportApiKey',
]);

/** Answers that no retry will change: the client must not be told to try again. */
const REJECTED_PROTOCOL_ERRORS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_REQUIRED_ACKS',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'POLICY_VIOLATION',
  'INVALID_TOPIC_EXCEPTION',
]);

interface KafkaJsErrorLike {
  name?: string;
  type?: string;
  code?: string;
  message?: string;
  cause?: unknown;
  originalError?: unknown;
}

/** The innermost error: kafkajs wraps the last attempt's error in KafkaJSNumberOfRetriesExceeded. */
function rootCause(error: unknown): KafkaJsErrorLike {
  let current = error as KafkaJsErrorLike;
  for (let depth = 0; depth < 10; depth++) {
    const inner = (current?.originalError ?? current?.cause) as KafkaJsErrorLike | undefined;
    if (!inner || typeof inner !== 'object') break;
    current = inner;
  }
  return current ?? {};
}

export function describeKafkaError(error: unknown): string {
  const root = rootCause(error);
  const what = root.type ?? root.code ?? root.name ?? 'Error';
  return `${what}: ${root.message ?? String(error)}`;
}

/** Connecting failed: no record of this request was sent. */
export function connectFailure(error: unknown): PublisherError {
  return new KafkaUnavailableError(`Kafka is unavailable: ${describeKafkaError(error)}`, { cause: error });
}

/**
 * A send failed. Only errors that prove the broker did not append the record become 503: a
 * timeout or a dropped connection after the request was written leaves the outcome unknown.
 */
/**
 * kafkajs retries inside one `send` and reports only the last attempt's error. An earlier attempt
 * may have been appended: NOT_ENOUGH_REPLICAS_AFTER_APPEND, a timeout, a connection dropped
 * mid-request. kafkajs logs each failed attempt only as "Failed to send messages: <message>"
 * (src/producer/sendMessages.js), so the attempts that prove nothing was appended are recognised
 * by kafkajs's own messages for the errors above, taken from its error table, and by a refused
 * connection.
 */
const NOT_WRITTEN_ATTEMPT_MESSAGES = [
  ...kafkaErrorCodes.filter(({ type }) => NOT_WRITTEN_PROTOCOL_ERRORS.has(type)).map(({ message }) => message),
  'Connection error: connect ECONNREFUSED',
];

/** Whether a failed attempt, as kafkajs logs it, may have appended the record. */
export function attemptMayHaveWritten(message: string): boolean {
  return !NOT_WRITTEN_ATTEMPT_MESSAGES.some((known) => message.startsWith(known));
}

export function sendFailure(error: unknown, options: { ambiguousAttempt: boolean }): PublisherError {
  const root = rootCause(error);
  const detail = describeKafkaError(error);
  if (root.type && REJECTED_PROTOCOL_ERRORS.has(root.type)) {
    return new PublishRejectedError(`Kafka rejected the record: ${detail}`, { cause: error });
  }
  const provablyNotWritten =
    (root.type !== undefined && NOT_WRITTEN_PROTOCOL_ERRORS.has(root.type)) ||
    (root.name !== undefined && NOT_SENT_ERRORS.has(root.name)) ||
    (root.name === 'KafkaJSConnectionError' && root.code === 'ECONNREFUSED') ||
    root.code === 'ECONNREFUSED';
  if (provablyNotWritten && !options.ambiguousAttempt) {
    return new KafkaUnavailableError(`Kafka could not take the record: ${detail}`, { cause: error });
  }
  return new PublishOutcomeUnknownError(`The record may or may not have been written: ${detail}`, { cause: error });
}
