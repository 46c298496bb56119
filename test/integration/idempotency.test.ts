import { createServer, type Server, type Socket } from 'node:net';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makePublishOrderHandler } from '../../handlers/publish-order';
import { Deadline } from '../../lib/deadline';
import { DynamoDbIdempotencyStore } from '../../lib/idempotency/dynamodb-store';
import { makeIdempotentPublishing } from '../../lib/idempotency/idempotent-publishing';
import type { IdempotencyStore } from '../../lib/idempotency/store';
import { makeOrderPublishing } from '../../lib/publish';
import type { Publisher } from '../../lib/publisher';
import { LOCAL_AWS_ENV, type LocalDynamoDb, startLocalDynamoDb } from '../../scripts/dynamodb/local-dynamodb';
import { exampleOrder, lambdaContext, postEvent } from '../support/events';
import { RecordingLogger, RecordingMetrics } from '../support/fake-publisher';
import { createTopic, keyedRuntime, useLocalAwsEnv } from '../support/keyed-runtime';
import { TEST_POLICY } from '../support/publishing';
import { endOffsets, readTopic } from '../support/referee';

/**
 * Idempotency-Key for real: the store is dynalite, reached through the AWS SDK as in Lambda, and
 * the records go to the tests' broker, on a topic of this file's own whose end offsets say
 * whether anything was written. The 504 case pauses the broker: it is in the disruptive project.
 */
const bootstrap = process.env.KAFKA_BROKERS as string;
let dynamo: LocalDynamoDb;
let topic: string;
let runtime: ReturnType<typeof keyedRuntime>;
const cleanups: (() => Promise<unknown>)[] = [];

type Handler = ReturnType<typeof makePublishOrderHandler>;
const keyed = (key: string) => ({ 'Content-Type': 'application/json', 'Idempotency-Key': key });
const newKey = (what: string) => `${what}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
const ends = () => endOffsets(bootstrap, topic);
const table = () => dynamo.env.IDEMPOTENCY_TABLE as string;

function env(overrides: Record<string, string> = {}) {
  return { KAFKA_BROKERS: bootstrap, KAFKA_TOPIC: topic, IDEMPOTENCY_TABLE: table(), AWS_REGION: LOCAL_AWS_ENV.AWS_REGION, ...overrides };
}

async function post(handler: Handler, body: unknown, headers: Record<string, string>, remainingMs?: number) {
  const response = await handler(postEvent(body, { headers }), lambdaContext(remainingMs));
  return { status: response.statusCode, headers: response.headers ?? {}, body: response.body };
}

/** Records of the topic that carry this Idempotency-Key, as Kafka's Java consumer reads them. */
async function recordsOfKey(key: string) {
  return (await readTopic(bootstrap, topic)).filter((record) => record.headers['idempotency-key'] === key);
}

/** The real use case over the real broker and a store of the test's choosing. */
function handlerWith(store: IdempotencyStore, publisher: Publisher = runtime.publisher): Handler {
  const orders = makeIdempotentPublishing({
    orders: makeOrderPublishing({ publisher, logger: new RecordingLogger(), metrics: new RecordingMetrics(), now: Date.now }),
    store,
    policy: { ...TEST_POLICY, settleMs: 1_000 },
    logger: new RecordingLogger(),
    metrics: new RecordingMetrics(),
    now: Date.now,
  });
  return makePublishOrderHandler({ ...runtime.publishDeps, orders });
}

function storeAt(endpoint: string): DynamoDbIdempotencyStore {
  const { AWS_REGION: region, AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = LOCAL_AWS_ENV;
  const client = new DynamoDBClient({ endpoint, region, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
  cleanups.push(async () => client.destroy());
  return new DynamoDbIdempotencyStore(client, table(), 1_000);
}

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
  useLocalAwsEnv(dynamo);
  topic = await createTopic(bootstrap, 'idempotency');
  runtime = keyedRuntime(env());
});

afterAll(async () => {
  await runtime?.publisher.close();
  for (const cleanup of cleanups) await cleanup();
  await dynamo?.close();
  vi.unstubAllEnvs();
});

describe('Idempotency-Key with the store on dynalite, against the real broker', () => {
  it('stores the first answer, and replays it byte for byte to a retry of the same order, writing nothing', async () => {
    // Prepare
    const key = newKey('replay');
    const first = await post(runtime.order, exampleOrder(), keyed(key));
    expect(first.status, first.body).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const before = await ends();
    // Act: the same order, its fields in another order and with other whitespace.
    const { order_id, user_id, product, quantity, amount } = exampleOrder();
    const text = ` {"amount": ${amount}, "quantity":${quantity},"product":"${product}",\n "user_id":"${user_id}","order_id":"${order_id}"}`;
    const retry = await post(runtime.order, text, keyed(key));
    // Assess
    expect(retry.status).toBe(201);
    expect(retry.body).toBe(first.body);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await ends()).toEqual(before);
    const receipt = JSON.parse(first.body) as { partition: number; offset: number; event_id: string };
    const records = await recordsOfKey(key);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ partition: receipt.partition, offset: receipt.offset, headers: { 'event-id': receipt.event_id } });
  });

  it('replays a batch answer byte for byte', async () => {
    const key = newKey('batch');
    const orders = [exampleOrder(), { ...exampleOrder(), order_id: 'o-2', user_id: 'user123' }];
    const first = await post(runtime.batch, { orders }, keyed(key));
    expect(first.status, first.body).toBe(201);
    const before = await ends();
    const retry = await post(runtime.batch, { orders }, keyed(key));
    expect([retry.status, retry.headers['idempotent-replayed']]).toEqual([201, 'true']);
    expect(retry.body).toBe(first.body);
    expect(await ends()).toEqual(before);
    expect(await recordsOfKey(key)).toHaveLength(2);
  });

  it.each([
    ['another order', (key: string) => post(runtime.order, { ...exampleOrder(), quantity: 2 }, keyed(key)), 'another order'],
    ['a batch of the same order', (key: string) => post(runtime.batch, { orders: [exampleOrder()] }, keyed(key)), 'a single order'],
  ])('answers 422 idempotency-key-reused to the same key with %s, and writes nothing', async (_, reuse, named) => {
    // Prepare
    const key = newKey('reused');
    const first = await post(runtime.order, exampleOrder(), keyed(key));
    expect(first.status).toBe(201);
    const before = await ends();
    // Act
    const reused = await reuse(key);
    // Assess
    expect(reused.status).toBe(422);
    expect(reused.headers['content-type']).toBe('application/problem+json');
    const problem = JSON.parse(reused.body);
    expect(problem).toMatchObject({ type: 'urn:order-publisher:problem:idempotency-key-reused', status: 422, retriable: false });
    expect(problem.detail).toContain(named);
    // Nothing of the stored answer leaks into the problem document.
    expect(reused.body).not.toContain(JSON.parse(first.body).event_id);
    expect(await ends()).toEqual(before);
  });

  it('answers 409 with Retry-After while the first request with the key is still in flight, and writes one record', async () => {
    // Prepare: the first request's send waits at a gate, on the real publisher.
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const gated: Publisher = {
      topic,
      publish: async (messages, options) => {
        await gate;
        return runtime.publisher.publish(messages, options);
      },
    };
    const handler = handlerWith(storeAt(dynamo.endpoint), gated);
    const key = newKey('in-flight');
    const first = post(handler, exampleOrder(), keyed(key));
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Act
    const second = await post(handler, exampleOrder(), keyed(key));
    open();
    // Assess
    expect(second.status).toBe(409);
    expect(JSON.parse(second.body)).toMatchObject({ type: 'urn:order-publisher:problem:idempotency-key-in-flight', retriable: true });
    expect(Number(second.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await first).status).toBe(201);
    expect(await recordsOfKey(key)).toHaveLength(1);
  });

  it('forgets the key after a 503 (nothing was written), so that the retry publishes, once', async () => {
    // Prepare: a runtime whose broker refuses connections, with the same store.
    const down = keyedRuntime(env({ KAFKA_BROKERS: '127.0.0.1:9', KAFKA_CONNECTION_TIMEOUT_MS: '200' }));
    cleanups.push(() => down.publisher.close());
    const key = newKey('after-503');
    const refused = await post(down.order, exampleOrder(), keyed(key));
    expect(refused.status, refused.body).toBe(503);
    // Act
    const retry = await post(runtime.order, exampleOrder(), keyed(key));
    // Assess
    expect(retry.status, retry.body).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(await recordsOfKey(key)).toHaveLength(1);
  });

  it('stores nothing for a 4xx: the same key is judged afresh', async () => {
    const key = newKey('after-422');
    const invalid = await post(runtime.order, { ...exampleOrder(), quantity: 0 }, keyed(key));
    expect(JSON.parse(invalid.body)).toMatchObject({ status: 422, type: 'urn:order-publisher:problem:validation-failed' });
    const valid = await post(runtime.order, exampleOrder(), keyed(key));
    expect([valid.status, valid.headers['idempotent-replayed']]).toEqual([201, undefined]);
  });

  it.each([
    ['unreachable', async () => 'http://127.0.0.1:9'],
    [
      'too slow',
      async () => {
        // Accepts connections and never answers.
        const connections = new Set<Socket>();
        const silent: Server = createServer((socket) => connections.add(socket));
        await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
        cleanups.push(() => {
          for (const socket of connections) socket.destroy();
          return new Promise((resolve) => silent.close(resolve));
        });
        return `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
      },
    ],
  ])('answers 503 when the store is %s, within the deadline, and writes nothing', async (_, endpoint) => {
    const handler = handlerWith(storeAt(await endpoint()));
    const before = await ends();
    const started = Date.now();
    const answer = await post(handler, exampleOrder(), keyed(newKey('store-down')), 2_000);
    expect(answer.status, answer.body).toBe(503);
    expect(JSON.parse(answer.body)).toMatchObject({ type: 'urn:order-publisher:problem:idempotency-store-unavailable', retriable: true });
    expect(answer.headers['retry-after']).toBe('1');
    expect(Date.now() - started).toBeLessThan(1_500 + 300);
    expect(await ends()).toEqual(before);
  });

  it('lets a key go when the lease of a request that died ends (its deadline), and the settle time after it', async () => {
    // Prepare: a claim whose Lambda never came back, with its lease ending in 500 ms.
    const key = newKey('died');
    const store = storeAt(dynamo.endpoint);
    const now = Date.now();
    const attempt = { startedAt: now, leaseUntil: now + 500 };
    const orders = { keys: ['user789'], eventIds: ['00000000-0000-5000-8000-000000000000'] };
    const { fingerprint } = await import('../../lib/idempotency/idempotent-publishing');
    const request = {
      key,
      operation: 'order' as const,
      fingerprint: fingerprint([exampleOrder()]),
      orders,
      attempt,
      expiresAt: now + 60_000,
    };
    expect((await store.claim(request, new Deadline(now + 2_000))).outcome).toBe('claimed');
    // Act and assess: held until the lease and the settle time (1 s here) are over.
    const held = await post(runtime.order, exampleOrder(), keyed(key));
    expect(held.status).toBe(409);
    await new Promise((resolve) => setTimeout(resolve, attempt.leaseUntil + 1_000 - Date.now() + 50));
    const taken = await post(runtime.order, exampleOrder(), keyed(key));
    expect(taken.status, taken.body).toBe(201);
  });

  it("keeps a batch's 207 for one retry at a time to finish: the other waits (409), a dead retry leaves no stale list, a retry that wrote nothing gives it back", async () => {
    // Prepare: a first attempt of a batch answered 207 (one order refused), stored per order.
    const store = storeAt(dynamo.endpoint);
    const { fingerprint } = await import('../../lib/idempotency/idempotent-publishing');
    const key = newKey('partial');
    const batch = [exampleOrder(), { ...exampleOrder(), order_id: '12346', user_id: 'user123' }];
    const now = Date.now();
    const claimFor = (attempt: { startedAt: number; leaseUntil: number }, orders = batch) => ({
      key,
      operation: 'batch' as const,
      fingerprint: fingerprint(orders),
      orders: { keys: orders.map((order) => order.user_id), eventIds: orders.map(() => '00000000-0000-5000-8000-000000000000') },
      attempt,
      expiresAt: now + 60_000,
    });
    const deadline = () => new Deadline(Date.now() + 2_000);
    const first = await store.claim(claimFor({ startedAt: now, leaseUntil: now + 300 }), deadline());
    if (first.outcome !== 'claimed') throw new Error(`first claim: ${first.outcome}`);
    const partial = { statusCode: 207, body: '{"receipts":"as the use case wrote them"}' };
    await store.completePartial(
      key,
      first.lease,
      { answer: partial, attempts: [{ startedAt: now, leaseUntil: now + 300 }], settledAt: Date.now() },
      deadline(),
    );

    // Act and assess: the same batch reordered is another request.
    expect((await store.claim(claimFor({ startedAt: now, leaseUntil: now + 5_000 }, [...batch].reverse()), deadline())).outcome).toBe(
      'reused',
    );
    // Two retries at once: one takes it over with the 207, the other is told to wait.
    const retryLease = Date.now() + 600;
    const [a, b] = await Promise.all([
      store.claim(claimFor({ startedAt: Date.now(), leaseUntil: retryLease }), deadline()),
      store.claim(claimFor({ startedAt: Date.now(), leaseUntil: retryLease }), deadline()),
    ]);
    const claimed = [a, b].filter((claim) => claim.outcome === 'claimed');
    expect(claimed).toHaveLength(1);
    expect(claimed[0]).toMatchObject({ partial });
    expect([a, b].find((claim) => claim.outcome !== 'claimed')).toMatchObject({ outcome: 'in-flight' });
    // That retry dies: after its lease and the settle time the next one gets no list to trust.
    await new Promise((resolve) => setTimeout(resolve, retryLease + 1_000 - Date.now() + 50));
    const afterDeath = await store.claim(claimFor({ startedAt: Date.now(), leaseUntil: Date.now() + 5_000 }), deadline());
    expect(afterDeath.outcome).toBe('claimed');
    expect(afterDeath).not.toHaveProperty('partial');
    // A retry that wrote nothing gives back the 207 it set out to finish, claimable at once.
    if (afterDeath.outcome !== 'claimed') throw new Error('not claimed');
    await store.release(key, afterDeath.lease, afterDeath.earlierAttempts, deadline(), partial);
    const again = await store.claim(claimFor({ startedAt: Date.now(), leaseUntil: Date.now() + 5_000 }), deadline());
    expect(again).toMatchObject({ outcome: 'claimed', partial });
  });

  it('answers 500 to a key whose item is not one of ours, logs why, and keeps serving', async () => {
    const key = newKey('foreign');
    const { AWS_REGION: region, AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = LOCAL_AWS_ENV;
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region, credentials: { accessKeyId, secretAccessKey } });
    await client.send(
      new PutItemCommand({ TableName: table(), Item: { id: { S: key }, status: { S: 'SOMETHING' }, expiration: { N: '9999999999' } } }),
    );
    client.destroy();
    const before = await ends();
    const foreign = await post(runtime.order, exampleOrder(), keyed(key));
    expect(foreign.status).toBe(500);
    expect(JSON.parse(foreign.body)).toMatchObject({
      type: 'urn:order-publisher:problem:internal-error',
      detail: 'An unexpected error occurred; it has been logged.',
    });
    expect(await ends()).toEqual(before);
    expect((await post(runtime.order, exampleOrder(), keyed(newKey('after-foreign')))).status).toBe(201);
  });

  it('answers 400 idempotency-key-missing without a key when IDEMPOTENCY_KEY_REQUIRED=true', async () => {
    const strict = keyedRuntime(env({ IDEMPOTENCY_KEY_REQUIRED: 'true' }));
    cleanups.push(() => strict.publisher.close());
    const missing = await post(strict.order, exampleOrder(), { 'Content-Type': 'application/json' });
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.body)).toMatchObject({ type: 'urn:order-publisher:problem:idempotency-key-missing', retriable: false });
    expect((await post(strict.order, exampleOrder(), keyed(newKey('required')))).status).toBe(201);
  });
});
