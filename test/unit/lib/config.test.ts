import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lib/config';
import { ConfigError } from '../../../lib/errors';

describe('parseConfig', () => {
  it('falls back to the local defaults', () => {
    expect(parseConfig({})).toEqual({
      kafka: {
        brokers: ['127.0.0.1:9092'],
        topic: 'order-events',
        clientId: 'order-producer',
        connectionTimeoutMs: 3000,
        requestTimeoutMs: 5000,
        compression: 'snappy',
        tls: false,
        auth: { mechanism: 'none' },
      },
      publishTimeoutMs: 10_000,
      deadlineMarginMs: 500,
      healthTimeoutMs: 2000,
      awsRegion: undefined,
      idempotency: { table: undefined, ttlSeconds: 86_400, keyRequired: false, settleMs: 10_000 },
      logLevel: 'INFO',
    });
  });

  it('reads every variable, and treats an empty one as unset', () => {
    const config = parseConfig({
      KAFKA_BROKERS: 'b-1.msk:9098, b-2.msk:9098',
      KAFKA_TOPIC: 'orders.v1',
      KAFKA_CLIENT_ID: '',
      PUBLISH_TIMEOUT_MS: '2500',
      DEADLINE_MARGIN_MS: '250',
      LOG_LEVEL: 'debug',
    });
    expect(config.kafka.brokers).toEqual(['b-1.msk:9098', 'b-2.msk:9098']);
    expect(config.kafka.topic).toBe('orders.v1');
    expect(config.kafka.clientId).toBe('order-producer');
    expect(config.publishTimeoutMs).toBe(2500);
    expect(config.deadlineMarginMs).toBe(250);
    expect(config.logLevel).toBe('DEBUG');
  });

  it('is frozen', () => {
    const config = parseConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.kafka)).toBe(true);
  });

  it.each([
    ['KAFKA_BROKERS', 'localhost'],
    ['KAFKA_BROKERS', ' , '],
    ['KAFKA_TOPIC', 'orders/with/slash'],
    ['PUBLISH_TIMEOUT_MS', 'ten seconds'],
    ['PUBLISH_TIMEOUT_MS', '60000'],
    ['DEADLINE_MARGIN_MS', '-1'],
    ['LOG_LEVEL', 'loud'],
    ['KAFKA_AUTH', 'kerberos'],
    ['KAFKA_TLS', 'yes'],
    ['KAFKA_SCRAM_SECRET_ARN', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-kafka'],
    ['KAFKA_COMPRESSION', 'lz4'],
    ['IDEMPOTENCY_TABLE', 'x'],
    ['IDEMPOTENCY_TTL_SECONDS', '10'],
    ['IDEMPOTENCY_KEY_REQUIRED', 'yes'],
    ['IDEMPOTENCY_SETTLE_MS', 'soon'],
  ])('fails fast naming %s when it is %j', (variable, value) => {
    expect(() => parseConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => parseConfig({ [variable]: value })).toThrow(new RegExp(`^Invalid configuration: ${variable}=`));
  });

  it.each([
    [{ KAFKA_AUTH: 'scram' }, 'KAFKA_SCRAM_SECRET_ARN=""'],
    [{ KAFKA_AUTH: 'iam' }, 'AWS_REGION=""'],
    [{ IDEMPOTENCY_TABLE: 'order-publisher-idempotency' }, 'AWS_REGION=""'],
  ])('names the variable a mechanism needs: %o', (env, named) => {
    expect(() => parseConfig(env)).toThrow(named);
  });

  it.each([
    [{ KAFKA_AUTH: 'iam', AWS_REGION: 'eu-west-1' }, { mechanism: 'iam', region: 'eu-west-1' }, true],
    [
      { KAFKA_AUTH: 'scram', KAFKA_SCRAM_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_orders-AbCdEf' },
      { mechanism: 'scram', secretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_orders-AbCdEf' },
      true,
    ],
    [
      { KAFKA_AUTH: 'scram', KAFKA_SCRAM_SECRET_ARN: 'AmazonMSK_local', KAFKA_TLS: 'false' },
      { mechanism: 'scram', secretId: 'AmazonMSK_local' },
      false,
    ],
  ])('reads the auth mechanism and turns TLS on with it unless told otherwise: %o', (env, auth, tls) => {
    const config = parseConfig(env);
    expect(config.kafka.auth).toEqual(auth);
    expect(config.kafka.tls).toBe(tls);
  });

  it('reads the idempotency settings', () => {
    const config = parseConfig({
      IDEMPOTENCY_TABLE: 'order-publisher-idempotency',
      AWS_REGION: 'eu-west-1',
      IDEMPOTENCY_TTL_SECONDS: '3600',
      IDEMPOTENCY_KEY_REQUIRED: 'true',
      IDEMPOTENCY_SETTLE_MS: '2500',
    });
    expect(config.idempotency).toEqual({ table: 'order-publisher-idempotency', ttlSeconds: 3600, keyRequired: true, settleMs: 2500 });
  });

  it('refuses zstd at cold start on a Node whose zlib lacks it, naming the variable and the way out', () => {
    expect(() => parseConfig({ KAFKA_COMPRESSION: 'zstd' }, { zstd: false })).toThrow(
      /^Invalid configuration: KAFKA_COMPRESSION="zstd": zstd needs zstd in node:zlib \(Node 22.15 or later.*use none, gzip or snappy/,
    );
    expect(parseConfig({ KAFKA_COMPRESSION: 'zstd' }, { zstd: true }).kafka.compression).toBe('zstd');
  });

  it('names the allowed codecs', () => {
    expect(() => parseConfig({ KAFKA_COMPRESSION: 'lz4' })).toThrow(/KAFKA_COMPRESSION="lz4": one of none, gzip, snappy, zstd/);
  });
});
