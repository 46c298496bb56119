import { defineConfig } from 'vitest/config';
import { testKafka } from './scripts/kafka/local-kafka';

/**
 * One `npm test` runs every project. Groups run one after another: the fast unit tests first,
 * then the tests against the real broker, and last the ones that stop and start it.
 */
/** Logs and EMF metric lines stay out of the test output; tests that look at them set their own. */
const quiet = { LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' };
/** The tests' own broker, always: never one that happens to answer on the dev port. */
const kafkaEnv = { KAFKA_BROKERS: testKafka.bootstrap(1), ...quiet };

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          env: quiet,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          // `sls package` for production-like parameters, read back from the template.
          name: 'package',
          include: ['test/package/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 360_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: ['test/integration/**/*.disruptive.test.ts'],
          globalSetup: ['test/setup/kafka.ts'],
          setupFiles: ['test/setup/kafka-ready.ts'],
          env: kafkaEnv,
          testTimeout: 30_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          // Registry mode against the tests' own schema registry (Apicurio) and broker, beside the
          // integration project; one file at a time, as one of them stops the registry.
          name: 'registry',
          poolOptions: { forks: { singleFork: true } },
          include: ['test/registry/**/*.test.ts'],
          globalSetup: ['test/setup/kafka.ts', 'test/setup/registry.ts'],
          setupFiles: ['test/setup/kafka-ready.ts'],
          env: kafkaEnv,
          testTimeout: 60_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/setup/kafka.ts'],
          setupFiles: ['test/setup/kafka-ready.ts'],
          env: kafkaEnv,
          testTimeout: 30_000,
          hookTimeout: 180_000,
          sequence: { groupOrder: 2 },
        },
      },
      {
        test: {
          // Its files stop, pause and kill the shared broker: one at a time, and nothing beside them.
          name: 'disruptive',
          poolOptions: { forks: { singleFork: true } },
          include: ['test/integration/**/*.disruptive.test.ts'],
          globalSetup: ['test/setup/kafka.ts'],
          setupFiles: ['test/setup/kafka-ready.ts'],
          env: kafkaEnv,
          testTimeout: 120_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 3 },
        },
      },
      {
        test: {
          // Against the tests' three-broker cluster, beside the disruptive project (which only touches
          // the single node); its files stop and pause brokers, one file at a time.
          name: 'cluster',
          poolOptions: { forks: { singleFork: true } },
          include: ['test/cluster/**/*.test.ts'],
          globalSetup: ['test/setup/kafka-cluster.ts'],
          setupFiles: ['test/setup/kafka-cluster-ready.ts'],
          env: quiet,
          testTimeout: 120_000,
          hookTimeout: 180_000,
          sequence: { groupOrder: 3 },
        },
      },
      {
        test: {
          // The fault cases, shortened (`npm run test:faults` runs them in full, with bad input at
          // volume and the HTTP load run): they stop, kill and pause brokers of the three-broker
          // cluster, so they come last, and are one file so that nothing runs beside them.
          name: 'faults',
          include: ['test/faults/fault-cases.test.ts'],
          globalSetup: ['test/setup/kafka-cluster.ts'],
          setupFiles: ['test/setup/kafka-cluster-ready.ts'],
          env: { ...quiet, FAULT_SUITE_SCALE: 'short' },
          testTimeout: 300_000,
          hookTimeout: 300_000,
          sequence: { groupOrder: 4 },
        },
      },
    ],
  },
});
