import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makePublishOrderHandler } from '../../handlers/publish-order';
import { parseConfig } from '../../lib/config';
import { Deadline } from '../../lib/deadline';
import { createRuntime } from '../../lib/runtime';
import { testKafka } from '../../scripts/kafka/local-kafka';
import { SCRAM } from '../../scripts/kafka/topology';
import { captureOutput } from '../support/captured-output';
import { exampleOrder, lambdaContext, postEvent } from '../support/events';
import { type FakeSecretsManager, startFakeSecretsManager } from '../support/fake-secrets-manager';
import { TopicReader } from '../support/referee';

const { username: SCRAM_USERNAME, password: SCRAM_PASSWORD } = SCRAM;

/**
 * The SCRAM path for real: the local broker's SASL_PLAINTEXT SCRAM-SHA-512 listener, with the
 * username and password served by a fake Secrets Manager and read through the real AWS SDK
 * client (pointed at it with AWS_ENDPOINT_URL_SECRETS_MANAGER, as the SDK documents).
 */
const SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_local-AbCdEf';
const WRONG_PASSWORD = 'Wrong-Sentinel-9d2e41';
let secretsManager: FakeSecretsManager;
const output = captureOutput();

function scramRuntime() {
  return createRuntime(
    parseConfig({
      KAFKA_BROKERS: testKafka.scramBootstrap,
      KAFKA_AUTH: 'scram',
      KAFKA_TLS: 'false',
      KAFKA_SCRAM_SECRET_ARN: SECRET_ID,
      LOG_LEVEL: 'DEBUG',
    }),
  );
}

beforeAll(async () => {
  secretsManager = await startFakeSecretsManager({});
  vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', secretsManager.endpoint);
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY');
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await secretsManager?.close();
});

describe('SCRAM-SHA-512 with the secret from Secrets Manager, against the real broker', () => {
  it('publishes, reading the secret once for many invocations', async () => {
    // Prepare
    secretsManager.setSecret(SECRET_ID, JSON.stringify({ username: SCRAM_USERNAME, password: SCRAM_PASSWORD }));
    const requestsBefore = secretsManager.requests.length;
    const runtime = scramRuntime();
    const handler = makePublishOrderHandler(runtime.publishDeps);
    // Act
    const responses = [];
    for (let i = 0; i < 3; i++) responses.push(await handler(postEvent(exampleOrder()), lambdaContext()));
    await runtime.publisher.close();
    // Assess
    expect(responses.map((response) => response.statusCode)).toEqual([201, 201, 201]);
    expect(secretsManager.requests.slice(requestsBefore)).toEqual([{ target: 'secretsmanager.GetSecretValue', secretId: SECRET_ID }]);
    const receipt = JSON.parse(responses[2]?.body ?? '{}');
    const reader = new TopicReader(testKafka.bootstrap(1), 'order-events');
    expect((await reader.at(receipt.partition, receipt.offset)).headers['event-id']).toBe(receipt.event_id);
  });

  it('answers a wrong password with a clear 503 at once, logs no password, and reads the secret again afterwards', async () => {
    // Prepare
    secretsManager.setSecret(SECRET_ID, JSON.stringify({ username: SCRAM_USERNAME, password: WRONG_PASSWORD }));
    const requestsBefore = secretsManager.requests.length;
    const runtime = scramRuntime();
    const handler = makePublishOrderHandler(runtime.publishDeps);
    // Act
    const started = Date.now();
    const refused = await handler(postEvent(exampleOrder()), lambdaContext());
    const elapsedMs = Date.now() - started;
    secretsManager.setSecret(SECRET_ID, JSON.stringify({ username: SCRAM_USERNAME, password: SCRAM_PASSWORD }));
    const afterRotation = await handler(postEvent(exampleOrder()), lambdaContext());
    await runtime.publisher.close();
    // Assess
    expect(refused.statusCode).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({
      type: 'urn:order-publisher:problem:kafka-unavailable',
      detail: expect.stringContaining('SASL SCRAM SHA512 authentication failed'),
    });
    expect(elapsedMs).toBeLessThan(5_000);
    expect(afterRotation.statusCode).toBe(201);
    expect(secretsManager.requests.length - requestsBefore).toBe(2);
    for (const text of [...output.written, refused.body, afterRotation.body]) {
      expect(text).not.toContain(WRONG_PASSWORD);
      expect(text).not.toContain(SCRAM_PASSWORD);
    }
  });

  it('reads the log over SCRAM, as a retry after a 504 does: finds a record by key and event id, and misses one that is not there', async () => {
    // Prepare
    secretsManager.setSecret(SECRET_ID, JSON.stringify({ username: SCRAM_USERNAME, password: SCRAM_PASSWORD }));
    const runtime = scramRuntime();
    const since = Date.now();
    const published = await makePublishOrderHandler(runtime.publishDeps)(postEvent(exampleOrder()), lambdaContext());
    expect(published.statusCode).toBe(201);
    const receipt = JSON.parse(published.body);
    // Act
    const found = await runtime.publisher.find(
      [
        { key: 'user789', eventId: receipt.event_id },
        { key: 'user789', eventId: '00000000-0000-4000-8000-000000000000' },
      ],
      since,
      new Deadline(Date.now() + 5_000),
    );
    await runtime.publisher.close();
    // Assess
    expect(found).toEqual([
      { topic: 'order-events', partition: receipt.partition, offset: receipt.offset, timestamp: receipt.timestamp },
      undefined,
    ]);
  });
});
