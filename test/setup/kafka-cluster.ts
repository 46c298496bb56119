import { testKafka } from '../../scripts/kafka/local-kafka';
import { FAULT_CLUSTER_OVERRIDES } from '../faults/support/fault-cluster';

/**
 * The tests' own three-broker cluster (one controller-only node, brokers 1 to 3), shared by the
 * cluster project and the fault cases, with the fault suite's settings, and stopped at the end.
 */
const shared = globalThis as typeof globalThis & { clusterUsers?: number };

export default async function setup() {
  shared.clusterUsers = (shared.clusterUsers ?? 0) + 1;
  if (shared.clusterUsers === 1) await testKafka.start({ brokers: 3, overrides: FAULT_CLUSTER_OVERRIDES, restart: true });
  return async () => {
    shared.clusterUsers = (shared.clusterUsers ?? 1) - 1;
    if (shared.clusterUsers === 0) await testKafka.stop({ brokers: 3 });
  };
}
