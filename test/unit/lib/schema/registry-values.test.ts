import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../lib/config';
import { Deadline } from '../../../../lib/deadline';
import { ConfigError, SchemaUnavailableError } from '../../../../lib/errors';
import { makeOrderPublishing } from '../../../../lib/publish';
import { schemaFormat } from '../../../../lib/schema/formats';
import { unframe } from '../../../../lib/schema/framing';
import { RegistryClient } from '../../../../lib/schema/registry-client';
import { RegistryValues } from '../../../../lib/schema/registry-values';
import { registryValues } from '../../../../lib/schema/setup';
import { exampleOrder } from '../../../support/events';
import { FakePublisher, RecordingLogger, RecordingMetrics } from '../../../support/fake-publisher';

const URL = 'http://registry.test/apis/ccompat/v7';
const avro = schemaFormat('avro');

type Answer = { status: number; body: unknown } | 'refused' | 'never';

/** A registry answering from a list, and the requests it got. */
function fakeRegistry(...answers: Answer[]) {
  const requests: { method: string; url: string; authorization: string | undefined }[] = [];
  const fetchImpl = (async (url: string, init: RequestInit & { headers: Record<string, string> }) => {
    requests.push({ method: init.method ?? 'GET', url, authorization: init.headers.authorization });
    const answer = answers.length > 1 ? answers.shift() : answers[0];
    if (answer === 'refused') throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    if (answer === 'never' || answer === undefined) {
      return new Promise((_, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    }
    return new Response(JSON.stringify(answer.body), { status: answer.status });
  }) as unknown as typeof fetch;
  return { fetch: fetchImpl, requests };
}

const latestOurs = (id = 42, version = 3): Answer => ({
  status: 200,
  body: { id, version, subject: 'order-events-value', schema: avro.schema },
});

function values(fetch: typeof globalThis.fetch, options: { autoRegister?: boolean; authorization?: () => Promise<string> } = {}) {
  return new RegistryValues({
    client: new RegistryClient({ url: URL, fetch, ...(options.authorization ? { authorization: options.authorization } : {}) }),
    format: avro,
    subject: 'order-events-value',
    autoRegister: options.autoRegister ?? false,
    logger: new RecordingLogger(),
  });
}

const soon = (ms = 2_000) => new Deadline(Date.now() + ms);
const order = exampleOrder();

describe('RegistryValues: the schema id, once per environment', () => {
  it('asks the registry once, shares the answer with concurrent requests, and frames with the latest id', async () => {
    const registry = fakeRegistry(latestOurs());
    const encoder = values(registry.fetch);
    const framed = await Promise.all([encoder.encode([order], soon()), encoder.encode([order, order], soon())]);
    await encoder.encode([order], soon());
    expect(registry.requests).toEqual([
      { method: 'GET', url: `${URL}/subjects/order-events-value/versions/latest`, authorization: undefined },
    ]);
    expect(framed.flat().map((value) => unframe(value)?.schemaId)).toEqual([42, 42, 42]);
    expect(encoder.schema).toEqual({ id: 42, version: 3 });
  });

  it('keeps publishing once warm, whatever the registry does next', async () => {
    const registry = fakeRegistry(latestOurs(), 'refused');
    const encoder = values(registry.fetch);
    await encoder.encode([order], soon());
    expect(unframe((await encoder.encode([order], soon()))[0] as Buffer)?.schemaId).toBe(42);
    expect(registry.requests).toHaveLength(1);
  });

  it.each([
    [
      'the subject is missing',
      { status: 404, body: { error_code: 40401, message: 'Subject not found' } },
      /has no schema in the registry at .*npm run schema -- register/,
    ],
    [
      'the credentials are refused',
      { status: 401, body: { error_code: 401, message: 'Unauthorized' } },
      /refused requests without credentials \(HTTP 401\)/,
    ],
    [
      'the latest schema is not ours',
      { status: 200, body: { id: 9, version: 4, schema: '"string"' } },
      /latest schema under order-events-value \(version 4, id 9\) is not the avro order schema/,
    ],
    ['the registry is down', 'refused', /did not answer .*ECONNREFUSED/],
    [
      'the registry answers 500',
      { status: 500, body: { error_code: 50001, message: 'Store error' } },
      /HTTP 500 \(error 50001\): Store error/,
    ],
  ] as const)('fails a cold start with a 503 reason when %s, and asks again next time', async (_what, answer, reason) => {
    const registry = fakeRegistry(answer, latestOurs());
    const encoder = values(registry.fetch);
    const failed = encoder.encode([order], soon());
    await expect(failed).rejects.toBeInstanceOf(SchemaUnavailableError);
    await expect(failed).rejects.toThrow(reason);
    await expect(failed).rejects.toThrow(/nothing was written$/);
    // Not cached: the next request resolves it.
    expect(unframe((await encoder.encode([order], soon()))[0] as Buffer)?.schemaId).toBe(42);
  });

  it('gives up by the request deadline when the registry does not answer', async () => {
    const encoder = values(fakeRegistry('never').fetch);
    const started = Date.now();
    await expect(encoder.encode([order], soon(150))).rejects.toThrow(SchemaUnavailableError);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('registers at the cold start with SCHEMA_AUTO_REGISTER=true', async () => {
    const registry = fakeRegistry({ status: 200, body: { id: 77 } });
    const encoder = values(registry.fetch, { autoRegister: true });
    expect(unframe((await encoder.encode([order], soon()))[0] as Buffer)?.schemaId).toBe(77);
    expect(registry.requests.map(({ method, url }) => `${method} ${url}`)).toEqual([`POST ${URL}/subjects/order-events-value/versions`]);
  });

  it('sends basic auth from the secret, and forgets it when the registry refuses it', async () => {
    const registry = fakeRegistry({ status: 401, body: { message: 'Unauthorized' } }, latestOurs());
    const secrets = ['{"username":"KEY","password":"wrong"}', '{"username":"KEY","password":"right"}'];
    const encoder = registryValues(
      {
        url: URL,
        format: 'avro',
        subjectStrategy: 'topic',
        auth: { mechanism: 'basic', secretId: 'registry-secret' },
        autoRegister: false,
      },
      'order-events',
      new RecordingLogger(),
      { readSecret: async () => secrets.shift() as string, fetch: registry.fetch },
    );
    const refused = encoder.encode([order], soon());
    await expect(refused).rejects.toThrow(`refused the credentials of secret registry-secret (HTTP 401)`);
    await expect(refused).rejects.not.toThrow(/wrong|S0VZOndyb25n/);
    await encoder.encode([order], soon());
    expect(registry.requests.map((request) => request.authorization)).toEqual([
      `Basic ${Buffer.from('KEY:wrong').toString('base64')}`,
      `Basic ${Buffer.from('KEY:right').toString('base64')}`,
    ]);
  });
});

describe('the use case in registry mode', () => {
  it('sends framed values with the same keys and headers, and sends nothing without a schema id', async () => {
    const publisher = new FakePublisher();
    const common = { publisher, logger: new RecordingLogger(), metrics: new RecordingMetrics(), now: () => 1_000, newEventId: () => 'id' };
    const plain = makeOrderPublishing(common);
    const framed = makeOrderPublishing({ ...common, values: values(fakeRegistry(latestOurs()).fetch) });
    await plain.publishOrder(order, { deadline: soon() });
    await framed.publishOrder(order, { deadline: soon() });
    await framed.publishOrders([order, { ...order, user_id: 'other' }], { deadline: soon() });
    const [[plainMessage], [framedMessage], batch] = publisher.sent as unknown as [
      [{ value: unknown; key: string; headers: object }],
      [{ value: Buffer; key: string; headers: object }],
      { value: Buffer }[],
    ];
    expect(plainMessage.value).toBe(JSON.stringify(order));
    expect(framedMessage.key).toBe(plainMessage.key);
    expect(framedMessage.headers).toEqual(plainMessage.headers);
    expect(avro.decode(unframe(framedMessage.value)?.payload as Buffer)).toMatchObject(order);
    expect(batch.map((message) => unframe(message.value)?.schemaId)).toEqual([42, 42]);

    const down = makeOrderPublishing({ ...common, values: values(fakeRegistry('refused').fetch) });
    await expect(down.publishOrder(order, { deadline: soon() })).rejects.toThrow(SchemaUnavailableError);
    expect(publisher.sent).toHaveLength(3);
  });
});

describe('registry configuration', () => {
  it('is off without SCHEMA_REGISTRY_URL, and reads every variable with it', () => {
    expect(parseConfig({}).schemaRegistry).toBeUndefined();
    expect(
      parseConfig({
        SCHEMA_REGISTRY_URL: 'https://psrc-1.eu-west-1.aws.confluent.cloud/',
        SCHEMA_FORMAT: 'avro',
        SCHEMA_SUBJECT_STRATEGY: 'topic-record',
        SCHEMA_REGISTRY_AUTH: 'basic',
        SCHEMA_REGISTRY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-AbCdEf',
        SCHEMA_AUTO_REGISTER: 'true',
      }).schemaRegistry,
    ).toEqual({
      url: 'https://psrc-1.eu-west-1.aws.confluent.cloud',
      format: 'avro',
      subjectStrategy: 'topic-record',
      auth: { mechanism: 'basic', secretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-AbCdEf' },
      autoRegister: true,
    });
    expect(parseConfig({ SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081' }).schemaRegistry).toMatchObject({
      format: 'json',
      subjectStrategy: 'topic',
    });
  });

  it.each([
    [{ SCHEMA_REGISTRY_URL: 'https://r.example', SCHEMA_FORMAT: 'protobuf' }, 'SCHEMA_FORMAT="protobuf": one of json (JSON Schema), avro'],
    [{ SCHEMA_REGISTRY_URL: 'registry.example:8081' }, 'SCHEMA_REGISTRY_URL="registry.example:8081": an http(s) URL'],
    [{ SCHEMA_REGISTRY_URL: 'ftp://registry.example' }, 'SCHEMA_REGISTRY_URL="ftp://registry.example": an http(s) URL'],
    [{ SCHEMA_FORMAT: 'avro' }, 'SCHEMA_FORMAT="avro": is set, but SCHEMA_REGISTRY_URL is not'],
    [
      { SCHEMA_REGISTRY_URL: 'https://r.example', SCHEMA_REGISTRY_AUTH: 'basic' },
      'SCHEMA_REGISTRY_SECRET_ARN="": is required when SCHEMA_REGISTRY_AUTH=basic',
    ],
    [
      { SCHEMA_REGISTRY_URL: 'https://r.example', SCHEMA_SUBJECT_STRATEGY: 'record-name' },
      'SCHEMA_SUBJECT_STRATEGY="record-name": one of topic',
    ],
    [{ SCHEMA_REGISTRY_URL: 'https://KEY:hunter2@r.example' }, 'SCHEMA_REGISTRY_URL="https://***@r.example": without credentials'],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(message);
    expect(() => parseConfig(env)).not.toThrow(/hunter2/);
  });
});

describe('the registry client over node:http', () => {
  it('reads an answer, and gives up at the deadline on a registry that accepts and never answers', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((request, response) => {
      if (request.url?.endsWith('/versions/latest')) response.end(JSON.stringify({ id: 5, version: 1, schema: avro.schema }));
      // Anything else: held open, never answered.
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const client = new RegistryClient({ url: `http://127.0.0.1:${port}` });
      expect((await client.latest('order-events-value', soon())).id).toBe(5);
      const started = Date.now();
      await expect(client.schemaById(5, soon(200))).rejects.toThrow(/did not answer \(schema id 5\): no answer within \d+ ms/);
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
