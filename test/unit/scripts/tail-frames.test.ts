import { describe, expect, it } from 'vitest';
import { schemaFormat } from '../../../lib/schema/formats';
import { frame } from '../../../lib/schema/framing';
import { RegistryClient } from '../../../lib/schema/registry-client';
import { formatJson, formatLine, toTailRecord } from '../../../scripts/tail/format';
import { FrameDecoder } from '../../../scripts/tail/frames';

const order = { order_id: '12345', user_id: 'user789', product: 'Laptop', quantity: 1, amount: 75000 };
const message = (value: Buffer) => ({
  offset: '42',
  key: Buffer.from('user789'),
  headers: { 'event-id': Buffer.from('e-1') },
  timestamp: '1764950400000',
  value,
});

/** A registry that knows one Avro schema, and counts its answers. */
function registryWithAvro() {
  const asked: string[] = [];
  const fetch = (async (url: string) => {
    asked.push(url);
    return new Response(JSON.stringify({ schema: schemaFormat('avro').schema }), { status: 200 });
  }) as unknown as typeof globalThis.fetch;
  return { client: new RegistryClient({ url: 'http://registry.test', fetch }), asked };
}

describe('npm run tail: framed values', () => {
  it('decodes Avro with the schema of its id, asked once per id, and shows the id', async () => {
    const { client, asked } = registryWithAvro();
    const decoder = new FrameDecoder(client);
    const value = frame(7, schemaFormat('avro').encode(order));
    const decoded = await decoder.decode(value);
    await decoder.decode(value);
    const record = toTailRecord(1, message(value), decoded);
    expect(asked).toEqual(['http://registry.test/schemas/ids/7']);
    expect(JSON.parse(formatJson(record))).toMatchObject({ schema_id: 7, order: { ...order, currency: null, created_at: null } });
    expect(formatLine(record, { colour: false })).toBe(
      'p1@42 2025-12-05T16:00:00.000Z key=user789 event-id=e-1 schema=7 {"order_id":"12345","user_id":"user789","product":"Laptop","quantity":1,"amount":75000,"currency":null,"created_at":null}',
    );
  });

  it('decodes a JSON Schema payload without a registry, and says what it needs for Avro', async () => {
    const decoder = new FrameDecoder(undefined);
    expect(await decoder.decode(frame(3, JSON.stringify(order)))).toEqual({ schemaId: 3, order });
    expect(await decoder.decode(frame(4, schemaFormat('avro').encode(order)))).toEqual({
      schemaId: 4,
      problem: 'not JSON: set SCHEMA_REGISTRY_URL to decode it with schema 4',
    });
    expect(await decoder.decode(Buffer.from(JSON.stringify(order)))).toBeUndefined();
  });
});
