import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePublishOrdersBatchHandler } from '../../handlers/publish-orders-batch';
import { parseConfig } from '../../lib/config';
import { Deadline } from '../../lib/deadline';
import { createRuntime, type Runtime } from '../../lib/runtime';
import { classpath, javaBin } from '../../scripts/kafka/jvm';
import { testKafka } from '../../scripts/kafka/local-kafka';
import { nodePaths } from '../../scripts/kafka/topology';
import { lambdaContext, postEvent } from '../support/events';
import { createTopic } from '../support/keyed-runtime';
import { readTopic } from '../support/referee';

/**
 * Each codec of KAFKA_COMPRESSION for real: batches written compressed by the publisher are read
 * back by Kafka's own Java consumer, found by the publisher's own reader (a retry after a 504
 * reads them), and Kafka's DumpLogSegments shows the codec of every batch in the log itself.
 */
const bootstrap = process.env.KAFKA_BROKERS as string;
const CODECS = ['none', 'gzip', 'snappy', 'zstd'] as const;
const written = new Map<
  string,
  { topic: string; runtime: Runtime; receipts: { partition: number; offset: number; event_id: string; key: string }[] }
>();

const orders = Array.from({ length: 30 }, (_, index) => ({
  order_id: `compress-${index}`,
  user_id: `user-${index % 7}`,
  product: ['Laptop', 'Mouse', 'Monitor 27"', 'USB-C cable, 2 m', 'Keyboard (DE)'][index % 5] as string,
  quantity: 1 + (index % 4),
  amount: Number(`${19 + index}.${String((index * 7) % 100).padStart(2, '0')}`),
}));

beforeAll(async () => {
  for (const codec of CODECS) {
    const topic = await createTopic(bootstrap, `compression-${codec}`);
    const runtime = createRuntime(
      parseConfig({ KAFKA_BROKERS: bootstrap, KAFKA_TOPIC: topic, KAFKA_COMPRESSION: codec, LOG_LEVEL: 'SILENT' }),
    );
    const response = await makePublishOrdersBatchHandler(runtime.publishDeps)(postEvent({ orders }), lambdaContext());
    expect(response.statusCode, response.body).toBe(201);
    written.set(codec, { topic, runtime, receipts: JSON.parse(response.body).receipts });
  }
  dumped = batchLinesByTopic([...written.values()].map(({ topic }) => topic));
});

afterAll(async () => {
  for (const { runtime } of written.values()) await runtime.publisher.close();
});

/**
 * Kafka's own DumpLogSegments over the first segment of every partition of these topics, in one
 * JVM: per topic, its lines that describe a record batch.
 */
function batchLinesByTopic(topics: string[]): Map<string, string[]> {
  const topology = testKafka.topology(1);
  const data = nodePaths(topology, topology.nodes[0] as (typeof topology.nodes)[number]).data;
  const segments = fs
    .readdirSync(data)
    .filter((folder) => topics.some((topic) => folder.startsWith(`${topic}-`)))
    .map((folder) => path.join(data, folder, '00000000000000000000.log'));
  const output = execFileSync(javaBin(), ['-cp', classpath(), 'kafka.tools.DumpLogSegments', '--files', segments.join(',')], {
    encoding: 'utf8',
  });
  const lines = new Map(topics.map((topic) => [topic, [] as string[]]));
  let current: string[] | undefined;
  for (const line of output.split('\n')) {
    const dumping = /^Dumping .*\/([^/]+)-\d+\/\d+\.log$/.exec(line);
    if (dumping) current = lines.get(dumping[1] as string);
    else if (line.startsWith('baseOffset:')) current?.push(line);
  }
  return lines;
}

let dumped: Map<string, string[]>;

describe.each(CODECS)('KAFKA_COMPRESSION=%s', (codec) => {
  it("is readable by Kafka's Java consumer, record for record", async () => {
    const { topic, receipts } = written.get(codec) as NonNullable<ReturnType<typeof written.get>>;
    const records = await readTopic(bootstrap, topic);
    expect(records).toHaveLength(orders.length);
    for (const [index, receipt] of receipts.entries()) {
      const record = records.find(({ partition, offset }) => partition === receipt.partition && offset === receipt.offset);
      expect(JSON.parse(record?.value ?? 'null')).toEqual(orders[index]);
      expect(record?.headers['event-id']).toBe(receipt.event_id);
    }
  });

  it('is found by the reader a retry after a 504 uses', async () => {
    const { runtime, receipts } = written.get(codec) as NonNullable<ReturnType<typeof written.get>>;
    const wanted = receipts.map(({ key, event_id }) => ({ key, eventId: event_id }));
    const found = await runtime.publisher.find(wanted, Date.now() - 60_000, new Deadline(Date.now() + 10_000));
    expect(found.map((delivery) => delivery && [delivery.partition, delivery.offset])).toEqual(
      receipts.map(({ partition, offset }) => [partition, offset]),
    );
  });

  it('shows in the log: every batch carries the codec', () => {
    const lines = dumped.get((written.get(codec) as NonNullable<ReturnType<typeof written.get>>).topic) ?? [];
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(new RegExp(`compresscodec: ${codec}\\b`, 'i'));
  });
});
