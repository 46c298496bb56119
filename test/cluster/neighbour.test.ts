import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHealthHandler } from '../../handlers/health';
import { makePublishOrderHandler } from '../../handlers/publish-order';
import { makePublishOrdersBatchHandler } from '../../handlers/publish-orders-batch';
import { parseConfig } from '../../lib/config';
import { Deadline } from '../../lib/deadline';
import { createRuntime, type Runtime } from '../../lib/runtime';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../scripts/dynamodb/local-dynamodb';
import { withAdmin } from '../../scripts/kafka/admin';
import { HOST } from '../../scripts/kafka/topology';
import { CLUSTER_BOOTSTRAP, cluster } from '../faults/support/fault-cluster';
import { exampleOrder, lambdaContext, postEvent } from '../support/events';
import { TopicReader } from '../support/referee';
import { establishedConnectionsTo } from '../support/sockets';

/**
 * Another team's topic with replication factor 1 on broker 3, and broker 3 stopped: its only
 * partition has no leader. Our topic (replication factor 3, min.insync.replicas 2) is whole on
 * brokers 1 and 2. kafkajs 2.2.4 asked metadata for every topic when a client had none yet (an
 * idempotent producer's connect, describeCluster), and failed on that partition: every cold start
 * answered 503 while a neighbour was sick (issue 16).
 */
const ROOT = path.resolve(__dirname, '../..');
const STOPPED_BROKER = 3;
const topic = `orders-neighbour-${Date.now()}`;
const neighbour = `neighbour-rf1-${Date.now()}`;
const DEV_PORT = Number(process.env.NEIGHBOUR_DEV_HTTP_PORT ?? 3500);
const runtimes: Runtime[] = [];

function coldRuntime(): Runtime {
  const runtime = createRuntime(parseConfig({ KAFKA_BROKERS: CLUSTER_BOOTSTRAP, KAFKA_TOPIC: topic, LOG_LEVEL: 'SILENT' }));
  runtimes.push(runtime);
  return runtime;
}

const order = (index: number) => ({ ...exampleOrder(), order_id: `n-${index}`, user_id: `neighbour-user-${index % 7}` });

beforeAll(async () => {
  await cluster.createTopic({ name: topic, partitions: 3, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }, 3);
  await withAdmin(CLUSTER_BOOTSTRAP, (admin) =>
    admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: neighbour, replicaAssignment: [{ partition: 0, replicas: [STOPPED_BROKER] }] }],
    }),
  );
  await cluster.node('stop', STOPPED_BROKER, { brokers: 3, waitFenced: true });
  // The precondition, asked the way kafkajs's own admin asks: every topic at once fails.
  await expect(withAdmin(CLUSTER_BOOTSTRAP, (admin) => admin.fetchTopicMetadata(), undefined, { allTopics: true })).rejects.toThrow(
    /leader/i,
  );
});

afterAll(async () => {
  await Promise.all(runtimes.map((runtime) => runtime.publisher.close()));
  await cluster.node('start', STOPPED_BROKER, { brokers: 3 });
  // Other files of this cluster need every partition led: the neighbour goes.
  await withAdmin(CLUSTER_BOOTSTRAP, (admin) => admin.deleteTopics({ topics: [neighbour, topic], timeout: 30_000 }), 30_000);
});

describe('a cold start while another topic has a leaderless partition', () => {
  it('publishes a single order: 201, and the record is where the receipt says', async () => {
    const handler = makePublishOrderHandler(coldRuntime().publishDeps);
    const response = await handler(postEvent(order(0)), lambdaContext());
    expect(response.statusCode, response.body).toBe(201);
    const receipt = JSON.parse(response.body) as { partition: number; offset: number };
    const record = await new TopicReader(CLUSTER_BOOTSTRAP, topic).at(receipt.partition, receipt.offset);
    expect(JSON.parse(record.value ?? '')).toEqual(order(0));
  });

  it('publishes a batch: 201 with every order written', async () => {
    const handler = makePublishOrdersBatchHandler(coldRuntime().publishDeps);
    const orders = Array.from({ length: 20 }, (_, index) => order(index));
    const response = await handler(postEvent({ orders }), lambdaContext());
    expect(response.statusCode, response.body).toBe(201);
    expect(JSON.parse(response.body)).toMatchObject({ written: 20, failed: 0 });
  });

  it('answers GET /health with 200: the live brokers and our partitions', async () => {
    const runtime = coldRuntime();
    const handler = makeHealthHandler({ ...runtime, publisher: runtime.publisher, timeoutMs: 5_000 });
    const response = await handler();
    expect(response.statusCode, response.body).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ status: 'ok', brokers: 2, topic, partitions: 3 });
  });

  it('holds at most one connection per broker for singles, batches, health and a look in the log, and a key keeps its partition', async () => {
    // Prepare: nothing else of this process talks to the cluster.
    await Promise.all(runtimes.map((runtime) => runtime.publisher.close()));
    const runtime = coldRuntime();
    const ports = CLUSTER_BOOTSTRAP.split(',').map((address) => Number(address.split(':')[1]));
    const single = makePublishOrderHandler(runtime.publishDeps);
    const batch = makePublishOrdersBatchHandler(runtime.publishDeps);
    const health = makeHealthHandler({ ...runtime, publisher: runtime.publisher, timeoutMs: 5_000 });
    // Act
    const first = JSON.parse((await single(postEvent(order(0)), lambdaContext())).body) as { partition: number; event_id: string };
    await batch(postEvent({ orders: Array.from({ length: 20 }, (_, index) => order(index)) }), lambdaContext());
    await health();
    const found = await runtime.publisher.find(
      [{ key: order(0).user_id, eventId: first.event_id }],
      Date.now() - 60_000,
      new Deadline(Date.now() + 5_000),
    );
    // Assess
    expect(found[0]?.partition).toBe(first.partition);
    for (const port of ports) expect(establishedConnectionsTo([port]), `connections to ${HOST}:${port}`).toBeLessThanOrEqual(1);
    expect(runtime.publisher.session.created).toBe(1);
    // Each runtime took the bootstrap brokers in an order of its own; the key's partition is murmur2's.
    const again = JSON.parse((await makePublishOrderHandler(coldRuntime().publishDeps)(postEvent(order(0)), lambdaContext())).body);
    expect(again.partition).toBe(first.partition);
  });
});

describe('npm run dev against that cluster', () => {
  let dev: ChildProcess | undefined;
  let dynamo: LocalDynamoDb | undefined;
  let output = '';

  afterAll(async () => {
    if (dev?.pid !== undefined && dev.exitCode === null) {
      const exited = new Promise((resolve) => dev?.once('exit', resolve));
      process.kill(-dev.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      if (dev.exitCode === null) process.kill(-dev.pid, 'SIGKILL');
    }
    await dynamo?.close();
  });

  it('starts, answers /health with 200 and takes an order', async () => {
    dynamo = await startLocalDynamoDb();
    dev = spawn(
      path.join(ROOT, 'node_modules', '.bin', 'tsx'),
      [
        'scripts/dev.ts',
        '--httpPort',
        String(DEV_PORT),
        '--lambdaPort',
        String(DEV_PORT + 2),
        '--host',
        HOST,
        '--param',
        `kafkaTopic=${topic}`,
      ],
      {
        cwd: ROOT,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          KAFKA_BROKERS: CLUSTER_BOOTSTRAP,
          DYNAMODB_PORT: new URL(dynamo.endpoint).port,
          ESBUILD_WORK_FOLDER: `.esbuild-neighbour-${DEV_PORT}`,
          POWERTOOLS_METRICS_DISABLED: 'true',
        },
      },
    );
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-5_000);
    };
    dev.stdout?.on('data', keep);
    dev.stderr?.on('data', keep);
    const base = `http://${HOST}:${DEV_PORT}/dev`;
    let health: Response | undefined;
    for (const until = Date.now() + 90_000; Date.now() < until && dev.exitCode === null; ) {
      health = await fetch(`${base}/health`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
      if (health) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(health?.status, output).toBe(200);
    const posted = await fetch(`${base}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(order(1)),
    });
    expect(posted.status, await posted.clone().text()).toBe(201);
  }, 120_000);
});
