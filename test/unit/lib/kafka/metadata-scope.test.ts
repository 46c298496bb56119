import type Encoder from 'kafkajs/src/protocol/encoder.js';
import Metadata from 'kafkajs/src/protocol/requests/metadata/index.js';
import { describe, expect, it } from 'vitest';
import { askNoTopicsWhenNoneAreNamed } from '../../../../lib/kafka/metadata-scope';

/**
 * The bytes a scoped broker puts on the wire for a Metadata request without topics, against
 * kafkajs's own encoding: a topic list of length 0 (no topics), not -1 (null: every topic).
 */
const SEND_REQUEST = Symbol('private:Broker:sendRequest');

async function topicListSent(version: number, topics: string[]): Promise<Buffer> {
  const sent: { request: { encode(): Promise<Encoder> } }[] = [];
  const prototype = {
    [SEND_REQUEST](request: { request: { encode(): Promise<Encoder> } }) {
      sent.push(request);
      return Promise.resolve({});
    },
  };
  const broker = Object.assign(Object.create(prototype), {
    allowAutoTopicCreation: false,
    metadata: (named: string[]) => {
      sent.push(Metadata.protocol({ version })({ topics: named }) as never);
      return Promise.resolve({});
    },
    lookupRequest: (_apiKey: number, definition: typeof Metadata) => definition.protocol({ version }),
  });
  askNoTopicsWhenNoneAreNamed(broker);
  await broker.metadata(topics);
  const encoded = await (sent[0] as { request: { encode(): Promise<Encoder> } }).request.encode();
  return (encoded as unknown as { buffer: Buffer }).buffer;
}

describe('a scoped Metadata request', () => {
  it.each([1, 4, 6])('v%i without topics sends an empty list, not null', async (version) => {
    const bytes = await topicListSent(version, []);
    expect(bytes.readInt32BE(0)).toBe(0);
    const kafkajs = (await Metadata.protocol({ version })({ topics: [] }).request.encode()) as unknown as { buffer: Buffer };
    expect(kafkajs.buffer.readInt32BE(0)).toBe(-1);
  });

  it('leaves a request that names topics to kafkajs', async () => {
    const bytes = await topicListSent(6, ['order-events']);
    expect(bytes.readInt32BE(0)).toBe(1);
  });
});
