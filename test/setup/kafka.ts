import { brokersReachable, startKafka, stopKafka } from '../../scripts/kafka.mjs';

/**
 * Uses the broker named by KAFKA_BROKERS when it answers; otherwise starts the local
 * single-node broker, and stops it afterwards only if it was started here. Several projects use
 * this setup; they share one broker.
 */
const shared = globalThis as typeof globalThis & { kafkaUsers?: number; kafkaStartedByUs?: boolean };

export default async function setup() {
  shared.kafkaUsers = (shared.kafkaUsers ?? 0) + 1;
  if (shared.kafkaUsers === 1) {
    const bootstrap = process.env.KAFKA_BROKERS?.split(',')[0];
    const reachable = bootstrap !== undefined && (await brokersReachable({ bootstrap }));
    shared.kafkaStartedByUs = reachable ? false : (await startKafka({ brokers: 1 })).startedByUs;
  }
  return async () => {
    shared.kafkaUsers = (shared.kafkaUsers ?? 1) - 1;
    if (shared.kafkaUsers === 0 && shared.kafkaStartedByUs) await stopKafka({ brokers: 1 });
  };
}
