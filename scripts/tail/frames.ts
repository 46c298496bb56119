import { Type } from 'avsc/lib/types';
import { Deadline } from '../../lib/deadline';
import { unframe } from '../../lib/schema/framing';
import type { RegistryClient } from '../../lib/schema/registry-client';

/** A framed value as the tail shows it: its schema id, and the order decoded, or why it could not be. */
export interface DecodedFrame {
  schemaId: number;
  order?: unknown;
  problem?: string;
}

/** How long the tail waits for a schema from the registry. */
const SCHEMA_WAIT_MS = 5_000;

/**
 * Decodes values framed in the Confluent wire format (lib/schema/framing.ts) as a consumer does:
 * the schema by its id from the registry (SCHEMA_REGISTRY_URL), once per id. A JSON Schema payload
 * is JSON and needs no registry; an Avro one does.
 */
export class FrameDecoder {
  private readonly readers = new Map<number, Promise<(payload: Buffer) => unknown>>();

  constructor(private readonly registry: RegistryClient | undefined) {}

  /** undefined for a value that is not framed (plain JSON, as without registry mode). */
  async decode(value: Buffer | null): Promise<DecodedFrame | undefined> {
    const frame = value ? unframe(value) : undefined;
    if (!frame) return undefined;
    const { schemaId, payload } = frame;
    if (!this.registry) {
      const json = parseJson(payload);
      if (json.ok) return { schemaId, order: json.value };
      return { schemaId, problem: `not JSON: set SCHEMA_REGISTRY_URL to decode it with schema ${schemaId}` };
    }
    try {
      return { schemaId, order: (await this.reader(schemaId))(payload) };
    } catch (error) {
      return { schemaId, problem: (error as Error).message };
    }
  }

  private reader(schemaId: number): Promise<(payload: Buffer) => unknown> {
    let reader = this.readers.get(schemaId);
    if (!reader) {
      reader = (this.registry as RegistryClient)
        .schemaById(schemaId, new Deadline(Date.now() + SCHEMA_WAIT_MS))
        .then(({ schema, schemaType }) => {
          if ((schemaType ?? 'AVRO') === 'AVRO') {
            const type = Type.forSchema(JSON.parse(schema));
            return (payload: Buffer) => type.fromBuffer(payload);
          }
          if (schemaType === 'JSON') {
            return (payload: Buffer) => {
              const json = parseJson(payload);
              if (!json.ok) throw new Error(`schema ${schemaId} is JSON Schema, but the payload is not JSON`);
              return json.value;
            };
          }
          throw new Error(`schema ${schemaId} is ${schemaType}, which the tail does not decode`);
        });
      // A failed look-up is tried again for the next record.
      reader.catch(() => this.readers.delete(schemaId));
      this.readers.set(schemaId, reader);
    }
    return reader;
  }
}

function parseJson(payload: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(payload.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}
