import { afterAll } from 'vitest';
import { defaultRuntime } from '../../lib/runtime';
import { TopicReader } from './referee';

/**
 * For a test file that drives the default runtime against the tests' broker: Kafka's own Java
 * consumer reads the records back, and the warm producer is closed after the file's tests.
 */
export function useTopicReader(topic = 'order-events') {
  const bootstrap = process.env.KAFKA_BROKERS as string;
  afterAll(async () => {
    await defaultRuntime().publisher.close();
  });
  return new TopicReader(bootstrap, topic);
}
