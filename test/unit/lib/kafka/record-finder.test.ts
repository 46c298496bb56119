import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { internalCluster } from '../../../../lib/kafka/record-finder';

/**
 * The record finder reads the log through kafkajs's own cluster and broker, which kafkajs does
 * not export: this pins the parts it uses to the installed kafkajs (2.2.4, pinned exactly).
 */
describe("the record finder's hold on kafkajs internals", () => {
  it('finds the private cluster factory, and a cluster with the methods it calls', () => {
    const cluster = internalCluster(new Kafka({ clientId: 'pin', brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING }));
    for (const method of [
      'connect',
      'disconnect',
      'addTargetTopic',
      'refreshMetadata',
      'findTopicPartitionMetadata',
      'findLeaderForPartitions',
      'findBroker',
    ]) {
      expect(typeof (cluster as unknown as Record<string, unknown>)[method], method).toBe('function');
    }
  });

  it('refuses, with a clear message, a client without the factory', () => {
    expect(() => internalCluster({} as Kafka)).toThrow(/kafkajs 2.2.4/);
  });
});
