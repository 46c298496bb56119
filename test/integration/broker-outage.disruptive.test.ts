import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { handler as healthHandler } from '../../handlers/health';
import { handler } from '../../handlers/publish-order';
import { defaultRuntime } from '../../lib/runtime';
import { testKafka } from '../../scripts/kafka/local-kafka';
import { exampleOrder, lambdaContext, postEvent } from '../support/events';
import { establishedConnectionsTo } from '../support/sockets';

/** The local single-node broker is node 1; these tests stop, pause and restart it. */
const brokerPort = Number(testKafka.bootstrap(1).split(':')[1]);
const broker = (action: 'stop' | 'start' | 'pause' | 'resume') => testKafka.quiet().node(action, 1, { brokers: 1 });

async function invoke(remainingMs = 15_000) {
  const started = Date.now();
  const response = await handler(postEvent(exampleOrder()), lambdaContext(remainingMs));
  return { status: response.statusCode, headers: response.headers ?? {}, body: JSON.parse(response.body), elapsedMs: Date.now() - started };
}

afterEach(async () => {
  // Whatever a test did to the broker, the next one (and the rest of the suite) finds it up.
  await broker('resume').catch(() => undefined);
  await broker('start');
});

afterAll(async () => {
  await defaultRuntime().publisher.close();
});

describe('the warm producer when the broker goes away', () => {
  it('publishes again after the broker was stopped and started between two invocations', async () => {
    expect((await invoke()).status).toBe(201);
    await broker('stop');
    await broker('start');
    const next = await invoke();
    if (next.status === 503) {
      expect((await invoke()).status).toBe(201);
    } else {
      expect(next.status).toBe(201);
    }
  });

  it.each([
    ['the configured bound', 15_000, 10_000],
    ["the Lambda's remaining time less the margin", 2_000, 1_500],
  ])('answers 503 with Retry-After within %s when the broker is down', async (_, remainingMs, deadlineMs) => {
    expect((await invoke()).status).toBe(201);
    await broker('stop');
    const down = await invoke(remainingMs);
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('1');
    expect(down.body).toMatchObject({ type: 'urn:order-publisher:problem:kafka-unavailable', retriable: true });
    expect(down.elapsedMs).toBeLessThanOrEqual(deadlineMs + 300);
  });

  it('answers 504, outcome unknown, when the deadline passes with the record in flight, then recovers', async () => {
    expect((await invoke()).status).toBe(201);
    await broker('pause');
    const stuck = await invoke(2_000);
    expect(stuck.status).toBe(504);
    expect(stuck.body).toMatchObject({ type: 'urn:order-publisher:problem:outcome-unknown', retriable: true });
    expect(stuck.elapsedMs).toBeLessThanOrEqual(1_500 + 300);
    // The abandoned send must not go on after the answer: kafkajs would reconnect the discarded
    // producer and retry it. While the broker stays paused, no connection is held or reopened.
    for (let check = 0; check < 6; check++) {
      expect(establishedConnectionsTo([brokerPort]), `check ${check}`).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await broker('resume');
    expect((await invoke()).status).toBe(201);
  });

  it('answers GET /health with 503 and the reason, within its bound, while the broker is down', async () => {
    expect((await healthHandler()).statusCode).toBe(200);
    await broker('stop');
    const started = Date.now();
    const down = await healthHandler();
    expect(down.statusCode).toBe(503);
    expect(JSON.parse(down.body)).toMatchObject({
      type: 'urn:order-publisher:problem:kafka-unavailable',
      detail: expect.stringMatching(/Kafka/),
    });
    expect(Date.now() - started).toBeLessThanOrEqual(2_000 + 300);
    await broker('start');
    expect((await healthHandler()).statusCode).toBe(200);
  });
});
