import { defineConfig } from 'vitest/config';

/**
 * `npm run test:faults`: the fault suite in full, the HTTP load run and bad input at volume, on
 * the tests' own three-broker cluster (started and stopped here, never the dev cluster). `npm
 * test` runs a shortened version of the cases as its "faults" project.
 */
export default defineConfig({
  test: {
    name: 'faults',
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/setup/kafka-cluster.ts'],
    setupFiles: ['test/setup/kafka-cluster-ready.ts'],
    env: { LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true', FAULT_SUITE_SCALE: 'full' },
    // The files stop, kill and pause brokers of one cluster: one at a time, in a fixed order.
    fileParallelism: false,
    sequence: { shuffle: false },
    testTimeout: 300_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
