import { testKafka } from '../../scripts/kafka/local-kafka';
import { FAULT_CLUSTER_OVERRIDES } from '../faults/support/fault-cluster';

// Before each test file of the cluster's projects: the cluster whose start test/setup/kafka-cluster.ts began.
await testKafka.quiet().start({ brokers: 3, overrides: FAULT_CLUSTER_OVERRIDES });
