import { isDeepStrictEqual } from 'node:util';
import { Type } from 'avsc/lib/types';
import { ORDER_AVRO_NAME, ORDER_AVRO_SCHEMA } from '../orders/avro-schema';
import { type Order, OrderSchema, standaloneJsonSchema } from '../orders/schema';

/** How the order is written in registry mode: its schema as the registry gets it, and its encoder. */
export interface SchemaFormat {
  readonly name: 'json' | 'avro';
  /** The registry's schemaType; Avro is its default, and is sent without one. */
  readonly schemaType: 'JSON' | 'AVRO';
  /** The schema text that `npm run schema -- register` registers. */
  readonly schema: string;
  /** The subject of the record and topic-record strategies (Confluent: Avro's full name, JSON Schema's title). */
  readonly recordName: string;
  /** The payload behind the frame's header: JSON text, or Avro binary. */
  encode(order: Order): string | Buffer;
  /** The payload back as an order-like object (npm run tail, tests). */
  decode(payload: Buffer): unknown;
  /** Whether a registered schema (its text) is ours: the same schema, however it is laid out. */
  isOurs(registered: string): boolean;
}

/**
 * The order as JSON Schema draft-07, from the zod schema. Draft-07 rather than the contracts'
 * 2020-12: Apicurio 2.x's compatibility checker cannot tell 2020-12's version ("could not
 * determine version"), and Confluent's registry defaults to draft-07 too. Self-contained, with
 * `$schema` (Apicurio refuses a JSON Schema without `$schema` or `properties`).
 */
export function orderRegistryJsonSchema(): Record<string, unknown> {
  return standaloneJsonSchema(OrderSchema, 'draft-7');
}

function jsonSchemaFormat(): SchemaFormat {
  const schema = orderRegistryJsonSchema();
  return {
    name: 'json',
    schemaType: 'JSON',
    schema: JSON.stringify(schema),
    recordName: String(schema.title),
    encode: (order) => JSON.stringify(order),
    decode: (payload) => JSON.parse(payload.toString('utf8')),
    isOurs: (registered) => isDeepStrictEqual(parseOrUndefined(registered), schema),
  };
}

function avroFormat(): SchemaFormat {
  const type = Type.forSchema(ORDER_AVRO_SCHEMA as unknown as Parameters<typeof Type.forSchema>[0]);
  return {
    name: 'avro',
    schemaType: 'AVRO',
    schema: JSON.stringify(ORDER_AVRO_SCHEMA),
    recordName: ORDER_AVRO_NAME,
    // avsc checks each value against its field's type, and throws on a mismatch: a bug of our
    // mapping, which the test of every valid order guards against.
    encode: (order) => type.toBuffer(order),
    decode: (payload) => type.fromBuffer(payload),
    isOurs: (registered) => {
      try {
        // The same canonical form, docs and defaults included.
        // avsc 5.7's `strict` option (docs and defaults too) is missing from its type declarations.
        const equals = type.equals.bind(type) as (other: Type, options: { strict: boolean }) => boolean;
        return equals(Type.forSchema(JSON.parse(registered)), { strict: true });
      } catch {
        return false;
      }
    },
  };
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const formats = new Map<SchemaFormat['name'], SchemaFormat>();

/** The format, built once (an Avro type and a JSON Schema take a few milliseconds to build). */
export function schemaFormat(name: SchemaFormat['name']): SchemaFormat {
  let format = formats.get(name);
  if (!format) {
    format = name === 'avro' ? avroFormat() : jsonSchemaFormat();
    formats.set(name, format);
  }
  return format;
}

/** The subject the order schema is registered under, by strategy (Confluent's names in brackets). */
export function subjectName(strategy: 'topic' | 'record' | 'topic-record', topic: string, format: SchemaFormat): string {
  switch (strategy) {
    case 'record': // RecordNameStrategy
      return format.recordName;
    case 'topic-record': // TopicRecordNameStrategy
      return `${topic}-${format.recordName}`;
    default: // TopicNameStrategy
      return `${topic}-value`;
  }
}
