import { testKafka } from '../../scripts/kafka/local-kafka';

// Before each test file of the single node's projects: the broker whose start test/setup/kafka.ts
// began (a start that finds it running only waits for it to answer).
await testKafka.quiet().start({ brokers: 1 });
