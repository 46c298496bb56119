import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ORDER_AVRO_SCHEMA } from '../../../../lib/orders/avro-schema';
import { OrderSchema } from '../../../../lib/orders/schema';
import { orderRegistryJsonSchema, schemaFormat } from '../../../../lib/schema/formats';
import { frame, unframe } from '../../../../lib/schema/framing';
import { validOrder } from '../../../support/bad-input/arbitraries';

interface JsonProperty {
  type: string;
}

/** The Avro type a JSON Schema type of the order must have. */
const AVRO_TYPE_OF: Record<string, string> = { string: 'string', integer: 'int', number: 'double' };

describe('the Avro order schema, kept beside the zod one', () => {
  it('has the same fields as the zod schema, in its order, with the same required-ness and types', () => {
    // Prepare: zod's own JSON Schema, the registry's JSON Schema too.
    const json = orderRegistryJsonSchema() as { properties: Record<string, JsonProperty>; required: string[] };
    const zodFields = Object.keys(OrderSchema.shape);
    // Act
    const avroFields = ORDER_AVRO_SCHEMA.fields.map((field) => {
      const optional = Array.isArray(field.type);
      return {
        name: field.name,
        required: !optional,
        type: optional ? (field.type as readonly string[]).filter((branch) => branch !== 'null')[0] : field.type,
        defaultIsNull: optional
          ? 'default' in field && field.default === null && (field.type as readonly string[])[0] === 'null'
          : undefined,
      };
    });
    // Assess
    expect(avroFields.map((field) => field.name)).toEqual(zodFields);
    expect(Object.keys(json.properties)).toEqual(zodFields);
    for (const field of avroFields) {
      const property = json.properties[field.name] as JsonProperty;
      expect(field.required, field.name).toBe(json.required.includes(field.name));
      expect(field.type, field.name).toBe(AVRO_TYPE_OF[property.type]);
      // Optional: null first, null by default, so that BACKWARD readers may add one.
      if (!field.required) expect(field.defaultIsNull, field.name).toBe(true);
    }
    // quantity fits Avro's 32-bit int.
    expect(OrderSchema.shape.quantity.maxValue).toBeLessThanOrEqual(2 ** 31 - 1);
  });

  it('encodes every order the zod schema accepts, and decodes it back unchanged (property)', () => {
    const avro = schemaFormat('avro');
    const json = schemaFormat('json');
    // Valid orders, and amounts across the whole range of doubles that zod accepts.
    const accepted = fc
      .tuple(validOrder, fc.option(fc.double({ min: Number.MIN_VALUE, max: Number.MAX_VALUE, noNaN: true }), { nil: undefined }))
      .map(([order, amount]) => (amount === undefined ? order : { ...order, amount }))
      .filter((order) => OrderSchema.safeParse(order).success);
    fc.assert(
      fc.property(accepted, (candidate) => {
        const order = OrderSchema.parse(candidate);
        const framed = unframe(frame(7, avro.encode(order)));
        expect(framed?.schemaId).toBe(7);
        expect(avro.decode(framed?.payload as Buffer)).toEqual({ currency: null, created_at: null, ...order });
        expect(json.decode(unframe(frame(7, json.encode(order)))?.payload as Buffer)).toEqual(order);
      }),
      { numRuns: 2_000 },
    );
  });

  it('refuses to encode a value of the wrong type: a mapping bug is a 500, never a record', () => {
    const avro = schemaFormat('avro');
    expect(() => avro.encode({ order_id: '1', user_id: 'u', product: 'p', quantity: 1.5, amount: 1 })).toThrow(/invalid "int"/);
  });
});

describe('registered schemas: ours or not', () => {
  it.each(['json', 'avro'] as const)('%s: ours whatever its layout; not ours with another field, default or doc', (name) => {
    const format = schemaFormat(name);
    const ours = JSON.parse(format.schema);
    expect(format.isOurs(JSON.stringify(ours, null, 2))).toBe(true);
    expect(format.isOurs(JSON.stringify(Object.fromEntries(Object.entries(ours).reverse())))).toBe(true);
    const other = structuredClone(ours);
    if (name === 'avro') other.fields[5].doc = 'Another doc';
    else other.properties.currency.pattern = '^[A-Z]{2}$';
    expect(format.isOurs(JSON.stringify(other))).toBe(false);
    expect(format.isOurs('not json')).toBe(false);
  });

  it('keeps the JSON Schema registrable on Apicurio: draft-07, self-contained, with $schema and properties', () => {
    const schema = orderRegistryJsonSchema();
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema).toHaveProperty('properties.order_id');
    expect(JSON.stringify(schema)).not.toContain('$ref');
  });
});

describe('the Confluent frame', () => {
  it('is magic byte 0, the id big-endian in 4 bytes, then the payload', () => {
    const framed = frame(0x01020304, '{"a":1}');
    expect([...framed.subarray(0, 5)]).toEqual([0, 1, 2, 3, 4]);
    expect(framed.subarray(5).toString()).toBe('{"a":1}');
    expect(unframe(frame(2 ** 32 - 1, Buffer.from([9])))).toEqual({ schemaId: 2 ** 32 - 1, payload: Buffer.from([9]) });
    expect(frame(1, 'é✓').length).toBe(5 + Buffer.byteLength('é✓'));
  });

  it('is not read into a plain JSON value', () => {
    expect(unframe(Buffer.from('{"order_id":"1"}'))).toBeUndefined();
    expect(unframe(Buffer.from([0, 0, 0]))).toBeUndefined();
  });
});
