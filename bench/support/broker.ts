import { createTopic, registeredBrokers } from '../../scripts/kafka/admin';
import { devKafka } from '../../scripts/kafka/local-kafka';

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
 * The broker named by KAFKA_BROKERS when one answers; else the developer's local one
 * (scripts/kafka/), started here and stopped by `release`. The bench writes to a topic of its own,
 * so that its hundred thousand records do not land among the orders a developer looks at.
 */
export async function acquireBroker(log: (line: string) => void): Promise<Broker> {
  const local = devKafka.bootstrap(1);
  const bootstrap = process.env.KAFKA_BROKERS ?? local;
  const topic = process.env.BENCH_TOPIC ?? 'order-events-bench';
  let startedByUs = false;
  let version = 'external';
  if (bootstrap.split(',')[0]?.trim() === local) {
    if (!(await registeredBrokers(local))) log(`No broker answers on ${local}: starting the local one (npm run kafka:start)`);
    const started = await devKafka.quiet().start({ brokers: 1, reuseForeign: true });
    startedByUs = started.startedByUs;
    version = started.version;
  } else if (!(await registeredBrokers(bootstrap))) {
    throw new Error(`KAFKA_BROKERS=${bootstrap}: no broker answers, and it is not the local one this bench can start`);
  }
  const created = await createTopic(bootstrap, { name: topic, partitions: PARTITIONS });
  if (created.partitions !== PARTITIONS) log(`Topic ${topic} has ${created.partitions} partitions, not ${PARTITIONS}`);
  return {
    bootstrap,
    topic,
    version,
    async release() {
      if (startedByUs) await devKafka.quiet().stop({ brokers: 1 });
    },
  };
}
