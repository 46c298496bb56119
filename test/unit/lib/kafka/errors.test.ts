import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSRequestTimeoutError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { KafkaUnavailableError, PublishOutcomeUnknownError, PublishRejectedError } from '../../../../lib/errors';
import { attemptMayHaveWritten, connectFailure, sendFailure } from '../../../../lib/kafka/errors';
import { RecordAlreadyAcknowledgedError } from '../../../../lib/kafka/produce-once';

const protocolError = (type: string, retriable = true) =>
  new KafkaJSProtocolError({ type, message: `broker said ${type}`, code: 0, retriable } as never);
const afterRetries = (error: Error) => new KafkaJSNumberOfRetriesExceeded(error, { retryCount: 3, retryTime: 1000 } as never);
const refused = () =>
  Object.assign(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), { code: 'ECONNREFUSED' });

describe('translating kafkajs errors', () => {
  it.each([
    ['NOT_ENOUGH_REPLICAS after retries', afterRetries(protocolError('NOT_ENOUGH_REPLICAS')), KafkaUnavailableError],
    ['LEADER_NOT_AVAILABLE', protocolError('LEADER_NOT_AVAILABLE'), KafkaUnavailableError],
    ['UNKNOWN_TOPIC_OR_PARTITION after retries', afterRetries(protocolError('UNKNOWN_TOPIC_OR_PARTITION')), KafkaUnavailableError],
    ['a refused connection', afterRetries(refused()), KafkaUnavailableError],
    [
      'NOT_ENOUGH_REPLICAS_AFTER_APPEND: appended to the leader, maybe not replicated',
      afterRetries(protocolError('NOT_ENOUGH_REPLICAS_AFTER_APPEND')),
      PublishOutcomeUnknownError,
    ],
    ['a broker-side REQUEST_TIMED_OUT', afterRetries(protocolError('REQUEST_TIMED_OUT')), PublishOutcomeUnknownError],
    [
      'a client-side request timeout',
      new KafkaJSRequestTimeoutError('Request produce(key: 0, version: 7) timed out'),
      PublishOutcomeUnknownError,
    ],
    ['a connection closed mid-request', new KafkaJSConnectionError('Closed connection'), PublishOutcomeUnknownError],
    [
      'NETWORK_EXCEPTION: the broker dropped the connection before answering',
      afterRetries(protocolError('NETWORK_EXCEPTION')),
      PublishOutcomeUnknownError,
    ],
    [
      'OUT_OF_ORDER_SEQUENCE_NUMBER: the broker refused the batch',
      afterRetries(protocolError('OUT_OF_ORDER_SEQUENCE_NUMBER', false)),
      KafkaUnavailableError,
    ],
    ['an unclassified error', new Error('boom'), PublishOutcomeUnknownError],
    [
      'a retry that stopped short of appending acknowledged records again: some were written',
      new RecordAlreadyAcknowledgedError('not sent again'),
      PublishOutcomeUnknownError,
    ],
    ['MESSAGE_TOO_LARGE', protocolError('MESSAGE_TOO_LARGE', false), PublishRejectedError],
    ['TOPIC_AUTHORIZATION_FAILED', protocolError('TOPIC_AUTHORIZATION_FAILED', false), PublishRejectedError],
  ])('a send failing with %s becomes %O', (_, error, expected) => {
    const translated = sendFailure(error, { ambiguousAttempt: false });
    expect(translated).toBeInstanceOf(expected);
    expect(translated.cause).toBe(error);
  });

  it('treats a "not written" answer as unknown when an earlier attempt of the same send may have been appended', () => {
    const translated = sendFailure(afterRetries(protocolError('NOT_ENOUGH_REPLICAS')), { ambiguousAttempt: true });
    expect(translated).toBeInstanceOf(PublishOutcomeUnknownError);
  });

  it('names the root cause in the message', () => {
    expect(sendFailure(afterRetries(protocolError('NOT_ENOUGH_REPLICAS')), { ambiguousAttempt: false }).message).toContain(
      'NOT_ENOUGH_REPLICAS: broker said NOT_ENOUGH_REPLICAS',
    );
  });

  it('reports any connect failure as unavailable and retriable: nothing was sent', () => {
    const translated = connectFailure(afterRetries(refused()));
    expect(translated).toBeInstanceOf(KafkaUnavailableError);
    expect(translated.retriable).toBe(true);
    expect(translated.message).toContain('ECONNREFUSED');
  });

  it.each([
    ['NOT_ENOUGH_REPLICAS_AFTER_APPEND', 'Messages are written to the log, but to fewer in-sync replicas than required', true],
    ['a broker-side timeout', 'The request timed out', true],
    ['a dropped connection', 'Closed connection', true],
    ['NOT_ENOUGH_REPLICAS', 'Messages are rejected since there are fewer in-sync replicas than required', false],
    ['no leader', 'There is no leader for this topic-partition as we are in the middle of a leadership election', false],
    ['a leader that lost its leadership', 'This server is not the leader for that topic-partition', true],
    ['a refused connection', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092', false],
  ])('says whether a failed attempt (%s) may have appended its record: %s', (_, message, mayHaveWritten) => {
    expect(attemptMayHaveWritten(message)).toBe(mayHaveWritten);
  });

  it.each([
    ['NOT_ENOUGH_REPLICAS', false],
    ['LEADER_NOT_AVAILABLE', false],
    ['NOT_LEADER_FOR_PARTITION', true],
    ['UNKNOWN_TOPIC_OR_PARTITION', false],
    ['NOT_ENOUGH_REPLICAS_AFTER_APPEND', true],
    ['REQUEST_TIMED_OUT', true],
    ['NETWORK_EXCEPTION', true],
  ])("reads kafkajs's own message for %s as may-have-written: %s", (type, mayHaveWritten) => {
    // The installed kafkajs's error table: an upgrade that rewords a message fails here.
    const { errorCodes } = require('kafkajs/src/protocol/error') as { errorCodes: { type: string; message: string }[] };
    const { message } = errorCodes.find((code) => code.type === type) ?? { message: '' };
    expect(message).not.toBe('');
    expect(attemptMayHaveWritten(message)).toBe(mayHaveWritten);
  });
});
