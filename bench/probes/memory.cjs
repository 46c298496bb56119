// Runs publishes in a plain Node process, as a warm Lambda execution environment does, and samples
// its memory: either through the bundled handler, or (the reference) through bare kafkajs with the
// same records. Plain CommonJS with no loader: the RSS is the publisher's, not a TypeScript loader's.
// Usage (bench/cases/bundle.ts): node --expose-gc memory.cjs BUNDLE_FILE|bare EVENTS_JSON PUBLISHES,
// with an IPC channel; KAFKA_BROKERS and KAFKA_TOPIC in the environment.
const [target, eventsJson, publishesText] = process.argv.slice(2);
const events = JSON.parse(eventsJson);
const publishes = Number(publishesText);
const every = Math.max(1, Math.floor(publishes / 20));
const mb = (bytes) => bytes / (1024 * 1024);

/** The heap after a full collection: what is still referenced, without garbage not yet collected. */
function liveHeapMb() {
  global.gc();
  return mb(process.memoryUsage().heapUsed);
}

async function handlerPublisher() {
  const { handler } = require(target);
  return async (index) => {
    const end = Date.now() + 12_000;
    const response = await handler(events[index % events.length], {
      awsRequestId: 'bench-memory',
      getRemainingTimeInMillis: () => end - Date.now(),
    });
    if (response.statusCode !== 201) throw new Error(`Expected 201, got ${response.statusCode}: ${response.body}`);
  };
}

/** kafkajs alone (resolved through NODE_PATH), with the producer settings, codec and records of the handler. */
async function barePublisher() {
  const { CompressionCodecs, CompressionTypes, Kafka, logLevel, Partitioners } = require('kafkajs');
  // The function's codec (its KAFKA_COMPRESSION from the package), as lib/kafka/compression.ts registers it.
  const codec = process.env.KAFKA_COMPRESSION ?? 'none';
  if (codec === 'snappy') CompressionCodecs[CompressionTypes.Snappy] = require('kafkajs-snappy');
  const compression = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy }[codec];
  if (compression === undefined) throw new Error(`The bare reference does not compress with ${codec}`);
  const kafka = new Kafka({ clientId: 'bench-memory-bare', brokers: process.env.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const messages = events.map((event) => {
    const order = JSON.parse(event.body);
    const headers = {
      'event-id': '5b6f7c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e',
      'event-type': 'order.placed',
      'content-type': 'application/json',
    };
    return {
      key: order.user_id,
      value: event.body,
      headers: { ...headers, 'schema-version': '1', 'x-amzn-trace-id': event.headers['X-Amzn-Trace-Id'] },
    };
  });
  return (index) => producer.send({ topic: process.env.KAFKA_TOPIC, acks: -1, compression, messages: [messages[index % messages.length]] });
}

async function main() {
  const publish = target === 'bare' ? await barePublisher() : await handlerPublisher();
  const samples = [];
  const live = {};
  for (let done = 1; done <= publishes; done++) {
    await publish(done);
    if (done % every === 0 || done === publishes) {
      // Read before any forced collection: this is what Lambda would see.
      const { rss, heapUsed } = process.memoryUsage();
      samples.push({ publishes: done, rssMb: mb(rss), heapUsedMb: mb(heapUsed) });
      process.send({ type: 'progress', done, total: publishes });
    }
    if (done === Math.floor(publishes / 2) || done === publishes) live[done] = liveHeapMb();
  }
  return { samples, liveHeapMb: live };
}

main().then(
  (result) => process.send({ type: 'result', result }, () => process.exit(0)),
  (error) => process.send({ type: 'error', message: String(error?.stack ?? error) }, () => process.exit(1)),
);
