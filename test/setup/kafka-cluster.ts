import { testKafka } from '../../scripts/kafka/local-kafka';
import { FAULT_CLUSTER_OVERRIDES } from '../faults/support/fault-cluster';

/**
 * The tests' own three-broker cluster (one controller-only node, brokers 1 to 3), shared by the
 * cluster project and the fault cases, with the fault suite's settings. Its start begins here,
 * while earlier projects run; their test files wait for it (test/setup/kafka-cluster-ready.ts).
 * Stopped at the end.
 */
const shared = globalThis as typeof globalThis & { clusterUsers?: number; clusterStart?: Promise<unknown> };

export default function setup() {
  shared.clusterUsers = (shared.clusterUsers ?? 0) + 1;
  shared.clusterStart ??= testKafka
    .start({ brokers: 3, overrides: FAULT_CLUSTER_OVERRIDES, restart: true })
    .catch((error: unknown) => error);
  return async () => {
    shared.clusterUsers = (shared.clusterUsers ?? 1) - 1;
    if (shared.clusterUsers > 0) return;
    await shared.clusterStart;
    await testKafka.stop({ brokers: 3 });
  };
}
