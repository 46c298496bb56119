import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaFactory, shuffled } from '../../../../lib/kafka/client';
import { clusterFactory, fetchOnTheOneConnection } from '../../../../lib/kafka/cluster';
import { scopeMetadataToNamedTopics } from '../../../../lib/kafka/metadata-scope';
import { createLogger } from '../../../../lib/log';

const kafka = () => new Kafka({ clientId: 'unit', brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING });

describe('the bootstrap list of an execution environment', () => {
  it.each([
    { brokers: ['a:9092'], random: () => 0.99 },
    { brokers: ['a:9092', 'b:9092', 'c:9092'], random: () => 0 },
    { brokers: ['a:9092', 'b:9092', 'c:9092'], random: () => 0.99 },
  ])('is a permutation of the configured brokers ($brokers.length, random $random)', ({ brokers, random }) => {
    const order = shuffled(brokers, random);
    expect([...order].sort()).toEqual([...brokers].sort());
  });

  it('puts each broker first for some environments', () => {
    const firsts = new Set(Array.from({ length: 200 }, () => shuffled(['a', 'b', 'c'])[0]));
    expect(firsts).toEqual(new Set(['a', 'b', 'c']));
  });
});

describe('the patches on every broker of a client', () => {
  it('reach the brokers kafkajs builds: no empty topic list sent as "all topics", Fetch on the one connection', () => {
    // Prepare
    const client = fetchOnTheOneConnection(scopeMetadataToNamedTopics(kafka()));
    const plain = clusterFactory(kafka())({}) as { brokerPool: { createBroker(options: unknown): Record<string, unknown> } };
    const cluster = clusterFactory(client)({}) as typeof plain;
    const options = { connectionPool: { getConnection: (index = 0) => Promise.resolve(index === 0 ? 'first' : 'second') }, logger: plain };
    // Act
    const broker = cluster.brokerPool.createBroker({ ...options, logger: { namespace: () => ({}) } }) as {
      metadata: unknown;
      connectionPool: { getConnectionByRequest(request: unknown): Promise<string> };
    };
    const ordinary = plain.brokerPool.createBroker({ ...options, logger: { namespace: () => ({}) } });
    // Assess
    expect(broker.metadata).not.toBe(ordinary.metadata);
    return expect(broker.connectionPool.getConnectionByRequest({ request: { apiKey: 1 } })).resolves.toBe('first');
  });

  it('apply once however often they are asked for', () => {
    const client = kafka();
    scopeMetadataToNamedTopics(scopeMetadataToNamedTopics(client));
    const symbol = Object.getOwnPropertySymbols(client).find((candidate) => candidate.description === 'private:Kafka:createCluster');
    const factory = (client as unknown as Record<symbol, { patches?: Set<unknown> }>)[symbol as symbol];
    expect(factory?.patches?.size).toBe(1);
  });

  it("are on the publisher's clients: scoped metadata, Fetch on the one connection, each record appended once", async () => {
    const config = {
      brokers: ['127.0.0.1:1'],
      topic: 'order-events',
      clientId: 'unit',
      connectionTimeoutMs: 100,
      requestTimeoutMs: 100,
      compression: 'none' as const,
      tls: false,
      auth: { mechanism: 'none' as const },
    };
    const { kafka: client } = await kafkaFactory(config, createLogger('ERROR'), {})();
    const cluster = clusterFactory(client)({}) as { brokerPool: { createBroker(options: unknown): { produce: { name: string } } } };
    const broker = cluster.brokerPool.createBroker({
      connectionPool: { getConnection: () => Promise.resolve() },
      logger: { namespace: () => ({}) },
    });
    expect(broker.produce.name).toBe('produceOnce');
    const symbol = Object.getOwnPropertySymbols(client).find((candidate) => candidate.description === 'private:Kafka:createCluster');
    expect((client as unknown as Record<symbol, { patches?: Set<unknown> }>)[symbol as symbol]?.patches?.size).toBe(3);
  });
});
