/**
 * The Confluent wire format: magic byte 0, the schema id as a 4-byte big-endian integer, then the
 * encoded value. Kafka Connect, Flink, ksqlDB and the Confluent serializers read it; so do
 * Apicurio's serdes in their Confluent-compatible mode.
 */

export const MAGIC_BYTE = 0;
export const FRAME_HEADER_BYTES = 5;

/** A payload behind the 5-byte header. `payload` is JSON text or bytes. */
export function frame(schemaId: number, payload: string | Buffer): Buffer {
  const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const framed = Buffer.allocUnsafe(FRAME_HEADER_BYTES + bytes);
  framed[0] = MAGIC_BYTE;
  framed.writeUInt32BE(schemaId, 1);
  if (typeof payload === 'string') framed.write(payload, FRAME_HEADER_BYTES, 'utf8');
  else payload.copy(framed, FRAME_HEADER_BYTES);
  return framed;
}

export interface Frame {
  schemaId: number;
  payload: Buffer;
}

/** The schema id and payload of a framed value, or undefined for a value that is not framed. */
export function unframe(value: Buffer): Frame | undefined {
  if (value.length < FRAME_HEADER_BYTES || value[0] !== MAGIC_BYTE) return undefined;
  return { schemaId: value.readUInt32BE(1), payload: value.subarray(FRAME_HEADER_BYTES) };
}
