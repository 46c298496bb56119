import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { internalCluster } from '../../../../lib/kafka/cluster';

/**
 * The publisher reads metadata and the log through kafkajs's own cluster and broker, which kafkajs does
 * not export: this pins the parts it uses to the installed kafkajs (2.2.4, pinned exactly).
 */
describe("the publisher's hold on kafkajs's cluster", () => {
  it('finds the private cluster factory, and a cluster with the methods it calls', () => {
    const cluster = internalCluster(new Kafka({ clientId: 'pin', brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING }));
    for (const method of [
      'connect',
      'disconnect',
      'addTargetTopic',
      'refreshMetadata',
      'refreshMetadataIfNecessary',
      'getNodeIds',
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
