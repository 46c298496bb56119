import type { Kafka, Producer, ProducerConfig } from 'kafkajs';

/**
 * kafkajs's own cluster (src/cluster) and broker (src/broker), reached through the client's private
 * cluster factory: the same connections, security and wire protocol as the producer, pinned at
 * kafkajs 2.2.4 (test/unit/lib/kafka/cluster.test.ts checks the hooks are there). The publisher
 * reads metadata and the log through the producer's own cluster, so that an execution environment
 * holds one connection per broker, not one per client (issue 16).
 */

export interface InternalBroker {
  listOffsets(request: unknown): Promise<{ responses: { partitions: { partition: number; offset: string }[] }[] }>;
  fetch(request: unknown): Promise<{
    responses: {
      partitions: {
        highWatermark: string;
        messages: {
          offset: string;
          key: Buffer | null;
          headers?: Record<string, Buffer | Buffer[] | undefined>;
          timestamp: string;
          size?: number;
          value: Buffer | null;
        }[];
      }[];
    }[];
  }>;
}

export interface PartitionMetadata {
  partitionId: number;
  leader: number;
  partitionErrorCode: number;
  replicas: number[];
  isr: number[];
}

export interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  findTopicPartitionMetadata(topic: string): PartitionMetadata[];
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(options: { nodeId: string }): Promise<InternalBroker>;
  /** The brokers of the last metadata answer. */
  getNodeIds(): string[];
}

const CREATE_CLUSTER = 'private:Kafka:createCluster';

/** kafkajs's own cluster factory, as its producer and admin get theirs (src/index.js). */
export function internalCluster(kafka: Kafka): InternalCluster {
  return clusterFactory(kafka)({ allowAutoTopicCreation: false, metadataMaxAge: 60_000 }) as InternalCluster;
}

/** A producer, and the cluster kafkajs made for it: its connections, its metadata. */
export function producerWithCluster(kafka: Kafka, options: ProducerConfig): { producer: Producer; cluster: InternalCluster } {
  const symbol = privateSymbol(kafka, CREATE_CLUSTER);
  const target = kafka as unknown as Record<symbol, (options: unknown) => unknown>;
  const create = clusterFactory(kafka);
  let cluster: InternalCluster | undefined;
  target[symbol] = (clusterOptions: unknown) => {
    cluster = create(clusterOptions) as InternalCluster;
    return cluster;
  };
  try {
    const producer = kafka.producer(options);
    if (!cluster) throw new Error('kafkajs built a producer without its cluster factory: the publisher needs kafkajs 2.2.4');
    return { producer, cluster };
  } finally {
    target[symbol] = create;
  }
}

/**
 * Applies `patch` to every broker (kafkajs's src/broker, one per node, and the seed) of every
 * cluster this client builds from now on. Asking twice with the same function applies it once; a
 * patch made per client (a closure) is a new function each time.
 */
export function patchEveryBroker<Broker extends object>(kafka: Kafka, patch: (broker: Broker) => void): Kafka {
  const symbol = privateSymbol(kafka, CREATE_CLUSTER);
  const target = kafka as unknown as Record<symbol, ((options: unknown) => unknown) & { patches?: Set<unknown> }>;
  const create = target[symbol];
  if (typeof create !== 'function') throw new Error(`kafkajs has no ${CREATE_CLUSTER}: the publisher needs kafkajs 2.2.4`);
  if (create.patches?.has(patch)) return kafka;
  const patched = (options: unknown) => {
    const cluster = create.call(kafka, options) as { brokerPool: { createBroker: (options: unknown) => Broker } };
    const createBroker = cluster.brokerPool.createBroker;
    cluster.brokerPool.createBroker = (brokerOptions: unknown) => {
      const broker = createBroker(brokerOptions);
      patch(broker);
      return broker;
    };
    return cluster;
  };
  target[symbol] = Object.assign(patched, { patches: new Set([...(create.patches ?? []), patch]) });
  return kafka;
}

/**
 * kafkajs gives each broker a second connection for Fetch (src/network/connectionPool.js), so
 * that a consumer's long poll does not hold up its other requests. Ours fetch only to look in the
 * log on a retry, for at most 100 ms a request: on MSK, where every connection counts against a
 * broker's quota, that second connection would cost more than the wait (issue 16).
 */
export function fetchOnTheOneConnection(kafka: Kafka): Kafka {
  return patchEveryBroker(kafka, oneConnection);
}

function oneConnection(broker: { connectionPool: { getConnection(index?: number): Promise<unknown>; getConnectionByRequest?: unknown } }) {
  const pool = broker.connectionPool;
  pool.getConnectionByRequest = () => pool.getConnection(0);
}

export function clusterFactory(kafka: Kafka): (options: unknown) => unknown {
  const symbol = privateSymbol(kafka, CREATE_CLUSTER);
  const create = (kafka as unknown as Record<symbol, unknown>)[symbol];
  if (typeof create !== 'function') throw new Error(`kafkajs has no ${CREATE_CLUSTER}: the publisher needs kafkajs 2.2.4`);
  return (options) => create.call(kafka, options);
}

export function privateSymbol(owner: object, description: string): symbol {
  const symbol = Object.getOwnPropertySymbols(owner).find((candidate) => candidate.description === description);
  if (!symbol) throw new Error(`kafkajs has no ${description}: the publisher needs kafkajs 2.2.4`);
  return symbol;
}
