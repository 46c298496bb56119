import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makePublishOrderHandler } from '../../handlers/publish-order';
import { makePublishOrdersBatchHandler } from '../../handlers/publish-orders-batch';
import { Deadline } from '../../lib/deadline';
import type { Runtime } from '../../lib/runtime';
import { schemaFormat } from '../../lib/schema/formats';
import { RegistryClient } from '../../lib/schema/registry-client';
import { testRegistry } from '../../scripts/registry/local-registry';
import { type BasicAuthGate, startBasicAuthGate } from '../support/basic-auth-gate';
import { captureOutput } from '../support/captured-output';
import { exampleOrder, lambdaContext, postEvent } from '../support/events';
import { type FakeSecretsManager, startFakeSecretsManager } from '../support/fake-secrets-manager';
import { endOffsets } from '../support/referee';
import { bootstrap, freshTopic, registerOurs, registryRuntime, useTestRegistry } from '../support/registry';

/**
 * What registry mode does when the registry cannot give the schema id: a cold environment answers
 * 503 with the reason and writes nothing; a warm one keeps its id and goes on publishing. The last
 * test stops the tests' registry, and it is started again (empty) after the file.
 */
const registry = useTestRegistry();
const runtimes: Runtime[] = [];
const output = captureOutput();

const SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:order-publisher/registry-AbCdEf';
const USERNAME = 'CCLOUDKEY7QXZ';
const PASSWORD = 'Registry-Sentinel-5f1c93e0';
const WRONG_PASSWORD = 'Wrong-Registry-Sentinel-7a2b';
let secretsManager: FakeSecretsManager;
let gate: BasicAuthGate;

beforeAll(async () => {
  secretsManager = await startFakeSecretsManager({});
  gate = await startBasicAuthGate(registry.url, USERNAME, PASSWORD);
  vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', secretsManager.endpoint);
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY');
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all(runtimes.map((runtime) => runtime.publisher.close()));
  await gate?.close();
  await secretsManager?.close();
  // Stopped by the last test: the next files (and the project's teardown) expect it.
  await testRegistry.quiet().start();
}, 120_000);

function runtimeFor(topic: string, env: Record<string, string> = {}) {
  const runtime = registryRuntime({ KAFKA_TOPIC: topic, SCHEMA_REGISTRY_URL: registry.url, SCHEMA_FORMAT: 'avro', ...env });
  runtimes.push(runtime);
  return runtime;
}

async function publishOne(runtime: Runtime) {
  return makePublishOrderHandler(runtime.publishDeps)(postEvent(exampleOrder()), lambdaContext());
}

const problem = (body: string) => JSON.parse(body) as { type: string; status: number; detail: string; retriable: boolean };

describe('registry mode when the schema id cannot be had', () => {
  it('answers 503 at a cold start when the subject is missing, saying to run npm run schema -- register, and writes nothing', async () => {
    // Prepare
    const topic = await freshTopic('reg-missing');
    const runtime = runtimeFor(topic);
    const before = await endOffsets(bootstrap(), topic);
    // Act
    const single = await publishOne(runtime);
    const batch = await makePublishOrdersBatchHandler(runtime.publishDeps)(postEvent({ orders: [exampleOrder()] }), lambdaContext());
    // Assess
    for (const response of [single, batch]) {
      expect(response.statusCode).toBe(503);
      expect(response.headers?.['retry-after']).toBe('1');
      expect(problem(response.body)).toMatchObject({ type: 'urn:order-publisher:problem:schema-unavailable', retriable: true });
      expect(problem(response.body).detail).toContain(`The subject ${topic}-value has no schema in the registry`);
      expect(problem(response.body).detail).toContain('npm run schema -- register');
    }
    expect(await endOffsets(bootstrap(), topic)).toEqual(before);
    // Registered meanwhile (the deploy's step): the next request of the same environment publishes.
    await registerOurs(registry.url, `${topic}-value`, 'avro');
    expect((await publishOne(runtime)).statusCode).toBe(201);
  });

  it("refuses at a cold start when the subject's latest schema is not this code's, rather than frame with another schema's id", async () => {
    // Prepare: ours, then a later version (a field added, with a default: compatible) that this code does not know.
    const topic = await freshTopic('reg-other');
    const subject = `${topic}-value`;
    await registerOurs(registry.url, subject, 'avro');
    const later = JSON.parse(schemaFormat('avro').schema);
    later.fields.push({ name: 'gift_wrap', type: 'boolean', default: false });
    await new RegistryClient({ url: registry.url }).register(
      subject,
      { schema: JSON.stringify(later), schemaType: 'AVRO' },
      new Deadline(Date.now() + 10_000),
    );
    const runtime = runtimeFor(topic);
    // Act
    const response = await publishOne(runtime);
    // Assess
    expect(response.statusCode).toBe(503);
    expect(problem(response.body).detail).toMatch(
      new RegExp(`The latest schema under ${subject} \\(version 2, id \\d+\\) is not the avro order schema of this code`),
    );
    expect(await endOffsets(bootstrap(), topic)).toEqual(
      new Map([
        [0, 0],
        [1, 0],
        [2, 0],
      ]),
    );
  });

  it('answers a clear 503 when the registry refuses the credentials, and no secret reaches a log or the answer', async () => {
    // Prepare: basic auth from Secrets Manager, through a registry that checks it.
    const topic = await freshTopic('reg-auth');
    await registerOurs(registry.url, `${topic}-value`, 'avro');
    secretsManager.setSecret(SECRET_ID, JSON.stringify({ username: USERNAME, password: WRONG_PASSWORD }));
    const env = { SCHEMA_REGISTRY_URL: gate.url, SCHEMA_REGISTRY_AUTH: 'basic', SCHEMA_REGISTRY_SECRET_ARN: SECRET_ID, LOG_LEVEL: 'DEBUG' };
    const runtime = registryRuntime({ KAFKA_TOPIC: topic, SCHEMA_FORMAT: 'avro', ...env });
    // Act
    const refused = await publishOne(runtime);
    secretsManager.setSecret(SECRET_ID, JSON.stringify({ username: USERNAME, password: PASSWORD }));
    const afterRotation = await publishOne(runtime);
    // Closed here, while its DEBUG lines are still captured and checked.
    await runtime.publisher.close();
    // Assess
    expect(refused.statusCode).toBe(503);
    expect(problem(refused.body).detail).toBe(
      `The schema registry at ${gate.url} refused the credentials of secret ${SECRET_ID} (HTTP 401): check SCHEMA_REGISTRY_AUTH and the secret; nothing was written`,
    );
    // Forgotten on the 401: the rotated secret is read again, and the same environment publishes.
    expect(afterRotation.statusCode, afterRotation.body).toBe(201);
    expect(gate.refused).toBe(1);
    const written = [...output.written, refused.body, afterRotation.body].join('\n');
    expect(written).toContain('schema-unavailable'); // the 503 was logged, at DEBUG
    for (const secret of [PASSWORD, WRONG_PASSWORD, Buffer.from(`${USERNAME}:${WRONG_PASSWORD}`).toString('base64')]) {
      expect(written).not.toContain(secret);
    }
  });

  it('goes on publishing in a warm environment when the registry stops, and answers 503 in a cold one, writing nothing', async () => {
    // Prepare: a warm environment, with its id.
    const topic = await freshTopic('reg-stopped');
    await registerOurs(registry.url, `${topic}-value`, 'avro');
    const warm = runtimeFor(topic);
    expect((await publishOne(warm)).statusCode).toBe(201);
    // Act
    await testRegistry.quiet().stop();
    const warmAfter = await Promise.all([publishOne(warm), publishOne(warm)]);
    const warmBatch = await makePublishOrdersBatchHandler(warm.publishDeps)(
      postEvent({ orders: [exampleOrder(), { ...exampleOrder(), user_id: 'other' }] }),
      lambdaContext(),
    );
    const before = await endOffsets(bootstrap(), topic);
    const started = Date.now();
    const cold = await publishOne(runtimeFor(topic));
    const coldMs = Date.now() - started;
    // Assess
    expect(warmAfter.map((response) => response.statusCode)).toEqual([201, 201]);
    expect(warmBatch.statusCode).toBe(201);
    expect(cold.statusCode).toBe(503);
    expect(problem(cold.body).detail).toMatch(
      /^Could not resolve the schema id of .*: The schema registry at .* did not answer .*ECONNREFUSED/,
    );
    expect(coldMs).toBeLessThan(5_000);
    expect(await endOffsets(bootstrap(), topic)).toEqual(before);
  });
});
