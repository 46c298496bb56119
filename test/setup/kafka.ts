import { testKafka } from '../../scripts/kafka/local-kafka';

/**
 * The tests' own single node (scripts/kafka/topology.ts: TEST_INSTANCE, never the dev broker),
 * started for the projects that use it and stopped after the last of them. Several projects
 * share this setup, and with it one broker.
 */
const shared = globalThis as typeof globalThis & { kafkaUsers?: number };

export default async function setup() {
  shared.kafkaUsers = (shared.kafkaUsers ?? 0) + 1;
  if (shared.kafkaUsers === 1) await testKafka.start({ brokers: 1 });
  return async () => {
    shared.kafkaUsers = (shared.kafkaUsers ?? 1) - 1;
    if (shared.kafkaUsers === 0) await testKafka.stop({ brokers: 1 });
  };
}
