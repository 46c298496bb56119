import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { makePublishOrderHandler } from '../../handlers/publish-order';
import type { Runtime } from '../../lib/runtime';
import { exampleOrder, lambdaContext, postEvent } from '../support/events';
import { bootstrap, freshTopic, registerOurs, registryRuntime, useTestRegistry } from '../support/registry';

/** `npm run tail` decodes framed values with the schema of their id, from SCHEMA_REGISTRY_URL. */
const registry = useTestRegistry();
const runtimes: Runtime[] = [];

afterAll(async () => {
  await Promise.all(runtimes.map((runtime) => runtime.publisher.close()));
});

describe('npm run tail in registry mode', () => {
  it('shows each Avro-framed order decoded, with its schema id', async () => {
    // Prepare: two framed orders, one of them with the optional fields.
    const topic = await freshTopic('reg-tail');
    const id = await registerOurs(registry.url, `${topic}-value`, 'avro');
    const runtime = registryRuntime({ KAFKA_TOPIC: topic, SCHEMA_REGISTRY_URL: registry.url, SCHEMA_FORMAT: 'avro' });
    runtimes.push(runtime);
    const orders = [exampleOrder(), { ...exampleOrder(), order_id: 'o-2', currency: 'EUR', created_at: '2026-12-06T09:30:00Z' }];
    const receipts: { partition: number; offset: number }[] = [];
    for (const order of orders) {
      const response = await makePublishOrderHandler(runtime.publishDeps)(postEvent(order), lambdaContext());
      expect(response.statusCode).toBe(201);
      receipts.push(JSON.parse(response.body));
    }
    // Act
    const child = spawn('node_modules/.bin/tsx', ['scripts/tail.ts', '--topic', topic, '--json', '--from-beginning'], {
      env: { ...process.env, KAFKA_BROKERS: bootstrap(), SCHEMA_REGISTRY_URL: registry.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await expect.poll(() => stdout.split('\n').filter(Boolean).length, { timeout: 30_000, interval: 100 }).toBe(2);
    } finally {
      child.kill('SIGINT');
    }
    // Assess
    expect(await exited, stderr).toBe(0);
    const lines = stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { partition: number; offset: number; schema_id: number; order: unknown });
    orders.forEach((order, index) => {
      const { partition, offset } = receipts[index] as { partition: number; offset: number };
      expect(lines).toContainEqual(
        expect.objectContaining({ partition, offset, schema_id: id, order: { currency: null, created_at: null, ...order } }),
      );
    });
  });
});
