import { startKafka, stopKafka } from '../../scripts/kafka.mjs';

/**
 * The local three-broker cluster (one controller-only node, brokers 1 to 3), started unless it
 * already runs, and stopped afterwards only if it was started here.
 */
export default async function setup() {
  const { startedByUs } = await startKafka({ brokers: 3 });
  return async () => {
    if (startedByUs) await stopKafka({ brokers: 3 });
  };
}
