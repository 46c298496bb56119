import { testKafka } from '../../scripts/kafka/local-kafka';

/**
 * The tests' own single node (scripts/kafka/topology.ts: TEST_INSTANCE, never the dev broker).
 * Its start begins here and runs while the unit and package projects do; each test file that needs
 * it waits for it (test/setup/kafka-ready.ts). Several projects share this setup, and one broker,
 * stopped after the last of them.
 */
const shared = globalThis as typeof globalThis & { kafkaUsers?: number; kafkaStart?: Promise<unknown> };

export default function setup() {
  shared.kafkaUsers = (shared.kafkaUsers ?? 0) + 1;
  // A failed start is reported by the files that wait for it.
  shared.kafkaStart ??= testKafka.start({ brokers: 1 }).catch((error: unknown) => error);
  return async () => {
    shared.kafkaUsers = (shared.kafkaUsers ?? 1) - 1;
    if (shared.kafkaUsers > 0) return;
    await shared.kafkaStart;
    await testKafka.stop({ brokers: 1 });
  };
}
