import { afterAll, describe, expect, it } from 'vitest';
import { makePublishOrderHandler } from '../../handlers/publish-order';
import { makePublishOrdersBatchHandler } from '../../handlers/publish-orders-batch';
import type { Runtime } from '../../lib/runtime';
import { schemaFormat } from '../../lib/schema/formats';
import { exampleOrder, lambdaContext, postEvent } from '../support/events';
import { type RefereeRecord, readTopic } from '../support/referee';
import {
  bootstrap,
  freshTopic,
  jsonSchemaValidator,
  registerOurs,
  registryRuntime,
  schemaById,
  useTestRegistry,
} from '../support/registry';

/**
 * Registry mode end to end: the handlers publish through a real broker with the schema id a real
 * registry (Apicurio) gave, and Kafka's Java consumer reads the records back and decodes them on
 * its own: it fetches each frame's schema by id from the registry's REST API, decodes Avro with
 * Apache Avro's Java library, and the JSON payloads are validated with ajv against the schema the
 * registry has under that id. Nothing of the publisher's encoding code is used to check it.
 */
const registry = useTestRegistry();
const runtimes: Runtime[] = [];

afterAll(async () => {
  await Promise.all(runtimes.map((runtime) => runtime.publisher.close()));
});

const orders = () => [
  { ...exampleOrder(), currency: 'EUR', created_at: '2026-11-26T10:00:00+01:00' },
  { ...exampleOrder(), user_id: 'user-2', order_id: 'o-2', product: 'Écran 27" ✓', quantity: 10_000, amount: 0.01 },
];

const batch = () =>
  Array.from({ length: 25 }, (_, index) => ({
    order_id: `b-${index}`,
    user_id: `user-${index % 7}`,
    product: `Product ${index}`,
    quantity: index + 1,
    amount: Number((index * 13.37 + 0.99).toFixed(2)),
    ...(index % 2 === 0 ? { currency: 'USD' } : {}),
  }));

interface Receipt {
  partition: number;
  offset: number;
  event_id: string;
  key: string;
}

describe.each(['json', 'avro'] as const)('registry mode, SCHEMA_FORMAT=%s', (format) => {
  it('frames single orders and batches with the registered id, headers and receipts as before; the referee decodes each', async () => {
    // Prepare: the deploy's step, then a cold runtime.
    const topic = await freshTopic(`reg-${format}`);
    const registeredId = await registerOurs(registry.url, `${topic}-value`, format);
    const runtime = registryRuntime({ KAFKA_TOPIC: topic, SCHEMA_REGISTRY_URL: registry.url, SCHEMA_FORMAT: format });
    runtimes.push(runtime);
    const single = makePublishOrderHandler(runtime.publishDeps);
    const batchHandler = makePublishOrdersBatchHandler(runtime.publishDeps);

    // Act
    const singles: Receipt[] = [];
    for (const order of orders()) {
      const response = await single(postEvent(order), lambdaContext());
      expect(response.statusCode, response.body).toBe(201);
      singles.push(JSON.parse(response.body));
    }
    const batchResponse = await batchHandler(postEvent({ orders: batch() }), lambdaContext());
    expect(batchResponse.statusCode, batchResponse.body).toBe(201);
    const batchReceipts = (JSON.parse(batchResponse.body) as { receipts: (Receipt & { status: string })[] }).receipts;

    // Assess: receipts as in plain mode.
    expect(Object.keys(singles[0] as object).sort()).toEqual(['event_id', 'key', 'offset', 'partition', 'timestamp', 'topic']);
    expect(batchReceipts.every((receipt) => receipt.status === 'written')).toBe(true);
    expect(runtime.values?.schema?.id).toBe(registeredId);

    const records = await readTopic(bootstrap(), topic, { registry: registry.url });
    const at = (receipt: Receipt) => {
      const record = records.find((candidate) => candidate.partition === receipt.partition && candidate.offset === receipt.offset);
      if (!record) throw new Error(`No record at ${receipt.partition}@${receipt.offset}`);
      return record;
    };
    const expected = [...orders(), ...batch()];
    const receipts = [...singles, ...batchReceipts];
    expect(records).toHaveLength(expected.length);
    const registered = await schemaById(registry.url, registeredId);
    const validate = format === 'json' ? jsonSchemaValidator(registered.schema) : undefined;
    receipts.forEach((receipt, index) => {
      const record: RefereeRecord = at(receipt);
      const order = expected[index] as Record<string, unknown>;
      // The frame: magic byte 0 and the registered id, read by the referee.
      expect(record.frame?.schemaId).toBe(registeredId);
      expect(record.frame?.error).toBeUndefined();
      expect(record.frame?.schemaType).toBe(format === 'avro' ? 'AVRO' : 'JSON');
      expect(schemaFormat(format).isOurs(record.frame?.schema ?? '')).toBe(true);
      if (format === 'avro') {
        expect(record.frame?.decoded).toEqual({ currency: null, created_at: null, ...order });
      } else {
        const payload = JSON.parse(record.frame?.payload ?? '');
        expect(payload).toEqual(order);
        expect(validate?.(payload)).toEqual([]);
      }
      // Today's headers, unchanged; the key too.
      expect(record.key).toBe(order.user_id);
      expect(record.headers).toMatchObject({
        'event-id': receipt.event_id,
        'event-type': 'order.placed',
        'content-type': 'application/json',
        'schema-version': '1',
      });
    });
  });
});
