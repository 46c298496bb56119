// npm run tail: the records of order-events as a consumer sees them, one line each, from now on
// (or --from-beginning), until Ctrl-C. Same brokers as `npm run dev`: KAFKA_BROKERS, else the
// local dev Kafka. It reads partitions directly, so it joins no consumer group and leaves none.
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
// For its side effect: the codecs the producer may compress with (snappy, zstd), or no batch of
// theirs could be read.
import '../lib/kafka/compression';
import { parseConfig } from '../lib/config';
import { ConfigError } from '../lib/errors';
import { describeKafkaError } from '../lib/kafka/errors';
import { scopeMetadataToNamedTopics } from '../lib/kafka/metadata-scope';
import { stopIdlePolling } from '../lib/kafka/request-queue';
import { registryClient } from '../lib/schema/setup';
import { devKafka } from './kafka/local-kafka';
import { DEFAULT_TOPIC } from './kafka/topology';
import { follow } from './tail/follow';
import { formatJson, formatLine, toTailRecord, wantsColour } from './tail/format';
import { FrameDecoder } from './tail/frames';

const USAGE = `Usage: npm run tail -- [--topic T] [--from-beginning] [--json]

  --topic T           the topic to follow (default ${DEFAULT_TOPIC})
  --from-beginning    print what the topic holds first, then follow it
  --json              one JSON object per record: partition, offset, timestamp, key, headers, order
                      (and schema_id for a value framed in registry mode)

Brokers: KAFKA_BROKERS, else the local dev Kafka (${devKafka.bootstrap(1)}). Colour on a terminal unless NO_COLOR is set.
Framed values (registry mode) are decoded with their schema from SCHEMA_REGISTRY_URL (and
SCHEMA_REGISTRY_AUTH, SCHEMA_REGISTRY_SECRET_ARN), as the functions read them.`;

function parseOptions() {
  try {
    return parseArgs({
      options: {
        topic: { type: 'string', default: DEFAULT_TOPIC },
        'from-beginning': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    console.error(`tail: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}

async function main({ topic, json, help, 'from-beginning': fromBeginning }: ReturnType<typeof parseOptions>, brokers: string[]) {
  if (help) return console.log(USAGE);
  const colour = wantsColour(process.stdout, process.env);

  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  // A second Ctrl-C does not wait for the broker to let go.
  stop.signal.addEventListener('abort', () => process.once('SIGINT', () => process.exit(130)));
  // `npm run tail | head` closes the pipe: a reason to stop, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    stop.abort();
  });

  // Registry mode's frames: decoded with the schema of their id, from SCHEMA_REGISTRY_URL. The
  // configuration is read only then: another variable of the functions' cannot stop a plain tail.
  const registry = process.env.SCHEMA_REGISTRY_URL ? parseConfig().schemaRegistry : undefined;
  const frames = new FrameDecoder(registry ? registryClient(registry) : undefined);

  stopIdlePolling();
  // Metadata for the followed topic only: another topic's leaderless partition cannot stop it.
  const kafka = scopeMetadataToNamedTopics(
    new Kafka({
      clientId: 'order-events-tail',
      brokers,
      connectionTimeout: 3_000,
      // Each round is retried by the loop, after fresh metadata; kafkajs's own retries only delay that.
      retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1_000 },
      logLevel: logLevel.NOTHING,
    }),
  );
  await follow(kafka, {
    topic,
    fromBeginning,
    signal: stop.signal,
    onReady: (partitions) =>
      console.error(
        `Following ${topic} (${partitions} partitions) on ${brokers.join(',')} ${fromBeginning ? 'from the beginning' : 'from now'}; Ctrl-C to stop.`,
      ),
    onRecord: async (partition, message) => {
      const record = toTailRecord(partition, message, await frames.decode(message.value));
      process.stdout.write(`${json ? formatJson(record) : formatLine(record, { colour })}\n`);
    },
    onNotice: (notice) => console.error(`tail: ${notice}`),
    drained: () => (process.stdout.writableNeedDrain ? once(process.stdout, 'drain').then(() => undefined) : undefined),
  });
}

const options = parseOptions();
const brokers = (process.env.KAFKA_BROKERS || devKafka.bootstrap(1))
  .split(',')
  .map((broker) => broker.trim())
  .filter(Boolean);
// process.exit: kafkajs may keep timers of abandoned requests, and nothing is left to wait for.
main(options, brokers).then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(`tail: ${error.message}`);
      process.exit(2);
    }
    const problem = describeKafkaError(error);
    console.error(`tail: ${options.topic} on ${brokers.join(',')}: ${problem}`);
    if (!process.env.KAFKA_BROKERS && /connect/i.test(problem)) {
      console.error(`tail: no Kafka at ${brokers.join(',')}; \`npm run kafka:start\` starts the local one, or set KAFKA_BROKERS.`);
    }
    process.exit(1);
  },
);
