import { brokersReachable, createTopic, SINGLE_BOOTSTRAP, startKafka, stopKafka } from '../../scripts/kafka.mjs';

export interface Broker {
  bootstrap: string;
  topic: string;
  /** Kafka's version when the broker is the local one, else 'external'. */
  version: string;
  /** Stops the broker if this run started it. */
  release(): Promise<void>;
}

/** Partitions of the bench topic: as many as the service's own topic. */
const PARTITIONS = 3;

/**
 * The broker named by KAFKA_BROKERS when one answers; else the local one of scripts/kafka.mjs,
 * started here and stopped by `release`. The bench writes to a topic of its own, so that its
 * hundred thousand records do not land among the orders a developer looks at.
 */
export async function acquireBroker(log: (line: string) => void): Promise<Broker> {
  const bootstrap = process.env.KAFKA_BROKERS ?? SINGLE_BOOTSTRAP;
  const topic = process.env.BENCH_TOPIC ?? 'order-events-bench';
  const first = bootstrap.split(',')[0]?.trim() ?? bootstrap;
  let startedByUs = false;
  let version = 'external';
  if (first === SINGLE_BOOTSTRAP) {
    // A no-op when it already runs; then it only reports the version.
    if (!(await brokersReachable({ bootstrap: first }))) log(`No broker answers on ${first}: starting the local one (scripts/kafka.mjs)`);
    const started = await startKafka({ brokers: 1, quiet: true });
    startedByUs = started.startedByUs;
    version = started.version;
  } else if (!(await brokersReachable({ bootstrap: first }))) {
    throw new Error(`KAFKA_BROKERS=${bootstrap}: no broker answers, and it is not the local one this bench can start`);
  }
  const created = await createTopic({ name: topic, partitions: PARTITIONS, bootstrap });
  if (created.partitions !== PARTITIONS) log(`Topic ${topic} has ${created.partitions} partitions, not ${PARTITIONS}`);
  return {
    bootstrap,
    topic,
    version,
    async release() {
      if (startedByUs) await stopKafka({ brokers: 1, quiet: true });
    },
  };
}
